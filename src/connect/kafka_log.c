/* kafka_log.c - stream_log.h on a Kafka cluster through librdkafka
 * (layer: connect). See kafka_log.h.
 */
#include "connect/kafka_log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"

#define READ_MAX 1024 /* messages taken per read */
#define QUEUE_FULL_WAIT_MS 10
#define FETCH_WAIT_MS 200
#define FETCH_WAIT_MAX_MS 5000
#define MAX_CONSUMERS 64
#define END_REFRESH_MS 250

struct kafka_log {
    rd_kafka_t *producer; /* writers and admin requests */
    /* Readers: librdkafka's per-partition (legacy) consumer keeps one
     * position per partition and handle, so two readers of the same
     * partition (two queries on one stream) need two handles: handle i
     * serves at most one reader of each partition. consumer[0] also
     * answers offset lookups. */
    rd_kafka_conf_t *cconf; /* the consumers' configuration */
    struct consumer {
        rd_kafka_t *rk;
        char **used; /* "partition/topic" of its readers */
        int nused, cap;
    } consumer[MAX_CONSUMERS];
    int nconsumers;
    char *state_dir;
    char *app_id; /* prefix of the runtime's internal topics there */
    int timeout_ms;
    int wake[2]; /* partition queues write here when they turn non-empty */
    _Atomic uint64_t seq;
    pthread_mutex_t mu; /* topic handles (rd_kafka_topic_new is not free) */
};

/* ---- helpers ---- */

static int map_err(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return 0;
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
        return ERR_EXISTS;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        return ERR_NOT_FOUND;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        return ERR_TIMEOUT;
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
        return ERR_RANGE;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        return ERR_TOO_LARGE;
    default:
        return -EIO;
    }
}

/* librdkafka's own log lines (a broker down, a retry) only with
 * RILL_KAFKA_LOG=1: the runtime reports what fails to the user. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
    (void)rk;
    static int on = -1;
    if (on < 0) {
        const char *e = getenv("RILL_KAFKA_LOG");
        on = e && !strcmp(e, "1");
    }
    if (on)
        fprintf(stderr, "kafka %d %s: %s\n", level, fac, buf);
}

static rd_kafka_conf_t *make_conf(const struct kafka_log_options *o, char *err,
                                  size_t errlen)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(c, on_log);
    if (rd_kafka_conf_set(c, "bootstrap.servers", o->bootstrap, err, errlen) !=
        RD_KAFKA_CONF_OK)
        goto fail;
    for (size_t i = 0; o->props && o->props[i]; i++) {
        char kv[1024];
        snprintf(kv, sizeof kv, "%s", o->props[i]);
        char *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(err, errlen, "property '%s' is not key=value", kv);
            goto fail;
        }
        *eq = '\0';
        if (rd_kafka_conf_set(c, kv, eq + 1, err, errlen) != RD_KAFKA_CONF_OK)
            goto fail;
    }
    return c;
fail:
    rd_kafka_conf_destroy(c);
    return NULL;
}

static int set(rd_kafka_conf_t *c, const char *k, const char *v, char *err,
               size_t errlen)
{
    return rd_kafka_conf_set(c, k, v, err, errlen) == RD_KAFKA_CONF_OK
               ? 0
               : ERR_INVALID;
}

/* Delivery reports: each message's opaque is its writer's failure
 * counter. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err && m->_private)
        atomic_fetch_add((_Atomic uint64_t *)m->_private, 1);
}

int kafka_log_open(const struct kafka_log_options *o, struct kafka_log **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    if (!o->bootstrap || !*o->bootstrap) {
        snprintf(err, errlen, "no bootstrap servers");
        return ERR_INVALID;
    }
    struct kafka_log *kl = mem_calloc(1, sizeof *kl);
    kl->wake[0] = kl->wake[1] = -1;
    kl->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
    kl->state_dir = o->state_dir ? mem_strdup(o->state_dir) : NULL;
    kl->app_id = mem_strdup(
        o->application_id && *o->application_id ? o->application_id : "rill");
    pthread_mutex_init(&kl->mu, NULL);
    if (pipe2(kl->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        kafka_log_close(kl);
        return -EIO;
    }
    rd_kafka_conf_t *pc = make_conf(o, err, errlen);
    if (!pc || set(pc, "enable.idempotence", "true", err, errlen) ||
        set(pc, "linger.ms", "5", err, errlen) ||
        set(pc, "allow.auto.create.topics", "false", err, errlen)) {
        if (pc)
            rd_kafka_conf_destroy(pc);
        kafka_log_close(kl);
        return ERR_INVALID;
    }
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    kl->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, errlen);
    if (!kl->producer) {
        kafka_log_close(kl);
        return ERR_INVALID;
    }
    rd_kafka_conf_t *cc = make_conf(o, err, errlen);
    if (!cc || set(cc, "enable.partition.eof", "false", err, errlen) ||
        set(cc, "fetch.wait.max.ms", "100", err, errlen) ||
        set(cc, "allow.auto.create.topics", "false", err, errlen)) {
        if (cc)
            rd_kafka_conf_destroy(cc);
        kafka_log_close(kl);
        return ERR_INVALID;
    }
    kl->cconf = rd_kafka_conf_dup(cc);
    kl->consumer[0].rk = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, errlen);
    kl->nconsumers = kl->consumer[0].rk ? 1 : 0;
    if (!kl->nconsumers) {
        kafka_log_close(kl);
        return ERR_INVALID;
    }
    /* The cluster must answer. */
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e =
        rd_kafka_metadata(kl->producer, 0, NULL, &md, kl->timeout_ms);
    if (e) {
        snprintf(err, errlen, "cannot reach %s: %s", o->bootstrap,
                 rd_kafka_err2str(e));
        kafka_log_close(kl);
        return map_err(e);
    }
    rd_kafka_metadata_destroy(md);
    *out = kl;
    return 0;
}

void kafka_log_close(struct kafka_log *kl)
{
    if (!kl)
        return;
    if (kl->producer) {
        rd_kafka_flush(kl->producer, kl->timeout_ms);
        /* Still queued after the flush: the cluster is unreachable. They
         * were never acknowledged (no progress was recorded past them), so
         * they are dropped here rather than holding the exit for
         * message.timeout.ms (5 minutes by default). */
        int left = rd_kafka_outq_len(kl->producer);
        if (left > 0) {
            diag_warn("kafka log: %d record(s) not delivered to the cluster "
                      "before closing: dropped (not acknowledged)",
                      left);
            rd_kafka_purge(kl->producer,
                           RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            rd_kafka_poll(kl->producer, 0);
        }
        rd_kafka_destroy(kl->producer);
    }
    for (int i = 0; i < kl->nconsumers; i++) {
        rd_kafka_destroy(kl->consumer[i].rk);
        for (int j = 0; j < kl->consumer[i].nused; j++)
            mem_free(kl->consumer[i].used[j]);
        mem_free(kl->consumer[i].used);
    }
    if (kl->cconf)
        rd_kafka_conf_destroy(kl->cconf);
    for (int i = 0; i < 2; i++)
        if (kl->wake[i] >= 0)
            close(kl->wake[i]);
    pthread_mutex_destroy(&kl->mu);
    mem_free(kl->state_dir);
    mem_free(kl->app_id);
    mem_free(kl);
}

/* The partition count of topic from the cluster's metadata, or
 * ERR_NOT_FOUND. */
static int topic_partitions(struct kafka_log *kl, const char *topic)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e =
        rd_kafka_metadata(kl->producer, 1, NULL, &md, kl->timeout_ms);
    if (e)
        return map_err(e);
    int n = ERR_NOT_FOUND;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic)) {
            n = md->topics[i].err ? map_err(md->topics[i].err)
                                  : md->topics[i].partition_cnt;
            break;
        }
    rd_kafka_metadata_destroy(md);
    return n == 0 ? ERR_NOT_FOUND : n;
}

int kafka_log_topics(struct kafka_log *kl, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e =
        rd_kafka_metadata(kl->producer, 1, NULL, &md, kl->timeout_ms);
    if (e)
        return map_err(e);
    char **v = mem_calloc((size_t)md->topic_cnt + 1, sizeof *v);
    size_t k = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!md->topics[i].err && strncmp(md->topics[i].topic, "__", 2))
            v[k++] = mem_strdup(md->topics[i].topic);
    rd_kafka_metadata_destroy(md);
    /* Sorted, as the local log lists them. */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    *names = v;
    *n = k;
    return 0;
}

/* Waits for one admin result event of type want: 0 or an error. */
static int admin_wait(struct kafka_log *kl, rd_kafka_queue_t *q,
                      rd_kafka_event_type_t want, const char *topic)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, kl->timeout_ms + 1000);
    if (!ev)
        return ERR_TIMEOUT;
    int rc = 0;
    if (rd_kafka_event_error(ev)) {
        rc = map_err(rd_kafka_event_error(ev));
    } else if (rd_kafka_event_type(ev) != want) {
        rc = -EIO;
    } else {
        const rd_kafka_topic_result_t **res;
        size_t nres = 0;
        if (want == RD_KAFKA_EVENT_CREATETOPICS_RESULT)
            res = rd_kafka_CreateTopics_result_topics(
                rd_kafka_event_CreateTopics_result(ev), &nres);
        else
            res = rd_kafka_DeleteTopics_result_topics(
                rd_kafka_event_DeleteTopics_result(ev), &nres);
        for (size_t i = 0; i < nres; i++)
            if (!strcmp(rd_kafka_topic_result_name(res[i]), topic))
                rc = map_err(rd_kafka_topic_result_error(res[i]));
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

/* Waits until the metadata shows the topic (created: partitions > 0) or
 * not (deleted), up to the timeout. */
static void await_metadata(struct kafka_log *kl, const char *topic,
                           bool present)
{
    for (int i = 0; i < kl->timeout_ms / 50; i++) {
        int n = topic_partitions(kl, topic);
        if (present ? n > 0 : n == ERR_NOT_FOUND)
            return;
        usleep(50 * 1000);
    }
}

static int create_topic(struct kafka_log *kl, const char *topic, int partitions)
{
    char err[256];
    rd_kafka_NewTopic_t *nt =
        rd_kafka_NewTopic_new(topic, partitions, -1, err, sizeof err);
    if (!nt)
        return ERR_INVALID;
    rd_kafka_queue_t *q = rd_kafka_queue_new(kl->producer);
    rd_kafka_AdminOptions_t *ao =
        rd_kafka_AdminOptions_new(kl->producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(ao, kl->timeout_ms, err,
                                                sizeof err);
    rd_kafka_CreateTopics(kl->producer, &nt, 1, ao, q);
    int rc = admin_wait(kl, q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, topic);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    if (rc == 0)
        await_metadata(kl, topic, true);
    return rc;
}

/* ---- log ops ---- */

/* The runtime's internal topics (<query id>-repartition) are the
 * application's: on a shared cluster they are <application id>-<name>,
 * as Kafka Streams names its own, so two applications (or a rill serve)
 * never write into each other's. Other names are the cluster's. */
static const char *cluster_name(const struct kafka_log *kl, const char *topic,
                                char *buf, size_t len)
{
    const char *p = topic;
    if (p[0] != 'q' || p[1] != '_' || !isdigit((unsigned char)p[2]))
        return topic;
    for (p += 2; isdigit((unsigned char)*p); p++)
        ;
    if (strcmp(p, "-repartition"))
        return topic;
    snprintf(buf, len, "%s-%s", kl->app_id, topic);
    return buf;
}

static int log_partitions(void *ctx, const char *topic)
{
    char b[512];
    return topic_partitions(ctx, cluster_name(ctx, topic, b, sizeof b));
}

static int log_create(void *ctx, const char *topic, int partitions)
{
    char b[512];
    return create_topic(ctx, cluster_name(ctx, topic, b, sizeof b),
                        partitions > 0 ? partitions : 1);
}

static int log_delete(void *ctx, const char *topic)
{
    struct kafka_log *kl = ctx;
    char b[512];
    topic = cluster_name(kl, topic, b, sizeof b);
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(kl->producer);
    rd_kafka_DeleteTopics(kl->producer, &dt, 1, NULL, q);
    int rc = admin_wait(kl, q, RD_KAFKA_EVENT_DELETETOPICS_RESULT, topic);
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy(dt);
    if (rc == 0)
        await_metadata(kl, topic, false);
    return rc;
}

static int log_topics(void *ctx, char ***names, size_t *n)
{
    return kafka_log_topics(ctx, names, n);
}

/* ---- records ---- */

struct kafka_reader {
    struct stream_reader base;
    struct stream_records recs;
    struct kafka_log *kl;
    rd_kafka_t *rk; /* its consumer handle (kl->consumer[slot]) */
    int slot;
    char *use; /* its entry in the handle's used list */
    rd_kafka_topic_t *rkt;
    rd_kafka_queue_t *q; /* the partition's queue: wake-ups */
    int32_t part;
    bool started;
    int64_t pos;            /* the offset the fetcher delivers next */
    int64_t end, end_asked; /* known_end's cache */
    int64_t gave_up_at;     /* the position a fetch wait last timed out at */
    rd_kafka_message_t *msgs[READ_MAX];
    int n, at;
};

static bool is_marker(const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(m, &h) || !h)
        return false;
    const void *v;
    size_t len;
    return rd_kafka_header_get_last(h, KAFKA_LOG_MARKER_HEADER, &v, &len) ==
           RD_KAFKA_RESP_ERR_NO_ERROR;
}

static int records_next_many(struct stream_records *it,
                             struct stream_record *out, int max)
{
    struct kafka_reader *r =
        (struct kafka_reader *)((char *)it -
                                offsetof(struct kafka_reader, recs));
    int k = 0;
    while (k < max && r->at < r->n) {
        const rd_kafka_message_t *m = r->msgs[r->at++];
        struct stream_record *o = &out[k++];
        o->key = m->key;
        o->key_len = (uint32_t)m->key_len;
        o->key_null = m->key == NULL;
        o->value = m->payload;
        o->value_len = (uint32_t)m->len;
        o->value_null = m->payload == NULL;
        o->control = is_marker(m);
        o->fresh_buffer = false;
        o->offset = m->offset;
        o->timestamp = rd_kafka_message_timestamp(m, NULL);
    }
    return k;
}

static const struct stream_records_ops records_ops = {records_next_many};

static void reader_release(struct stream_reader *base)
{
    struct kafka_reader *r = (struct kafka_reader *)base;
    for (int i = 0; i < r->n; i++)
        rd_kafka_message_destroy(r->msgs[i]);
    r->n = r->at = 0;
}

static int reader_start_at(struct kafka_reader *r, int64_t offset)
{
    if (r->started)
        rd_kafka_consume_stop(r->rkt, r->part);
    r->started = false;
    if (rd_kafka_consume_start(r->rkt, r->part, offset) != 0)
        return map_err(rd_kafka_last_error());
    r->started = true;
    r->pos = offset;
    if (!r->q) {
        r->q = rd_kafka_queue_get_partition(r->rk, rd_kafka_topic_name(r->rkt),
                                            r->part);
        if (r->q)
            rd_kafka_queue_io_event_enable(r->q, r->kl->wake[1], "w", 1);
    }
    return 0;
}

/* The partition's end as last known: from the last fetch, asked again
 * from the cluster at most every END_REFRESH_MS (records the runtime
 * wrote itself are not in any fetch yet). */
static int64_t known_end(struct kafka_reader *r)
{
    int64_t lo = -1, hi = -1;
    const char *t = rd_kafka_topic_name(r->rkt);
    if (!rd_kafka_get_watermark_offsets(r->rk, t, r->part, &lo, &hi) &&
        hi > r->end)
        r->end = hi;
    if (r->end <= r->pos) {
        int64_t now = clock_mono_ms();
        if (now - r->end_asked >= END_REFRESH_MS) {
            r->end_asked = now;
            if (!rd_kafka_query_watermark_offsets(r->rk, t, r->part, &lo, &hi,
                                                  r->kl->timeout_ms) &&
                hi > r->end)
                r->end = hi;
        }
    }
    return r->end;
}

static int reader_read(struct stream_reader *base, int64_t offset,
                       size_t max_bytes, struct stream_chunk *out)
{
    struct kafka_reader *r = (struct kafka_reader *)base;
    reader_release(base);
    if (!r->started || offset != r->pos) {
        int rc = reader_start_at(r, offset);
        if (rc)
            return rc;
    }
    size_t want = max_bytes <= 1 ? 1 : READ_MAX;
    ssize_t got = rd_kafka_consume_batch(r->rkt, r->part, 0, r->msgs, want);
    if (got == 0 && r->pos < known_end(r) && r->pos != r->gave_up_at) {
        /* Records are there but not fetched yet: "nothing new" would be
         * wrong (bounded mode ends on it), so wait for the fetch, up to
         * FETCH_WAIT_MAX_MS on a loaded machine. Offsets that never come
         * (transaction markers, which librdkafka drops) end the wait once
         * per position. */
        int64_t until = clock_mono_ms() + FETCH_WAIT_MAX_MS;
        while (got == 0 && clock_mono_ms() < until)
            got = rd_kafka_consume_batch(r->rkt, r->part, FETCH_WAIT_MS,
                                         r->msgs, want);
        if (got == 0)
            r->gave_up_at = r->pos;
    }
    if (got < 0)
        return map_err(rd_kafka_last_error());
    int n = 0, err = 0;
    int64_t maxts = INT64_MIN;
    for (ssize_t i = 0; i < got; i++) {
        rd_kafka_message_t *m = r->msgs[i];
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !err)
                err = map_err(m->err);
            rd_kafka_message_destroy(m);
            continue;
        }
        int64_t ts = rd_kafka_message_timestamp(m, NULL);
        if (ts > maxts)
            maxts = ts;
        r->msgs[n++] = m;
    }
    r->n = n;
    r->at = 0;
    if (n == 0) {
        if (err == ERR_RANGE) {
            /* Restarted by the next read at the offset the caller picks. */
            rd_kafka_consume_stop(r->rkt, r->part);
            r->started = false;
        }
        return err == ERR_RANGE ? ERR_RANGE : 0;
    }
    r->pos = r->msgs[n - 1]->offset + 1;
    out->records = &r->recs;
    out->next_offset = r->pos;
    out->max_timestamp = maxts;
    return 1;
}

static int64_t reader_start(struct stream_reader *base)
{
    struct kafka_reader *r = (struct kafka_reader *)base;
    int64_t lo = -1, hi = -1;
    if (rd_kafka_query_watermark_offsets(r->rk, rd_kafka_topic_name(r->rkt),
                                         r->part, &lo, &hi, r->kl->timeout_ms))
        return 0;
    return lo;
}

static int64_t reader_end(struct stream_reader *base)
{
    struct kafka_reader *r = (struct kafka_reader *)base;
    int64_t lo = -1, hi = -1;
    /* Cached from the last fetch once reading; asked before. */
    if (r->started &&
        !rd_kafka_get_watermark_offsets(r->rk, rd_kafka_topic_name(r->rkt),
                                        r->part, &lo, &hi) &&
        hi >= 0)
        return hi;
    if (rd_kafka_query_watermark_offsets(r->rk, rd_kafka_topic_name(r->rkt),
                                         r->part, &lo, &hi, r->kl->timeout_ms))
        return r->started ? r->pos : 0;
    return hi;
}

static int reader_offset_for_time(struct stream_reader *base, int64_t ts,
                                  int64_t *offset)
{
    struct kafka_reader *r = (struct kafka_reader *)base;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(r->rkt), r->part)
        ->offset = ts;
    rd_kafka_resp_err_t e =
        rd_kafka_offsets_for_times(r->rk, l, r->kl->timeout_ms);
    int rc = map_err(e ? e : l->elems[0].err);
    if (!rc)
        *offset =
            l->elems[0].offset >= 0 ? l->elems[0].offset : reader_end(base);
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

static void reader_close(struct stream_reader *base)
{
    struct kafka_reader *r = (struct kafka_reader *)base;
    reader_release(base);
    if (r->q) {
        rd_kafka_queue_io_event_enable(r->q, -1, NULL, 0);
        rd_kafka_queue_destroy(r->q);
    }
    if (r->started)
        rd_kafka_consume_stop(r->rkt, r->part);
    pthread_mutex_lock(&r->kl->mu);
    rd_kafka_topic_destroy(r->rkt);
    struct consumer *c = &r->kl->consumer[r->slot];
    for (int j = 0; j < c->nused; j++)
        if (c->used[j] == r->use) {
            c->used[j] = c->used[--c->nused];
            break;
        }
    pthread_mutex_unlock(&r->kl->mu);
    mem_free(r->use);
    mem_free(r);
}

/* A consumer handle with no reader of "partition/topic" yet (made when
 * every one has): its slot, or an error. Holds kl->mu. */
static int consumer_slot(struct kafka_log *kl, const char *use)
{
    int i = 0;
    for (; i < kl->nconsumers; i++) {
        int j = 0;
        while (j < kl->consumer[i].nused &&
               strcmp(kl->consumer[i].used[j], use))
            j++;
        if (j == kl->consumer[i].nused)
            return i;
    }
    if (i == MAX_CONSUMERS)
        return ERR_TOO_LARGE;
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(
        RD_KAFKA_CONSUMER, rd_kafka_conf_dup(kl->cconf), err, sizeof err);
    if (!rk)
        return ERR_INVALID;
    kl->consumer[i].rk = rk;
    kl->nconsumers++;
    return i;
}

static const struct stream_reader_ops reader_ops = {
    reader_read, reader_release,         reader_start,
    reader_end,  reader_offset_for_time, reader_close,
    NULL};

static int log_reader(void *ctx, const char *topic, int partition,
                      unsigned flags, struct stream_reader **out)
{
    struct kafka_log *kl = ctx;
    (void)flags; /* acks=all: what is read is replicated as configured */
    char b[512];
    topic = cluster_name(kl, topic, b, sizeof b);
    int n = topic_partitions(kl, topic);
    if (n < 0)
        return n;
    if (partition < 0 || partition >= n)
        return ERR_NOT_FOUND;
    char err[256];
    rd_kafka_topic_conf_t *tc = rd_kafka_topic_conf_new();
    /* Out of range is the runtime's to handle (ERR_RANGE). */
    rd_kafka_topic_conf_set(tc, "auto.offset.reset", "error", err, sizeof err);
    char use[512];
    snprintf(use, sizeof use, "%d/%s", partition, topic);
    pthread_mutex_lock(&kl->mu);
    int slot = consumer_slot(kl, use);
    if (slot < 0) {
        pthread_mutex_unlock(&kl->mu);
        rd_kafka_topic_conf_destroy(tc);
        return slot;
    }
    struct consumer *c = &kl->consumer[slot];
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, topic, tc);
    if (!rkt) {
        pthread_mutex_unlock(&kl->mu);
        return map_err(rd_kafka_last_error());
    }
    if (c->nused == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->used = mem_realloc(c->used, (size_t)c->cap * sizeof *c->used);
    }
    char *u = mem_strdup(use);
    c->used[c->nused++] = u;
    pthread_mutex_unlock(&kl->mu);
    struct kafka_reader *r = mem_calloc(1, sizeof *r);
    r->rk = c->rk;
    r->slot = slot;
    r->use = u;
    r->base.ops = &reader_ops;
    r->recs.ops = &records_ops;
    r->kl = kl;
    r->rkt = rkt;
    r->part = partition;
    r->pos = -1;
    r->gave_up_at = -1;
    *out = &r->base;
    return 0;
}

/* ---- writers ---- */

struct kafka_writer {
    struct stream_writer base;
    struct kafka_log *kl;
    rd_kafka_topic_t *rkt;
    int n;
    _Atomic uint64_t failed; /* delivery reports with an error */
    uint64_t queued;         /* records handed to librdkafka since flush */
};

static int writer_partitions(struct stream_writer *base)
{
    return ((struct kafka_writer *)base)->n;
}

static int produce(struct kafka_writer *w, int partition, const void *key,
                   size_t klen, bool has_key, const void *value, size_t vlen,
                   int64_t ts, bool marker)
{
    rd_kafka_t *rk = w->kl->producer;
    for (;;) {
        rd_kafka_resp_err_t e;
        if (marker)
            e = rd_kafka_producev(
                rk, RD_KAFKA_V_RKT(w->rkt), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE((void *)(uintptr_t)value, vlen),
                RD_KAFKA_V_HEADER(KAFKA_LOG_MARKER_HEADER, "1", 1),
                RD_KAFKA_V_OPAQUE(&w->failed), RD_KAFKA_V_END);
        else
            e = rd_kafka_producev(
                rk, RD_KAFKA_V_RKT(w->rkt), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(has_key ? (void *)(uintptr_t)key : NULL,
                               has_key ? klen : 0),
                RD_KAFKA_V_VALUE((void *)(uintptr_t)value, vlen),
                RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_OPAQUE(&w->failed),
                RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* Backpressure: serve acknowledgements, then try again. */
            rd_kafka_poll(rk, QUEUE_FULL_WAIT_MS);
            continue;
        }
        if (e)
            return map_err(e);
        w->queued++;
        return 0;
    }
}

static int writer_add(struct stream_writer *base, int partition,
                      const void *key, size_t klen, bool has_key,
                      const void *value, size_t vlen, int64_t ts)
{
    struct kafka_writer *w = (struct kafka_writer *)base;
    if (partition < 0 || partition >= w->n)
        return ERR_INVALID;
    return produce(w, partition, key, klen, has_key, value, vlen, ts, false);
}

static int writer_flush(struct stream_writer *base, uint64_t *lost)
{
    struct kafka_writer *w = (struct kafka_writer *)base;
    int rc = 0;
    if (w->queued) {
        if (rd_kafka_flush(w->kl->producer, w->kl->timeout_ms * 6))
            rc = ERR_TIMEOUT;
        w->queued = 0;
    }
    uint64_t f = atomic_exchange(&w->failed, 0);
    if (f) {
        if (lost)
            *lost += f;
        rc = rc ? rc : -EIO;
    }
    return rc;
}

static int writer_marker(struct stream_writer *base, const void *value,
                         size_t n)
{
    struct kafka_writer *w = (struct kafka_writer *)base;
    for (int p = 0; p < w->n; p++) {
        int rc = produce(w, p, NULL, 0, false, value, n, 0, true);
        if (rc)
            return rc;
    }
    /* Ordered after the rows by the idempotent producer; acknowledged by
     * the next flush. */
    return 0;
}

static void writer_close(struct stream_writer *base)
{
    struct kafka_writer *w = (struct kafka_writer *)base;
    writer_flush(base, NULL);
    rd_kafka_topic_destroy(w->rkt);
    mem_free(w);
}

static const struct stream_writer_ops writer_ops = {writer_partitions,
                                                    writer_add,
                                                    writer_flush,
                                                    writer_marker,
                                                    writer_close,
                                                    NULL,
                                                    NULL,
                                                    NULL,
                                                    NULL};

static int log_writer(void *ctx, const char *topic, bool create,
                      struct stream_writer **out)
{
    struct kafka_log *kl = ctx;
    char b[512];
    topic = cluster_name(kl, topic, b, sizeof b);
    int n = topic_partitions(kl, topic);
    if (n == ERR_NOT_FOUND && create) {
        int rc = create_topic(kl, topic, 1);
        if (rc && rc != ERR_EXISTS)
            return rc;
        n = topic_partitions(kl, topic);
    }
    if (n <= 0)
        return n < 0 ? n : ERR_NOT_FOUND;
    pthread_mutex_lock(&kl->mu);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(kl->producer, topic, NULL);
    pthread_mutex_unlock(&kl->mu);
    if (!rkt)
        return map_err(rd_kafka_last_error());
    struct kafka_writer *w = mem_calloc(1, sizeof *w);
    w->base.ops = &writer_ops;
    w->kl = kl;
    w->rkt = rkt;
    w->n = n;
    *out = &w->base;
    return 0;
}

/* ---- wake-ups ---- */

static uint64_t log_seq(void *ctx)
{
    return atomic_load(&((struct kafka_log *)ctx)->seq);
}

static void log_wait(void *ctx, uint64_t seq, int64_t timeout_ms)
{
    struct kafka_log *kl = ctx;
    if (atomic_load(&kl->seq) != seq)
        return;
    struct pollfd p = {.fd = kl->wake[0], .events = POLLIN};
    if (poll(&p, 1, (int)(timeout_ms > 60000 ? 60000 : timeout_ms)) > 0) {
        char b[256];
        while (read(kl->wake[0], b, sizeof b) > 0)
            ;
        atomic_fetch_add(&kl->seq, 1);
    }
}

static const char *log_state_dir(void *ctx)
{
    return ((struct kafka_log *)ctx)->state_dir;
}

static const struct stream_log_ops log_ops = {
    log_partitions, log_create, log_delete,    log_reader, log_writer,
    log_seq,        log_wait,   log_state_dir, log_topics};

void kafka_log_stream_log(struct kafka_log *kl, struct stream_log *out)
{
    out->ops = &log_ops;
    out->ctx = kl;
}
