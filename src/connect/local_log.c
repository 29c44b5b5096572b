/* local_log.c - stream_log.h on the local logdir (layer: connect): record
 * iteration over RecordBatch bytes, readers over partition views, writers
 * that build batches per partition. See local_log.h.
 */
#include "connect/local_log.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "log/partition.h"

#define READ_COPY_MAX (1u << 20)

/* ---- records ---- */

static int records_next_many(struct stream_records *base,
                             struct stream_record *out, int max)
{
    struct local_records *it = (struct local_records *)base;
    int k = 0;
    while (k < max) {
        if (it->in_batch) {
            struct record r;
            int ir = record_iter_next(&it->iter, &r);
            if (ir == 1) {
                struct stream_record *o = &out[k++];
                o->key = r.key.ptr;
                o->key_len = (uint32_t)r.key.len;
                o->key_null = r.key_null;
                o->value = r.value.ptr;
                o->value_len = (uint32_t)r.value.len;
                o->value_null = r.value_null;
                o->control = it->control;
                o->fresh_buffer = it->fresh;
                it->fresh = false;
                o->offset = r.offset;
                o->timestamp = r.timestamp;
                continue;
            }
            if (ir < 0)
                it->base.corrupt++;
            it->in_batch = false;
        }
        struct record_batch_walk save = it->walk;
        struct record_batch_header h;
        const uint8_t *bp;
        size_t bl;
        int wr = record_batch_walk_next(&it->walk, &h, &bp, &bl);
        if (wr != 1) {
            if (wr < 0)
                it->base.corrupt++;
            break;
        }
        bool compressed = record_batch_attr_codec(h.attributes) != 0;
        if (compressed && k > 0) {
            /* Its records start the next call (fresh_buffer first). */
            it->walk = save;
            break;
        }
        bool control = record_batch_attr_control(h.attributes);
        if (it->verify && !control && record_batch_verify(bp, bl) != 0) {
            it->base.corrupt++;
            continue;
        }
        struct buf *scratch = NULL;
        if (compressed) {
            /* A new decompression: into the other buffer, so the records
             * of the previous one stay valid until the caller sees
             * fresh_buffer. */
            it->which ^= 1;
            scratch = &it->scratch[it->which];
            it->fresh = true;
        }
        if (record_iter_init(&it->iter, bp, bl, scratch) != 0) {
            it->base.corrupt++;
            continue;
        }
        it->control = control;
        it->in_batch = true;
    }
    return k;
}

static const struct stream_records_ops records_ops = {records_next_many};

void local_records_init(struct local_records *it)
{
    memset(it, 0, sizeof *it);
    it->base.ops = &records_ops;
    buf_init(&it->scratch[0]);
    buf_init(&it->scratch[1]);
}

void local_records_fini(struct local_records *it)
{
    buf_fini(&it->scratch[0]);
    buf_fini(&it->scratch[1]);
}

void local_records_reset(struct local_records *it, const uint8_t *data,
                         size_t len, bool verify_crc)
{
    record_batch_walk_init(&it->walk, data, len);
    it->in_batch = false;
    it->verify = verify_crc;
    it->fresh = false;
    it->base.corrupt = 0;
}

/* ---- readers ---- */

struct local_reader {
    struct stream_reader base;
    struct partition *p;
    bool durable_only, verify;
    int64_t sync_asked; /* durable_only: the end an fsync was asked for */
    struct partition_slice slice;
    struct buf copy;
    struct local_records recs;
};

static void reader_release(struct stream_reader *base)
{
    struct local_reader *r = (struct local_reader *)base;
    partition_slice_release(&r->slice);
    buf_reset(&r->copy);
}

static int64_t reader_end(struct stream_reader *base)
{
    struct local_reader *r = (struct local_reader *)base;
    return r->durable_only ? partition_durable_offset(r->p)
                           : partition_high_watermark(r->p);
}

static int64_t reader_start(struct stream_reader *base)
{
    return partition_log_start_offset(((struct local_reader *)base)->p);
}

static int reader_read(struct stream_reader *base, int64_t offset,
                       size_t max_bytes, struct stream_chunk *out)
{
    struct local_reader *r = (struct local_reader *)base;
    reader_release(base);
    int64_t upto = reader_end(base);
    if (offset >= upto) {
        /* Durable reads only, with data waiting beyond the durable
         * offset: ask the flusher for it now rather than wait for its
         * interval (acks=1 producers); once per new end. */
        if (r->durable_only) {
            int64_t end = partition_high_watermark(r->p);
            if (end > upto && end > r->sync_asked) {
                partition_request_sync(r->p);
                r->sync_asked = end;
            }
        }
        return 0;
    }
    const uint8_t *data = NULL;
    size_t len = 0;
    int64_t next = offset;
    int rc = partition_read_view_upto(r->p, offset, upto, max_bytes, &r->slice);
    if (rc == 0 && r->slice.len && r->slice.view) {
        data = r->slice.view;
        len = r->slice.len;
        next = r->slice.next_offset;
    } else if (rc == 0) {
        partition_slice_release(&r->slice);
        size_t max = max_bytes < READ_COPY_MAX ? max_bytes : READ_COPY_MAX;
        rc = partition_read_copy_upto(r->p, offset, upto, max, &r->copy, &next);
        data = r->copy.data;
        len = r->copy.len;
    }
    if (rc < 0)
        return rc;
    if (!len || next <= offset)
        return 0;
    /* The largest timestamp, and one batch only when asked for one. */
    struct record_batch_walk w;
    struct record_batch_header h;
    const uint8_t *bp;
    size_t bl, used = 0;
    int64_t max_ts = -1;
    record_batch_walk_init(&w, data, len);
    while (record_batch_walk_next(&w, &h, &bp, &bl) == 1) {
        if (h.max_timestamp > max_ts)
            max_ts = h.max_timestamp;
        used = (size_t)(bp - data) + bl;
        if (max_bytes == 1) {
            next = record_batch_last_offset(&h) + 1;
            break;
        }
    }
    if (!used || next <= offset)
        return 0;
    local_records_reset(&r->recs, data, used, r->verify);
    out->records = &r->recs.base;
    out->next_offset = next;
    out->max_timestamp = max_ts;
    return 1;
}

static int reader_offset_for_time(struct stream_reader *base, int64_t ts,
                                  int64_t *offset)
{
    struct local_reader *r = (struct local_reader *)base;
    int rc = partition_offset_for_timestamp(r->p, ts, offset);
    if (rc == 0 && *offset < 0)
        *offset = partition_high_watermark(r->p);
    return rc;
}

static void reader_close(struct stream_reader *base)
{
    struct local_reader *r = (struct local_reader *)base;
    partition_slice_release(&r->slice);
    buf_fini(&r->copy);
    local_records_fini(&r->recs);
    mem_free(r);
}

/* The repartition topic below what its one reader committed
 * (partition_delete_records: whole segments go, the start moves). */
static int reader_purge(struct stream_reader *base, int64_t offset)
{
    struct local_reader *r = (struct local_reader *)base;
    if (offset <= partition_log_start_offset(r->p))
        return 0;
    return partition_delete_records(r->p, offset, NULL);
}

static const struct stream_reader_ops reader_ops = {
    reader_read, reader_release,         reader_start,
    reader_end,  reader_offset_for_time, reader_close,
    reader_purge};

/* ---- writers ---- */

struct local_writer {
    struct stream_writer base;
    int n;
    struct partition **parts;
    struct record_batch_builder *b;
    struct buf batch;
    /* held output (stream_writer_hold): pid >= 0; per partition the
     * finished batches not appended yet and how many */
    int64_t pid;
    struct buf *held;
    uint32_t *nheld;
};

static int writer_partitions(struct stream_writer *base)
{
    return ((struct local_writer *)base)->n;
}

/* Appends partition i's builder, if it holds records. */
static int flush_one(struct local_writer *w, int i, uint64_t *lost)
{
    uint32_t count = (uint32_t)record_batch_builder_count(&w->b[i]);
    if (!count)
        return 0;
    if (w->pid >= 0) {
        int rc = record_batch_builder_finish(&w->b[i], &w->held[i]);
        record_batch_builder_reset(&w->b[i]);
        if (rc && lost)
            *lost += count;
        w->nheld[i] += !rc;
        return rc;
    }
    buf_reset(&w->batch);
    int rc = record_batch_builder_finish(&w->b[i], &w->batch);
    if (!rc)
        rc = w->parts[i] ? partition_append(w->parts[i], w->batch.data,
                                            w->batch.len, NULL)
                         : ERR_NOT_FOUND;
    record_batch_builder_reset(&w->b[i]);
    if (rc && lost)
        *lost += count;
    return rc;
}

static int writer_flush(struct stream_writer *base, uint64_t *lost)
{
    struct local_writer *w = (struct local_writer *)base;
    int rc = 0;
    for (int i = 0; i < w->n; i++) {
        int r = flush_one(w, i, lost);
        rc = rc ? rc : r;
    }
    return rc;
}

static int writer_add(struct stream_writer *base, int p, const void *key,
                      size_t klen, bool has_key, const void *val, size_t vlen,
                      int64_t ts)
{
    struct local_writer *w = (struct local_writer *)base;
    if (p < 0 || p >= w->n)
        p = 0;
    /* A batch never grows past LOCAL_LOG_BATCH_MAX + one record: a record
     * that would take it there goes into the next one (a batch over the
     * topic's max.message.bytes would be refused whole). */
    if (record_batch_builder_count(&w->b[p]) &&
        record_batch_builder_size(&w->b[p]) + klen + vlen + 64 >
            LOCAL_LOG_BATCH_MAX) {
        int rc = flush_one(w, p, NULL);
        if (rc)
            return rc;
    }
    struct slice ks = slice_make(key, klen), vs = slice_make(val, vlen);
    int rc = record_batch_builder_add(&w->b[p], has_key ? &ks : NULL, &vs, ts,
                                      NULL, 0);
    if (rc)
        return rc;
    if (record_batch_builder_size(&w->b[p]) > LOCAL_LOG_BATCH_MAX)
        return flush_one(w, p, NULL);
    return 0;
}

/* A marker: a control batch of one record whose key is the control key of
 * Kafka's layout (version 0, type LOCAL_MARKER_TYPE), so Kafka consumers
 * skip it; the value is the runtime's. */
#define LOCAL_MARKER_TYPE 0x5257 /* "RW"; Kafka uses 0 (abort), 1 (commit) */

static int writer_marker(struct stream_writer *base, const void *val, size_t n)
{
    struct local_writer *w = (struct local_writer *)base;
    int rc = writer_flush(base, NULL);
    uint8_t kb[4];
    be16_store(kb, 0);
    be16_store(kb + 2, LOCAL_MARKER_TYPE);
    struct slice ks = slice_make(kb, sizeof kb), vs = slice_make(val, n);
    struct record_batch_builder b;
    record_batch_builder_init(&b, 0);
    b.extra_attributes = RECORD_BATCH_ATTR_CONTROL;
    if (w->pid >= 0)
        record_batch_builder_set_producer(&b, w->pid, 0, 0);
    record_batch_builder_add(&b, &ks, &vs, clock_now_ms(), NULL, 0);
    buf_reset(&w->batch);
    if (w->pid >= 0) {
        /* Held like the rows before it, in every partition's order. */
        if (!record_batch_builder_finish(&b, &w->batch))
            for (int i = 0; i < w->n; i++) {
                buf_put(&w->held[i], w->batch.data, w->batch.len);
                w->nheld[i]++;
            }
    } else if (!record_batch_builder_finish(&b, &w->batch)) {
        /* One batch, appended to every partition (append rewrites only
         * the base offset, which the next append rewrites again). */
        for (int i = 0; i < w->n; i++) {
            int r = w->parts[i] ? partition_append(w->parts[i], w->batch.data,
                                                   w->batch.len, NULL)
                                : ERR_NOT_FOUND;
            rc = rc ? rc : r;
        }
    }
    record_batch_builder_fini(&b);
    return rc;
}

/* ---- held output (exactly-once; docs/checkpoints.md) ----
 *
 * A description (stream_writer_prepare), big-endian, the back end's own:
 *   u32 partitions described, then for each:
 *     u32 partition, i64 scan_from (its end offset when prepared: held
 *     batches can only be at or after it), u32 batches, u32 bytes, the
 *     batches themselves (RecordBatch v2, producer id = the writer's)
 * Every batch of this writer's producer id at or after scan_from is one of
 * them, in order (the ones before were committed before the description
 * was made, the next ones are held until it is replaced), so a redo
 * counts them and appends the rest. */

static int writer_hold(struct stream_writer *base, int64_t pid)
{
    struct local_writer *w = (struct local_writer *)base;
    if (pid < 0)
        return ERR_INVALID;
    if (!w->held) {
        w->held = mem_calloc((size_t)w->n, sizeof *w->held);
        w->nheld = mem_calloc((size_t)w->n, sizeof *w->nheld);
        for (int i = 0; i < w->n; i++)
            buf_init(&w->held[i]);
    }
    w->pid = pid;
    for (int i = 0; i < w->n; i++)
        record_batch_builder_set_producer(&w->b[i], pid, 0, 0);
    return 0;
}

static int writer_prepare(struct stream_writer *base, struct buf *out)
{
    struct local_writer *w = (struct local_writer *)base;
    int rc = writer_flush(base, NULL);
    uint32_t np = 0;
    for (int i = 0; i < w->n; i++)
        np += w->nheld[i] > 0;
    buf_put_i32(out, (int32_t)np);
    for (int i = 0; i < w->n; i++) {
        if (!w->nheld[i])
            continue;
        buf_put_i32(out, i);
        buf_put_i64(out,
                    w->parts[i] ? partition_high_watermark(w->parts[i]) : 0);
        buf_put_i32(out, (int32_t)w->nheld[i]);
        buf_put_i32(out, (int32_t)w->held[i].len);
        buf_put(out, w->held[i].data, w->held[i].len);
    }
    return rc;
}

static int writer_commit(struct stream_writer *base)
{
    struct local_writer *w = (struct local_writer *)base;
    int rc = 0;
    for (int i = 0; i < w->n; i++) {
        if (!w->nheld[i])
            continue;
        int r = w->parts[i] ? partition_append(w->parts[i], w->held[i].data,
                                               w->held[i].len, NULL)
                            : ERR_NOT_FOUND;
        rc = rc ? rc : r;
        buf_reset(&w->held[i]);
        w->nheld[i] = 0;
    }
    return rc;
}

/* How many batches of pid lie in [from, end) of p (its end when called). */
static int count_pid(struct local_writer *w, struct partition *p, int64_t from,
                     int64_t pid, uint32_t *found)
{
    int64_t end = partition_high_watermark(p);
    int64_t start = partition_log_start_offset(p);
    *found = 0;
    if (from < start) /* retention took them: they were appended long ago */
        return 1;
    while (from < end) {
        struct partition_slice s = {0};
        int rc = partition_read_view_upto(p, from, end, 8u << 20, &s);
        if (rc < 0)
            return rc;
        if (!s.len || s.next_offset <= from) {
            partition_slice_release(&s);
            break;
        }
        const uint8_t *bytes = s.view;
        size_t len = s.len;
        if (!bytes) {
            buf_reset(&w->batch);
            int64_t nx = from;
            rc = partition_read_copy_upto(p, from, end, s.len, &w->batch, &nx);
            if (rc < 0) {
                partition_slice_release(&s);
                return rc;
            }
            bytes = w->batch.data;
            len = w->batch.len;
        }
        struct record_batch_walk wk;
        struct record_batch_header h;
        const uint8_t *bp;
        size_t bl;
        record_batch_walk_init(&wk, bytes, len);
        while (record_batch_walk_next(&wk, &h, &bp, &bl) == 1)
            if (h.producer_id == pid && record_batch_last_offset(&h) >= from)
                (*found)++;
        from = s.next_offset;
        partition_slice_release(&s);
    }
    return 0;
}

static int writer_redo(struct stream_writer *base, const uint8_t *p, size_t n)
{
    struct local_writer *w = (struct local_writer *)base;
    struct buf_reader r;
    buf_reader_init(&r, p, n);
    uint32_t np = (uint32_t)buf_read_i32(&r);
    int rc = 0;
    for (uint32_t k = 0; k < np && !r.err; k++) {
        uint32_t part = (uint32_t)buf_read_i32(&r);
        int64_t from = buf_read_i64(&r);
        uint32_t nb = (uint32_t)buf_read_i32(&r);
        uint32_t len = (uint32_t)buf_read_i32(&r);
        const uint8_t *bytes = buf_read_bytes(&r, len).ptr;
        if (r.err || part >= (uint32_t)w->n || !w->parts[part])
            return ERR_CORRUPT;
        uint32_t found = 0;
        int c = count_pid(w, w->parts[part], from, w->pid, &found);
        if (c < 0)
            return c;
        if (c > 0 || found >= nb)
            continue;
        /* Skip the batches the log has; append the rest (a copy: append
         * rewrites base offsets in place). */
        struct record_batch_walk wk;
        struct record_batch_header h;
        const uint8_t *bp;
        size_t bl;
        record_batch_walk_init(&wk, bytes, len);
        for (uint32_t i = 0; i < found; i++)
            if (record_batch_walk_next(&wk, &h, &bp, &bl) != 1)
                return ERR_CORRUPT;
        size_t at = 0;
        if (record_batch_walk_next(&wk, &h, &bp, &bl) == 1)
            at = (size_t)(bp - bytes);
        else
            continue;
        buf_reset(&w->batch);
        buf_put(&w->batch, bytes + at, len - at);
        int a =
            partition_append(w->parts[part], w->batch.data, w->batch.len, NULL);
        rc = rc ? rc : a;
    }
    return r.err ? ERR_CORRUPT : rc;
}

static void writer_close(struct stream_writer *base)
{
    struct local_writer *w = (struct local_writer *)base;
    if (w->held) {
        for (int i = 0; i < w->n; i++)
            buf_fini(&w->held[i]);
        mem_free(w->held);
        mem_free(w->nheld);
    }
    for (int i = 0; i < w->n; i++)
        record_batch_builder_fini(&w->b[i]);
    mem_free(w->parts);
    mem_free(w->b);
    buf_fini(&w->batch);
    mem_free(w);
}

static const struct stream_writer_ops writer_ops = {
    writer_partitions, writer_add,    writer_flush,
    writer_marker,     writer_close,  writer_hold,
    writer_prepare,    writer_commit, writer_redo};

/* ---- the log ---- */

static int log_partitions(void *ctx, const char *topic)
{
    return logdir_topic_partitions(ctx, topic);
}

static int log_create(void *ctx, const char *topic, int partitions)
{
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    if (partitions > 0)
        c.partitions = partitions;
    /* A query's repartition topic is purged below what its reader
     * committed (stream_reader_purge), which frees whole segments only:
     * smaller, younger segments than a topic's default. */
    size_t n = strlen(topic);
    if (n > 12 && !strcmp(topic + n - 12, "-repartition")) {
        c.segment_bytes = 64LL << 20;
        c.segment_ms = 10 * 60 * 1000LL;
    }
    return logdir_topic_create(ctx, topic, &c);
}

static int log_delete(void *ctx, const char *topic)
{
    return logdir_topic_delete(ctx, topic);
}

static int log_reader(void *ctx, const char *topic, int partition,
                      unsigned flags, struct stream_reader **out)
{
    struct partition *p = logdir_partition(ctx, topic, partition);
    if (!p)
        return ERR_NOT_FOUND;
    struct local_reader *r = mem_calloc(1, sizeof *r);
    r->base.ops = &reader_ops;
    r->p = p;
    r->durable_only = flags & STREAM_READ_DURABLE;
    r->verify = !(flags & STREAM_READ_TRUSTED);
    buf_init(&r->copy);
    local_records_init(&r->recs);
    *out = &r->base;
    return 0;
}

static int log_writer(void *ctx, const char *topic, bool create,
                      struct stream_writer **out)
{
    struct logdir *ld = ctx;
    int n = logdir_topic_partitions(ld, topic);
    if (n == ERR_NOT_FOUND && create) {
        int rc = logdir_topic_create(ld, topic, NULL);
        if (rc && rc != ERR_EXISTS)
            return rc;
        n = logdir_topic_partitions(ld, topic);
    }
    if (n <= 0)
        return n < 0 ? n : ERR_NOT_FOUND;
    struct local_writer *w = mem_calloc(1, sizeof *w);
    w->base.ops = &writer_ops;
    w->n = n;
    w->pid = -1;
    w->parts = mem_calloc((size_t)n, sizeof *w->parts);
    w->b = mem_calloc((size_t)n, sizeof *w->b);
    buf_init(&w->batch);
    for (int i = 0; i < n; i++) {
        w->parts[i] = logdir_partition(ld, topic, i);
        record_batch_builder_init(&w->b[i], 0);
    }
    *out = &w->base;
    return 0;
}

static uint64_t log_seq(void *ctx)
{
    return logdir_append_seq(ctx);
}

static void log_wait(void *ctx, uint64_t seq, int64_t timeout_ms)
{
    logdir_wait_append(ctx, seq, timeout_ms);
}

static const char *log_state_dir(void *ctx)
{
    return logdir_path(ctx);
}

static int log_topics(void *ctx, char ***names, size_t *n)
{
    return logdir_topic_list(ctx, names, n);
}

static const struct stream_log_ops log_ops = {
    log_partitions, log_create, log_delete,    log_reader, log_writer,
    log_seq,        log_wait,   log_state_dir, log_topics};

void local_log_init(struct stream_log *out, struct logdir *ld)
{
    out->ops = &log_ops;
    out->ctx = ld;
}
