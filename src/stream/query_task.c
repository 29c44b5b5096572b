/* query_task.c - one task of a query: reading its partition, pushing,
 * settling watermarks across tasks, writing outputs, and the progress
 * file (layer: stream). The query loops, the virtual clock and the
 * runtime's entry points are in query_runtime.c; how it all fits:
 * docs/planner.md.
 *
 * A step (query_task_step): copy up to 1 MiB of whole record batches from
 * the task's next offset (up to the durable offset with durable_only),
 * push them through its pipeline, settle the watermark, and append what
 * the push produced (rows, dead letters, late rows, repartitioned rows
 * and watermark markers) as one record batch per output partition. A step
 * that read nothing ticks the pipeline at most every TICK_MS unless input
 * came since the last tick.
 *
 * Watermarks across tasks:
 *  - stage 0 publishes its own partition's watermark and idleness on the
 *    board; the watermark of stage-0 operators is the minimum over the
 *    board's non-idle slots (a slot with no data yet holds it at none;
 *    all idle: it stays), as one task over every partition would;
 *  - stage-0 tasks of a repartitioning plan also append a watermark marker
 *    (a control batch, after their rows) to every partition of the
 *    repartition topic whenever their watermark or idleness changes; a
 *    stage-1 task's watermark is the minimum over the latest marker of
 *    every stage-0 task (none before the first marker of each), applied
 *    in the order the markers stand among the rows.
 */
#include "stream/query_runtime_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/os.h"
#include "base/murmur2.h"
#include "row/json_encode.h"
#include "row/row_binary.h"
#include "stream/marker.h"
#include "stream/progress.h"

/* ---- output topics ---- */

/* Opens the writer of topic `name` into *w. */
static int out_open(struct task *k, struct stream_writer **w, const char *name,
                    bool create)
{
    return stream_log_writer(&k->q->log, name, create, w);
}

/* Appends what t buffered; counts what could not be written. */
static void rep_emit_all(struct task *k);

static int out_flush(struct task *k, struct stream_writer *t)
{
    if (!t)
        return 0;
    if (t == k->rep)
        rep_emit_all(k);
    uint64_t lost = 0;
    int rc = stream_writer_flush(t, &lost);
    if (rc) {
        k->write_errors++;
        if (t == k->dlq)
            k->dlq_errors += lost;
    }
    return rc;
}

void query_task_flush(struct task *k)
{
    out_flush(k, k->rep);
    out_flush(k, k->sink);
    out_flush(k, k->dlq);
    out_flush(k, k->late);
}

/* Adds a record to the partition its key picks (murmur2, as Java
 * producers place keys), else 0. */
static int out_add(struct stream_writer *t, const void *key, size_t klen,
                   bool has_key, const void *val, size_t vlen, int64_t ts)
{
    int p =
        has_key ? murmur2_partition(key, klen, stream_writer_partitions(t)) : 0;
    return stream_writer_add(t, p, key, klen, has_key, val, vlen, ts);
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

/* Stage 0 of a repartition: the repartition partition of row i, by its
 * GROUP BY key (murmur2 of the record key rill gives such a row). */
static int rep_partition(struct task *k, const struct row_batch *rows, int i)
{
    const struct query_spec *sp = &k->q->spec;
    if (!sp->nrep_keys)
        return 0;
    const struct row_column *c = &rows->columns[sp->rep_keys[0]];
    int n = stream_writer_partitions(k->rep);
    if (sp->nrep_keys == 1 && c->type == SCHEMA_STRING && !c->nulls[i])
        return murmur2_partition(c->data.str[i].ptr, c->data.str[i].len, n);
    record_key(k, rows, i, sp->nrep_keys, sp->rep_keys);
    return murmur2_partition(k->key.data, k->key.len, n);
}

/* Stage 0 of a repartition: the block of partition p (rows in
 * row_binary.h's blocks) as one record, stamped with its latest event
 * time. */
static int rep_emit(struct task *k, int p)
{
    struct buf *blk = &k->rep_blocks[p];
    if (!row_binary_block_count(blk))
        return 0;
    int rc = stream_writer_add(k->rep, p, NULL, 0, false, blk->data, blk->len,
                               k->rep_block_ts[p]);
    buf_reset(blk);
    k->rep_block_ts[p] = INT64_MIN;
    return rc;
}

/* Every partition's block, before the batches are appended (and so
 * before a marker). */
static void rep_emit_all(struct task *k)
{
    for (int p = 0; p < k->rep_n; p++)
        if (rep_emit(k, p))
            k->write_errors++;
}

/* Stage 0 of a repartition: each row, with its event time and the input
 * partition it came from (late rows count against it), into the block of
 * the repartition partition its GROUP BY key picks. */
static int sink_repartition(void *arg, const struct row_batch *rows)
{
    struct task *k = arg;
    if (!k->row_id)
        k->row_id = row_binary_schema_id(rows->schema);
    for (int i = 0; i < rows->nrows; i++) {
        int p = rep_partition(k, rows, i);
        if (p < 0 || p >= k->rep_n)
            p = 0;
        struct buf *blk = &k->rep_blocks[p];
        if (!row_binary_block_count(blk))
            row_binary_block_begin(blk, k->row_id);
        int64_t ts = rows->meta[i].event_ts;
        row_binary_block_add(blk, rows, i, ts, rows->meta[i].partition);
        if (ts > k->rep_block_ts[p])
            k->rep_block_ts[p] = ts;
        if (row_binary_block_count(blk) >= ROW_BINARY_BLOCK_MAX ||
            blk->len >= (64u << 10))
            if (rep_emit(k, p))
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
        /* A window row's event time is its window's end - 1: a window
         * that ended at or before the recorded watermark fired before the
         * restart, whatever watermark fires it again now (the first one
         * after a restart may jump past the recorded one). Other rows of
         * a windowed query carry the watermark that emitted them. */
        int64_t at = rows->meta[i].event_ts;
        if (k->sink && q->mute_wm != INT64_MIN && at <= q->mute_wm) {
            k->muted++; /* written before the restart */
            continue;
        }
        buf_reset(&k->enc);
        json_encode_row(rows, i, &k->enc);
        if (!k->sink) {
            /* A transient SELECT: every task runs in the session's
             * thread, so the count and the LIMIT are the query's. */
            int rc = q->emit ? q->emit(q->emit_arg, (const char *)k->enc.data,
                                       k->enc.len)
                             : 0;
            if (rc)
                return rc;
            k->emitted++;
            q->emitted++;
            if (q->spec.limit >= 0 && q->emitted >= q->spec.limit)
                q->done = true;
            continue;
        }
        /* A row from a record: its event time; a window row (no source
         * record: offset -1): the time it was written. */
        int64_t ts = rows->meta[i].event_ts;
        if (rows->meta[i].offset < 0 || ts < 0 || ts == INT64_MAX)
            ts = clock_now_ms();
        bool has_key = q->spec.nkey_columns > 0;
        if (has_key)
            record_key(k, rows, i, q->spec.nkey_columns, q->spec.key_columns);
        out_add(k->sink, k->key.data, k->key.len, has_key, k->enc.data,
                k->enc.len, ts);
        k->emitted++;
    }
    return 0;
}

/* A dead letter in <stream>.dlq, one JSON object (valid UTF-8 whatever the
 * record held):
 *   {"reason", "query", "topic", "partition", "offset",
 *    "value" (the record's value, when it is UTF-8) or "value_base64",
 *    "value_bytes" (its size), "truncated" (true: only the first
 *    DLQ_VALUE_MAX bytes are kept)}
 * A transient SELECT writes none (a read-only statement has no side
 * effects): it counts them and reports the first (query_runtime.c). */
/* Samples for people (DESCRIBE's late_samples and dead_letter_samples,
 * the dashboard): a few, rate-limited (query_info_keep_sample). */
static void late_sample(struct task *k, const struct row_batch *in, int row,
                        int64_t behind)
{
    char iso[40];
    query_info_format_time(in->meta[row].event_ts, iso, sizeof iso);
    buf_reset(&k->enc);
    buf_printf(&k->enc,
               "{\"partition\":%d,\"offset\":%" PRId64
               ",\"event_time\":\"%s\",\"lateness_ms\":%" PRId64 ",\"row\":",
               (int)in->meta[row].partition, in->meta[row].offset, iso, behind);
    size_t at = k->enc.len;
    json_encode_row(in, row, &k->enc);
    if (k->enc.len - at > QUERY_SAMPLE_MAX / 2) {
        k->enc.len = at;
        buf_put_str(&k->enc, "null");
    }
    buf_put_u8(&k->enc, '}');
    query_info_keep_sample(k, 0, (const char *)k->enc.data, k->enc.len);
}

static void dead_sample(struct task *k, int partition,
                        const struct stream_record *rec,
                        const struct row_error *err)
{
    buf_reset(&k->enc);
    buf_printf(&k->enc, "{\"partition\":%d,\"offset\":%" PRId64 ",\"reason\":",
               partition, rec->offset);
    size_t rl = strlen(err->message);
    json_encode_string(&k->enc, err->message, rl > 300 ? 300 : rl);
    size_t keep = rec->value_null        ? 0
                  : rec->value_len > 200 ? 200
                                         : rec->value_len;
    buf_put_str(&k->enc, ",\"value\":");
    if (rec->value_null)
        buf_put_str(&k->enc, "null");
    else if (json_utf8_valid((const char *)rec->value, keep))
        json_encode_string(&k->enc, (const char *)rec->value, keep);
    else
        json_encode_base64(&k->enc, rec->value, keep);
    buf_printf(&k->enc, ",\"value_bytes\":%zu}",
               rec->value_null ? (size_t)0 : (size_t)rec->value_len);
    query_info_keep_sample(k, 1, (const char *)k->enc.data, k->enc.len);
}

static void on_dead_letter(void *arg, int partition,
                           const struct stream_record *rec,
                           const struct row_error *err)
{
    struct task *k = arg;
    int64_t offset = rec->offset;
    k->dead_letters++;
    dead_sample(k, partition, rec, err);
    if (!k->q->persistent) {
        if (k->dead_letters == 1) {
            k->first_dead_offset = offset;
            k->first_dead_partition = partition;
            snprintf(k->first_dead_reason, sizeof k->first_dead_reason, "%s",
                     err->message);
        }
        return;
    }
    if (!k->dlq) {
        char name[QUERY_SPEC_NAME_MAX + 8];
        snprintf(name, sizeof name, "%s.dlq", k->q->spec.input_name);
        if (out_open(k, &k->dlq, name, true) ||
            checkpoint_hold(k, k->dlq, name)) {
            stream_writer_close(k->dlq);
            k->dlq = NULL;
            k->dlq_errors++;
            k->write_errors++;
            return;
        }
    }
    /* The record in hand (a NULL value has none). */
    struct slice val = slice_make(rec->value_null ? NULL : rec->value,
                                  rec->value_null ? 0 : rec->value_len);
    size_t keep = val.len > DLQ_VALUE_MAX ? DLQ_VALUE_MAX : val.len;
    const char *topic = k->stage ? k->q->repart_topic : k->q->in_topic;
    buf_reset(&k->enc);
    buf_put_str(&k->enc, "{\"reason\":");
    json_encode_string(&k->enc, err->message, strlen(err->message));
    buf_put_str(&k->enc, ",\"query\":");
    json_encode_string(&k->enc, k->q->dlq_id, strlen(k->q->dlq_id));
    buf_put_str(&k->enc, ",\"topic\":");
    json_encode_string(&k->enc, topic, strlen(topic));
    buf_printf(&k->enc, ",\"partition\":%d,\"offset\":%" PRId64, partition,
               offset);
    /* A UTF-8 sequence cut by the truncation is not UTF-8: base64 then. */
    if (json_utf8_valid((const char *)val.ptr, keep)) {
        buf_put_str(&k->enc, ",\"value\":");
        json_encode_string(&k->enc, (const char *)val.ptr, keep);
    } else {
        buf_put_str(&k->enc, ",\"value_base64\":");
        json_encode_base64(&k->enc, val.ptr, keep);
    }
    buf_printf(&k->enc, ",\"value_bytes\":%zu,\"truncated\":%s}", val.len,
               keep < val.len ? "true" : "false");
    if (out_add(k->dlq, NULL, 0, false, k->enc.data, k->enc.len,
                clock_now_ms()))
        k->dlq_errors++;
}

static void on_late(void *arg, const struct row_batch *in, int row)
{
    struct task *k = arg;
    k->late_rows++;
    /* How far behind the watermark, saturated: a watermark at the end of
     * time, or an event time far in the past, must not overflow. */
    int64_t wm = pipeline_watermark(k->pipe), ts = in->meta[row].event_ts;
    int64_t behind = wm <= ts                        ? 0
                     : ts < 0 && wm > INT64_MAX + ts ? INT64_MAX
                                                     : wm - ts;
    late_sample(k, in, row, behind);
    k->lateness[query_info_bucket(behind)]++;
    if (behind > k->max_lateness)
        k->max_lateness = behind;
    if (!k->late)
        return;
    buf_reset(&k->enc);
    json_encode_row(in, row, &k->enc);
    out_add(k->late, NULL, 0, false, k->enc.data, k->enc.len,
            in->meta[row].event_ts);
}

/* ---- watermarks across tasks ---- */

/* The processing-time watermark of a query whose inputs are all idle
 * ('watermark.idle-advance'): now - delay, once the query has seen data
 * (a query that never saw any has nothing to close, and a watermark from
 * the clock would make a backfill late); else WATERMARK_NONE. */
static int64_t clock_wm(const struct task *k, bool seen)
{
    const struct query_spec *p = &k->q->spec;
    if (!seen || !p->idle_advance || p->idle_timeout_ms <= 0)
        return WATERMARK_NONE;
    return query_task_now(k->q) - p->watermark_delay_ms;
}

/* The minimum over the non-idle slots; WATERMARK_NONE (which never moves
 * a pipeline back) when one of them has none yet; when all are idle, the
 * clock's (clock_wm). */
static int64_t board_min(const struct task *k)
{
    const struct query *q = k->q;
    int64_t m = INT64_MAX;
    bool seen = false;
    for (int i = 0; i < q->nslots; i++) {
        int64_t w = atomic_load(&q->board_wm[i]);
        seen |= w != WATERMARK_NONE;
        if (!atomic_load(&q->board_idle[i]))
            m = w < m ? w : m;
    }
    return m == INT64_MAX ? clock_wm(k, seen) : m;
}

/* The minimum over the stage-0 slots but `slot` that are not idle (the
 * peer floor of a push: rows see the watermark record by record). */
static int64_t board_others(const struct task *k, int slot)
{
    const struct query *q = k->q;
    int64_t m = INT64_MAX;
    for (int i = 0; i < q->nslots; i++)
        if (i != slot && !atomic_load(&q->board_idle[i])) {
            int64_t w = atomic_load(&q->board_wm[i]);
            m = w < m ? w : m;
        }
    return m;
}

/* The same over the latest marker of every stage-0 task (stage 1). When
 * every one is idle, their minimum: idle tasks mark the clock's
 * watermark (query_task_settle). */
static int64_t markers_min(const struct task *k)
{
    int64_t m = INT64_MAX, all = INT64_MAX;
    for (int i = 0; i < k->q->n0; i++) {
        if (!k->up_idle[i])
            m = k->up_wm[i] < m ? k->up_wm[i] : m;
        all = k->up_wm[i] < all ? k->up_wm[i] : all;
    }
    if (m == INT64_MAX)
        return all == INT64_MAX ? WATERMARK_NONE : all;
    return m;
}

/* Per-key watermarks: the key holding the partition's floor, for
 * EXPLAIN WATERMARK; the lock only when it changed. */
static void publish_holder(struct task *k)
{
    struct task_pub *p = &k->pub;
    atomic_store(&p->nkeys, pipeline_partition_keys(k->pipe, k->part));
    const void *key = NULL;
    size_t len = 0;
    int64_t wm = WATERMARK_NONE;
    bool has = pipeline_partition_holder(k->pipe, k->part, &key, &len, &wm);
    if (len > QUERY_INFO_KEY_MAX)
        len = QUERY_INFO_KEY_MAX;
    /* the task's thread is the only writer: reading without the lock */
    if (has == p->has_holder && wm == p->holder_key_wm &&
        (!has ||
         (len == p->holder_key_len && !memcmp(key, p->holder_key, len))))
        return;
    pthread_mutex_lock(&p->key_mu);
    p->has_holder = has;
    p->holder_key_wm = wm;
    p->holder_key_len = has ? len : 0;
    if (has && len)
        memcpy(p->holder_key, key, len);
    pthread_mutex_unlock(&p->key_mu);
}

void query_task_publish_board(struct task *k)
{
    for (int s = 0; s < k->nins; s++) {
        int slot = s * k->q->n0 + k->part;
        atomic_store(&k->q->board_wm[slot],
                     pipeline_partition_watermark(k->pipe, slot));
        /* An input with fewer partitions than the task count (a join
         * that repartitions) has none here: never holds the watermark. */
        atomic_store(&k->q->board_idle[slot],
                     k->absent[s] || pipeline_partition_idle(k->pipe, slot));
    }
    if (k->stage == 0 && pipeline_per_key_watermarks(k->pipe))
        publish_holder(k);
}

/* Stage 0: the task's own watermark (the minimum over its inputs' slots
 * that are not idle) and whether all of them are idle. */
static int64_t own_slots(const struct task *k, bool *all_idle)
{
    const struct query *q = k->q;
    int64_t m = INT64_MAX, any = INT64_MAX;
    *all_idle = true;
    for (int s = 0; s < k->nins; s++) {
        int slot = s * q->n0 + k->part;
        int64_t w = atomic_load(&q->board_wm[slot]);
        any = w < any ? w : any;
        if (!atomic_load(&q->board_idle[slot])) {
            *all_idle = false;
            m = w < m ? w : m;
        }
    }
    return m == INT64_MAX ? any : m;
}

static void write_marker(struct task *k, int64_t wm, bool idle)
{
    uint8_t vb[MARKER_SIZE];
    struct marker m = {k->part, wm, idle};
    marker_encode(&m, vb);
    if (stream_writer_marker(k->rep, vb, sizeof vb))
        k->write_errors++;
    k->marker_wm = wm;
    k->marker_idle = idle;
}

/* Stage 1: a marker met among the rows (pipeline_control_fn): the rows
 * before it went down the chain; it moves that stage-0 task's watermark,
 * then the query's. Other control records (transaction markers) are not
 * ours. */
static int on_marker(void *arg, const struct stream_record *r)
{
    struct task *k = arg;
    struct marker m;
    if (r->value_null || marker_decode(r->value, r->value_len, &m) ||
        m.task >= k->q->n0)
        return 0;
    if (m.watermark > k->up_wm[m.task])
        k->up_wm[m.task] = m.watermark;
    k->up_idle[m.task] = m.idle;
    return query_task_settle(k);
}

/* After a push or tick: publish this task's watermark and take the
 * query's. Returns an operator's error or 0. */
int query_task_settle(struct task *k)
{
    struct query *q = k->q;
    int rc;
    if (k->stage == 1)
        return pipeline_set_watermark(k->pipe, markers_min(k));
    query_task_publish_board(k);
    if (q->repartition) {
        bool idle;
        int64_t own = own_slots(k, &idle);
        if (idle) {
            /* Every input idle: the marker carries the clock's watermark,
             * which stage 1 takes when all markers are idle. */
            int64_t c = board_min(k);
            if (c > own)
                own = c;
        }
        if (q->spec.stage0_stateful) {
            /* rows an operator emits at the watermark are stamped at or
             * below it: they go out before a marker that passes them */
            if ((rc = pipeline_set_watermark(k->pipe, board_min(k))))
                return rc;
            int64_t applied = pipeline_watermark(k->pipe);
            if (applied < own)
                own = applied;
        }
        out_flush(k, k->rep); /* the rows before their marker */
        /* While idle on the clock, a marker a second at most. */
        bool clock_step = idle && k->marker_idle == 1 && own > k->marker_wm &&
                          own - k->marker_wm < 1000;
        if ((own != k->marker_wm || (int)idle != k->marker_idle) && !clock_step)
            write_marker(k, own, idle);
    }
    rc = pipeline_set_watermark(k->pipe, board_min(k));
    return rc;
}

/* ---- progress ----
 *
 * A persistent query records how far it got in its progress file
 * (stream/progress.h: the format, rewritten atomically at most once a
 * second, and when it stops). Everything below those offsets has reached the
 * output topic (or, for a repartitioning plan, the repartition topic). On
 * restart a query without windows, or one that repartitions, goes on from the
 * offsets (stage 1 then rebuilds its windows from the start of the repartition
 * topic); a windowed one without repartition rebuilds its state from the
 * earliest offset. Window rows are muted while the watermark is at or below the
 * recorded one (those windows fired before). At least once: what was
 * written after the last record is written again. Checkpoints of the
 * state replace this later.
 */

static bool progress_path(const struct query *q, char *out, size_t n, bool dir)
{
    const char *d = stream_log_state_dir(&q->log);
    if (!d)
        return false;
    if (dir)
        snprintf(out, n, "%s/_queries", d);
    else
        snprintf(out, n, "%s/_queries/%s.progress", d, q->id);
    return true;
}

/* The query watermark for the progress file: the minimum over the last
 * stage's tasks, each published after its output was appended. */
int64_t query_task_progress_wm(const struct query *q)
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

void query_task_progress_save(struct query *q, int64_t wm)
{
    /* Windows up to the recorded watermark were written before this run:
     * a run stopped before it caught up must not lower it (the next
     * restart would write them again). */
    if (wm < q->mute_wm)
        wm = q->mute_wm;
    char path[1024];
    struct buf b;
    buf_init(&b);
    int64_t *next = mem_calloc((size_t)q->nslots, sizeof *next);
    for (int i = 0; i < q->nslots; i++)
        next[i] = atomic_load(&q->pub_next[i]);
    progress_format(&b, wm, next, q->nslots);
    mem_free(next);
    if (progress_path(q, path, sizeof path, true)) {
        os_mkdir_p(path);
        progress_path(q, path, sizeof path, false);
        if (os_write_file_atomic(path, b.data, b.len))
            q->tasks[0]->write_errors++;
    }
    buf_fini(&b);
    q->last_save = clock_mono_ms();
}

/* Applies a saved progress file, if any. */
void query_task_progress_load(struct query *q)
{
    char path[1024];
    char *text = NULL;
    size_t len = 0;
    if (!progress_path(q, path, sizeof path, false) ||
        os_read_file(path, 1 << 20, &text, &len))
        return;
    int64_t wm = INT64_MIN;
    int64_t *next = mem_calloc((size_t)q->nslots, sizeof *next);
    /* A file that does not parse is not trusted: the query starts over
     * (at least once, never a skipped record). */
    bool ok = progress_parse(text, len, q->nslots, &wm, next) == 0;
    if (ok && q->windowed)
        q->mute_wm = wm;
    if (ok && (!q->windowed || q->repartition)) {
        for (int i = 0; i < q->nslots; i++) {
            struct task *k = q->tasks[i % q->n0];
            int s = i / q->n0;
            if (s < k->nins && k->ins[s] && next[i] > k->nexts[s] &&
                next[i] <= stream_reader_end(k->ins[s])) {
                k->nexts[s] = next[i];
                atomic_store(&q->pub_next[i], next[i]);
            }
        }
    }
    mem_free(next);
    free(text);
}

/* ---- tasks ---- */

void query_task_destroy(struct task *k)
{
    if (!k)
        return;
    if (k->plan.handle && k->q->spec.release)
        k->q->spec.release(k->q->spec.build_arg, k->plan.handle);
    for (int s = 0; s < k->nins; s++) {
        if (k->ins[s])
            stream_reader_release(k->ins[s]);
        stream_reader_close(k->ins[s]);
    }
    stream_writer_close(k->sink);
    stream_writer_close(k->dlq);
    stream_writer_close(k->late);
    stream_writer_close(k->rep);
    buf_fini(&k->enc);
    buf_fini(&k->key);
    buf_fini(&k->ckpt);
    checkpoint_task_close(k);
    for (int p = 0; p < k->rep_n; p++)
        buf_fini(&k->rep_blocks[p]);
    mem_free(k->rep_blocks);
    mem_free(k->rep_block_ts);

    mem_free(k->up_wm);
    mem_free(k->up_idle);
    mem_free(k->pub.late_part);
    pthread_mutex_destroy(&k->pub.key_mu);
    mem_free(k);
}

/* "cannot <what> '<name>': <error>" */
int query_task_fail(char *err, size_t errlen, int rc, const char *what,
                    const char *name)
{
    snprintf(err, errlen, "cannot %s '%s': %s", what, name, err_str(rc));
    return rc;
}

/* Builds task `part` of `stage`: its own pipeline (the front end builds
 * it for this stage only), its input, its outputs. */
int query_task_create(struct query *q, int stage, int part, struct task **out,
                      char *err, size_t errlen)
{
    const struct query_spec *sp = &q->spec;
    struct task *k = mem_calloc(1, sizeof *k);
    k->q = q;
    k->stage = stage;
    k->part = part;
    k->marker_wm = INT64_MIN;
    k->marker_idle = -1;
    k->pub.nlate = q->n0;
    k->pub.late_part = mem_calloc((size_t)q->n0, sizeof *k->pub.late_part);
    atomic_store(&k->pub.watermark, WATERMARK_NONE);
    pthread_mutex_init(&k->pub.key_mu, NULL);
    buf_init(&k->enc);
    buf_init(&k->key);
    buf_init(&k->ckpt);
    k->ckpt_fd[0] = k->ckpt_fd[1] = -1;
    k->ckpt_mono = clock_mono_ms();
    struct query_task_hooks hooks = {on_late, k};
    int rc = sp->build(sp->build_arg, stage, &hooks, &k->plan, err, errlen);
    if (rc) {
        query_task_destroy(k);
        return rc;
    }
    bool last = !q->repartition || stage == 1;
    k->pipe = k->plan.pipe;
    pipeline_set_error_handler(k->pipe, on_dead_letter, k);
    rc = pipeline_set_sink(k->pipe, last ? sink_rows : sink_repartition, k);
    if (rc) {
        rc = query_task_fail(err, errlen, rc, "set the sink of", q->id);
        goto fail;
    }
    /* The chain is whole now: its operators' names, for query_info. */
    for (const struct operator_node *op = pipeline_operators(k->pipe);
         op && k->pub.nops < QUERY_INFO_OPS_MAX; op = op->next) {
        k->pub.op_stateful[k->pub.nops] = op->ops->state != NULL;
        k->pub.op_name[k->pub.nops++] = op->ops->name;
    }
    if (last && sp->persistent) {
        rc = out_open(k, &k->sink, sp->sink_topic, false);
        if (rc) {
            rc = query_task_fail(err, errlen, rc, "open the output topic",
                                 sp->sink_topic);
            goto fail;
        }
    }
    /* late rows come from the stage that holds the stateful operators */
    if ((last || sp->stage0_stateful) && sp->late_topic[0]) {
        rc = out_open(k, &k->late, sp->late_topic, sp->late_create);
        if (rc) {
            rc = query_task_fail(err, errlen, rc, "open the late-row topic",
                                 sp->late_topic);
            goto fail;
        }
    }
    const char *in = stage ? q->repart_topic : sp->input_topic;
    if (q->repartition && stage == 0) {
        rc = out_open(k, &k->rep, q->repart_topic, false);
        if (rc) {
            rc = query_task_fail(err, errlen, rc, "open the repartition topic",
                                 q->repart_topic);
            goto fail;
        }
        k->rep_n = stream_writer_partitions(k->rep);
        k->rep_blocks = mem_calloc((size_t)k->rep_n, sizeof *k->rep_blocks);
        k->rep_block_ts = mem_calloc((size_t)k->rep_n, sizeof *k->rep_block_ts);
        for (int i = 0; i < k->rep_n; i++) {
            buf_init(&k->rep_blocks[i]);
            k->rep_block_ts[i] = INT64_MIN;
        }
    }
    if (stage == 1) {
        k->up_wm = mem_calloc((size_t)q->n0, sizeof *k->up_wm);
        k->up_idle = mem_calloc((size_t)q->n0, sizeof *k->up_idle);
        for (int i = 0; i < q->n0; i++)
            k->up_wm[i] = INT64_MIN;
    }
    atomic_store(&k->last_input, clock_mono_ms());
    /* The repartition topic is the runtime's own, written a moment ago:
     * no CRC check. */
    unsigned flags = (q->durable_only ? STREAM_READ_DURABLE : 0) |
                     (stage == 1 ? STREAM_READ_TRUSTED : 0);
    k->nins = stage == 0 ? 1 + sp->nextra_inputs : 1;
    for (int s = 0; s < k->nins; s++) {
        const char *t = s ? sp->extra_inputs[s - 1] : in;
        struct stream_reader *r;
        int orc = stream_log_reader(&q->log, t, part, flags, &r);
        if (orc == ERR_TOO_LARGE) {
            /* An in-memory log whose budget has no room for the reader:
             * the query cannot run, and says so (never reads nothing). */
            snprintf(err, errlen,
                     "reading %s partition %d does not fit in the memory "
                     "budget",
                     t, part);
            rc = orc;
            goto fail;
        }
        if (orc != 0) {
            /* no such partition: nothing to read */
            int n = stream_log_partitions(&q->log, t);
            k->absent[s] = n >= 0 && n <= part;
            continue;
        }
        k->ins[s] = r;
        k->nexts[s] = stage == 0 && sp->startup_latest ? stream_reader_end(r)
                                                       : stream_reader_start(r);
        k->bounds[s] = stream_reader_end(r);
    }
    *out = k;
    return 0;
fail:
    query_task_destroy(k);
    return rc;
}

/* Processing time: the wall clock, or the virtual one. */
int64_t query_task_now(const struct query *q)
{
    return q->vclock ? q->vnow : clock_now_ms();
}

/* Reads whole record batches from the task's next offset: 1 (k->chunk:
 * a view of the log where it can, valid until the push; next offset in
 * *nx), 0 (nothing) or a negative error. With one_batch only the first
 * batch (virtual clock; its largest timestamp in *max_ts). */
int query_task_read(struct task *k, bool one_batch, int64_t *nx,
                    int64_t *max_ts)
{
    /* Several inputs: round robin over those with data; on the virtual
     * clock the one whose first batch has the earliest stamp. */
    int best = -1;
    int64_t best_ts = INT64_MAX;
    for (int i = 0; i < k->nins; i++) {
        int s = (k->rr + i) % k->nins;
        struct stream_reader *r = k->ins[s];
        if (!r)
            continue;
        struct stream_chunk ch;
        int rc =
            stream_reader_read(r, k->nexts[s], one_batch ? 1 : READ_MAX, &ch);
        if (rc == ERR_RANGE) {
            int64_t start = stream_reader_start(r);
            if (k->nexts[s] < start) { /* retention passed us: counted */
                uint64_t n = (uint64_t)(start - k->nexts[s]);
                k->skipped += n;
                diag_warn("query %s: %" PRIu64
                          " records of its input %d, partition %d, were "
                          "dropped by the log before they were read "
                          "(offsets %" PRId64 " to %" PRId64 ")",
                          k->q->id, n, s, k->part, k->nexts[s], start - 1);
                k->nexts[s] = start;
            }
            continue;
        }
        if (rc < 0)
            return rc;
        if (rc == 0 || ch.next_offset <= k->nexts[s])
            continue;
        if (best < 0 || (one_batch && ch.max_timestamp < best_ts)) {
            if (best >= 0)
                stream_reader_release(k->ins[best]);
            best = s;
            best_ts = ch.max_timestamp;
            k->chunk = ch;
            if (!one_batch)
                break;
        } else {
            stream_reader_release(r);
        }
    }
    if (best < 0)
        return 0;
    k->cur = best;
    k->rr = (best + 1) % k->nins;
    *nx = k->chunk.next_offset;
    if (max_ts)
        *max_ts = k->chunk.max_timestamp;
    return 1;
}

/* Pushes what query_task_read read, at processing time now, and settles.
 * Holds the task's mutex. Stage 1 takes the markers among the rows in
 * their order: the rows before a marker are pushed, then the marker
 * moves the watermark, then the rows after it. (Taking every marker only
 * after the whole chunk would fire windows at a watermark later than
 * their rows saw, which a restart's muting, keyed on the watermark, must
 * not.) */
int query_task_push(struct task *k, int64_t nx, int64_t now)
{
    int slot = k->cur * k->q->n0 + k->part;
    if (k->stage == 0)
        pipeline_set_peer_floor(k->pipe, board_others(k, slot));
    int rc = pipeline_push_source(k->pipe, k->cur, k->part, k->chunk.records,
                                  now, k->stage == 1 ? on_marker : NULL, k);
    /* On the virtual clock stage 0 settles after every task ticked
     * (pass_virtual). */
    if (!rc && !(k->q->vclock && k->stage == 0))
        rc = query_task_settle(k);
    query_task_flush(k);
    stream_reader_release(k->ins[k->cur]); /* no segment held while idle */
    k->nexts[k->cur] = nx;
    query_task_publish(k);
    if (k->stage == 0)
        atomic_store(&k->q->pub_next[slot], nx);
    return rc;
}

void query_task_publish_wm(struct task *k)
{
    struct query *q = k->q;
    if (!q->repartition)
        atomic_store(&q->pub_wm[k->part], pipeline_watermark(k->pipe));
    else if (k->stage == 1)
        atomic_store(&q->pub_wm[k->part], pipeline_watermark(k->pipe));
}

int query_task_tick(struct task *k, int64_t now)
{
    int rc = pipeline_tick(k->pipe, now);
    if (!rc)
        rc = query_task_settle(k);
    query_task_flush(k);
    query_task_publish_wm(k);
    query_task_publish(k);
    return rc;
}

/* ---- log events ----
 * A persistent query logs its failure once, its dead letters and late
 * rows as bursts (at most one line of each per task every BURST_MS, with
 * the count since the last), and a watermark that stands still for
 * stall_ms while input keeps coming (watermark_stall, once per stall,
 * naming the partition that holds it). Never a line per row. */

#define BURST_MS 10000

void query_task_failed(struct task *k, int rc)
{
    k->error = rc;
    struct query *q = k->q;
    if (!q->log_events || atomic_exchange(&q->failed_logged, true))
        return;
    struct diag_kv kv[] = {{"query", q->id, 0},
                           {"stage", NULL, k->stage},
                           {"partition", NULL, k->part},
                           {"error", err_str(rc), 0}};
    diag_event(DIAG_ERROR, "query_failed", kv, 4,
               "query %s failed: task of stage %d, partition %d: %s", q->id,
               k->stage, k->part, err_str(rc));
}

static void report_bursts(struct task *k)
{
    if (!k->q->log_events || (k->dead_letters == k->dead_reported &&
                              k->late_rows == k->late_reported))
        return;
    int64_t now = clock_mono_ms();
    if (k->burst_at && now - k->burst_at < BURST_MS)
        return;
    k->burst_at = now;
    const char *id = k->q->id;
    if (k->dead_letters != k->dead_reported) {
        uint64_t n = k->dead_letters - k->dead_reported;
        struct diag_kv kv[] = {{"query", id, 0},
                               {"stage", NULL, k->stage},
                               {"partition", NULL, k->part},
                               {"count", NULL, (int64_t)n},
                               {"total", NULL, (int64_t)k->dead_letters}};
        diag_event(DIAG_WARN, "dead_letters", kv, 5,
                   "query %s: %" PRIu64 " record(s) of partition %d went to "
                   "the dead-letter topic",
                   id, n, k->part);
        k->dead_reported = k->dead_letters;
    }
    if (k->late_rows != k->late_reported) {
        uint64_t n = k->late_rows - k->late_reported;
        struct diag_kv kv[] = {{"query", id, 0},
                               {"stage", NULL, k->stage},
                               {"partition", NULL, k->part},
                               {"count", NULL, (int64_t)n},
                               {"total", NULL, (int64_t)k->late_rows},
                               {"max_lateness_ms", NULL, k->max_lateness}};
        diag_event(DIAG_WARN, "late_rows", kv, 6,
                   "query %s: %" PRIu64 " row(s) too late for their window "
                   "(task %d of stage %d)",
                   id, n, k->part, k->stage);
        k->late_reported = k->late_rows;
    }
}

/* Stage-0 task 0: the query's watermark (the board's) against the clock. */
static void check_stall(struct task *k, int64_t now_mono)
{
    struct query *q = k->q;
    int64_t wm = board_min(k);
    if (wm != q->stall_wm) {
        q->stall_wm = wm;
        q->stall_since = now_mono;
        q->stall_logged = false;
        return;
    }
    if (q->stall_logged || now_mono - q->stall_since < q->stall_ms)
        return;
    /* Stalled only if input came meanwhile (an idle query is not). */
    bool input = false;
    for (int i = 0; i < q->ntasks && !input; i++)
        input = atomic_load(&q->tasks[i]->last_input) > q->stall_since;
    if (!input)
        return;
    int holder = -1;
    int64_t m = INT64_MAX;
    for (int i = 0; i < q->nslots; i++)
        if (!atomic_load(&q->board_idle[i]) &&
            atomic_load(&q->board_wm[i]) < m) {
            m = atomic_load(&q->board_wm[i]);
            holder = i;
        }
    char iso[40];
    query_info_format_time(wm, iso, sizeof iso);
    const char *topic = holder < 0 ? "-"
                        : holder / q->n0
                            ? q->spec.extra_inputs[holder / q->n0 - 1]
                            : q->in_topic;
    int part = holder < 0 ? -1 : holder % q->n0;
    struct diag_kv kv[] = {{"query", q->id, 0},
                           {"watermark", iso, 0},
                           {"stalled_ms", NULL, now_mono - q->stall_since},
                           {"held_by_topic", topic, 0},
                           {"held_by_partition", NULL, part}};
    diag_event(DIAG_WARN, "watermark_stall", kv, 5,
               "query %s: watermark %s has not moved for %" PRId64
               " ms while input arrives; held back by %s partition %d "
               "(EXPLAIN WATERMARK %s)",
               q->id, iso, now_mono - q->stall_since, topic, part, q->id);
    q->stall_logged = true;
}

void query_task_publish(struct task *k)
{
    report_bursts(k);
    struct task_pub *p = &k->pub;
    struct pipeline_stats st;
    pipeline_stats(k->pipe, &st);
    atomic_store(&p->records_in, st.records_in);
    atomic_store(&p->rows_in, st.rows_in);
    atomic_store(&p->corrupt, st.corrupt_batches);
    atomic_store(&p->watermark, st.watermark);
    for (int s = 0; s < k->nins; s++)
        atomic_store(&p->next[s], k->nexts[s]);
    atomic_store(&p->dead, k->dead_letters);
    atomic_store(&p->dlq_errors, k->dlq_errors);
    atomic_store(&p->skipped, k->skipped);
    atomic_store(&p->late, k->late_rows);
    atomic_store(&p->write_errors, k->write_errors);
    atomic_store(&p->muted, k->muted);
    atomic_store(&p->emitted, (uint64_t)k->emitted);
    if (k->plan.cep)
        for (int i = 0; i < p->nlate; i++)
            atomic_store(&p->late_part[i], cep_late_count(k->plan.cep, i));
    for (int i = 0; i < QUERY_LATENESS_BUCKETS; i++)
        atomic_store(&p->lateness[i], k->lateness[i]);
    atomic_store(&p->max_lateness, k->max_lateness);
    const struct operator_node *op = pipeline_operators(k->pipe);
    for (int i = 0; i < p->nops && op; i++, op = op->next) {
        atomic_store(&p->op_in[i], op->rows_in);
        atomic_store(&p->op_out[i], op->rows_out);
        if (op->ops->state) {
            struct operator_state os = {0, 0};
            op->ops->state(op, &os);
            atomic_store(&p->op_entries[i], os.entries);
            atomic_store(&p->op_bytes[i], os.bytes);
        }
    }
    if (k->plan.wa) {
        struct window_agg_stats ws;
        window_agg_stats(k->plan.wa, &ws);
        atomic_store(&p->fired, ws.windows_fired);
        for (int i = 0; i < p->nlate; i++)
            atomic_store(&p->late_part[i],
                         window_agg_late_count(k->plan.wa, i));
    }
}

/* Stage-0 task 0 of a persistent query saves its progress at most once a
 * second (it reads the other tasks' published slots). */
static void save_due(struct task *k, int64_t now_mono)
{
    struct query *q = k->q;
    if (k->stage == 0 && k->part == 0 && q->persistent &&
        now_mono - q->last_save >= 1000)
        query_task_progress_save(q, query_task_progress_wm(q));
    if (k->stage == 0 && k->part == 0 && q->log_events)
        check_stall(k, now_mono);
    if (k->stage == 0 && k->part == 0)
        query_info_sample(q, now_mono);
}

/* One step (worker_step_fn): a read and push, or a tick when due. */
int query_task_step(void *arg, int64_t now_mono, int64_t *next_due)
{
    struct task *k = arg;
    struct query *q = k->q;
    if (k->error || k->ended || q->done || atomic_load(&q->stop))
        return 0;
    int64_t nx;
    int rc = query_task_read(k, false, &nx, NULL);
    if (rc > 0) {
        atomic_store(&k->last_input, now_mono);
        rc = query_task_push(k, nx, clock_now_ms());
        query_task_publish_wm(k);
        k->fresh = true;
        if (!rc)
            rc = checkpoint_task_due(k, now_mono, false);
        if (rc) {
            query_task_failed(k, rc);
            return 0;
        }
        save_due(k, now_mono);
        return 1;
    }
    if (rc < 0) {
        query_task_failed(k, rc);
        return 0;
    }
    /* Tick once input is drained, else every TICK_MS: appends to topics
     * this task does not read wake it too, and must not turn into a tick
     * each. */
    if (k->fresh || now_mono - k->last_tick >= TICK_MS) {
        k->fresh = false;
        k->last_tick = now_mono;
        if ((rc = query_task_tick(k, clock_now_ms())) ||
            (rc = checkpoint_task_due(k, now_mono, false))) {
            query_task_failed(k, rc);
            return 0;
        }
        save_due(k, now_mono);
    }
    if (k->last_tick + TICK_MS < *next_due)
        *next_due = k->last_tick + TICK_MS;
    return 0;
}
