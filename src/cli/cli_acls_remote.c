/* cli_acls_remote.c - `rill acls add|list|delete --bootstrap HOST:PORT`:
 * the ACL verbs against a running broker (rill serve or any Kafka
 * cluster) through librdkafka's CreateAcls / DescribeAcls / DeleteAcls
 * (layer: cli).
 *
 * `--command-config FILE` is a Kafka client properties file (as Kafka's
 * own tools take): security.protocol, sasl.*, ssl.* for a secured
 * listener. Each binding is printed as `rill acls` prints it on a data
 * directory.
 */
#include "cli/cli.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "base/hashmap.h"
#include "broker/auth_acls.h"

static rd_kafka_t *client_new(const char *bootstrap, const char *config_file)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct config props;
    config_init(&props);
    if (config_file &&
        config_load(&props, config_file, err, (int)sizeof err) < 0) {
        fprintf(stderr, "rill acls: %s: %s\n", config_file, err);
        goto out_fail;
    }
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&props.map, &i, &e);) {
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)e->key_len,
                 (const char *)e->key);
        if (rd_kafka_conf_set(conf, key, e->value, err, sizeof err) !=
            RD_KAFKA_CONF_OK) {
            fprintf(stderr, "rill acls: %s: %s\n", config_file, err);
            goto out_fail;
        }
    }
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
                          sizeof err) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", "rill-acls", err, sizeof err) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err) !=
            RD_KAFKA_CONF_OK) {
        fprintf(stderr, "rill acls: %s\n", err);
        goto out_fail;
    }
    config_fini(&props);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk)
        fprintf(stderr, "rill acls: %s\n", err);
    return rk;

out_fail:
    config_fini(&props);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static void print_binding(const rd_kafka_AclBinding_t *b)
{
    printf("%s\t%s\t%s\t%s\t%s\t%s\thost=%s\n",
           auth_perm_name((int)rd_kafka_AclBinding_permission_type(b)),
           rd_kafka_AclBinding_principal(b),
           auth_op_name((int)rd_kafka_AclBinding_operation(b)),
           auth_resource_name((int)rd_kafka_AclBinding_restype(b)),
           auth_pattern_name((int)rd_kafka_AclBinding_resource_pattern_type(b)),
           rd_kafka_AclBinding_name(b), rd_kafka_AclBinding_host(b));
}

/* Waits for the admin result; prints and returns NULL on a request-level
 * error or a timeout. */
static rd_kafka_event_t *result(rd_kafka_queue_t *q, const char *bootstrap,
                                int timeout_ms)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
    if (!ev) {
        fprintf(stderr, "rill acls: no answer from %s within %d ms\n",
                bootstrap, timeout_ms);
        return NULL;
    }
    if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "rill acls: %s\n", rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

int cli_acls_remote(const char *bootstrap, const char *config_file,
                    const char *verb, const struct auth_acl *f, const int *ops,
                    int nops, int timeout_ms)
{
    rd_kafka_t *rk = client_new(bootstrap, config_file);
    if (!rk)
        return 1;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
    char err[512];
    rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, err, sizeof err);
    int status = 0;
    int n = nops ? nops : 1;
    for (int i = 0; i < n && status == 0; i++) {
        int op = nops ? ops[i] : AUTH_OP_ANY;
        rd_kafka_event_t *ev = NULL;
        if (!strcmp(verb, "add")) {
            rd_kafka_AclBinding_t *b = rd_kafka_AclBinding_new(
                (rd_kafka_ResourceType_t)f->resource_type, f->name,
                (rd_kafka_ResourcePatternType_t)f->pattern_type, f->principal,
                f->host, (rd_kafka_AclOperation_t)op,
                (rd_kafka_AclPermissionType_t)f->permission, err, sizeof err);
            if (!b) {
                fprintf(stderr, "rill acls: %s\n", err);
                status = 2;
                break;
            }
            rd_kafka_CreateAcls(rk, &b, 1, o, q);
            rd_kafka_AclBinding_destroy(b);
            if (!(ev = result(q, bootstrap, timeout_ms))) {
                status = 1;
                break;
            }
            size_t cnt = 0;
            const rd_kafka_acl_result_t **res = rd_kafka_CreateAcls_result_acls(
                rd_kafka_event_CreateAcls_result(ev), &cnt);
            for (size_t j = 0; j < cnt; j++) {
                const rd_kafka_error_t *e = rd_kafka_acl_result_error(res[j]);
                if (e) {
                    fprintf(stderr, "rill acls: %s\n",
                            rd_kafka_error_string(e));
                    status = 1;
                }
            }
            if (!status)
                printf("%s\t%s\t%s\t%s\t%s\t%s\thost=%s\n",
                       auth_perm_name(f->permission), f->principal,
                       auth_op_name(op), auth_resource_name(f->resource_type),
                       auth_pattern_name(f->pattern_type), f->name, f->host);
        } else {
            rd_kafka_AclBindingFilter_t *b = rd_kafka_AclBindingFilter_new(
                (rd_kafka_ResourceType_t)f->resource_type, f->name,
                (rd_kafka_ResourcePatternType_t)f->pattern_type, f->principal,
                f->host, (rd_kafka_AclOperation_t)op,
                (rd_kafka_AclPermissionType_t)f->permission, err, sizeof err);
            if (!b) {
                fprintf(stderr, "rill acls: %s\n", err);
                status = 2;
                break;
            }
            bool list = !strcmp(verb, "list");
            if (list)
                rd_kafka_DescribeAcls(rk, b, o, q);
            else
                rd_kafka_DeleteAcls(rk, &b, 1, o, q);
            rd_kafka_AclBinding_destroy(b);
            if (!(ev = result(q, bootstrap, timeout_ms))) {
                status = 1;
                break;
            }
            size_t cnt = 0;
            if (list) {
                const rd_kafka_AclBinding_t **acls =
                    rd_kafka_DescribeAcls_result_acls(
                        rd_kafka_event_DescribeAcls_result(ev), &cnt);
                for (size_t j = 0; j < cnt; j++)
                    print_binding(acls[j]);
            } else {
                const rd_kafka_DeleteAcls_result_response_t **rs =
                    rd_kafka_DeleteAcls_result_responses(
                        rd_kafka_event_DeleteAcls_result(ev), &cnt);
                for (size_t j = 0; j < cnt; j++) {
                    const rd_kafka_error_t *e =
                        rd_kafka_DeleteAcls_result_response_error(rs[j]);
                    if (e) {
                        fprintf(stderr, "rill acls: %s\n",
                                rd_kafka_error_string(e));
                        status = 1;
                        continue;
                    }
                    size_t m = 0;
                    const rd_kafka_AclBinding_t **acls =
                        rd_kafka_DeleteAcls_result_response_matching_acls(rs[j],
                                                                          &m);
                    for (size_t k = 0; k < m; k++)
                        print_binding(acls[k]);
                }
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return status;
}
