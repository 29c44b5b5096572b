/* web_topics.c - topics over HTTP: list, describe, create, and ingest of
 * NDJSON, CSV and SenML bodies (layer: web).
 *
 *   GET  /topics            [{"name", "partitions", "end_offset", ...}]
 *   GET  /topics/{t}        one topic, per partition offsets and sizes
 *   PUT  /topics/{t}        create ({"partitions": N} body optional)
 *   POST /topics/{t}        append the body's records, answer once
 *                           appended (?acks=all: once fsync'ed)
 * The logdir is thread-safe; reads are lock-free atomics. Deleting is
 * not offered here: the broker's thread may hold the partitions (parked
 * fetches), so deletes go through the Kafka API (DeleteTopics), which runs
 * on that thread and checks that no query uses the topic.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "log/compress.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "web/web_int.h"

#define INGEST_BATCH_BYTES (512u * 1024)
#define ACKS_TIMEOUT_MS 30000

static void topic_summary(struct web *w, const char *name, struct buf *b)
{
    int np = logdir_topic_partitions(w->o.logdir, name);
    int64_t end = 0, size = 0;
    for (int i = 0; i < np; i++) {
        struct partition *p = logdir_partition(w->o.logdir, name, i);
        if (p) {
            end += partition_high_watermark(p) - partition_log_start_offset(p);
            size += partition_size_bytes(p);
        }
    }
    buf_put_str(b, "{\"name\":");
    web_json_cstr(b, name);
    buf_printf(b,
               ",\"partitions\":%d,\"records\":%" PRId64
               ",\"size_bytes\":%" PRId64 ",\"internal\":%s}",
               np < 0 ? 0 : np, end, size,
               name[0] == '_' || strstr(name, "-repartition") ? "true"
                                                              : "false");
}

void web_topics_json(struct web *w, struct buf *b)
{
    char **names;
    size_t n;
    buf_put_u8(b, '[');
    if (logdir_topic_list(w->o.logdir, &names, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_put_u8(b, ',');
            topic_summary(w, names[i], b);
        }
        logdir_names_free(names, n);
    }
    buf_put_u8(b, ']');
}

static void list_topics(struct web *w, struct http_conn *c)
{
    struct buf b;
    buf_init(&b);
    web_topics_json(w, &b);
    buf_put_u8(&b, '\n');
    http_respond(c, 200, "application/json", b.data, b.len);
    buf_fini(&b);
}

static void describe_topic(struct web *w, struct http_conn *c, const char *t)
{
    struct logdir_topic_config cfg;
    if (logdir_topic_config(w->o.logdir, t, &cfg))
        return web_error(c, 404, "no such topic");
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "{\"name\":");
    web_json_cstr(&b, t);
    buf_printf(&b,
               ",\"config\":{\"partitions\":%d,\"retention.ms\":%" PRId64
               ",\"retention.bytes\":%" PRId64 ",\"segment.bytes\":%" PRId64
               ",\"segment.ms\":%" PRId64 ",\"max.message.bytes\":%d}",
               cfg.partitions, cfg.retention_ms, cfg.retention_bytes,
               cfg.segment_bytes, cfg.segment_ms, cfg.max_message_bytes);
    buf_put_str(&b, ",\"partitions\":[");
    for (int i = 0; i < cfg.partitions; i++) {
        struct partition *p = logdir_partition(w->o.logdir, t, i);
        if (!p)
            continue;
        buf_printf(&b,
                   "%s{\"partition\":%d,\"start_offset\":%" PRId64
                   ",\"end_offset\":%" PRId64 ",\"durable_offset\":%" PRId64
                   ",\"size_bytes\":%" PRId64 ",\"segments\":%d,\"failed\":%s}",
                   i ? "," : "", i, partition_log_start_offset(p),
                   partition_high_watermark(p), partition_durable_offset(p),
                   partition_size_bytes(p), partition_segment_count(p),
                   partition_failed(p) ? "true" : "false");
    }
    buf_put_str(&b, "]}\n");
    http_respond(c, 200, "application/json", b.data, b.len);
    buf_fini(&b);
}

static void create_topic(struct web *w, struct http_conn *c, const char *t,
                         const char *body, size_t len)
{
    if (!logdir_topic_name_valid(t))
        return web_error(c, 400,
                         "a topic name is 1 to 249 characters of "
                         "[a-zA-Z0-9._-]");
    struct logdir_topic_config cfg;
    logdir_topic_config_init(&cfg);
    cfg.partitions = w->o.default_partitions > 0 ? w->o.default_partitions : 1;
    while (len && strchr(" \t\r\n", body[len - 1]))
        len--;
    if (len) {
        /* {"partitions": N}: the one setting taken here. */
        const char *k = memmem(body, len, "\"partitions\"", 12);
        const char *colon = k ? memchr(k, ':', len - (size_t)(k - body)) : NULL;
        char *end;
        long v = colon ? strtol(colon + 1, &end, 10) : 0;
        if (body[0] != '{' || !colon || v < 1 || v > 10000)
            return web_error(c, 400,
                             "the body is empty or {\"partitions\": N} with "
                             "1 <= N <= 10000");
        cfg.partitions = (int32_t)v;
    }
    int rc = logdir_topic_create(w->o.logdir, t, &cfg);
    if (rc == ERR_EXISTS)
        return web_error(c, 409, "the topic exists");
    if (rc < 0)
        return web_error(c, 500, err_str(rc));
    struct buf b;
    buf_init(&b);
    topic_summary(w, t, &b);
    buf_put_u8(&b, '\n');
    http_respond(c, 201, "application/json", b.data, b.len);
    buf_fini(&b);
}

/* --- ingest --------------------------------------------------------------- */

enum body_kind { BODY_NDJSON, BODY_CSV, BODY_SENML };

struct ingest {
    char topic[LOGDIR_TOPIC_NAME_MAX + 1];
    enum body_kind kind;
    int partition; /* -1: spread the batches round robin */
    bool acks_all;
    bool skip_header;
    struct buf body;
};

static void ingest_answer(struct web_job *j, int status, const char *msg,
                          long line, int64_t records, int64_t first,
                          int partition)
{
    struct buf b;
    buf_init(&b);
    if (msg) {
        buf_put_str(&b, "{\"error\":");
        web_json_cstr(&b, msg);
        if (line > 0)
            buf_printf(&b, ",\"line\":%ld", line);
        buf_put_str(&b, "}\n");
    } else {
        buf_printf(&b,
                   "{\"records\":%" PRId64 ",\"partition\":%d,"
                   "\"base_offset\":%" PRId64 "}\n",
                   records, partition, first);
    }
    web_job_respond(j, status, "application/json", &b);
    buf_fini(&b);
}

/* Whether line looks like one JSON value (a record decoders can take):
 * an object or array whose last byte closes it. Full checks are the
 * decoders' (bad rows go to the dead-letter topic with a reason). */
static bool json_line_ok(const char *p, size_t n)
{
    return n >= 2 && ((p[0] == '{' && p[n - 1] == '}') ||
                      (p[0] == '[' && p[n - 1] == ']'));
}

static int append_batch(struct partition *p, struct record_batch_builder *rb,
                        struct buf *out, int64_t *first, int64_t *end)
{
    if (!record_batch_builder_count(rb))
        return 0;
    buf_reset(out);
    int rc = record_batch_builder_finish(rb, out);
    int64_t base;
    if (rc == 0)
        rc = partition_append(p, out->data, out->len, &base);
    if (rc == 0) {
        if (*first < 0)
            *first = base;
        *end = base + record_batch_builder_count(rb);
        metrics_add(METRIC_HTTP_INGEST_RECORDS,
                    (uint64_t)record_batch_builder_count(rb));
    }
    record_batch_builder_reset(rb);
    return rc;
}

static void ingest_job(struct web_job *j, void *arg)
{
    struct ingest *in = arg;
    struct web *w = web_job_web(j);
    const char *body = (const char *)in->body.data;
    size_t len = in->body.len;
    int np = logdir_topic_partitions(w->o.logdir, in->topic);
    if (np <= 0) {
        ingest_answer(j, 404, "no such topic (create it with PUT first)", 0, 0,
                      -1, -1);
        goto out;
    }
    if (in->partition >= np) {
        ingest_answer(j, 400, "no such partition", 0, 0, -1, -1);
        goto out;
    }
    static atomic_uint spread;
    int part = in->partition >= 0
                   ? in->partition
                   : (int)(atomic_fetch_add(&spread, 1) % (unsigned)np);
    struct partition *p = logdir_partition(w->o.logdir, in->topic, part);
    if (!p) {
        ingest_answer(j, 404, "no such topic", 0, 0, -1, -1);
        goto out;
    }
    /* First pass: check every record, so a bad line appends nothing. */
    long lineno = 0;
    size_t nrec = 0;
    for (size_t i = 0; i < len && in->kind != BODY_SENML;) {
        const char *nl = memchr(body + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - body) : len;
        size_t s = i, t = e;
        lineno++;
        i = e + 1;
        while (s < t && strchr(" \t\r", body[s]))
            s++;
        while (t > s && strchr(" \t\r", body[t - 1]))
            t--;
        if (s == t || (in->kind == BODY_CSV && in->skip_header && lineno == 1))
            continue;
        if (in->kind == BODY_NDJSON && !json_line_ok(body + s, t - s)) {
            ingest_answer(j, 400, "not a JSON object on this line", lineno, 0,
                          -1, -1);
            goto out;
        }
        nrec++;
    }
    if (in->kind == BODY_SENML) {
        size_t s = 0, t = len;
        while (s < t && strchr(" \t\r\n", body[s]))
            s++;
        while (t > s && strchr(" \t\r\n", body[t - 1]))
            t--;
        if (t - s < 2 || body[s] != '[' || body[t - 1] != ']') {
            ingest_answer(j, 400, "a SenML pack is a JSON array", 0, 0, -1, -1);
            goto out;
        }
        nrec = 1;
    }
    if (nrec == 0) {
        ingest_answer(j, 400, "no record in the body", 0, 0, -1, -1);
        goto out;
    }
    struct record_batch_builder rb;
    record_batch_builder_init(&rb, COMPRESS_NONE);
    struct buf out;
    buf_init(&out);
    int64_t first = -1, end = -1, now = clock_now_ms();
    int rc = 0;
    lineno = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        size_t s, t;
        if (in->kind == BODY_SENML) {
            s = 0;
            t = len;
            i = len;
        } else {
            const char *nl = memchr(body + i, '\n', len - i);
            size_t e = nl ? (size_t)(nl - body) : len;
            s = i;
            t = e;
            i = e + 1;
            lineno++;
            while (t > s && strchr(" \t\r", body[t - 1]))
                t--;
            while (s < t && strchr(" \t\r", body[s]))
                s++;
            if (s == t ||
                (in->kind == BODY_CSV && in->skip_header && lineno == 1))
                continue;
        }
        struct slice v = slice_make(body + s, t - s);
        rc = record_batch_builder_add(&rb, NULL, &v, now, NULL, 0);
        if (rc == 0 && record_batch_builder_size(&rb) >= INGEST_BATCH_BYTES)
            rc = append_batch(p, &rb, &out, &first, &end);
    }
    if (rc == 0)
        rc = append_batch(p, &rb, &out, &first, &end);
    record_batch_builder_fini(&rb);
    buf_fini(&out);
    if (rc == 0 && in->acks_all)
        rc = partition_wait_durable(p, end, ACKS_TIMEOUT_MS);
    if (rc < 0)
        ingest_answer(j, rc == ERR_TOO_LARGE ? 413 : 500, err_str(rc), 0, 0, -1,
                      -1);
    else
        ingest_answer(j, 200, NULL, 0, (int64_t)nrec, first, part);
out:
    buf_fini(&in->body);
    mem_free(in);
}

static bool ctype_is(const struct http_str *ct, const char *type)
{
    size_t n = strlen(type);
    return ct && ct->n >= n && !strncasecmp(ct->p, type, n) &&
           (ct->n == n || ct->p[n] == ';' || ct->p[n] == ' ');
}

static void ingest(struct web *w, struct http_conn *c,
                   const struct http_request *req, const char *t,
                   const char *body, size_t len)
{
    const struct http_str *ct = http_request_header(req, "content-type");
    enum body_kind kind;
    if (ctype_is(ct, "application/x-ndjson") ||
        ctype_is(ct, "application/jsonl") || ctype_is(ct, "application/json"))
        kind = BODY_NDJSON;
    else if (ctype_is(ct, "text/csv"))
        kind = BODY_CSV;
    else if (ctype_is(ct, "application/senml+json"))
        kind = BODY_SENML;
    else
        return web_error(c, 415,
                         "Content-Type must be application/x-ndjson, "
                         "text/csv or application/senml+json");
    struct ingest *in = mem_calloc(1, sizeof *in);
    snprintf(in->topic, sizeof in->topic, "%s", t);
    in->kind = kind;
    in->partition = -1;
    struct http_str v;
    char tmp[32];
    if (http_query_param(req->query, "partition", &v)) {
        char *end;
        int n = http_url_decode(v, tmp, sizeof tmp);
        long pv = n > 0 ? strtol(tmp, &end, 10) : -1;
        if (n <= 0 || *end || pv < 0 || pv > 100000) {
            mem_free(in);
            return web_error(c, 400, "partition must be a number");
        }
        in->partition = (int)pv;
    }
    in->acks_all = http_query_param(req->query, "acks", &v) &&
                   (http_str_ieq(v, "all") || http_str_ieq(v, "-1"));
    in->skip_header =
        http_query_param(req->query, "header", &v) && http_str_ieq(v, "true");
    buf_init(&in->body);
    buf_put(&in->body, body, len);
    if (web_job_start(w, c, ingest_job, in)) {
        buf_fini(&in->body);
        mem_free(in);
    }
}

void web_topics_route(struct web *w, struct http_conn *c,
                      const struct http_request *req, const char *name,
                      const char *body, size_t len)
{
    bool get = http_str_ieq(req->method, "GET");
    if (!name) {
        if (!get)
            return web_error(c, 405, "use GET");
        return list_topics(w, c);
    }
    if (get)
        return describe_topic(w, c, name);
    if (http_str_ieq(req->method, "PUT"))
        return create_topic(w, c, name, body, len);
    if (http_str_ieq(req->method, "POST"))
        return ingest(w, c, req, name, body, len);
    if (http_str_ieq(req->method, "DELETE"))
        return web_error(c, 405,
                         "delete topics through the Kafka API (DeleteTopics, "
                         "e.g. kafka-topics --delete): it runs on the "
                         "broker's thread, which may hold the partitions");
    web_error(c, 405, "use GET, PUT or POST");
}
