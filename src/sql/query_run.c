/* query_run.c - the engine hooks, and the tasks that run a plan over the
 * log (layer: sql).
 *
 * A query is a set of tasks. Stage 0 has one task per partition of the
 * input topic; a plan that repartitions (planner.h) adds stage 1, one
 * task per partition of its repartition topic. Each task owns its input
 * partition, its next offset, its own pipeline (a plan built for it) and
 * its own output builders; tasks of a query share nothing mutable but
 * single-writer atomics: stage 0's watermark board and the published
 * offsets and watermarks the progress file is made of.
 *
 * A step of a task (task_step): copy up to 1 MiB of whole record batches
 * from its next offset (partition_read_copy; up to the durable offset
 * with durable_only), push them through its pipeline, then settle the
 * watermark and append what the push produced (rows, dead letters, late
 * rows, repartitioned rows and watermark markers) as one record batch per
 * output partition. A step that read nothing ticks the pipeline (idle
 * input, watermark, flush) at most every TICK_MS unless input came since
 * the last tick.
 *
 * Watermarks across tasks (docs/planner.md "Tasks and watermarks"):
 *  - stage 0 publishes its own partition's watermark and idleness on the
 *    board; the query watermark of stage-0 operators is the minimum over
 *    the board's non-idle slots (a slot with no data yet holds it at
 *    none; all idle: it stays), as one task over every partition would;
 *  - stage-0 tasks of a repartitioning plan also append a watermark marker
 *    (a control batch, after their rows) to every partition of the
 *    repartition topic whenever their watermark or idleness changes; a
 *    stage-1 task's watermark is the minimum over the latest marker of
 *    every stage-0 task (none before the first marker of each).
 *
 * Virtual clock (env RILL_VIRTUAL_CLOCK=1, for golden tests): processing
 * time is not the wall clock but the arrival time stamped on each record
 * batch (its max Kafka timestamp). Each pass pushes one batch: the next
 * one, over every stage-0 task, with the earliest stamp (ties: the lower
 * partition), at that time; then every stage-0 task ticks and publishes,
 * then every one takes the new minimum, then stage 1 drains. So
 * watermarks, idle timeouts and emission follow the order and stamps the
 * producer gave, whatever the machine's speed (docs/testing.md).
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
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "base/os.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/partitioner.h"
#include "log/record_batch.h"
#include "row/json_encode.h"
#include "sql/planner.h"
#include "stream/worker.h"

#define READ_MAX (1u << 20)
#define OUT_BATCH_MAX (512u << 10) /* flush an output batch past this */
#define MAX_QUERIES 256
/* Longest wait for input between ticks (watermark, idle partitions). */
#define TICK_MS 10

/* A watermark marker in a repartition topic: a control batch (skipped by
 * pipelines and by Kafka consumers) of one record whose key is the
 * control key of Kafka's layout (version 0, type MARKER_TYPE) and whose
 * value is:
 *   offset size  field
 *   0      4     stage-0 task (its input partition), int32 BE
 *   4      8     its watermark, int64 BE (INT64_MIN: none yet)
 *   12     1     1 if its input is idle, else 0
 */
#define MARKER_TYPE 0x5257 /* "RW"; Kafka uses 0 (abort) and 1 (commit) */
#define MARKER_SIZE 13

/* An output topic: one builder per partition. */
struct out_topic {
    char name[256];
    int n;
    struct partition **parts;
    struct record_batch_builder *b;
};

struct query;

struct task {
    struct query *q;
    struct worker_task wt;
    int stage; /* 0: the input topic; 1: the repartition topic */
    int part;  /* the partition it reads */
    struct plan *plan;
    struct pipeline *pipe; /* plan->pipe0 (stage 0 of a repartition) or pipe */
    struct partition *in;
    int64_t next;
    /* outputs */
    struct out_topic sink, dlq, late, rep;
    bool has_sink, has_late;
    struct buf enc, key, batch, data;
    const uint8_t *cur; /* the buffer being pushed (dead letters) */
    size_t cur_len;
    uint64_t dead_letters, late_rows, write_errors, muted;
    int64_t emitted;
    /* stage 0 of a repartition: the last marker written */
    int64_t marker_wm;
    int marker_idle; /* -1: none written yet */
    /* stage 1: the latest marker of every stage-0 task */
    int64_t *up_wm;
    bool *up_idle;
    /* loop */
    int64_t last_tick;          /* monotonic ms */
    bool fresh;                 /* read something since the last tick */
    _Atomic int64_t last_input; /* monotonic ms of its last read */
    bool ended;                 /* end of input done (bounded mode) */
    int error;
    pthread_mutex_t mu; /* held while it pushes: query_stats reads */
};

struct query {
    struct query_run *qr;
    struct logdir *ld;
    char id[64];
    const char *in_topic;
    struct plan *plan; /* tasks[0]'s: schema, flags, EXPLAIN */
    bool repartition, windowed, durable_only;
    bool persistent;    /* writes a topic (else a transient SELECT) */
    const char *dlq_id; /* "query" of its dead letters */
    int n0, n1;         /* tasks per stage */
    int ntasks;
    struct task **tasks; /* stage 0, then stage 1 */
    /* the stage-0 board: single writer per slot */
    _Atomic int64_t *board_wm;
    atomic_int *board_idle;
    /* progress (see progress_save): single writer per slot */
    _Atomic int64_t *pub_next; /* stage 0 next offsets */
    _Atomic int64_t *pub_wm;   /* last-stage watermarks, after output */
    int64_t last_save;         /* monotonic ms; stage-0 task 0 writes */
    int64_t mute_wm;           /* replaying: window rows up to this muted */
    /* transient SELECT */
    int (*emit)(void *arg, const char *line, size_t len);
    void *emit_arg;
    int64_t emitted;
    bool done;                 /* LIMIT reached */
    const atomic_bool *cancel; /* a server session's SELECT: set to end */
    bool vclock;
    int64_t vnow;
    /* topics it holds in qr->topics */
    char held[5][256];
    int nheld;
    /* how it runs */
    bool pooled;   /* its tasks are on the engine's worker threads */
    bool threaded; /* its own thread steps its tasks */
    pthread_t thread;
    atomic_bool stop;
    atomic_bool finished;
    int error;
};

struct query_run {
    struct query_run_options o;
    /* Topics running queries use (name -> count), for
     * query_run_topic_in_use from other threads. */
    pthread_mutex_t topics_mu;
    struct hashmap topics;
    struct worker_pool *pool; /* created with the first pooled query */
    struct query *queries[MAX_QUERIES];
    int nqueries;
    unsigned transient_seq;
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

static void flush_all(struct task *k)
{
    out_flush(k, &k->rep);
    out_flush(k, &k->sink);
    out_flush(k, &k->dlq);
    out_flush(k, &k->late);
}

static int out_add_h(struct task *k, struct out_topic *t, const void *key,
                     size_t klen, bool has_key, const void *val, size_t vlen,
                     int64_t ts, const struct record_header *hdr, int nhdr)
{
    int p = has_key ? partitioner_for_key(key, klen, t->n) : 0;
    if (p < 0 || p >= t->n)
        p = 0;
    struct slice ks = slice_make(key, klen), vs = slice_make(val, vlen);
    int rc = record_batch_builder_add(&t->b[p], has_key ? &ks : NULL, &vs, ts,
                                      hdr, nhdr);
    if (rc)
        return rc;
    if (record_batch_builder_size(&t->b[p]) > OUT_BATCH_MAX)
        return out_flush(k, t);
    return 0;
}

static int out_add(struct task *k, struct out_topic *t, const void *key,
                   size_t klen, bool has_key, const void *val, size_t vlen,
                   int64_t ts)
{
    return out_add_h(k, t, key, klen, has_key, val, vlen, ts, NULL, 0);
}

/* ---- callbacks from the pipeline ---- */

/* The record key of a row: one column as text (a string) or JSON, several
 * as a JSON array. */
static void record_key(struct task *k, const struct row_batch *b, int row,
                       int n, const int *cols)
{
    buf_reset(&k->key);
    if (n == 1) {
        struct value v = row_batch_get(b, row, cols[0]);
        if (v.type == SCHEMA_STRING)
            buf_put(&k->key, v.u.str.ptr, v.u.str.len);
        else
            json_encode_value(&k->key, v);
        return;
    }
    buf_put_str(&k->key, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            buf_put_str(&k->key, ",");
        json_encode_value(&k->key, row_batch_get(b, row, cols[i]));
    }
    buf_put_str(&k->key, "]");
}

/* Stage 0 of a repartition: rows keyed by the GROUP BY key, stamped with
 * their event time. */
static int sink_repartition(void *arg, const struct row_batch *rows)
{
    struct task *k = arg;
    const struct window_agg_config *w = &k->plan->wcfg_run;
    for (int i = 0; i < rows->nrows; i++) {
        buf_reset(&k->enc);
        json_encode_row(rows, i, &k->enc);
        if (w->nkeys)
            record_key(k, rows, i, w->nkeys, w->keys);
        /* The input partition, for late counts per input partition. */
        uint8_t pb[4];
        be32_store(pb, (uint32_t)rows->meta[i].partition);
        struct slice pv = slice_make(pb, sizeof pb);
        struct record_header hdr = {slice_make("p", 1), &pv};
        int rc =
            out_add_h(k, &k->rep, k->key.data, k->key.len, w->nkeys > 0,
                      k->enc.data, k->enc.len, rows->meta[i].event_ts, &hdr, 1);
        if (rc)
            k->write_errors++;
    }
    return 0;
}

static int sink_rows(void *arg, const struct row_batch *rows)
{
    struct task *k = arg;
    struct query *q = k->q;
    for (int i = 0; i < rows->nrows; i++) {
        if (q->done)
            return 0;
        if (k->has_sink && q->mute_wm != INT64_MIN &&
            pipeline_watermark(k->pipe) <= q->mute_wm) {
            k->muted++; /* written before the restart */
            continue;
        }
        buf_reset(&k->enc);
        json_encode_row(rows, i, &k->enc);
        if (!k->has_sink) {
            /* A transient SELECT: every task runs in the session's
             * thread, so the count and the LIMIT are the query's. */
            int rc = q->emit ? q->emit(q->emit_arg, (const char *)k->enc.data,
                                       k->enc.len)
                             : 0;
            if (rc)
                return rc;
            k->emitted++;
            q->emitted++;
            if (k->plan->limit >= 0 && q->emitted >= k->plan->limit)
                q->done = true;
            continue;
        }
        int64_t ts = rows->meta[i].event_ts;
        if (ts < 0 || ts == INT64_MAX)
            ts = clock_now_ms();
        bool has_key = k->plan->nkey_columns > 0;
        if (has_key)
            record_key(k, rows, i, k->plan->nkey_columns, k->plan->key_columns);
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
                 * into key before scratch goes. */
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
        if (out_open(&k->dlq, k->q->ld, name, true)) {
            k->write_errors++;
            return;
        }
    }
    struct slice val = slice_make("", 0);
    find_value(k, offset, &val);
    const char *topic = k->stage ? k->plan->repart_topic : k->q->in_topic;
    buf_reset(&k->enc);
    buf_put_str(&k->enc, "{\"reason\":");
    json_encode_string(&k->enc, err->message, strlen(err->message));
    buf_put_str(&k->enc, ",\"query\":");
    json_encode_string(&k->enc, k->q->dlq_id, strlen(k->q->dlq_id));
    buf_put_str(&k->enc, ",\"topic\":");
    json_encode_string(&k->enc, topic, strlen(topic));
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

/* ---- watermarks across tasks ---- */

/* The minimum over non-idle slots; WATERMARK_NONE (which never moves a
 * pipeline back) when one of them has none yet or all are idle. */
static int64_t min_over(int n, const _Atomic int64_t *wm,
                        const atomic_int *idle, const int64_t *wm_plain,
                        const bool *idle_plain)
{
    int64_t m = INT64_MAX;
    bool any = false;
    for (int i = 0; i < n; i++) {
        bool id = idle ? atomic_load(&idle[i]) != 0 : idle_plain[i];
        if (id)
            continue;
        int64_t w = wm ? atomic_load(&wm[i]) : wm_plain[i];
        any = true;
        if (w < m)
            m = w;
    }
    return any ? m : WATERMARK_NONE;
}

static void write_marker(struct task *k, int64_t wm, bool idle)
{
    uint8_t kb[4], vb[MARKER_SIZE];
    be16_store(kb, 0);
    be16_store(kb + 2, MARKER_TYPE);
    be32_store(vb, (uint32_t)k->part);
    be64_store(vb + 4, (uint64_t)wm);
    vb[12] = idle ? 1 : 0;
    struct slice ks = slice_make(kb, sizeof kb), vs = slice_make(vb, sizeof vb);
    struct record_batch_builder b;
    record_batch_builder_init(&b, 0);
    b.extra_attributes = RECORD_BATCH_ATTR_CONTROL;
    record_batch_builder_add(&b, &ks, &vs, clock_now_ms(), NULL, 0);
    buf_reset(&k->batch);
    if (!record_batch_builder_finish(&b, &k->batch)) {
        /* One batch, appended to every partition (append rewrites only
         * the base offset, which the next append rewrites again). */
        for (int i = 0; i < k->rep.n; i++)
            if (!k->rep.parts[i] ||
                partition_append(k->rep.parts[i], k->batch.data, k->batch.len,
                                 NULL))
                k->write_errors++;
    }
    record_batch_builder_fini(&b);
    k->marker_wm = wm;
    k->marker_idle = idle;
}

/* Stage 1: takes the markers in the buffer just pushed. */
static void read_markers(struct task *k, const uint8_t *data, size_t len)
{
    struct record_batch_walk w;
    struct record_batch_header h;
    const uint8_t *bp;
    size_t bl;
    record_batch_walk_init(&w, data, len);
    while (record_batch_walk_next(&w, &h, &bp, &bl) == 1) {
        if (!record_batch_attr_control(h.attributes))
            continue;
        struct record_iter it;
        struct record r;
        if (record_iter_init(&it, bp, bl, &k->enc))
            continue;
        while (record_iter_next(&it, &r) == 1) {
            if (r.key_null || r.key.len != 4 ||
                be16_load(r.key.ptr + 2) != MARKER_TYPE || r.value_null ||
                r.value.len != MARKER_SIZE)
                continue;
            int u = (int)be32_load(r.value.ptr);
            if (u < 0 || u >= k->q->n0)
                continue;
            int64_t wm = (int64_t)be64_load(r.value.ptr + 4);
            if (wm > k->up_wm[u])
                k->up_wm[u] = wm;
            k->up_idle[u] = r.value.ptr[12] != 0;
        }
    }
}

/* After a push or tick: publish this task's watermark and take the
 * query's. Returns an operator's error or 0. */
static int settle(struct task *k)
{
    struct query *q = k->q;
    int rc;
    if (k->stage == 0) {
        int64_t own = pipeline_partition_watermark(k->pipe, k->part);
        bool idle = pipeline_partition_idle(k->pipe, k->part);
        atomic_store(&q->board_wm[k->part], own);
        atomic_store(&q->board_idle[k->part], idle);
        if (q->repartition) {
            out_flush(k, &k->rep); /* the rows before their marker */
            if (own != k->marker_wm || (int)idle != k->marker_idle)
                write_marker(k, own, idle);
        }
        rc = pipeline_set_watermark(
            k->pipe, min_over(q->n0, q->board_wm, q->board_idle, NULL, NULL));
    } else {
        rc = pipeline_set_watermark(
            k->pipe, min_over(q->n0, NULL, NULL, k->up_wm, k->up_idle));
    }
    return rc;
}

/* ---- progress ----
 *
 * A persistent query records how far it got in
 * <data>/_queries/<id>.progress (rewritten atomically at most once a
 * second, and when it stops):
 *   rill-query-progress 1
 *   watermark <ms>|none        the query watermark then
 *   partition <i> <offset>     next input offset, one line per partition
 * Everything below those offsets has reached the output topic (or, for a
 * repartitioning plan, the repartition topic). On restart a query without
 * windows, or one that repartitions, goes on from the offsets (stage 1
 * then rebuilds its windows from the start of the repartition topic); a
 * windowed one without repartition rebuilds its state from the earliest
 * offset. Window rows are muted while the watermark is at or below the
 * recorded one (those windows fired before). At least once: what was
 * written after the last record is written again. Checkpoints of the
 * state replace this later.
 */

static void progress_path(const struct query *q, char *out, size_t n, bool dir)
{
    if (dir)
        snprintf(out, n, "%s/_queries", logdir_path(q->ld));
    else
        snprintf(out, n, "%s/_queries/%s.progress", logdir_path(q->ld), q->id);
}

/* The query watermark for the progress file: the minimum over the last
 * stage's tasks, each published after its output was appended. */
static int64_t progress_wm(const struct query *q)
{
    int first = q->repartition ? q->n0 : 0;
    int64_t m = INT64_MAX;
    for (int i = first; i < q->ntasks; i++) {
        int64_t w = atomic_load(&q->pub_wm[i - first]);
        if (w < m)
            m = w;
    }
    return m == INT64_MAX ? INT64_MIN : m;
}

static void progress_save(struct query *q, int64_t wm)
{
    /* Windows up to the recorded watermark were written before this run:
     * a run stopped before it caught up must not lower it (the next
     * restart would write them again). */
    if (wm < q->mute_wm)
        wm = q->mute_wm;
    char path[1024];
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "rill-query-progress 1\n");
    if (wm == INT64_MIN)
        buf_printf(&b, "watermark none\n");
    else
        buf_printf(&b, "watermark %" PRId64 "\n", wm);
    for (int i = 0; i < q->n0; i++)
        buf_printf(&b, "partition %d %" PRId64 "\n", i,
                   atomic_load(&q->pub_next[i]));
    progress_path(q, path, sizeof path, true);
    os_mkdir_p(path);
    progress_path(q, path, sizeof path, false);
    if (os_write_file_atomic(path, b.data, b.len))
        q->tasks[0]->write_errors++;
    buf_fini(&b);
    q->last_save = clock_mono_ms();
}

/* Applies a saved progress file, if any. */
static void progress_load(struct query *q)
{
    char path[1024];
    char *text = NULL;
    size_t len = 0;
    progress_path(q, path, sizeof path, false);
    if (os_read_file(path, 1 << 20, &text, &len))
        return;
    int64_t wm = INT64_MIN;
    int64_t *next = mem_calloc((size_t)q->n0, sizeof *next);
    for (int i = 0; i < q->n0; i++)
        next[i] = -1;
    bool ok = !strncmp(text, "rill-query-progress 1\n", 22);
    for (char *line = text; ok && line && *line;) {
        char *nl = memchr(line, '\n', len - (size_t)(line - text));
        int part;
        long long v;
        if (sscanf(line, "watermark %lld", &v) == 1)
            wm = v;
        else if (sscanf(line, "partition %d %lld", &part, &v) == 2 &&
                 part >= 0 && part < q->n0)
            next[part] = v;
        line = nl ? nl + 1 : NULL;
    }
    if (ok && q->windowed)
        q->mute_wm = wm;
    if (ok && (!q->windowed || q->repartition)) {
        for (int i = 0; i < q->n0; i++) {
            struct task *k = q->tasks[i];
            if (k->in && next[i] > k->next &&
                next[i] <= partition_high_watermark(k->in)) {
                k->next = next[i];
                atomic_store(&q->pub_next[i], next[i]);
            }
        }
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
    out_close(&k->rep);
    buf_fini(&k->enc);
    buf_fini(&k->key);
    buf_fini(&k->batch);
    buf_fini(&k->data);
    mem_free(k->up_wm);
    mem_free(k->up_idle);
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

/* "cannot <what> '<name>': <error>" */
static int task_fail(struct sql_exec_error *err, int rc, const char *what,
                     const char *name)
{
    snprintf(err->message, sizeof err->message, "cannot %s '%s': %s", what,
             name, err_str(rc));
    err->pos.line = 0; /* not about a position in the statement */
    return rc;
}

/* Builds task `part` of `stage`: its own plan and pipeline, its input,
 * its outputs. */
static int task_create(struct query *q, struct sql_query_start *qs, int stage,
                       int part, struct task **out, struct sql_exec_error *err)
{
    struct task *k = mem_calloc(1, sizeof *k);
    k->q = q;
    k->stage = stage;
    k->part = part;
    k->marker_wm = INT64_MIN;
    k->marker_idle = -1;
    pthread_mutex_init(&k->mu, NULL);
    buf_init(&k->enc);
    buf_init(&k->key);
    buf_init(&k->batch);
    buf_init(&k->data);
    struct planner_hooks hooks = {on_late, k};
    int rc = planner_build(qs, &hooks, &k->plan, err);
    if (rc) {
        task_destroy(k);
        return rc; /* *err names the position */
    }
    struct plan *p = k->plan;
    if (q->repartition)
        snprintf(p->repart_topic, sizeof p->repart_topic, "%s-repartition",
                 q->id);
    bool last = !p->repartition || stage == 1;
    k->pipe = p->repartition && stage == 0 ? p->pipe0 : p->pipe;
    pipeline_set_error_handler(k->pipe, on_dead_letter, k);
    rc = pipeline_set_sink(k->pipe, last ? sink_rows : sink_repartition, k);
    if (rc) {
        rc = task_fail(err, rc, "set the sink of", k->q->id);
        goto fail;
    }
    if (last && qs->sink) {
        const char *topic = stmt_topic(qs);
        rc = out_open(&k->sink, q->ld, topic, false);
        if (rc) {
            rc = task_fail(err, rc, "open the output topic", topic);
            goto fail;
        }
        k->has_sink = true;
    }
    if (last && p->late_topic[0]) {
        rc = out_open(&k->late, q->ld, p->late_topic, p->late_create);
        if (rc) {
            rc = task_fail(err, rc, "open the late-row topic", p->late_topic);
            goto fail;
        }
        k->has_late = true;
    }
    const char *in = stage ? p->repart_topic : p->topic;
    if (p->repartition && stage == 0) {
        rc = out_open(&k->rep, q->ld, p->repart_topic, false);
        if (rc) {
            rc = task_fail(err, rc, "open the repartition topic",
                           p->repart_topic);
            goto fail;
        }
    }
    if (stage == 1) {
        k->up_wm = mem_calloc((size_t)q->n0, sizeof *k->up_wm);
        k->up_idle = mem_calloc((size_t)q->n0, sizeof *k->up_idle);
        for (int i = 0; i < q->n0; i++)
            k->up_wm[i] = INT64_MIN;
    }
    atomic_store(&k->last_input, clock_mono_ms());
    k->in = logdir_partition(q->ld, in, part);
    if (k->in)
        k->next = stage == 0 && p->startup_latest
                      ? partition_high_watermark(k->in)
                      : partition_log_start_offset(k->in);
    *out = k;
    return 0;
fail:
    task_destroy(k);
    return rc;
}

/* Processing time: the wall clock, or the virtual one. */
static int64_t query_now(const struct query *q)
{
    return q->vclock ? q->vnow : clock_now_ms();
}

/* Copies record batches from the task's next offset: 1 (something in
 * k->data, next offset in *nx), 0 (nothing) or a negative error. With
 * one_batch only the first batch is kept (virtual clock). */
static int task_read(struct task *k, bool one_batch, int64_t *nx,
                     struct record_batch_header *h)
{
    buf_reset(&k->data);
    if (!k->in)
        return 0;
    int64_t upto = k->q->durable_only ? partition_durable_offset(k->in)
                                      : partition_high_watermark(k->in);
    if (k->next >= upto)
        return 0;
    int rc = partition_read_copy_upto(k->in, k->next, upto,
                                      one_batch ? 1 : READ_MAX, &k->data, nx);
    if (rc == ERR_RANGE) {
        int64_t start = partition_log_start_offset(k->in);
        if (k->next < start) /* retention passed us */
            k->next = start;
        return 0;
    }
    if (rc < 0)
        return rc;
    if (!k->data.len || *nx <= k->next)
        return 0;
    if (one_batch) {
        struct record_batch_walk w;
        const uint8_t *bp;
        size_t bl;
        record_batch_walk_init(&w, k->data.data, k->data.len);
        if (record_batch_walk_next(&w, h, &bp, &bl) != 1)
            return 0;
        k->data.len = (size_t)(bp - k->data.data) + bl;
        *nx = record_batch_last_offset(h) + 1;
        if (*nx <= k->next)
            return 0;
    }
    return 1;
}

/* Stage 1: the rows and markers of the buffer in their order: the rows
 * before a marker are pushed, then the marker moves the watermark, then
 * the rows after it. (Taking every marker only after the whole buffer
 * would fire windows at a watermark later than their rows saw, which a
 * restart's muting, keyed on the watermark, must not.) */
static int push_in_order(struct task *k, int64_t now)
{
    const uint8_t *d = k->data.data;
    struct record_batch_walk w;
    struct record_batch_header h;
    const uint8_t *bp;
    size_t bl, from = 0;
    int rc = 0;
    record_batch_walk_init(&w, d, k->data.len);
    while (!rc && record_batch_walk_next(&w, &h, &bp, &bl) == 1) {
        if (!record_batch_attr_control(h.attributes))
            continue;
        size_t at = (size_t)(bp - d);
        if (at > from)
            rc = pipeline_push_records(k->pipe, k->part, d + from, at - from,
                                       now);
        if (!rc) {
            read_markers(k, bp, bl);
            rc = settle(k);
        }
        from = at + bl;
    }
    if (!rc && k->data.len > from)
        rc = pipeline_push_records(k->pipe, k->part, d + from,
                                   k->data.len - from, now);
    return rc;
}

/* Pushes what task_read copied, at processing time now, and settles.
 * Holds the task's mutex. */
static int task_push(struct task *k, int64_t nx, int64_t now)
{
    pthread_mutex_lock(&k->mu);
    k->cur = k->data.data;
    k->cur_len = k->data.len;
    int rc = k->stage == 1
                 ? push_in_order(k, now)
                 : pipeline_push_records(k->pipe, k->part, k->data.data,
                                         k->data.len, now);
    k->cur = NULL;
    /* On the virtual clock stage 0 settles after every task ticked
     * (pass_virtual). */
    if (!rc && !(k->q->vclock && k->stage == 0))
        rc = settle(k);
    flush_all(k);
    k->next = nx; /* under mu: query_stats reads the lag */
    pthread_mutex_unlock(&k->mu);
    if (k->stage == 0)
        atomic_store(&k->q->pub_next[k->part], nx);
    return rc;
}

static void publish_wm(struct task *k)
{
    struct query *q = k->q;
    if (!q->repartition)
        atomic_store(&q->pub_wm[k->part], pipeline_watermark(k->pipe));
    else if (k->stage == 1)
        atomic_store(&q->pub_wm[k->part], pipeline_watermark(k->pipe));
}

static int task_tick(struct task *k, int64_t now)
{
    pthread_mutex_lock(&k->mu);
    int rc = pipeline_tick(k->pipe, now);
    if (!rc)
        rc = settle(k);
    flush_all(k);
    publish_wm(k);
    pthread_mutex_unlock(&k->mu);
    return rc;
}

/* One step (worker_step_fn): a read and push, or a tick when due. */
static int task_step(void *arg, int64_t now_mono, int64_t *next_due)
{
    struct task *k = arg;
    struct query *q = k->q;
    if (k->error || k->ended || q->done || atomic_load(&q->stop))
        return 0;
    int64_t nx = k->next;
    struct record_batch_header h;
    int rc = task_read(k, false, &nx, &h);
    if (rc > 0) {
        atomic_store(&k->last_input, now_mono);
        rc = task_push(k, nx, clock_now_ms());
        publish_wm(k);
        k->fresh = true;
        if (rc) {
            k->error = rc;
            return 0;
        }
        if (k->stage == 0 && k->part == 0 && q->persistent &&
            now_mono - q->last_save >= 1000)
            progress_save(q, progress_wm(q));
        return 1;
    }
    if (rc < 0) {
        k->error = rc;
        return 0;
    }
    /* Tick once input is drained, else every TICK_MS: appends to topics
     * this task does not read wake it too, and must not turn into a tick
     * each. */
    if (k->fresh || now_mono - k->last_tick >= TICK_MS) {
        k->fresh = false;
        k->last_tick = now_mono;
        if ((rc = task_tick(k, clock_now_ms()))) {
            k->error = rc;
            return 0;
        }
        if (k->stage == 0 && k->part == 0 && q->persistent &&
            now_mono - q->last_save >= 1000)
            progress_save(q, progress_wm(q));
    }
    if (k->last_tick + TICK_MS < *next_due)
        *next_due = k->last_tick + TICK_MS;
    return 0;
}

/* ---- a query's own loop (transient, bounded, virtual clock) ---- */

/* Stage 1 reads what stage 0 wrote, until it is all read. */
static int drain_stage1(struct query *q, int64_t now)
{
    bool again = true;
    while (again) {
        again = false;
        for (int i = q->n0; i < q->ntasks; i++) {
            struct task *k = q->tasks[i];
            struct record_batch_header h;
            int64_t nx = k->next;
            int rc = task_read(k, false, &nx, &h);
            if (rc < 0)
                return rc;
            if (rc == 0)
                continue;
            rc = task_push(k, nx, now);
            publish_wm(k);
            if (rc)
                return rc;
            again = true;
        }
    }
    return 0;
}

/* A virtual-clock pass: the earliest-stamped next batch over stage 0,
 * pushed at its stamp; every stage-0 task ticks, then settles; stage 1
 * drains. Returns 1 (pushed), 0 (nothing) or a negative error. */
static int pass_virtual(struct query *q)
{
    struct record_batch_header h;
    int64_t nx, best_ts = INT64_MAX;
    int best = -1;
    for (int i = 0; i < q->n0; i++) {
        int rc = task_read(q->tasks[i], true, &nx, &h);
        if (rc < 0)
            return rc;
        if (rc == 1 && h.max_timestamp < best_ts) {
            best_ts = h.max_timestamp;
            best = i;
        }
    }
    if (best < 0)
        return 0;
    struct task *k = q->tasks[best];
    int rc = task_read(k, true, &nx, &h);
    if (rc <= 0)
        return rc;
    if (h.max_timestamp > q->vnow)
        q->vnow = h.max_timestamp;
    if ((rc = task_push(k, nx, q->vnow)))
        return rc;
    /* Input dry until the next batch: idleness and watermarks of every
     * task at vnow, then the new minimum everywhere. */
    for (int i = 0; i < q->n0; i++) {
        struct task *t = q->tasks[i];
        pthread_mutex_lock(&t->mu);
        rc = pipeline_tick(t->pipe, q->vnow);
        atomic_store(&q->board_wm[t->part],
                     pipeline_partition_watermark(t->pipe, t->part));
        atomic_store(&q->board_idle[t->part],
                     pipeline_partition_idle(t->pipe, t->part));
        pthread_mutex_unlock(&t->mu);
        if (rc)
            return rc;
    }
    for (int i = 0; i < q->n0; i++) {
        struct task *t = q->tasks[i];
        pthread_mutex_lock(&t->mu);
        rc = settle(t);
        flush_all(t);
        publish_wm(t);
        pthread_mutex_unlock(&t->mu);
        if (rc)
            return rc;
    }
    if (q->repartition && (rc = drain_stage1(q, q->vnow)))
        return rc;
    return 1;
}

static int query_error(const struct query *q)
{
    for (int i = 0; i < q->ntasks; i++)
        if (q->tasks[i]->error)
            return q->tasks[i]->error;
    return 0;
}

/* Bounded input is over: stage 0 ends (every window fires), stage 1 reads
 * the rest and ends (its watermark jumps to the end of time). */
static int query_end(struct query *q)
{
    int rc = 0;
    for (int s = 0; s < 2; s++) {
        if (s == 1 && q->repartition && !rc)
            rc = drain_stage1(q, query_now(q));
        for (int i = 0; i < q->ntasks; i++) {
            struct task *k = q->tasks[i];
            if (k->stage != s)
                continue;
            pthread_mutex_lock(&k->mu);
            /* No end-of-time marker: it would stay in the repartition
             * topic and close every window of a later run at once;
             * stage 1 ends its own input below. */
            int r = pipeline_end_of_input(k->pipe);
            flush_all(k);
            k->ended = true;
            pthread_mutex_unlock(&k->mu);
            rc = rc ? rc : r;
        }
    }
    return rc;
}

/* Steps every task of q in this thread until stop, LIMIT, an interrupt
 * (transient), or idleness in bounded mode. */
static int query_loop(struct query *q, bool transient)
{
    int64_t last = clock_mono_ms();
    int64_t idle = q->qr->o.idle_ms > 0 ? q->qr->o.idle_ms : 500;
    int rc = 0;
    while (!atomic_load(&q->stop) && !q->done &&
           !(transient && (q->cancel ? atomic_load(q->cancel) : interrupted))) {
        /* Taken before the pass: an append after it ends the wait below. */
        uint64_t seq = logdir_append_seq(q->ld);
        int64_t now = clock_mono_ms();
        int64_t due = now + TICK_MS;
        int got = 0;
        if (q->vclock) {
            got = pass_virtual(q);
            if (got < 0) {
                rc = got;
                break;
            }
            if (!got) {
                for (int i = 0; i < q->ntasks && !rc; i++)
                    rc = task_tick(q->tasks[i], q->vnow);
                if (rc)
                    break;
            }
        } else {
            for (int i = 0; i < q->ntasks; i++)
                got += task_step(q->tasks[i], now, &due);
        }
        if ((rc = query_error(q)))
            break;
        if (got > 0) {
            last = clock_mono_ms();
            if (q->persistent && last - q->last_save >= 1000)
                progress_save(q, progress_wm(q));
            continue;
        }
        if (q->qr->o.until_idle && clock_mono_ms() - last >= idle) {
            /* Recorded before the end of input fires every window, so a
             * restart with more data does not mute later windows. */
            if (q->persistent)
                progress_save(q, progress_wm(q));
            rc = query_end(q);
            q->error = rc;
            atomic_store(&q->finished, true);
            return rc;
        }
        int64_t wait = due - clock_mono_ms();
        logdir_wait_append(q->ld, seq, wait < 1 ? 1 : wait);
    }
    if (q->persistent && !rc)
        progress_save(q, progress_wm(q));
    q->error = rc;
    atomic_store(&q->finished, true);
    return rc;
}

static void *query_thread(void *arg)
{
    query_loop(arg, false);
    return NULL;
}

/* ---- queries ---- */

static void topics_change(struct query_run *qr, const char *name, int by)
{
    size_t n = strlen(name);
    pthread_mutex_lock(&qr->topics_mu);
    uintptr_t c = (uintptr_t)hashmap_get(&qr->topics, name, n);
    c = by > 0 ? c + 1 : c - 1;
    if (c)
        hashmap_put(&qr->topics, name, n, (void *)c);
    else
        hashmap_remove(&qr->topics, name, n);
    pthread_mutex_unlock(&qr->topics_mu);
}

/* Records the topics q reads and writes as in use. */
static void query_hold_topics(struct query *q, struct sql_query_start *qs)
{
    const struct plan *p = q->plan;
    const char *names[5] = {p->topic, qs->sink ? stmt_topic(qs) : NULL,
                            p->late_topic[0] ? p->late_topic : NULL,
                            q->repartition ? p->repart_topic : NULL, NULL};
    char dlq[256];
    snprintf(dlq, sizeof dlq, "%s.dlq", p->input);
    names[4] = dlq;
    for (int i = 0; i < 5; i++)
        if (names[i] && names[i][0]) {
            snprintf(q->held[q->nheld], sizeof q->held[0], "%s", names[i]);
            topics_change(q->qr, q->held[q->nheld++], 1);
        }
}

bool query_run_topic_in_use(struct query_run *qr, const char *topic)
{
    if (!qr || !topic)
        return false;
    pthread_mutex_lock(&qr->topics_mu);
    bool used = hashmap_get_str(&qr->topics, topic) != NULL;
    pthread_mutex_unlock(&qr->topics_mu);
    return used;
}

static void query_destroy(struct query *q)
{
    if (!q)
        return;
    for (int i = 0; i < q->nheld; i++)
        topics_change(q->qr, q->held[i], -1);
    for (int i = 0; i < q->ntasks; i++)
        task_destroy(q->tasks[i]);
    mem_free(q->tasks);
    mem_free(q->board_wm);
    mem_free(q->board_idle);
    mem_free(q->pub_next);
    mem_free(q->pub_wm);
    mem_free(q);
}

/* The repartition topic of a plan, with one partition per input
 * partition. A transient SELECT's is its own, new each time. */
static int repart_topic_open(struct query *q, bool fresh,
                             struct sql_exec_error *err)
{
    char name[256];
    snprintf(name, sizeof name, "%s-repartition", q->id);
    int n = logdir_topic_partitions(q->ld, name);
    if (n >= 0 && (fresh || n != q->n0)) {
        logdir_topic_delete(q->ld, name);
        n = ERR_NOT_FOUND;
    }
    if (n == ERR_NOT_FOUND) {
        struct logdir_topic_config c;
        logdir_topic_config_init(&c);
        c.partitions = q->n0;
        int rc = logdir_topic_create(q->ld, name, &c);
        if (rc && rc != ERR_EXISTS)
            return task_fail(err, rc, "create the repartition topic", name);
    }
    return 0;
}

static int query_create(struct query_run *qr, struct sql_query_start *qs,
                        struct query **out, struct sql_exec_error *err)
{
    struct query *q = mem_calloc(1, sizeof *q);
    q->qr = qr;
    q->ld = qs->logdir;
    q->mute_wm = INT64_MIN;
    q->durable_only = qr->o.durable_only;
    q->emit = qs->emit;
    q->persistent = qs->sink != NULL;
    q->emit_arg = qs->emit_arg;
    const char *vc = getenv("RILL_VIRTUAL_CLOCK");
    q->vclock = vc && !strcmp(vc, "1");
    if (qs->id)
        snprintf(q->id, sizeof q->id, "%s", qs->id);
    else
        snprintf(q->id, sizeof q->id, "select-%d-%u", (int)getpid(),
                 qr->transient_seq++);
    /* The first task's plan tells the shape. */
    struct task *t0 = NULL;
    q->n0 = 1; /* for the board until the plan is known */
    struct plan *shape;
    int rc = planner_build(qs, NULL, &shape, err);
    if (rc) {
        mem_free(q);
        return rc;
    }
    q->n0 = shape->npartitions;
    q->repartition = shape->repartition;
    q->windowed = shape->windowed;
    q->n1 = q->repartition ? shape->npartitions : 0;
    plan_destroy(shape);
    q->ntasks = q->n0 + q->n1;
    q->tasks = mem_calloc((size_t)q->ntasks, sizeof *q->tasks);
    q->board_wm = mem_calloc((size_t)q->n0, sizeof *q->board_wm);
    q->board_idle = mem_calloc((size_t)q->n0, sizeof *q->board_idle);
    q->pub_next = mem_calloc((size_t)q->n0, sizeof *q->pub_next);
    q->pub_wm = mem_calloc((size_t)(q->n1 ? q->n1 : q->n0), sizeof *q->pub_wm);
    for (int i = 0; i < q->n0; i++)
        atomic_store(&q->board_wm[i], WATERMARK_NONE);
    for (int i = 0; i < (q->n1 ? q->n1 : q->n0); i++)
        atomic_store(&q->pub_wm[i], WATERMARK_NONE);
    if (q->repartition && (rc = repart_topic_open(q, !qs->id, err)))
        goto fail;
    int made = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < (s ? q->n1 : q->n0); i++) {
            rc = task_create(q, qs, s, i, &t0, err);
            if (rc) {
                q->ntasks = made;
                goto fail;
            }
            q->tasks[made++] = t0;
        }
    q->plan = q->tasks[0]->plan;
    q->dlq_id = qs->id ? q->id : "select";
    q->in_topic = q->plan->topic;
    for (int i = 0; i < q->n0; i++)
        atomic_store(&q->pub_next[i], q->tasks[i]->next);
    if (q->persistent)
        progress_load(q);
    query_hold_topics(q, qs);
    *out = q;
    return 0;
fail:
    query_destroy(q);
    return rc;
}

/* ---- engine hooks ---- */

int query_run_create(const struct query_run_options *o, struct query_run **out)
{
    struct query_run *qr = mem_calloc(1, sizeof *qr);
    if (o)
        qr->o = *o;
    pthread_mutex_init(&qr->topics_mu, NULL);
    hashmap_init(&qr->topics);
    *out = qr;
    return 0;
}

/* Stops q's tasks (they are no longer stepped when this returns) and
 * records its progress. */
static void query_stop(struct query_run *qr, struct query *q)
{
    atomic_store(&q->stop, true);
    if (q->threaded)
        pthread_join(q->thread, NULL);
    if (q->pooled) {
        for (int i = 0; i < q->ntasks; i++)
            worker_pool_remove(qr->pool, &q->tasks[i]->wt);
        if (q->persistent && !query_error(q))
            progress_save(q, progress_wm(q));
    }
}

void query_run_destroy(struct query_run *qr)
{
    if (!qr)
        return;
    for (int i = 0; i < qr->nqueries; i++) {
        query_stop(qr, qr->queries[i]);
        query_destroy(qr->queries[i]);
    }
    worker_pool_destroy(qr->pool);
    hashmap_fini(&qr->topics);
    pthread_mutex_destroy(&qr->topics_mu);
    mem_free(qr);
}

static int eng_start(void *ctx, struct sql_query_start *qs,
                     struct sql_exec_error *err)
{
    struct query_run *qr = ctx;
    if (qr->nqueries >= MAX_QUERIES) {
        snprintf(err->message, sizeof err->message,
                 "too many running queries (%d)", MAX_QUERIES);
        err->pos = qs->stmt ? qs->stmt->pos : qs->select->pos;
        return ERR_TOO_LARGE;
    }
    struct query *q;
    int rc = query_create(qr, qs, &q, err);
    if (rc)
        return rc;
    qs->out_schema = q->plan->out_schema;
    if (q->vclock) {
        /* Virtual clock: one thread steps every task in stamp order. */
        if (pthread_create(&q->thread, NULL, query_thread, q)) {
            snprintf(err->message, sizeof err->message,
                     "cannot start a thread");
            query_destroy(q);
            return ERR_FAILED;
        }
        q->threaded = true;
    } else {
        if (!qr->pool &&
            worker_pool_create(qr->o.workers, qs->logdir, TICK_MS, &qr->pool)) {
            snprintf(err->message, sizeof err->message,
                     "cannot start the worker threads");
            query_destroy(q);
            return ERR_FAILED;
        }
        q->pooled = true;
        for (int i = 0; i < q->ntasks; i++) {
            q->tasks[i]->wt.step = task_step;
            q->tasks[i]->wt.arg = q->tasks[i];
            worker_pool_add(qr->pool, &q->tasks[i]->wt);
        }
    }
    qr->queries[qr->nqueries++] = q;
    return 0;
}

static int find_query(struct query_run *qr, const char *id)
{
    for (int i = 0; i < qr->nqueries; i++)
        if (!strcasecmp(qr->queries[i]->id, id))
            return i;
    return ERR_NOT_FOUND;
}

static int eng_stop(void *ctx, const char *id)
{
    struct query_run *qr = ctx;
    int i = find_query(qr, id);
    if (i < 0)
        return i;
    struct query *q = qr->queries[i];
    query_stop(qr, q);
    /* DROP QUERY: its repartition topic goes with it. */
    char name[256];
    snprintf(name, sizeof name, "%s-repartition", q->id);
    struct logdir *ld = q->ld;
    bool rep = q->repartition;
    query_destroy(q);
    if (rep)
        logdir_topic_delete(ld, name);
    qr->queries[i] = qr->queries[--qr->nqueries];
    return 0;
}

static int eng_select(void *ctx, struct sql_query_start *qs,
                      struct sql_exec_error *err)
{
    struct query_run *qr = ctx;
    struct query *q;
    int rc = query_create(qr, qs, &q, err);
    if (rc)
        return rc;
    q->cancel = qs->cancel;
    if (qs->cancel) {
        /* A server session: other statements may run meanwhile; the
         * session's watcher sets *cancel. */
        if (qs->detach)
            qs->detach(qs->detach_arg);
        rc = query_loop(q, true);
    } else {
        struct sigaction sa, old_int, old_term;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        interrupted = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        rc = query_loop(q, true);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    if (rc) {
        err->pos = qs->select->pos;
        snprintf(err->message, sizeof err->message, "query failed: %s",
                 err_str(rc));
    }
    bool rep = q->repartition;
    char name[256];
    snprintf(name, sizeof name, "%s-repartition", q->id);
    query_destroy(q);
    if (rep)
        logdir_topic_delete(qs->logdir, name);
    if (qs->cancel && qs->attach)
        qs->attach(qs->detach_arg);
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
    int qi = find_query(qr, id);
    if (qi < 0)
        return qi;
    struct query *q = qr->queries[qi];
    struct pipeline_stats sum = {0};
    uint64_t dead = 0, late = 0, werr = 0, muted = 0, fired = 0;
    int64_t lag[2] = {0, 0}; /* records behind, per stage */
    int64_t out_rows = 0, wm = INT64_MAX;
    int npart = q->n1 ? q->n1 : q->n0;
    uint64_t *late_part = mem_calloc((size_t)npart, sizeof *late_part);
    for (int i = 0; i < q->ntasks; i++) {
        struct task *k = q->tasks[i];
        bool last = !q->repartition || k->stage == 1;
        pthread_mutex_lock(&k->mu);
        struct pipeline_stats st;
        pipeline_stats(k->pipe, &st);
        if (k->stage == 0) {
            sum.records_in += st.records_in;
            sum.rows_in += st.rows_in;
            sum.corrupt_batches += st.corrupt_batches;
        }
        if (k->in) {
            int64_t end = q->durable_only ? partition_durable_offset(k->in)
                                          : partition_high_watermark(k->in);
            if (end > k->next)
                lag[k->stage] += end - k->next;
        }
        dead += k->dead_letters;
        late += k->late_rows;
        werr += k->write_errors;
        muted += k->muted;
        if (last) {
            out_rows += k->emitted;
            if (st.watermark < wm)
                wm = st.watermark;
            if (k->plan->wa) {
                struct window_agg_stats ws;
                window_agg_stats(k->plan->wa, &ws);
                fired += ws.windows_fired;
                for (int p = 0; p < npart; p++)
                    late_part[p] += window_agg_late_count(k->plan->wa, p);
            }
        }
        pthread_mutex_unlock(&k->mu);
    }
    buf_printf(out, "records in: %" PRIu64 "\n", sum.records_in);
    buf_printf(out, "lag: %" PRId64 " records", lag[0]);
    if (q->repartition)
        buf_printf(out, " (input), %" PRId64 " (repartition topic)", lag[1]);
    buf_printf(out, "\n");
    buf_printf(out, "rows in: %" PRIu64 "\n", sum.rows_in);
    buf_printf(out, "rows out: %" PRId64 "\n", out_rows);
    buf_printf(out, "dead letters: %" PRIu64 "\n", dead);
    buf_printf(out, "corrupt batches: %" PRIu64 "\n", sum.corrupt_batches);
    buf_printf(out, "late rows: %" PRIu64 "\n", late);
    for (int p = 0; p < npart; p++)
        if (late_part[p])
            buf_printf(out, "late rows partition %d: %" PRIu64 "\n", p,
                       late_part[p]);
    mem_free(late_part);
    if (q->windowed)
        buf_printf(out, "windows fired: %" PRIu64 "\n", fired);
    if (wm == INT64_MIN || wm == INT64_MAX)
        buf_printf(out, "watermark: none\n");
    else
        buf_printf(out, "watermark: %" PRId64 "\n", wm);
    buf_printf(out, "write errors: %" PRIu64 "\n", werr);
    if (muted)
        buf_printf(out, "rows muted on restart: %" PRIu64 "\n", muted);
    buf_printf(out, "tasks: %d", q->n0);
    if (q->repartition)
        buf_printf(out, " + %d after the repartition topic %s-repartition",
                   q->n1, q->id);
    buf_printf(out, "\n");
    buf_printf(out, "state: %s\n",
               atomic_load(&q->finished) || query_error(q) ? "finished"
                                                           : "running");
    return 0;
}

/* Bounded mode on the worker threads: once no task of q read anything
 * for idle ms, q's tasks are taken off the workers and its input ends
 * here, in the waiting thread (which then owns every task). */
static void end_if_idle(struct query_run *qr, struct query *q, int64_t idle)
{
    int64_t now = clock_mono_ms();
    for (int i = 0; i < q->ntasks; i++)
        if (now - atomic_load(&q->tasks[i]->last_input) < idle)
            return;
    for (int i = 0; i < q->ntasks; i++)
        worker_pool_remove(qr->pool, &q->tasks[i]->wt);
    q->pooled = false;
    int rc = query_error(q);
    if (!rc) {
        /* Recorded before the end of input fires every window, so a
         * restart with more data does not mute later windows. */
        if (q->persistent)
            progress_save(q, progress_wm(q));
        rc = query_end(q);
    }
    q->error = rc;
    atomic_store(&q->finished, true);
}

static int eng_wait(void *ctx)
{
    struct query_run *qr = ctx;
    if (!qr || !qr->nqueries)
        return 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    interrupted = terminated;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int64_t idle = qr->o.idle_ms > 0 ? qr->o.idle_ms : 500;
    while (!interrupted) {
        int running = 0;
        for (int i = 0; i < qr->nqueries; i++) {
            struct query *q = qr->queries[i];
            if (qr->o.until_idle && q->pooled && !atomic_load(&q->finished))
                end_if_idle(qr, q, idle);
            running += !atomic_load(&q->finished) && !query_error(q);
        }
        if (!running)
            break;
        sleep_ms(20);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    int rc = 0;
    for (int i = 0; i < qr->nqueries && !rc; i++) {
        struct query *q = qr->queries[i];
        rc = q->error ? q->error : query_error(q);
    }
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
