/* query_run.c - the engine hooks and the task loop that runs a plan over
 * the log (layer: sql).
 *
 * Task loop: for each input partition in turn, copy up to 1 MiB of whole
 * record batches from the next offset (partition_read_copy) and push them
 * through the pipeline; outputs, dead letters and late rows collected
 * during the push are appended to their topics as one record batch per
 * partition right after it. A pass that read nothing ticks the pipeline
 * (watermark, idle partitions, flush; at most every TICK_MS unless input
 * came since the last tick) and waits for an append to the logdir
 * (logdir_wait_append), at most until the next tick is due. A persistent task
 * holds its mutex while it pushes, so query_stats reads consistent
 * counters. Not here yet: one task per input partition, repartition
 * topics, checkpoints (a restarted query re-reads from the start).
 *
 * Virtual clock (env RILL_VIRTUAL_CLOCK=1, for golden tests): processing
 * time is not the wall clock but the arrival time stamped on each record
 * batch (its max Kafka timestamp). Each pass pushes one batch: the next
 * one, over all partitions, with the earliest stamp (ties: the lower
 * partition), at that time, then ticks. So watermarks, idle timeouts and
 * emission follow the order and stamps the producer gave, whatever the
 * machine's speed (docs/testing.md).
 */
#include "sql/query_run.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/partitioner.h"
#include "log/record_batch.h"
#include "row/json_encode.h"
#include "sql/planner.h"

#define READ_MAX (1u << 20)
#define OUT_BATCH_MAX (512u << 10) /* flush an output batch past this */
#define MAX_TASKS 256

/* An output topic: one builder per partition. */
struct out_topic {
    char name[256];
    int n;
    struct partition **parts;
    struct record_batch_builder *b;
};

struct task {
    struct query_run *qr;
    struct plan *plan;
    struct logdir *ld;
    char id[32];
    struct partition **parts;
    int64_t *next;
    /* transient SELECT */
    int (*emit)(void *arg, const char *line, size_t len);
    void *emit_arg;
    int64_t emitted;
    bool done; /* LIMIT reached */
    /* outputs */
    struct out_topic sink, dlq, late;
    bool has_sink, has_late;
    struct buf enc, key, batch;
    const uint8_t *cur; /* the buffer being pushed (dead letters) */
    size_t cur_len;
    const char *in_topic;
    uint64_t dead_letters, late_rows, write_errors;
    int error;
    /* progress of a persistent query (see progress_save) */
    int64_t mute_wm;   /* replaying: window rows up to this are muted */
    bool vclock;       /* RILL_VIRTUAL_CLOCK=1: see the top of the file */
    int64_t vnow;      /* the virtual processing time */
    int64_t last_save; /* monotonic ms */
    uint64_t muted;
    /* thread */
    pthread_t thread;
    bool threaded;
    atomic_bool stop;
    atomic_bool finished;
    pthread_mutex_t mu;
};

struct query_run {
    struct query_run_options o;
    struct task *tasks[MAX_TASKS];
    int ntasks;
};

/* SIGINT ends the running SELECT (or the wait); SIGTERM also ends the
 * wait that follows, so `kill` stops rill run whatever it is doing. */
static volatile sig_atomic_t interrupted, terminated;

static void on_signal(int sig)
{
    interrupted = 1;
    if (sig == SIGTERM)
        terminated = 1;
}

/* Longest wait for input between ticks (watermark, idle partitions). */
#define TICK_MS 10

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- output topics ---- */

static int out_open(struct out_topic *t, struct logdir *ld, const char *name,
                    bool create)
{
    snprintf(t->name, sizeof t->name, "%s", name);
    int n = logdir_topic_partitions(ld, name);
    if (n == ERR_NOT_FOUND && create) {
        int rc = logdir_topic_create(ld, name, NULL);
        if (rc && rc != ERR_EXISTS)
            return rc;
        n = logdir_topic_partitions(ld, name);
    }
    if (n <= 0)
        return n < 0 ? n : ERR_NOT_FOUND;
    t->n = n;
    t->parts = mem_calloc((size_t)n, sizeof *t->parts);
    t->b = mem_calloc((size_t)n, sizeof *t->b);
    for (int i = 0; i < n; i++) {
        t->parts[i] = logdir_partition(ld, name, i);
        record_batch_builder_init(&t->b[i], 0);
    }
    return 0;
}

static void out_close(struct out_topic *t)
{
    for (int i = 0; i < t->n; i++)
        record_batch_builder_fini(&t->b[i]);
    mem_free(t->parts);
    mem_free(t->b);
    memset(t, 0, sizeof *t);
}

static int out_flush(struct task *k, struct out_topic *t)
{
    int rc = 0;
    for (int i = 0; i < t->n; i++) {
        if (!record_batch_builder_count(&t->b[i]))
            continue;
        buf_reset(&k->batch);
        int r = record_batch_builder_finish(&t->b[i], &k->batch);
        if (!r && t->parts[i])
            r = partition_append(t->parts[i], k->batch.data, k->batch.len,
                                 NULL);
        record_batch_builder_reset(&t->b[i]);
        if (r) {
            k->write_errors++;
            rc = rc ? rc : r;
        }
    }
    return rc;
}

static int out_add(struct task *k, struct out_topic *t, const void *key,
                   size_t klen, bool has_key, const void *val, size_t vlen,
                   int64_t ts)
{
    int p = has_key ? partitioner_for_key(key, klen, t->n) : 0;
    if (p < 0 || p >= t->n)
        p = 0;
    struct slice ks = slice_make(key, klen), vs = slice_make(val, vlen);
    int rc = record_batch_builder_add(&t->b[p], has_key ? &ks : NULL, &vs, ts,
                                      NULL, 0);
    if (rc)
        return rc;
    if (record_batch_builder_size(&t->b[p]) > OUT_BATCH_MAX)
        return out_flush(k, t);
    return 0;
}

/* ---- callbacks from the pipeline ---- */

static void record_key(struct task *k, const struct row_batch *b, int row)
{
    const struct plan *p = k->plan;
    buf_reset(&k->key);
    if (p->nkey_columns == 1) {
        struct value v = row_batch_get(b, row, p->key_columns[0]);
        if (v.type == SCHEMA_STRING)
            buf_put(&k->key, v.u.str.ptr, v.u.str.len);
        else
            json_encode_value(&k->key, v);
        return;
    }
    buf_put_str(&k->key, "[");
    for (int i = 0; i < p->nkey_columns; i++) {
        if (i)
            buf_put_str(&k->key, ",");
        json_encode_value(&k->key, row_batch_get(b, row, p->key_columns[i]));
    }
    buf_put_str(&k->key, "]");
}

static int sink_rows(void *arg, const struct row_batch *rows)
{
    struct task *k = arg;
    for (int i = 0; i < rows->nrows; i++) {
        if (k->done)
            return 0;
        if (k->has_sink && k->mute_wm != INT64_MIN &&
            pipeline_watermark(k->plan->pipe) <= k->mute_wm) {
            k->muted++; /* written before the restart */
            continue;
        }
        buf_reset(&k->enc);
        json_encode_row(rows, i, &k->enc);
        if (!k->has_sink) {
            int rc = k->emit ? k->emit(k->emit_arg, (const char *)k->enc.data,
                                       k->enc.len)
                             : 0;
            if (rc)
                return rc;
            k->emitted++;
            if (k->plan->limit >= 0 && k->emitted >= k->plan->limit)
                k->done = true;
            continue;
        }
        int64_t ts = rows->meta[i].event_ts;
        if (ts < 0 || ts == INT64_MAX)
            ts = clock_now_ms();
        bool has_key = k->plan->nkey_columns > 0;
        if (has_key)
            record_key(k, rows, i);
        out_add(k, &k->sink, k->key.data, k->key.len, has_key, k->enc.data,
                k->enc.len, ts);
        k->emitted++;
    }
    return 0;
}

/* The value of the record at `offset` in the buffer being pushed. */
static bool find_value(struct task *k, int64_t offset, struct slice *val)
{
    struct record_batch_walk w;
    struct record_batch_header h;
    const uint8_t *bp;
    size_t bl;
    struct buf scratch;
    buf_init(&scratch);
    bool found = false;
    record_batch_walk_init(&w, k->cur, k->cur_len);
    while (!found && record_batch_walk_next(&w, &h, &bp, &bl) == 1) {
        if (offset < h.base_offset ||
            offset > h.base_offset + h.last_offset_delta)
            continue;
        struct record_iter it;
        struct record r;
        if (record_iter_init(&it, bp, bl, &scratch))
            break;
        while (record_iter_next(&it, &r) == 1)
            if (r.offset == offset) {
                /* Uncompressed: a slice of the batch. Compressed: copy
                 * into enc before scratch goes. */
                buf_reset(&k->key);
                if (!r.value_null)
                    buf_put(&k->key, r.value.ptr, r.value.len);
                *val = slice_make(k->key.data, k->key.len);
                found = true;
                break;
            }
    }
    buf_fini(&scratch);
    return found;
}

static void on_dead_letter(void *arg, int partition, int64_t offset,
                           const struct row_error *err)
{
    struct task *k = arg;
    k->dead_letters++;
    if (!k->dlq.n) {
        char name[256];
        snprintf(name, sizeof name, "%s.dlq", k->plan->input);
        if (out_open(&k->dlq, k->ld, name, true)) {
            k->write_errors++;
            return;
        }
    }
    struct slice val = slice_make("", 0);
    find_value(k, offset, &val);
    buf_reset(&k->enc);
    buf_put_str(&k->enc, "{\"reason\":");
    json_encode_string(&k->enc, err->message, strlen(err->message));
    buf_put_str(&k->enc, ",\"query\":");
    json_encode_string(&k->enc, k->id, strlen(k->id));
    buf_put_str(&k->enc, ",\"topic\":");
    json_encode_string(&k->enc, k->in_topic, strlen(k->in_topic));
    buf_printf(&k->enc,
               ",\"partition\":%d,\"offset\":%" PRId64 ",\"value\":", partition,
               offset);
    json_encode_string(&k->enc, (const char *)val.ptr, val.len);
    buf_put_str(&k->enc, "}");
    out_add(k, &k->dlq, NULL, 0, false, k->enc.data, k->enc.len,
            clock_now_ms());
}

static void on_late(void *arg, const struct row_batch *in, int row)
{
    struct task *k = arg;
    k->late_rows++;
    if (!k->has_late)
        return;
    buf_reset(&k->enc);
    json_encode_row(in, row, &k->enc);
    out_add(k, &k->late, NULL, 0, false, k->enc.data, k->enc.len,
            in->meta[row].event_ts);
}

/* ---- progress ----
 *
 * A persistent query records how far it got in
 * <data>/_queries/<id>.progress (rewritten atomically at most once a
 * second, and when it stops):
 *   rill-query-progress 1
 *   watermark <ms>|none        the query watermark then
 *   partition <i> <offset>     next input offset, one line per partition
 * Everything below those offsets has reached the output topic. On restart
 * a query without windows goes on from the offsets; a windowed one
 * rebuilds its state from the earliest offset with its output muted while
 * the watermark is at or below the recorded one (those windows fired
 * before). At least once: what was written after the last record is
 * written again. Checkpoints of the state replace this later.
 */

static void progress_path(const struct task *k, char *out, size_t n, bool dir)
{
    if (dir)
        snprintf(out, n, "%s/_queries", logdir_path(k->ld));
    else
        snprintf(out, n, "%s/_queries/%s.progress", logdir_path(k->ld), k->id);
}

static void progress_save(struct task *k, int64_t wm)
{
    char path[1024];
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "rill-query-progress 1\n");
    if (wm == INT64_MIN)
        buf_printf(&b, "watermark none\n");
    else
        buf_printf(&b, "watermark %" PRId64 "\n", wm);
    for (int i = 0; i < k->plan->npartitions; i++)
        buf_printf(&b, "partition %d %" PRId64 "\n", i, k->next[i]);
    progress_path(k, path, sizeof path, true);
    os_mkdir_p(path);
    progress_path(k, path, sizeof path, false);
    if (os_write_file_atomic(path, b.data, b.len))
        k->write_errors++;
    buf_fini(&b);
    k->last_save = clock_mono_ms();
}

/* Applies a saved progress file, if any. */
static void progress_load(struct task *k)
{
    char path[1024];
    char *text = NULL;
    size_t len = 0;
    progress_path(k, path, sizeof path, false);
    if (os_read_file(path, 1 << 20, &text, &len))
        return;
    int64_t wm = INT64_MIN;
    int64_t *next = mem_calloc((size_t)k->plan->npartitions, sizeof *next);
    for (int i = 0; i < k->plan->npartitions; i++)
        next[i] = -1;
    bool ok = !strncmp(text, "rill-query-progress 1\n", 22);
    for (char *line = text; ok && line && *line;) {
        char *nl = memchr(line, '\n', len - (size_t)(line - text));
        int part;
        long long v;
        if (sscanf(line, "watermark %lld", &v) == 1)
            wm = v;
        else if (sscanf(line, "partition %d %lld", &part, &v) == 2 &&
                 part >= 0 && part < k->plan->npartitions)
            next[part] = v;
        line = nl ? nl + 1 : NULL;
    }
    if (ok && k->plan->windowed) {
        k->mute_wm = wm;
    } else if (ok) {
        for (int i = 0; i < k->plan->npartitions; i++)
            if (k->parts[i] && next[i] > k->next[i] &&
                next[i] <= partition_high_watermark(k->parts[i]))
                k->next[i] = next[i];
    }
    mem_free(next);
    free(text);
}

/* ---- tasks ---- */

static void task_destroy(struct task *k)
{
    if (!k)
        return;
    plan_destroy(k->plan);
    out_close(&k->sink);
    out_close(&k->dlq);
    out_close(&k->late);
    buf_fini(&k->enc);
    buf_fini(&k->key);
    buf_fini(&k->batch);
    mem_free(k->parts);
    mem_free(k->next);
    pthread_mutex_destroy(&k->mu);
    mem_free(k);
}

static const char *stmt_topic(const struct sql_query_start *q)
{
    const struct catalog_relation *r =
        catalog_relation_find(q->catalog, q->sink);
    if (r)
        return r->topic; /* INSERT INTO */
    for (size_t i = 0; q->stmt && i < q->stmt->noptions; i++)
        if (!strcasecmp(q->stmt->options[i].key, "topic"))
            return q->stmt->options[i].value;
    return q->sink;
}

static int task_create(struct query_run *qr, struct sql_query_start *q,
                       struct task **out, struct sql_exec_error *err)
{
    struct task *k = mem_calloc(1, sizeof *k);
    k->qr = qr;
    k->ld = q->logdir;
    pthread_mutex_init(&k->mu, NULL);
    buf_init(&k->enc);
    buf_init(&k->key);
    buf_init(&k->batch);
    struct planner_hooks hooks = {on_late, k};
    int rc = planner_build(q, &hooks, &k->plan, err);
    if (rc) {
        task_destroy(k);
        return rc; /* *err names the position */
    }
    struct plan *p = k->plan;
    k->in_topic = p->topic;
    snprintf(k->id, sizeof k->id, "%s", q->id ? q->id : "select");
    pipeline_set_error_handler(p->pipe, on_dead_letter, k);
    rc = pipeline_set_sink(p->pipe, sink_rows, k);
    if (rc) {
        snprintf(err->message, sizeof err->message, "cannot set the sink: %s",
                 err_str(rc));
        goto fail;
    }
    k->emit = q->emit;
    k->emit_arg = q->emit_arg;
    if (q->sink) {
        const char *topic = stmt_topic(q);
        rc = out_open(&k->sink, k->ld, topic, false);
        if (rc) {
            snprintf(err->message, sizeof err->message,
                     "cannot open the output topic '%s': %s", topic,
                     err_str(rc));
            goto fail;
        }
        k->has_sink = true;
    }
    if (p->late_topic[0]) {
        rc = out_open(&k->late, k->ld, p->late_topic, p->late_create);
        if (rc) {
            snprintf(err->message, sizeof err->message,
                     "cannot open the late-row topic '%s': %s", p->late_topic,
                     err_str(rc));
            goto fail;
        }
        k->has_late = true;
    }
    k->parts = mem_calloc((size_t)p->npartitions, sizeof *k->parts);
    k->next = mem_calloc((size_t)p->npartitions, sizeof *k->next);
    for (int i = 0; i < p->npartitions; i++) {
        k->parts[i] = logdir_partition(k->ld, p->topic, i);
        if (!k->parts[i])
            continue;
        k->next[i] = p->startup_latest
                         ? partition_high_watermark(k->parts[i])
                         : partition_log_start_offset(k->parts[i]);
    }
    k->mute_wm = INT64_MIN;
    const char *vc = getenv("RILL_VIRTUAL_CLOCK");
    k->vclock = vc && !strcmp(vc, "1");
    k->vnow = 0;
    if (k->has_sink)
        progress_load(k);
    *out = k;
    return 0;
fail:
    err->pos.line = 0; /* not about a position in the statement */
    task_destroy(k);
    return rc;
}

/* Processing time: the wall clock, or the virtual one. */
static int64_t task_now(const struct task *k)
{
    return k->vclock ? k->vnow : clock_now_ms();
}

/* Reads the next whole batch of partition i into data: 1 (header in *h,
 * next offset in *nx), 0 (none) or a negative error. */
static int read_one_batch(struct task *k, int i, struct buf *data,
                          struct record_batch_header *h, int64_t *nx)
{
    buf_reset(data);
    int rc = partition_read_copy(k->parts[i], k->next[i], 1, data, nx);
    if (rc == ERR_RANGE) {
        int64_t start = partition_log_start_offset(k->parts[i]);
        if (k->next[i] < start)
            k->next[i] = start;
        return 0;
    }
    if (rc < 0)
        return rc;
    struct record_batch_walk w;
    const uint8_t *bp;
    size_t bl;
    record_batch_walk_init(&w, data->data, data->len);
    if (record_batch_walk_next(&w, h, &bp, &bl) != 1)
        return 0;
    data->len = (size_t)(bp - data->data) + bl; /* only the first batch */
    *nx = record_batch_last_offset(h) + 1;
    return *nx > k->next[i] ? 1 : 0;
}

/* A virtual-clock pass: the earliest-stamped next batch, pushed at its
 * stamp. Returns bytes read or a negative error. */
static int64_t task_pass_virtual(struct task *k, struct buf *data)
{
    struct plan *p = k->plan;
    struct record_batch_header h;
    int64_t nx, best_ts = INT64_MAX;
    int best = -1;
    for (int i = 0; i < p->npartitions; i++) {
        if (!k->parts[i])
            continue;
        int rc = read_one_batch(k, i, data, &h, &nx);
        if (rc < 0)
            return rc;
        if (rc == 1 && h.max_timestamp < best_ts) {
            best_ts = h.max_timestamp;
            best = i;
        }
    }
    if (best < 0)
        return 0;
    int rc = read_one_batch(k, best, data, &h, &nx);
    if (rc <= 0)
        return rc;
    if (h.max_timestamp > k->vnow)
        k->vnow = h.max_timestamp;
    pthread_mutex_lock(&k->mu);
    k->cur = data->data;
    k->cur_len = data->len;
    rc = pipeline_push_records(p->pipe, best, data->data, data->len, k->vnow);
    k->cur = NULL;
    if (!rc)
        rc = pipeline_tick(p->pipe, k->vnow); /* input dry until the next */
    out_flush(k, &k->sink);
    out_flush(k, &k->dlq);
    out_flush(k, &k->late);
    pthread_mutex_unlock(&k->mu);
    if (rc)
        return rc;
    k->next[best] = nx;
    return (int64_t)data->len;
}

/* One pass over the inputs; returns bytes read or a negative error. */
static int64_t task_pass(struct task *k, struct buf *data)
{
    struct plan *p = k->plan;
    int64_t got = 0;
    if (k->vclock)
        return k->done ? 0 : task_pass_virtual(k, data);
    for (int i = 0; i < p->npartitions && !k->done; i++) {
        if (!k->parts[i])
            continue;
        buf_reset(data);
        int64_t nx = k->next[i];
        int rc =
            partition_read_copy(k->parts[i], k->next[i], READ_MAX, data, &nx);
        if (rc == ERR_RANGE) {
            int64_t start = partition_log_start_offset(k->parts[i]);
            if (k->next[i] < start) /* retention passed us */
                k->next[i] = start;
            continue;
        }
        if (rc < 0)
            return rc;
        if (!data->len || nx <= k->next[i])
            continue;
        pthread_mutex_lock(&k->mu);
        k->cur = data->data;
        k->cur_len = data->len;
        rc = pipeline_push_records(p->pipe, i, data->data, data->len,
                                   clock_now_ms());
        k->cur = NULL;
        out_flush(k, &k->sink);
        out_flush(k, &k->dlq);
        out_flush(k, &k->late);
        pthread_mutex_unlock(&k->mu);
        if (rc)
            return rc;
        k->next[i] = nx;
        got += (int64_t)data->len;
    }
    return got;
}

static int task_tick(struct task *k, bool end)
{
    pthread_mutex_lock(&k->mu);
    int rc = end ? pipeline_end_of_input(k->plan->pipe)
                 : pipeline_tick(k->plan->pipe, task_now(k));
    out_flush(k, &k->sink);
    out_flush(k, &k->late);
    pthread_mutex_unlock(&k->mu);
    return rc;
}

/* Runs until stop, LIMIT, an interrupt (transient), or idleness in
 * bounded mode. */
static int task_loop(struct task *k, bool transient)
{
    struct buf data;
    buf_init(&data);
    int64_t last = clock_mono_ms();
    int64_t idle = k->qr->o.idle_ms > 0 ? k->qr->o.idle_ms : 500;
    int64_t last_tick = 0;
    bool fresh = false; /* read something since the last tick */
    int rc = 0;
    while (!atomic_load(&k->stop) && !k->done && !(transient && interrupted)) {
        /* Taken before the pass: an append after it ends the wait below. */
        uint64_t seq = logdir_append_seq(k->ld);
        int64_t got = task_pass(k, &data);
        if (got < 0) {
            rc = (int)got;
            break;
        }
        if (got > 0) {
            last = clock_mono_ms();
            fresh = true;
            if (k->has_sink && last - k->last_save >= 1000)
                progress_save(k, pipeline_watermark(k->plan->pipe));
            continue;
        }
        /* Tick once input is drained, else every TICK_MS: appends to
         * topics this task does not read wake it too, and must not turn
         * into a tick each. */
        int64_t now = clock_mono_ms();
        if (fresh || now - last_tick >= TICK_MS) {
            if ((rc = task_tick(k, false)))
                break;
            last_tick = now;
            fresh = false;
        }
        if (k->qr->o.until_idle && clock_mono_ms() - last >= idle) {
            /* Recorded before the end of input fires every window, so a
             * restart with more data does not mute later windows. */
            if (k->has_sink)
                progress_save(k, pipeline_watermark(k->plan->pipe));
            rc = task_tick(k, true);
            buf_fini(&data);
            k->error = rc;
            atomic_store(&k->finished, true);
            return rc;
        }
        int64_t wait = last_tick + TICK_MS - clock_mono_ms();
        logdir_wait_append(k->ld, seq, wait < 1 ? 1 : wait);
    }
    if (k->has_sink && !rc)
        progress_save(k, pipeline_watermark(k->plan->pipe));
    buf_fini(&data);
    k->error = rc;
    atomic_store(&k->finished, true);
    return rc;
}

static void *task_thread(void *arg)
{
    task_loop(arg, false);
    return NULL;
}

/* ---- engine hooks ---- */

int query_run_create(const struct query_run_options *o, struct query_run **out)
{
    struct query_run *qr = mem_calloc(1, sizeof *qr);
    if (o)
        qr->o = *o;
    *out = qr;
    return 0;
}

static void task_stop(struct task *k)
{
    atomic_store(&k->stop, true);
    if (k->threaded)
        pthread_join(k->thread, NULL);
    task_destroy(k);
}

void query_run_destroy(struct query_run *qr)
{
    if (!qr)
        return;
    for (int i = 0; i < qr->ntasks; i++)
        task_stop(qr->tasks[i]);
    mem_free(qr);
}

static int eng_start(void *ctx, struct sql_query_start *q,
                     struct sql_exec_error *err)
{
    struct query_run *qr = ctx;
    if (qr->ntasks >= MAX_TASKS) {
        snprintf(err->message, sizeof err->message,
                 "too many running queries (%d)", MAX_TASKS);
        err->pos = q->stmt ? q->stmt->pos : q->select->pos;
        return ERR_TOO_LARGE;
    }
    struct task *k;
    int rc = task_create(qr, q, &k, err);
    if (rc)
        return rc;
    q->out_schema = k->plan->out_schema;
    if (pthread_create(&k->thread, NULL, task_thread, k)) {
        snprintf(err->message, sizeof err->message, "cannot start a thread");
        task_destroy(k);
        return ERR_FAILED;
    }
    k->threaded = true;
    qr->tasks[qr->ntasks++] = k;
    return 0;
}

static int find_task(struct query_run *qr, const char *id)
{
    for (int i = 0; i < qr->ntasks; i++)
        if (!strcasecmp(qr->tasks[i]->id, id))
            return i;
    return ERR_NOT_FOUND;
}

static int eng_stop(void *ctx, const char *id)
{
    struct query_run *qr = ctx;
    int i = find_task(qr, id);
    if (i < 0)
        return i;
    task_stop(qr->tasks[i]);
    qr->tasks[i] = qr->tasks[--qr->ntasks];
    return 0;
}

static int eng_select(void *ctx, struct sql_query_start *q,
                      struct sql_exec_error *err)
{
    struct query_run *qr = ctx;
    struct task *k;
    int rc = task_create(qr, q, &k, err);
    if (rc)
        return rc;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = task_loop(k, true);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc) {
        err->pos = q->select->pos;
        snprintf(err->message, sizeof err->message, "query failed: %s",
                 err_str(rc));
    }
    task_destroy(k);
    return rc;
}

static int eng_explain(void *ctx, struct sql_query_start *q, struct buf *out,
                       struct sql_exec_error *err)
{
    (void)ctx;
    struct plan *p;
    int rc = planner_build(q, NULL, &p, err);
    if (rc)
        return rc;
    plan_explain(p, out);
    plan_destroy(p);
    return 0;
}

static int eng_stats(void *ctx, const char *id, struct buf *out)
{
    struct query_run *qr = ctx;
    int i = find_task(qr, id);
    if (i < 0)
        return i;
    struct task *k = qr->tasks[i];
    pthread_mutex_lock(&k->mu);
    struct pipeline_stats st;
    pipeline_stats(k->plan->pipe, &st);
    buf_printf(out, "records in: %" PRIu64 "\n", st.records_in);
    buf_printf(out, "rows in: %" PRIu64 "\n", st.rows_in);
    buf_printf(out, "rows out: %" PRId64 "\n", k->emitted);
    buf_printf(out, "dead letters: %" PRIu64 "\n", k->dead_letters);
    buf_printf(out, "corrupt batches: %" PRIu64 "\n", st.corrupt_batches);
    buf_printf(out, "late rows: %" PRIu64 "\n", k->late_rows);
    if (k->plan->wa)
        for (int p = 0; p < k->plan->npartitions; p++) {
            uint64_t n = window_agg_late_count(k->plan->wa, p);
            if (n)
                buf_printf(out, "late rows partition %d: %" PRIu64 "\n", p, n);
        }
    if (st.watermark == INT64_MIN)
        buf_printf(out, "watermark: none\n");
    else
        buf_printf(out, "watermark: %" PRId64 "\n", st.watermark);
    buf_printf(out, "write errors: %" PRIu64 "\n", k->write_errors);
    if (k->muted)
        buf_printf(out, "rows muted on restart: %" PRIu64 "\n", k->muted);
    buf_printf(out, "state: %s\n",
               atomic_load(&k->finished) ? "finished" : "running");
    pthread_mutex_unlock(&k->mu);
    return 0;
}

static int eng_wait(void *ctx)
{
    struct query_run *qr = ctx;
    if (!qr || !qr->ntasks)
        return 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    interrupted = terminated;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    while (!interrupted) {
        int running = 0;
        for (int i = 0; i < qr->ntasks; i++)
            running += !atomic_load(&qr->tasks[i]->finished);
        if (!running)
            break;
        sleep_ms(20);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    int rc = 0;
    for (int i = 0; i < qr->ntasks; i++)
        if (qr->tasks[i]->error && !rc)
            rc = qr->tasks[i]->error;
    return rc;
}

const struct sql_engine_ops query_run_engine = {
    .start_query = eng_start,
    .stop_query = eng_stop,
    .run_select = eng_select,
    .explain = eng_explain,
    .query_stats = eng_stats,
    .wait = eng_wait,
};
