/* web_topics.c - topics over HTTP: list, describe, create, and ingest of
 * NDJSON, CSV and SenML bodies (layer: web).
 *
 *   GET  /topics            [{"name", "partitions", "end_offset", ...}]
 *   GET  /topics/{t}        one topic, per partition offsets and sizes
 *   PUT  /topics/{t}        create ({"partitions": N} body optional)
 *   POST /topics/{t}        append the body's records, answer once
 *                           appended (?acks=all: once fsync'ed)
 * The logdir is thread-safe; reads are lock-free atomics. DELETE and
 * PATCH (configs, more partitions) go through the Kafka API instead
 * (web_admin.c): the broker's thread may hold the partitions (parked
 * fetches) and checks that no query uses a topic it deletes.
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
#include "base/murmur2.h"
#include "log/compress.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "broker/auth_acls.h"
#include "web/web_int.h"

#define INGEST_BATCH_BYTES (512u * 1024)
#define ACKS_TIMEOUT_MS 30000

static void topic_summary(struct web *w, const char *name, struct buf *b)
{
    int np = logdir_topic_partitions(w->o.logdir, name);
    int64_t end = 0, size = 0, appended = 0, frec = 0, fbytes = 0;
    for (int i = 0; i < np; i++) {
        struct partition *p = logdir_partition(w->o.logdir, name, i);
        if (p) {
            end += partition_high_watermark(p) - partition_log_start_offset(p);
            appended += partition_high_watermark(p);
            size += partition_size_bytes(p);
            int64_t r, by;
            partition_fetched(p, &r, &by);
            frec += r;
            fbytes += by;
        }
    }
    buf_put_str(b, "{\"name\":");
    web_json_cstr(b, name);
    buf_printf(
        b,
        ",\"partitions\":%d,\"records\":%" PRId64 ",\"size_bytes\":%" PRId64
        ",\"appended_records\":%" PRId64 ",\"fetched_records\":%" PRId64
        ",\"fetched_bytes\":%" PRId64 ",\"internal\":%s}",
        np < 0 ? 0 : np, end, size, appended, frec, fbytes,
        name[0] == '_' || strstr(name, "-repartition") ? "true" : "false");
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
        int64_t fr, fb;
        partition_fetched(p, &fr, &fb);
        buf_printf(&b,
                   "%s{\"partition\":%d,\"start_offset\":%" PRId64
                   ",\"end_offset\":%" PRId64 ",\"durable_offset\":%" PRId64
                   ",\"size_bytes\":%" PRId64 ",\"segments\":%d,"
                   "\"fetched_records\":%" PRId64 ",\"fetched_bytes\":%" PRId64
                   ",\"failed\":%s}",
                   i ? "," : "", i, partition_log_start_offset(p),
                   partition_high_watermark(p), partition_durable_offset(p),
                   partition_size_bytes(p), partition_segment_count(p), fr, fb,
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
    char key_field[128]; /* NDJSON: the field whose value is the key */
    bool key_auto;       /* key_field from the stream over the topic */
    enum body_kind kind;
    int partition; /* -1: spread the batches round robin */
    bool acks_all;
    bool skip_header;
    struct buf body;
};

static void answer_error(struct web_job *j, int status, const char *msg,
                         long line)
{
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, "{\"error\":");
    web_json_cstr(&b, msg);
    if (line > 0)
        buf_printf(&b, ",\"line\":%ld", line);
    buf_put_str(&b, "}\n");
    web_job_respond(j, status, "application/json", &b);
    buf_fini(&b);
}

/* One record of the body: bytes [s, t), its key in keys [k, k + kn). */
struct rec {
    size_t s, t;
    size_t k, kn;
    int32_t part;
    int32_t next; /* next record of the same partition, -1 at the end */
};

/* Cuts the body into records (one per non-empty line; a SenML pack is
 * one) and checks each: NDJSON lines must be JSON objects (or arrays),
 * carrying key_field when it is set. Returns the count, or -1 after
 * answering 400 with the line. */
static long cut(struct web_job *j, const struct ingest *in, struct rec **out,
                struct buf *keys)
{
    const char *body = (const char *)in->body.data;
    size_t len = in->body.len, cap = 64;
    long n = 0, lineno = 0;
    struct rec *r = mem_alloc(cap * sizeof *r);
    struct buf kb;
    buf_init(&kb);
    for (size_t i = 0; i < len;) {
        size_t s = i, t;
        if (in->kind == BODY_SENML) {
            t = i = len;
        } else {
            const char *nl = memchr(body + i, '\n', len - i);
            t = nl ? (size_t)(nl - body) : len;
            i = t + 1;
            lineno++;
        }
        while (s < t && strchr(" \t\r\n", body[s]))
            s++;
        while (t > s && strchr(" \t\r\n", body[t - 1]))
            t--;
        if (s == t || (in->kind == BODY_CSV && in->skip_header && lineno == 1))
            continue;
        const char *p = body + s;
        size_t pn = t - s;
        size_t k = 0, kn = 0;
        if (in->kind == BODY_SENML) {
            if (pn < 2 || p[0] != '[' || p[pn - 1] != ']') {
                answer_error(j, 400, "a SenML pack is a JSON array", 0);
                goto fail;
            }
        } else if (in->kind == BODY_NDJSON) {
            bool array = p[0] == '[' && p[pn - 1] == ']';
            int rc = array ? ERR_NOT_FOUND
                           : web_json_scalar(
                                 p, pn, in->key_field[0] ? in->key_field : NULL,
                                 &kb);
            if (rc == ERR_INVALID || (array && in->key_field[0])) {
                answer_error(j, 400, "not a JSON object on this line", lineno);
                goto fail;
            }
            if (in->key_field[0] && rc != 0) {
                char msg[256];
                snprintf(msg, sizeof msg,
                         "no '%s' field (a string or number) on this line: "
                         "records are keyed by it",
                         in->key_field);
                answer_error(j, 400, msg, lineno);
                goto fail;
            }
            if (in->key_field[0]) {
                k = keys->len;
                kn = kb.len;
                buf_put(keys, kb.data, kb.len);
            }
        }
        if ((size_t)n == cap) {
            cap *= 2;
            r = mem_realloc(r, cap * sizeof *r);
        }
        r[n++] = (struct rec){s, t, k, kn, 0, -1};
    }
    buf_fini(&kb);
    *out = r;
    return n;
fail:
    buf_fini(&kb);
    mem_free(r);
    return -1;
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

/* Appends the records of one partition (list from head) in batches. */
static int append_part(struct ingest *in, struct partition *p,
                       const struct rec *r, int32_t head,
                       const struct buf *keys, int64_t *first, int64_t *end)
{
    struct record_batch_builder rb;
    record_batch_builder_init(&rb, COMPRESS_NONE);
    struct buf out;
    buf_init(&out);
    int64_t now = clock_now_ms();
    int rc = 0;
    for (int32_t i = head; i >= 0 && rc == 0; i = r[i].next) {
        struct slice v = slice_make(in->body.data + r[i].s, r[i].t - r[i].s);
        struct slice k = slice_make(keys->data + r[i].k, r[i].kn);
        rc = record_batch_builder_add(&rb, in->key_field[0] ? &k : NULL, &v,
                                      now, NULL, 0);
        if (rc == 0 && record_batch_builder_size(&rb) >= INGEST_BATCH_BYTES)
            rc = append_batch(p, &rb, &out, first, end);
    }
    if (rc == 0)
        rc = append_batch(p, &rb, &out, first, end);
    record_batch_builder_fini(&rb);
    buf_fini(&out);
    return rc;
}

static void ingest_job(struct web_job *j, void *arg)
{
    struct ingest *in = arg;
    struct web *w = web_job_web(j);
    struct rec *r = NULL;
    int32_t *heads = NULL;
    int64_t *ends = NULL, *firsts = NULL, *counts = NULL;
    struct buf keys;
    buf_init(&keys);
    int np = logdir_topic_partitions(w->o.logdir, in->topic);
    if (np <= 0) {
        answer_error(j, 404, "no such topic (create it with PUT first)", 0);
        goto out;
    }
    if (in->partition >= np) {
        answer_error(j, 400, "no such partition", 0);
        goto out;
    }
    /* A keyed stream over the topic: its records must carry their key
     * and sit in murmur2's partition, as a Kafka producer would put them
     * (queries check both). */
    if (in->key_auto && in->kind == BODY_NDJSON) {
        int rc =
            web_stream_key(j, in->topic, in->key_field, sizeof in->key_field);
        if (rc == ERR_CLOSED)
            goto out;
        if (rc != 0 && rc != ERR_NOT_FOUND) {
            answer_error(j, 503, "the SQL server does not answer", 0);
            goto out;
        }
        if (rc != 0)
            in->key_field[0] = '\0';
    }
    if (in->key_field[0] && in->partition >= 0) {
        answer_error(j, 400,
                     "records keyed by a field go to their key's partition: "
                     "leave out partition (or give key=none)",
                     0);
        goto out;
    }
    long n = cut(j, in, &r, &keys);
    if (n < 0)
        goto out;
    if (n == 0) {
        answer_error(j, 400, "no record in the body", 0);
        goto out;
    }
    static atomic_uint spread;
    int part = in->partition >= 0
                   ? in->partition
                   : (int)(atomic_fetch_add(&spread, 1) % (unsigned)np);
    heads = mem_alloc((size_t)np * sizeof *heads);
    int32_t *tails = mem_alloc((size_t)np * sizeof *tails);
    for (int i = 0; i < np; i++)
        heads[i] = tails[i] = -1;
    for (long i = 0; i < n; i++) {
        r[i].part = in->key_field[0]
                        ? murmur2_partition(keys.data + r[i].k, r[i].kn, np)
                        : part;
        if (tails[r[i].part] < 0)
            heads[r[i].part] = (int32_t)i;
        else
            r[tails[r[i].part]].next = (int32_t)i;
        tails[r[i].part] = (int32_t)i;
    }
    mem_free(tails);
    ends = mem_alloc((size_t)np * sizeof *ends);
    firsts = mem_alloc((size_t)np * sizeof *firsts);
    counts = mem_calloc((size_t)np, sizeof *counts);
    int rc = 0;
    for (int i = 0; i < np && rc == 0; i++) {
        firsts[i] = ends[i] = -1;
        if (heads[i] < 0)
            continue;
        struct partition *p = logdir_partition(w->o.logdir, in->topic, i);
        rc = p ? append_part(in, p, r, heads[i], &keys, &firsts[i], &ends[i])
               : ERR_NOT_FOUND;
        for (int32_t k = heads[i]; k >= 0; k = r[k].next)
            counts[i]++;
    }
    for (int i = 0; i < np && rc == 0 && in->acks_all; i++)
        if (ends[i] >= 0)
            rc = partition_wait_durable(
                logdir_partition(w->o.logdir, in->topic, i), ends[i],
                ACKS_TIMEOUT_MS);
    if (rc < 0) {
        answer_error(j, rc == ERR_TOO_LARGE ? 413 : 500, err_str(rc), 0);
        goto out;
    }
    struct buf b;
    buf_init(&b);
    if (in->key_field[0]) {
        buf_printf(&b, "{\"records\":%ld,\"key\":", n);
        web_json_cstr(&b, in->key_field);
        buf_put_str(&b, ",\"partitions\":{");
        bool first = true;
        for (int i = 0; i < np; i++)
            if (counts[i]) {
                buf_printf(&b, "%s\"%d\":%" PRId64, first ? "" : ",", i,
                           counts[i]);
                first = false;
            }
        buf_put_str(&b, "}}\n");
    } else {
        buf_printf(&b,
                   "{\"records\":%ld,\"partition\":%d,\"base_offset\":%" PRId64
                   "}\n",
                   n, part, firsts[part]);
    }
    web_job_respond(j, 200, "application/json", &b);
    buf_fini(&b);
out:
    mem_free(r);
    mem_free(heads);
    mem_free(ends);
    mem_free(firsts);
    mem_free(counts);
    buf_fini(&keys);
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
    /* key=FIELD keys NDJSON records by a field; key=none sends them
     * without a key; by default the key column of the stream over the
     * topic, if it has one. */
    in->key_auto = true;
    if (http_query_param(req->query, "key", &v)) {
        in->key_auto = false;
        if (http_url_decode(v, in->key_field, sizeof in->key_field) <= 0) {
            mem_free(in);
            return web_error(c, 400, "bad key field name");
        }
        if (!strcmp(in->key_field, "none"))
            in->key_field[0] = '\0';
        else if (kind != BODY_NDJSON) {
            mem_free(in);
            return web_error(c, 400, "key=FIELD needs an NDJSON body");
        }
    }
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
    /* ACLs (docs/security.md, "HTTP"): as the Kafka APIs that do the same
     * (Metadata, CreateTopics, Produce, DeleteTopics, AlterConfigs). */
    if (!name) {
        if (!get)
            return web_error(c, 405, "use GET");
        if (!web_acl_allow(w, c, AUTH_RES_CLUSTER, "", AUTH_OP_DESCRIBE))
            return;
        return list_topics(w, c);
    }
    if (get) {
        if (!web_acl_allow(w, c, AUTH_RES_TOPIC, name, AUTH_OP_DESCRIBE))
            return;
        return describe_topic(w, c, name);
    }
    if (http_str_ieq(req->method, "PUT")) {
        if (!web_acl_allow_create(w, c, name))
            return;
        return create_topic(w, c, name, body, len);
    }
    if (http_str_ieq(req->method, "POST")) {
        if (!web_acl_allow(w, c, AUTH_RES_TOPIC, name, AUTH_OP_WRITE))
            return;
        return ingest(w, c, req, name, body, len);
    }
    if (http_str_ieq(req->method, "DELETE")) {
        if (!web_acl_allow(w, c, AUTH_RES_TOPIC, name, AUTH_OP_DELETE))
            return;
        return web_topic_delete(w, c, name);
    }
    if (http_str_ieq(req->method, "PATCH")) {
        if (!web_acl_allow(w, c, AUTH_RES_TOPIC, name, AUTH_OP_ALTER_CONFIGS))
            return;
        return web_topic_patch(w, c, name, body, len);
    }
    web_error(c, 405, "use GET, PUT, POST, PATCH or DELETE");
}
