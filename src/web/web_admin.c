/* web_admin.c - the changes that belong to the broker's thread, made over
 * the Kafka API of the server's own listener with librdkafka's admin
 * client, on a job thread (layer: web):
 *
 *   DELETE /topics/{t}                 DeleteTopics
 *   PATCH  /topics/{t}                 {"retention.ms": 86400000, ...}:
 *                                      AlterConfigs (null: back to the
 *                                      default), "partitions": N grows it
 *                                      (CreatePartitions)
 *   POST   /groups/{g}/reset-offsets   {"topic": t, "to": "earliest" |
 *                                      "latest" | N}: AlterConsumerGroup-
 *                                      Offsets, as kafka-consumer-groups.sh
 *
 * Why not the logdir directly, as topic creation does: the broker's thread
 * holds partitions for parked fetches and wraps them (a deleted or grown
 * topic's wrapper is retired there), checks that no query uses a topic it
 * deletes, validates configs, and owns the group coordinator. The Kafka
 * API is that thread's one door, so the web takes it like any client.
 * librdkafka does not open a socket to the listener: its socket callback
 * returns an in-process connection (broker_connect_internal, a socketpair
 * the broker's thread serves), authenticated as the HTTP user (or
 * ANONYMOUS without HTTP logins), so the routes work whatever the
 * listeners demand (SASL, TLS) and under the same ACLs as that user's
 * Kafka clients.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "broker/broker.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "web/web_int.h"

#define ADMIN_TIMEOUT_MS 10000

enum admin_op { DELETE_TOPIC, ALTER_TOPIC, RESET_GROUP };

struct admin_arg {
    enum admin_op op;
    char name[256];
    char principal[320]; /* "User:<the HTTP user>" or "User:ANONYMOUS" */
    char *body;          /* PATCH / reset body, NUL-terminated */
    size_t len;
};

static void respond(struct web_job *j, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void respond(struct web_job *j, int status, const char *fmt, ...)
{
    struct buf b;
    buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    buf_put_str(&b, tmp);
    buf_put_u8(&b, '\n');
    web_job_respond(j, status, "application/json", &b);
    buf_fini(&b);
}

static void fail(struct web_job *j, int status, const char *msg)
{
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "{\"error\":");
    web_json_cstr(&b, msg);
    buf_put_str(&b, "}\n");
    web_job_respond(j, status, "application/json", &b);
    buf_fini(&b);
}

/* In process: every socket librdkafka asks for is a new in-process
 * connection to the broker (broker_connect_internal), already connected,
 * whatever address it was meant for. */
struct inproc {
    struct broker *b;
    const char *principal;
};

static int inproc_socket(int domain, int type, int protocol, void *opaque)
{
    struct inproc *ip = opaque;
    (void)domain;
    (void)type;
    (void)protocol;
    int fd;
    int rc = broker_connect_internal(ip->b, ip->principal, &fd);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return fd;
}

static int inproc_connect(int fd, const struct sockaddr *addr, int len,
                          const char *id, void *opaque)
{
    (void)fd;
    (void)addr;
    (void)len;
    (void)id;
    (void)opaque;
    return 0; /* connected already */
}

static rd_kafka_t *client(struct web *w, struct inproc *ip, char *err, size_t n)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (w->o.broker) {
        rd_kafka_conf_set_opaque(conf, ip);
        rd_kafka_conf_set_socket_cb(conf, inproc_socket);
        rd_kafka_conf_set_connect_cb(conf, inproc_connect);
    }
    if (rd_kafka_conf_set(conf, "bootstrap.servers", w->o.kafka_bootstrap, err,
                          n) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", "rill-http", err, n) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "0", err, n) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, n);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, int type)
{
    for (;;) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, ADMIN_TIMEOUT_MS + 2000);
        if (!ev)
            return NULL;
        if (rd_kafka_event_type(ev) == type)
            return ev;
        rd_kafka_event_destroy(ev);
    }
}

static rd_kafka_AdminOptions_t *options(rd_kafka_t *rk)
{
    rd_kafka_AdminOptions_t *o =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
    rd_kafka_AdminOptions_set_request_timeout(o, ADMIN_TIMEOUT_MS, NULL, 0);
    return o;
}

/* HTTP status for a Kafka error of one topic or group. */
static int status_of(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
        return 404;
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
        return 400;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        return 403;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        return 503;
    default:
        return 409;
    }
}

/* ---- DELETE /topics/{t} ---- */

static void delete_topic(struct web_job *j, rd_kafka_t *rk, const char *t)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk);
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(t);
    rd_kafka_DeleteTopics(rk, &dt, 1, o, q);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT);
    if (!ev) {
        fail(j, 503, "the broker did not answer DeleteTopics");
    } else if (rd_kafka_event_error(ev)) {
        fail(j, status_of(rd_kafka_event_error(ev)),
             rd_kafka_event_error_string(ev));
    } else {
        size_t n = 0;
        const rd_kafka_topic_result_t **r = rd_kafka_DeleteTopics_result_topics(
            rd_kafka_event_DeleteTopics_result(ev), &n);
        rd_kafka_resp_err_t e =
            n ? rd_kafka_topic_result_error(r[0]) : RD_KAFKA_RESP_ERR__FAIL;
        if (e == RD_KAFKA_RESP_ERR_POLICY_VIOLATION) {
            /* DeleteTopics v0-1 carries no message: say what the broker's
             * guard refuses. */
            fail(j, 409,
                 "refused by the broker: a running query reads or writes "
                 "this topic (DROP QUERY first), or it is internal");
        } else if (e) {
            const char *why =
                n ? rd_kafka_topic_result_error_string(r[0]) : "no result";
            fail(j, status_of(e), why ? why : rd_kafka_err2str(e));
        } else {
            struct buf b;
            buf_init(&b);
            buf_put_str(&b, "{\"deleted\":");
            web_json_cstr(&b, t);
            buf_put_str(&b, "}\n");
            web_job_respond(j, 200, "application/json", &b);
            buf_fini(&b);
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
}

/* ---- PATCH /topics/{t} ---- */

/* The settings a topic takes (broker_admin.c's keys, but
 * index.interval.bytes, which is fixed). AlterConfigs replaces the whole
 * set, so every one is sent again (alter_configs): a PATCH of retention.ms
 * must not turn a compacted topic back to cleanup.policy=delete. */
static const char *const topic_keys[] = {"retention.ms",
                                         "retention.bytes",
                                         "segment.bytes",
                                         "segment.ms",
                                         "max.message.bytes",
                                         "cleanup.policy",
                                         "delete.retention.ms",
                                         "min.compaction.lag.ms",
                                         "min.cleanable.dirty.ratio"};
#define NKEYS (sizeof topic_keys / sizeof topic_keys[0])

struct alter {
    char value[NKEYS][32]; /* "" after null: back to the default */
    bool set[NKEYS];
    long partitions;
    char bad[384];
};

static void on_member(void *arg, const char *key, const char *v, size_t vn,
                      int kind)
{
    struct alter *a = arg;
    if (a->bad[0])
        return;
    if (!strcmp(key, "partitions")) {
        char *end;
        char tmp[24];
        snprintf(tmp, sizeof tmp, "%.*s", (int)(vn < 23 ? vn : 23), v);
        a->partitions = kind == 'n' ? strtol(tmp, &end, 10) : -1;
        if (kind != 'n' || *end || a->partitions < 1 || a->partitions > 100000)
            snprintf(a->bad, sizeof a->bad,
                     "\"partitions\" is a number from 1 to 100000");
        return;
    }
    for (size_t k = 0; k < NKEYS; k++)
        if (!strcmp(key, topic_keys[k])) {
            if (kind == '0') {
                a->value[k][0] = '\0';
            } else if ((kind == 'n' || kind == 's') && vn && vn < 32) {
                memcpy(a->value[k], v, vn);
                a->value[k][vn] = '\0';
            } else {
                snprintf(a->bad, sizeof a->bad,
                         "\"%s\" takes a number, its text, or null", key);
                return;
            }
            a->set[k] = true;
            return;
        }
    snprintf(a->bad, sizeof a->bad,
             "unknown setting \"%.60s\" (known: partitions, retention.ms, "
             "retention.bytes, segment.bytes, segment.ms, max.message.bytes, "
             "cleanup.policy, delete.retention.ms, min.compaction.lag.ms, "
             "min.cleanable.dirty.ratio)",
             key);
}

static int create_partitions(rd_kafka_t *rk, const char *t, long count,
                             char *why, size_t n)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk);
    char err[256];
    rd_kafka_NewPartitions_t *np =
        rd_kafka_NewPartitions_new(t, (size_t)count, err, sizeof err);
    int status = 0;
    rd_kafka_event_t *ev = NULL;
    if (!np) {
        snprintf(why, n, "%s", err);
        status = 400;
        goto out;
    }
    rd_kafka_CreatePartitions(rk, &np, 1, o, q);
    ev = wait_result(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT);
    if (!ev) {
        snprintf(why, n, "the broker did not answer CreatePartitions");
        status = 503;
        goto out;
    }
    size_t nr = 0;
    const rd_kafka_topic_result_t **r = rd_kafka_CreatePartitions_result_topics(
        rd_kafka_event_CreatePartitions_result(ev), &nr);
    rd_kafka_resp_err_t e = rd_kafka_event_error(ev) ? rd_kafka_event_error(ev)
                            : nr ? rd_kafka_topic_result_error(r[0])
                                 : RD_KAFKA_RESP_ERR__FAIL;
    if (e) {
        const char *s = nr ? rd_kafka_topic_result_error_string(r[0]) : NULL;
        snprintf(why, n, "partitions: %s", s ? s : rd_kafka_err2str(e));
        status = status_of(e);
    }
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (np)
        rd_kafka_NewPartitions_destroy(np);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return status;
}

/* AlterConfigs replaces the whole set: every setting the topic has now,
 * with the body's changes (null: left out, so back to the default). */
static int alter_configs(rd_kafka_t *rk, const char *t,
                         const struct logdir_topic_config *cur,
                         const struct alter *a, char *why, size_t n)
{
    char now[NKEYS][32];
    snprintf(now[0], 32, "%" PRId64, cur->retention_ms);
    snprintf(now[1], 32, "%" PRId64, cur->retention_bytes);
    snprintf(now[2], 32, "%" PRId64, cur->segment_bytes);
    snprintf(now[3], 32, "%" PRId64, cur->segment_ms);
    snprintf(now[4], 32, "%d", cur->max_message_bytes);
    snprintf(now[5], 32, "%s", logdir_cleanup_policy_name(cur->cleanup_policy));
    snprintf(now[6], 32, "%" PRId64, cur->delete_retention_ms);
    snprintf(now[7], 32, "%" PRId64, cur->min_compaction_lag_ms);
    snprintf(now[8], 32, "%g", cur->min_cleanable_dirty_ratio);
    rd_kafka_ConfigResource_t *res =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, t);
    for (size_t k = 0; k < NKEYS; k++) {
        const char *v = a->set[k] ? a->value[k] : now[k];
        if (*v)
            rd_kafka_ConfigResource_set_config(res, topic_keys[k], v);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk);
    rd_kafka_AlterConfigs(rk, &res, 1, o, q);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT);
    int status = 0;
    if (!ev) {
        snprintf(why, n, "the broker did not answer AlterConfigs");
        status = 503;
    } else {
        size_t nr = 0;
        const rd_kafka_ConfigResource_t **r =
            rd_kafka_AlterConfigs_result_resources(
                rd_kafka_event_AlterConfigs_result(ev), &nr);
        rd_kafka_resp_err_t e = rd_kafka_event_error(ev)
                                    ? rd_kafka_event_error(ev)
                                : nr ? rd_kafka_ConfigResource_error(r[0])
                                     : RD_KAFKA_RESP_ERR__FAIL;
        if (e) {
            const char *s =
                nr ? rd_kafka_ConfigResource_error_string(r[0]) : NULL;
            snprintf(why, n, "%s", s && *s ? s : rd_kafka_err2str(e));
            status = status_of(e);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy(res);
    return status;
}

static void alter_topic(struct web_job *j, struct web *w, rd_kafka_t *rk,
                        struct admin_arg *arg)
{
    struct alter a;
    memset(&a, 0, sizeof a);
    int rc = web_json_members(arg->body, arg->len, on_member, &a);
    if (rc)
        return fail(j, 400,
                    "the body is a JSON object of settings, e.g. "
                    "{\"retention.ms\": 86400000, \"partitions\": 6}");
    if (a.bad[0])
        return fail(j, 400, a.bad);
    struct logdir_topic_config cur;
    if (logdir_topic_config(w->o.logdir, arg->name, &cur))
        return fail(j, 404, "no such topic");
    char why[300];
    int status = 0;
    bool any = false;
    for (size_t k = 0; k < NKEYS; k++)
        any |= a.set[k];
    if (any)
        status = alter_configs(rk, arg->name, &cur, &a, why, sizeof why);
    if (!status && a.partitions && a.partitions != cur.partitions)
        status =
            create_partitions(rk, arg->name, a.partitions, why, sizeof why);
    if (status)
        return fail(j, status, why);
    if (logdir_topic_config(w->o.logdir, arg->name, &cur))
        return fail(j, 404, "no such topic");
    respond(j, 200,
            "{\"altered\":\"%s\",\"config\":{\"partitions\":%d,"
            "\"retention.ms\":%" PRId64 ",\"retention.bytes\":%" PRId64
            ",\"segment.bytes\":%" PRId64 ",\"segment.ms\":%" PRId64
            ",\"max.message.bytes\":%d}}",
            arg->name, cur.partitions, cur.retention_ms, cur.retention_bytes,
            cur.segment_bytes, cur.segment_ms, cur.max_message_bytes);
}

/* ---- POST /groups/{g}/reset-offsets ---- */

static void reset_group(struct web_job *j, struct web *w, rd_kafka_t *rk,
                        struct admin_arg *arg)
{
    struct buf topic, to;
    buf_init(&topic);
    buf_init(&to);
    bool ok = web_json_field(arg->body, arg->len, "topic", &topic) == 0 &&
              web_json_scalar(arg->body, arg->len, "to", &to) == 0 &&
              to.len > 0;
    const char *tv = ok ? (const char *)to.data : "";
    char *end = NULL;
    long long target = strtoll(tv, &end, 10);
    bool earliest = !strcmp(tv, "earliest"), latest = !strcmp(tv, "latest");
    if (!ok || (!earliest && !latest && (end == tv || *end || target < 0))) {
        fail(j, 400,
             "the body is {\"topic\": \"t\", \"to\": \"earliest\" | "
             "\"latest\" | offset}");
        goto out;
    }
    const char *t = (const char *)topic.data;
    int np = logdir_topic_partitions(w->o.logdir, t);
    if (np <= 0) {
        fail(j, 404, "no such topic");
        goto out;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "{\"group\":");
    web_json_cstr(&b, arg->name);
    buf_put_str(&b, ",\"topic\":");
    web_json_cstr(&b, t);
    buf_put_str(&b, ",\"partitions\":[");
    for (int p = 0; p < np; p++) {
        struct partition *pt = logdir_partition(w->o.logdir, t, p);
        int64_t lo = pt ? partition_log_start_offset(pt) : 0;
        int64_t hi = pt ? partition_high_watermark(pt) : 0;
        /* As kafka-consumer-groups.sh: clamped into [earliest, latest]. */
        int64_t off = earliest ? lo : latest ? hi : (int64_t)target;
        off = off < lo ? lo : off > hi ? hi : off;
        rd_kafka_topic_partition_list_add(l, t, p)->offset = off;
        buf_printf(&b, "%s{\"partition\":%d,\"offset\":%" PRId64 "}",
                   p ? "," : "", p, off);
    }
    buf_put_str(&b, "]}\n");
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk);
    rd_kafka_AlterConsumerGroupOffsets_t *req =
        rd_kafka_AlterConsumerGroupOffsets_new(arg->name, l);
    rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, o, q);
    rd_kafka_event_t *ev =
        wait_result(q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT);
    const char *why = NULL;
    int status = 409;
    if (!ev) {
        why = "the broker did not answer";
        status = 503;
    } else if (rd_kafka_event_error(ev)) {
        why = rd_kafka_event_error_string(ev);
        status = status_of(rd_kafka_event_error(ev));
    } else {
        size_t n = 0;
        const rd_kafka_group_result_t **gr =
            rd_kafka_AlterConsumerGroupOffsets_result_groups(
                rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
        const rd_kafka_topic_partition_list_t *res =
            n ? rd_kafka_group_result_partitions(gr[0]) : NULL;
        if (n == 0)
            why = "no result";
        else if (rd_kafka_group_result_error(gr[0]))
            why = rd_kafka_error_string(rd_kafka_group_result_error(gr[0]));
        for (int i = 0; res && !why && i < res->cnt; i++)
            if (res->elems[i].err)
                why = rd_kafka_err2str(res->elems[i].err);
    }
    if (why) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "%s (a group with members cannot be reset: stop its "
                 "consumers)",
                 why);
        fail(j, status, msg);
    } else {
        web_job_respond(j, 200, "application/json", &b);
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    buf_fini(&b);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_partition_list_destroy(l);
out:
    buf_fini(&topic);
    buf_fini(&to);
}

static void admin_job(struct web_job *j, void *p)
{
    struct admin_arg *a = p;
    struct web *w = web_job_web(j);
    char err[512];
    struct inproc ip = {w->o.broker, a->principal};
    rd_kafka_t *rk = client(w, &ip, err, sizeof err);
    if (!rk) {
        fail(j, 503, err);
    } else {
        if (a->op == DELETE_TOPIC)
            delete_topic(j, rk, a->name);
        else if (a->op == ALTER_TOPIC)
            alter_topic(j, w, rk, a);
        else
            reset_group(j, w, rk, a);
        rd_kafka_destroy(rk);
    }
    mem_free(a->body);
    mem_free(a);
}

static void start(struct web *w, struct http_conn *c, enum admin_op op,
                  const char *name, const char *body, size_t len)
{
    if (!w->o.kafka_bootstrap || !*w->o.kafka_bootstrap)
        return web_error(c, 503, "no Kafka listener to send the change to");
    struct admin_arg *a = mem_calloc(1, sizeof *a);
    a->op = op;
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->principal, sizeof a->principal, "%s", w->principal);
    a->body = mem_alloc(len + 1);
    memcpy(a->body, body, len);
    a->body[len] = '\0';
    a->len = len;
    if (web_job_start(w, c, admin_job, a)) {
        mem_free(a->body);
        mem_free(a);
    }
}

void web_topic_delete(struct web *w, struct http_conn *c, const char *t)
{
    start(w, c, DELETE_TOPIC, t, "", 0);
}

void web_topic_patch(struct web *w, struct http_conn *c, const char *t,
                     const char *body, size_t len)
{
    start(w, c, ALTER_TOPIC, t, body, len);
}

void web_group_reset(struct web *w, struct http_conn *c, const char *group,
                     const char *body, size_t len)
{
    start(w, c, RESET_GROUP, group, body, len);
}
