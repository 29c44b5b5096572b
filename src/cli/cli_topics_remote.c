/* cli_topics_remote.c - `rill topics create|list|describe|delete|alter
 * --bootstrap HOST:PORT`: the same verbs against a running broker (`rill
 * serve` or any Kafka cluster) through librdkafka's admin API
 * (layer: cli).
 *
 * create: CreateTopics; delete: DeleteTopics; list: Metadata; describe:
 * Metadata, ListOffsets (watermarks) and DescribeConfigs; alter:
 * CreatePartitions for --partitions, and AlterConfigs for the settings.
 * AlterConfigs replaces a topic's whole set of settings, so alter first
 * reads the ones set on the topic (DescribeConfigs, source
 * DYNAMIC_TOPIC_CONFIG) and sends them back with the changes. librdkafka's
 * own log is silenced: every error is reported in one line.
 */
#include "cli/cli.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SETTINGS 16

static rd_kafka_t *client_new(const char *bootstrap)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
                          sizeof err) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", "rill-topics", err, sizeof err) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err) !=
            RD_KAFKA_CONF_OK) {
        fprintf(stderr, "rill topics: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    const char *dbg = getenv("RILL_RDKAFKA_DEBUG");
    if (dbg && *dbg) {
        rd_kafka_conf_set(conf, "log_level", "7", err, sizeof err);
        rd_kafka_conf_set(conf, "debug", dbg, err, sizeof err);
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk)
        fprintf(stderr, "rill topics: %s\n", err);
    return rk;
}

static rd_kafka_AdminOptions_t *options(rd_kafka_t *rk, int timeout_ms)
{
    char err[256];
    rd_kafka_AdminOptions_t *o =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
    rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, err, sizeof err);
    rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms, err, sizeof err);
    return o;
}

/* Polls q for an admin result; NULL (message printed) on timeout or a
 * request-level error. */
static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, const char *what,
                                     const char *bootstrap, int timeout_ms)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
    if (!ev) {
        fprintf(stderr,
                "rill topics: %s: no answer from %s within %d ms (is a "
                "broker listening there?)\n",
                what, bootstrap, timeout_ms);
        return NULL;
    }
    if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "rill topics: %s: %s\n", what,
                rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static int topic_result(const rd_kafka_topic_result_t **res, size_t n,
                        const char *what)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (rd_kafka_topic_result_error(res[i])) {
            const char *msg = rd_kafka_topic_result_error_string(res[i]);
            fprintf(stderr, "rill topics: %s '%s': %s\n", what,
                    rd_kafka_topic_result_name(res[i]),
                    msg && *msg ? msg
                                : rd_kafka_err2str(
                                      rd_kafka_topic_result_error(res[i])));
            rc = 1;
        }
    return rc;
}

/* Every topic's metadata: asking for one topic by name would let the
 * broker auto-create it. */
static const rd_kafka_metadata_t *
metadata(rd_kafka_t *rk, const char *bootstrap, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (err) {
        fprintf(stderr,
                "rill topics: metadata from %s: %s (is a broker "
                "listening there?)\n",
                bootstrap, rd_kafka_err2str(err));
        return NULL;
    }
    return md;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int do_list(rd_kafka_t *rk, const char *bootstrap, int timeout_ms)
{
    const rd_kafka_metadata_t *md = metadata(rk, bootstrap, timeout_ms);
    if (!md)
        return 1;
    const char **names = calloc((size_t)md->topic_cnt + 1, sizeof(*names));
    for (int i = 0; i < md->topic_cnt; i++)
        names[i] = md->topics[i].topic;
    qsort(names, (size_t)md->topic_cnt, sizeof(*names), cmp_str);
    for (int i = 0; i < md->topic_cnt; i++)
        printf("%s\n", names[i]);
    free(names);
    rd_kafka_metadata_destroy(md);
    return 0;
}

/* The topic's settings as the broker reports them; NULL on error. The
 * caller destroys the event; *entries point into it. */
static rd_kafka_event_t *
describe_configs(rd_kafka_t *rk, const char *name, const char *bootstrap,
                 int timeout_ms, const rd_kafka_ConfigEntry_t ***entries,
                 size_t *n)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    rd_kafka_ConfigResource_t *res =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
    rd_kafka_DescribeConfigs(rk, &res, 1, o, q);
    rd_kafka_event_t *ev =
        wait_result(q, "describe configs", bootstrap, timeout_ms);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    if (!ev)
        return NULL;
    size_t nres = 0;
    const rd_kafka_ConfigResource_t **rs =
        rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &nres);
    if (nres != 1 || rd_kafka_ConfigResource_error(rs[0])) {
        fprintf(stderr, "rill topics: topic '%s': %s\n", name,
                nres == 1 ? rd_kafka_ConfigResource_error_string(rs[0])
                          : "no answer");
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    *entries = (const rd_kafka_ConfigEntry_t **)rd_kafka_ConfigResource_configs(
        rs[0], n);
    return ev;
}

static const char *entry(const rd_kafka_ConfigEntry_t **e, size_t n,
                         const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rd_kafka_ConfigEntry_name(e[i]), key)) {
            const char *v = rd_kafka_ConfigEntry_value(e[i]);
            return v ? v : "-";
        }
    return "-";
}

static int do_describe(rd_kafka_t *rk, const char *name, const char *bootstrap,
                       int timeout_ms)
{
    const rd_kafka_metadata_t *md = metadata(rk, bootstrap, timeout_ms);
    if (!md)
        return 1;
    int rc = 1;
    const rd_kafka_metadata_topic_t *t = NULL;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, name) && !md->topics[i].err)
            t = &md->topics[i];
    if (!t) {
        fprintf(stderr, "rill topics: topic '%s' not found\n", name);
        goto out_md;
    }
    const rd_kafka_ConfigEntry_t **e = NULL;
    size_t ne = 0;
    rd_kafka_event_t *ev =
        describe_configs(rk, name, bootstrap, timeout_ms, &e, &ne);
    if (!ev)
        goto out_md;
    printf("Topic: %s\tPartitions: %d\tretention.ms: %s\tretention.bytes: "
           "%s\tsegment.bytes: %s\tsegment.ms: %s\tmax.message.bytes: %s\n",
           name, t->partition_cnt, entry(e, ne, "retention.ms"),
           entry(e, ne, "retention.bytes"), entry(e, ne, "segment.bytes"),
           entry(e, ne, "segment.ms"), entry(e, ne, "max.message.bytes"));
    rd_kafka_event_destroy(ev);
    rc = 0;
    for (int32_t i = 0; i < t->partition_cnt; i++) {
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk, name, i, &lo, &hi, timeout_ms);
        if (err) {
            printf("\tPartition: %d\t%s\n", i, rd_kafka_err2str(err));
            rc = 1;
            continue;
        }
        printf("\tPartition: %d\tLogStartOffset: %" PRId64
               "\tHighWatermark: %" PRId64 "\tLeader: %d\n",
               i, lo, hi, t->partitions[i].leader);
    }
out_md:
    rd_kafka_metadata_destroy(md);
    return rc;
}

static int do_create(rd_kafka_t *rk, const struct cli_topic_settings *s,
                     const char *bootstrap, int timeout_ms)
{
    char err[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(
        s->name, s->partitions > 0 ? s->partitions : 1, 1, err, sizeof err);
    if (!nt) {
        fprintf(stderr, "rill topics: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < s->n; i++)
        rd_kafka_NewTopic_set_config(nt, s->keys[i], s->values[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    rd_kafka_CreateTopics(rk, &nt, 1, o, q);
    rd_kafka_event_t *ev = wait_result(q, "create", bootstrap, timeout_ms);
    int rc = 1;
    if (ev) {
        size_t n = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(
                rd_kafka_event_CreateTopics_result(ev), &n);
        rc = topic_result(res, n, "create");
        if (!rc)
            printf("created topic %s with %d partition%s\n", s->name,
                   s->partitions > 0 ? s->partitions : 1,
                   s->partitions > 1 ? "s" : "");
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

static int do_delete(rd_kafka_t *rk, const char *name, const char *bootstrap,
                     int timeout_ms)
{
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(name);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    rd_kafka_DeleteTopics(rk, &dt, 1, o, q);
    rd_kafka_event_t *ev = wait_result(q, "delete", bootstrap, timeout_ms);
    int rc = 1;
    if (ev) {
        size_t n = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_DeleteTopics_result_topics(
                rd_kafka_event_DeleteTopics_result(ev), &n);
        rc = topic_result(res, n, "delete");
        if (!rc)
            printf("deleted topic %s\n", name);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

static int add_partitions(rd_kafka_t *rk, const char *name, int32_t count,
                          const char *bootstrap, int timeout_ms)
{
    char err[256];
    rd_kafka_NewPartitions_t *np =
        rd_kafka_NewPartitions_new(name, (size_t)count, err, sizeof err);
    if (!np) {
        fprintf(stderr, "rill topics: %s\n", err);
        return 1;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    rd_kafka_CreatePartitions(rk, &np, 1, o, q);
    rd_kafka_event_t *ev =
        wait_result(q, "add partitions", bootstrap, timeout_ms);
    int rc = 1;
    if (ev) {
        size_t n = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreatePartitions_result_topics(
                rd_kafka_event_CreatePartitions_result(ev), &n);
        rc = topic_result(res, n, "alter");
        if (!rc)
            printf("topic %s now has %d partitions\n", name, count);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewPartitions_destroy(np);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

static bool changed(const struct cli_topic_settings *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->keys[i], key))
            return true;
    return false;
}

static int alter_configs(rd_kafka_t *rk, const struct cli_topic_settings *s,
                         const char *bootstrap, int timeout_ms)
{
    const rd_kafka_ConfigEntry_t **e = NULL;
    size_t ne = 0;
    rd_kafka_event_t *dev =
        describe_configs(rk, s->name, bootstrap, timeout_ms, &e, &ne);
    if (!dev)
        return 1;
    rd_kafka_ConfigResource_t *res =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, s->name);
    /* Keep what is set on the topic now; then the changes. */
    for (size_t i = 0; i < ne; i++)
        if (rd_kafka_ConfigEntry_source(e[i]) ==
                RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG &&
            !changed(s, rd_kafka_ConfigEntry_name(e[i])))
            rd_kafka_ConfigResource_set_config(
                res, rd_kafka_ConfigEntry_name(e[i]),
                rd_kafka_ConfigEntry_value(e[i]));
    rd_kafka_event_destroy(dev);
    for (size_t i = 0; i < s->n; i++)
        rd_kafka_ConfigResource_set_config(res, s->keys[i], s->values[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    rd_kafka_AlterConfigs(rk, &res, 1, o, q);
    rd_kafka_event_t *ev = wait_result(q, "alter", bootstrap, timeout_ms);
    int rc = 1;
    if (ev) {
        size_t n = 0;
        const rd_kafka_ConfigResource_t **rs =
            rd_kafka_AlterConfigs_result_resources(
                rd_kafka_event_AlterConfigs_result(ev), &n);
        if (n == 1 && !rd_kafka_ConfigResource_error(rs[0])) {
            rc = 0;
            for (size_t i = 0; i < s->n; i++)
                printf("topic %s: %s = %s\n", s->name, s->keys[i],
                       s->values[i]);
        } else {
            fprintf(stderr, "rill topics: alter '%s': %s\n", s->name,
                    n == 1 ? rd_kafka_ConfigResource_error_string(rs[0])
                           : "no answer");
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

int cli_topics_remote(const char *bootstrap, const char *verb,
                      const struct cli_topic_settings *s, int timeout_ms)
{
    rd_kafka_t *rk = client_new(bootstrap);
    if (!rk)
        return 1;
    int rc;
    if (!strcmp(verb, "list"))
        rc = do_list(rk, bootstrap, timeout_ms);
    else if (!strcmp(verb, "describe"))
        rc = do_describe(rk, s->name, bootstrap, timeout_ms);
    else if (!strcmp(verb, "create"))
        rc = do_create(rk, s, bootstrap, timeout_ms);
    else if (!strcmp(verb, "delete"))
        rc = do_delete(rk, s->name, bootstrap, timeout_ms);
    else {
        rc = 0;
        if (s->partitions > 0)
            rc = add_partitions(rk, s->name, s->partitions, bootstrap,
                                timeout_ms);
        if (rc == 0 && s->n > 0)
            rc = alter_configs(rk, s, bootstrap, timeout_ms);
    }
    rd_kafka_destroy(rk);
    return rc;
}
