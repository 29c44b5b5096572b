/* cli_quotas.c - `rill quotas set|list|delete`: per-principal byte-rate
 * quotas in a data directory's security/quotas file (layer: cli).
 *
 * A running broker on the directory applies a change within a second
 * (docs/security.md, "Quotas").
 */
#include "cli/cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "broker/auth_quotas.h"

static const char usage[] =
    "rill quotas set PRINCIPAL [--producer-byte-rate N] "
    "[--consumer-byte-rate N]\n"
    "       rill quotas list\n"
    "       rill quotas delete PRINCIPAL\n"
    "  PRINCIPAL: User:NAME (User:ANONYMOUS without SASL), or '<default>' "
    "for every user\n"
    "  without a line of its own; N bytes/s, -1 unlimited;\n"
    "  what is not set follows quota.producer.default / "
    "quota.consumer.default;\n"
    "  on a data directory: --data DIR (default $RILL_DATA or ./rill-data)";

static void print_rate(const char *what, int64_t v)
{
    if (v == AUTH_QUOTA_DEFAULT)
        printf("\t%s=default", what);
    else
        printf("\t%s=%" PRId64, what, v);
}

int cli_quotas(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    const char *dir = cli_data_dir(cli_opt(&a, "data"));
    const char *prod_s = cli_opt(&a, "producer-byte-rate");
    const char *cons_s = cli_opt(&a, "consumer-byte-rate");
    const char *verb = cli_positional(&a, 0);
    const char *principal = cli_positional(&a, 0); /* the next one */
    int rc = cli_check_unused(&a, usage);
    if (rc)
        return rc;
    int64_t prod = AUTH_QUOTA_DEFAULT, cons = AUTH_QUOTA_DEFAULT;
    if ((prod_s && cli_parse_i64("producer-byte-rate", prod_s, &prod)) ||
        (cons_s && cli_parse_i64("consumer-byte-rate", cons_s, &cons)))
        return 2;
    if (!verb || (strcmp(verb, "list") && !principal) ||
        (principal && !strchr(principal, ':') &&
         strcmp(principal, AUTH_QUOTA_DEFAULT_USER)) ||
        prod < -2 || cons < -2 || prod == 0 || cons == 0) {
        fprintf(stderr, "usage: %s\n", usage);
        return 2;
    }
    if (!strcmp(verb, "list") && cli_dir_missing("quotas", dir))
        return 1;
    struct auth_quotas *q;
    rc = auth_quotas_open(dir, &q);
    if (rc < 0) {
        fprintf(stderr, "rill quotas: %s/security/quotas: %s\n", dir,
                err_str(rc));
        return 1;
    }
    int status = 0;
    bool changed = false;
    if (!strcmp(verb, "list")) {
        for (size_t i = 0; i < auth_quotas_count(q); i++) {
            const struct auth_quota_entry *e = auth_quotas_at(q, i);
            printf("%s", e->principal);
            print_rate("producer_byte_rate", e->producer_byte_rate);
            print_rate("consumer_byte_rate", e->consumer_byte_rate);
            printf("\n");
        }
    } else if (!strcmp(verb, "set")) {
        auth_quotas_set(q, principal, prod, cons);
        changed = true;
    } else if (!strcmp(verb, "delete")) {
        if (auth_quotas_remove(q, principal) < 0) {
            fprintf(stderr, "rill quotas: no quota for %s\n", principal);
            status = 1;
        } else {
            changed = true;
        }
    } else {
        fprintf(stderr, "rill quotas: unknown verb '%s'\nusage: %s\n", verb,
                usage);
        status = 2;
    }
    if (changed) {
        rc = auth_quotas_save(q);
        if (rc < 0) {
            fprintf(stderr,
                    "rill quotas: cannot write %s/security/quotas: %s\n", dir,
                    err_str(rc));
            status = 1;
        }
    }
    auth_quotas_destroy(q);
    return status;
}
