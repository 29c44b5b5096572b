/* cli_auth.c - `rill users add|list|delete` and `rill acls add|list|delete`
 * on a data directory's security/ files (layer: cli).
 *
 * They edit <data>/security/users and <data>/security/acls directly, also
 * while `rill serve` runs: the broker re-reads a file that changed (users
 * at the next authentication, ACLs within a second). Passwords come from
 * --password-file, else the first line of stdin (--password also works but
 * shows in `ps`); only salted hashes are written (docs/security.md).
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "broker/auth_acls.h"
#include "broker/auth_scram.h"
#include "broker/auth_users.h"

static const char users_usage[] =
    "rill users add NAME [--password-file F | --password P] [--mechanism "
    "SCRAM-SHA-256|SCRAM-SHA-512] [--iterations N]\n"
    "       rill users list\n"
    "       rill users delete NAME [--mechanism M]\n"
    "  the password is read from stdin (first line) unless given; add "
    "stores both\n"
    "  SCRAM mechanisms unless --mechanism (PLAIN logins use either);\n"
    "  on a data directory: --data DIR (default $RILL_DATA or ./rill-data); "
    "a running\n"
    "  broker on it picks the change up at the next login;\n"
    "  on a running broker: --bootstrap HOST:PORT [--command-config "
    "CLIENT.properties]\n"
    "  [--timeout MS] (Describe/AlterUserScramCredentials; security.protocol, "
    "sasl.*,\n"
    "  ssl.ca.location for a secured listener)";

static int read_password(const char *flag, const char *file, char *out,
                         size_t cap)
{
    if (flag) {
        snprintf(out, cap, "%s", flag);
        return 0;
    }
    FILE *f = file ? fopen(file, "r") : stdin;
    if (!f) {
        fprintf(stderr, "rill users: cannot open %s\n", file);
        return 1;
    }
    if (!fgets(out, (int)cap, f))
        out[0] = '\0';
    if (file)
        fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    if (!out[0]) {
        fprintf(stderr, "rill users: empty password\n");
        return 1;
    }
    return 0;
}

static int users_add(struct auth_users *u, const char *name, const char *pw,
                     int mech, int32_t iterations)
{
    for (int m = AUTH_SCRAM_SHA_256; m <= AUTH_SCRAM_SHA_512; m++) {
        if (mech && m != mech)
            continue;
        struct auth_scram_cred c;
        if (auth_scram_cred_make(m, pw, strlen(pw), iterations, &c) < 0) {
            fprintf(stderr, "rill users: iterations must be %d to %d\n",
                    AUTH_SCRAM_MIN_ITERATIONS, AUTH_SCRAM_MAX_ITERATIONS);
            return 2;
        }
        if (auth_users_set(u, name, strlen(name), &c) < 0) {
            fprintf(stderr, "rill users: a user name is 1 to 255 bytes without "
                            "spaces or control characters\n");
            return 2;
        }
    }
    return 0;
}

int cli_users(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    const char *dir = cli_data_dir(cli_opt(&a, "data"));
    const char *pw_flag = cli_opt(&a, "password");
    const char *pw_file = cli_opt(&a, "password-file");
    const char *mech_s = cli_opt(&a, "mechanism");
    const char *iter_s = cli_opt(&a, "iterations");
    const char *bootstrap = cli_opt(&a, "bootstrap");
    const char *cmd_config = cli_opt(&a, "command-config");
    const char *timeout_s = cli_opt(&a, "timeout");
    const char *verb = cli_positional(&a, 0);
    const char *name = cli_positional(&a, 0); /* the next one */
    int rc = cli_check_unused(&a, users_usage);
    if (rc)
        return rc;
    int mech = 0;
    if (mech_s && !(mech = auth_mech_parse(mech_s, strlen(mech_s)))) {
        fprintf(stderr, "rill users: --mechanism SCRAM-SHA-256 or "
                        "SCRAM-SHA-512\n");
        return 2;
    }
    int64_t iterations = AUTH_SCRAM_MIN_ITERATIONS;
    if (iter_s && cli_parse_i64("iterations", iter_s, &iterations))
        return 2;
    if (!verb || (strcmp(verb, "list") && !name)) {
        fprintf(stderr, "usage: %s\n", users_usage);
        return 2;
    }
    if (bootstrap) {
        int64_t timeout = 30000;
        if (timeout_s && cli_parse_i64("timeout", timeout_s, &timeout))
            return 2;
        if (strcmp(verb, "list") && strcmp(verb, "add") &&
            strcmp(verb, "delete")) {
            fprintf(stderr, "rill users: unknown verb '%s'\nusage: %s\n", verb,
                    users_usage);
            return 2;
        }
        if (iterations < AUTH_SCRAM_MIN_ITERATIONS ||
            iterations > AUTH_SCRAM_MAX_ITERATIONS) {
            fprintf(stderr, "rill users: iterations must be %d to %d\n",
                    AUTH_SCRAM_MIN_ITERATIONS, AUTH_SCRAM_MAX_ITERATIONS);
            return 2;
        }
        char pw[1024] = "";
        if (!strcmp(verb, "add") &&
            read_password(pw_flag, pw_file, pw, sizeof(pw)))
            return 1;
        int st = cli_users_remote(bootstrap, cmd_config, verb, name,
                                  pw[0] ? pw : NULL, mech, (int32_t)iterations,
                                  (int)timeout);
        memset(pw, 0, sizeof(pw));
        return st;
    }
    if (!strcmp(verb, "list") && cli_dir_missing("users", dir))
        return 1;
    struct auth_users *u;
    rc = auth_users_open(dir, &u);
    if (rc < 0) {
        fprintf(stderr, "rill users: %s/security/users: %s\n", dir,
                err_str(rc));
        return 1;
    }
    int status = 0;
    if (!strcmp(verb, "list")) {
        for (size_t i = 0; i < auth_users_count(u); i++) {
            const struct auth_user_entry *e = auth_users_at(u, i);
            printf("%s\t%s\titerations=%d\n", e->name,
                   auth_mech_name(e->cred.mech), (int)e->cred.iterations);
        }
    } else if (!strcmp(verb, "add")) {
        char pw[1024];
        status = read_password(pw_flag, pw_file, pw, sizeof(pw));
        if (!status)
            status = users_add(u, name, pw, mech, (int32_t)iterations);
        memset(pw, 0, sizeof(pw));
    } else if (!strcmp(verb, "delete")) {
        if (auth_users_remove(u, name, strlen(name), mech) < 0) {
            fprintf(stderr, "rill users: no user %s%s%s\n", name,
                    mech ? " with " : "", mech ? auth_mech_name(mech) : "");
            status = 1;
        }
    } else {
        fprintf(stderr, "rill users: unknown verb '%s'\nusage: %s\n", verb,
                users_usage);
        status = 2;
    }
    if (!status && strcmp(verb, "list")) {
        rc = auth_users_save(u);
        if (rc < 0) {
            fprintf(stderr, "rill users: cannot write %s/security/users: %s\n",
                    dir, err_str(rc));
            status = 1;
        } else {
            printf("%s %s\n", !strcmp(verb, "add") ? "added" : "deleted", name);
        }
    }
    auth_users_destroy(u);
    return status;
}

/* --- acls ---------------------------------------------------------------- */

static const char acls_usage[] =
    "rill acls add --allow|--deny --principal User:NAME --operation "
    "OP[,OP...] RESOURCE [--host IP]\n"
    "       rill acls list [FILTER]\n"
    "       rill acls delete FILTER\n"
    "  RESOURCE: --topic NAME | --group NAME | --transactional-id NAME | "
    "--cluster,\n"
    "            with --prefixed for a prefix pattern (NAME * = every one)\n"
    "  OP: ALL READ WRITE CREATE DELETE ALTER DESCRIBE CLUSTER_ACTION\n"
    "      DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE\n"
    "  FILTER: any of the options above; what is not given matches all\n"
    "  on a data directory: --data DIR (default $RILL_DATA or ./rill-data); "
    "a running\n"
    "  broker on it applies the change within a second;\n"
    "  on a running broker: --bootstrap HOST:PORT [--command-config "
    "CLIENT.properties]\n"
    "  [--timeout MS] (security.protocol, sasl.*, ssl.* for a secured "
    "listener)";

struct acl_opts {
    const char *principal, *host, *ops, *topic, *group, *txn;
    bool allow, deny, cluster, prefixed;
};

/* The resource options into f; a filter may leave it ANY. */
static char name_buf[1024], principal_buf[1024], host_buf[256];

/* A writable copy (auth_acl's strings are not const); NULL stays NULL. */
static char *copy(char *dst, size_t cap, const char *s)
{
    if (!s)
        return NULL;
    snprintf(dst, cap, "%s", s);
    return dst;
}

static int resource_of(const struct acl_opts *o, struct auth_acl *f,
                       bool filter)
{
    int n = !!o->topic + !!o->group + !!o->txn + o->cluster;
    if (n > 1 || (n == 0 && !filter)) {
        fprintf(stderr, "rill acls: give one of --topic, --group, "
                        "--transactional-id, --cluster\n");
        return 2;
    }
    f->resource_type = o->topic     ? AUTH_RES_TOPIC
                       : o->group   ? AUTH_RES_GROUP
                       : o->txn     ? AUTH_RES_TXN
                       : o->cluster ? AUTH_RES_CLUSTER
                                    : AUTH_RES_ANY;
    f->name = copy(name_buf, sizeof(name_buf),
                   o->topic     ? o->topic
                   : o->group   ? o->group
                   : o->txn     ? o->txn
                   : o->cluster ? "kafka-cluster"
                                : NULL);
    f->pattern_type = o->prefixed          ? AUTH_PAT_PREFIXED
                      : filter && !f->name ? AUTH_PAT_ANY
                                           : AUTH_PAT_LITERAL;
    return 0;
}

static void print_acl(const struct auth_acl *x)
{
    printf("%s\t%s\t%s\t%s\t%s\t%s\thost=%s\n", auth_perm_name(x->permission),
           x->principal, auth_op_name(x->operation),
           auth_resource_name(x->resource_type),
           auth_pattern_name(x->pattern_type), x->name, x->host);
}

static int parse_ops(const char *s, int *ops, int *n)
{
    *n = 0;
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", s);
    char *save = NULL;
    for (char *t = strtok_r(tmp, ",", &save); t && *n < 16;
         t = strtok_r(NULL, ",", &save)) {
        int op = auth_op_parse(t);
        if (!op || op == AUTH_OP_ANY) {
            fprintf(stderr, "rill acls: unknown operation '%s'\n", t);
            return 2;
        }
        ops[(*n)++] = op;
    }
    return *n ? 0 : 2;
}

int cli_acls(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    const char *dir = cli_data_dir(cli_opt(&a, "data"));
    struct acl_opts o = {0};
    o.principal = cli_opt(&a, "principal");
    o.host = cli_opt(&a, "host");
    o.ops = cli_opt(&a, "operation");
    o.topic = cli_opt(&a, "topic");
    o.group = cli_opt(&a, "group");
    o.txn = cli_opt(&a, "transactional-id");
    o.allow = cli_flag(&a, "allow");
    o.deny = cli_flag(&a, "deny");
    o.cluster = cli_flag(&a, "cluster");
    o.prefixed = cli_flag(&a, "prefixed");
    const char *bootstrap = cli_opt(&a, "bootstrap");
    const char *cmd_config = cli_opt(&a, "command-config");
    const char *timeout_s = cli_opt(&a, "timeout");
    const char *verb = cli_positional(&a, 0);
    int rc = cli_check_unused(&a, acls_usage);
    if (rc)
        return rc;
    if (!verb || (strcmp(verb, "add") && strcmp(verb, "list") &&
                  strcmp(verb, "delete"))) {
        fprintf(stderr, "usage: %s\n", acls_usage);
        return 2;
    }
    bool add = !strcmp(verb, "add");
    struct auth_acl f = {0};
    if (resource_of(&o, &f, !add))
        return 2;
    int ops[16], nops = 0;
    if (o.ops && parse_ops(o.ops, ops, &nops))
        return 2;
    if (add && (!o.principal || !nops || o.allow == o.deny)) {
        fprintf(stderr, "rill acls add: needs --allow or --deny, "
                        "--principal and --operation\n");
        return 2;
    }
    f.principal = copy(principal_buf, sizeof(principal_buf), o.principal);
    f.host = copy(host_buf, sizeof(host_buf),
                  o.host ? o.host
                  : add  ? "*"
                         : NULL);
    f.permission = o.allow  ? AUTH_PERM_ALLOW
                   : o.deny ? AUTH_PERM_DENY
                            : AUTH_PERM_ANY;
    if (bootstrap) {
        int64_t timeout = 10000;
        if (timeout_s && cli_parse_i64("timeout", timeout_s, &timeout))
            return 2;
        if (add)
            for (int i = 0; i < nops; i++) {
                f.operation = ops[i];
                const char *why = auth_acl_invalid(&f);
                if (why) {
                    fprintf(stderr, "rill acls: %s\n", why);
                    return 2;
                }
            }
        return cli_acls_remote(bootstrap, cmd_config, verb, &f, ops, nops,
                               (int)timeout);
    }
    if (cmd_config) {
        fprintf(stderr, "rill acls: --command-config goes with --bootstrap\n");
        return 2;
    }
    if (!strcmp(verb, "list") && cli_dir_missing("acls", dir))
        return 1;
    struct auth_acls *s;
    rc = auth_acls_open(dir, &s);
    if (rc < 0) {
        fprintf(stderr, "rill acls: %s/security/acls: %s\n", dir, err_str(rc));
        return 1;
    }
    int status = 0;
    bool changed = false;
    if (add) {
        for (int i = 0; i < nops && !status; i++) {
            f.operation = ops[i];
            const char *why = auth_acl_invalid(&f);
            if (why) {
                fprintf(stderr, "rill acls: %s\n", why);
                status = 2;
            } else {
                auth_acls_add(s, &f);
                print_acl(&f);
                changed = true;
            }
        }
    } else {
        for (int i = 0; i < (nops ? nops : 1); i++) {
            f.operation = nops ? ops[i] : AUTH_OP_ANY;
            if (!strcmp(verb, "list")) {
                for (size_t j = 0; j < auth_acls_count(s); j++)
                    if (auth_acl_matches(auth_acls_at(s, j), &f))
                        print_acl(auth_acls_at(s, j));
                continue;
            }
            struct auth_acl *removed;
            size_t n = auth_acls_remove(s, &f, &removed);
            for (size_t j = 0; j < n; j++)
                print_acl(&removed[j]);
            auth_acl_free_all(removed, n);
            changed |= n > 0;
        }
    }
    if (changed && !status) {
        rc = auth_acls_save(s);
        if (rc < 0) {
            fprintf(stderr, "rill acls: cannot write %s/security/acls: %s\n",
                    dir, err_str(rc));
            status = 1;
        }
    }
    auth_acls_destroy(s);
    return status;
}
