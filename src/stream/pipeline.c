/* pipeline.c - source decoding, the operator chain and watermark driving
 * for one query task (layer: stream).
 *
 * pipeline_push iterates the records of a chunk (stream_log.h: the log
 * back end found the batches, checked them and decompressed them) and
 * decodes each value straight into the source batch. A full batch is
 * pushed down the chain and reset, then decoding continues; the partial
 * batch is pushed at the end of the call, before the chunk can go away
 * (strings are borrowed slices), before a record with fresh_buffer, and
 * before a control record, which goes to the caller's on_control (the
 * runtime's markers, in their order among the rows). Transactional data
 * is read uncommitted: control records are skipped, aborted data is not
 * filtered yet. Then the partition's highest event time feeds the
 * watermark, which is advanced and pushed through the chain.
 */
#include "stream/pipeline.h"

#include <stdio.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/murmur2.h"
#include "row/json_encode.h"
#include "row/row_decoder.h"
#include "stream/stream_log.h"
#include "stream/watermark.h"

struct pipeline {
    struct pipeline_source_config src;
    int capacity;
    struct row_decoder *dec; /* the one format dispatch (row_decoder.h) */
    /* pipeline_add_source: more inputs into the same chain; source s,
     * partition i is watermark slot s * npartitions + i */
    int nsources;
    struct row_decoder *more_dec[PIPELINE_MAX_SOURCES - 1];
    struct row_decoder *cur_dec; /* the source being pushed */
    struct row_batch *batch;
    struct watermark *wm;
    struct operator_node *head, *tail;
    bool sealed;
    bool ended;     /* end_of_input: the watermark stays at the end of time */
    int64_t ext_wm; /* external_watermark: the query's, from the caller */
    /* external_watermark: the minimum over the query's other partitions,
     * from the caller (pipeline_set_peer_floor); INT64_MIN: unknown, rows
     * see the watermark of the push's start */
    int64_t peer_floor;
    int key_column; /* pipeline_set_key_check, or -1 */
    int pk_column;  /* pipeline_set_per_key_watermarks, or -1 */
    int tag_column; /* pipeline_set_source_tag, or -1 */
    int cur_source; /* the source being pushed */
    struct buf key_text;
    pipeline_error_fn on_error;
    void *error_arg;
    struct pipeline_stats st;
};

/* The decoder of a source's format (row_decoder: the one dispatch). */
static int source_decoder(const struct pipeline_source_config *src,
                          struct row_decoder **out)
{
    static const enum row_format formats[] = {
        [PIPELINE_FORMAT_JSON] = ROW_FORMAT_JSON,
        [PIPELINE_FORMAT_CSV] = ROW_FORMAT_CSV,
        [PIPELINE_FORMAT_SENML] = ROW_FORMAT_SENML,
        [PIPELINE_FORMAT_ROW] = ROW_FORMAT_BINARY,
        [PIPELINE_FORMAT_SENML_CBOR] = ROW_FORMAT_SENML_CBOR,
        [PIPELINE_FORMAT_INFLUX] = ROW_FORMAT_INFLUX,
        [PIPELINE_FORMAT_SPARKPLUG] = ROW_FORMAT_SPARKPLUG,
    };
    if ((unsigned)src->format >= sizeof formats / sizeof formats[0])
        return ERR_INVALID;
    struct row_decoder_options o = {src->csv_delimiter, false};
    return row_decoder_create(formats[src->format], src->schema, &o, out);
}

int pipeline_create(const struct pipeline_source_config *src,
                    struct pipeline **out)
{
    if (!src || !src->schema || src->npartitions <= 0 ||
        src->time_column >= src->schema->ncolumns || src->batch_capacity < 0 ||
        src->batch_capacity > ROW_BATCH_MAX_CAPACITY)
        return ERR_INVALID;
    struct pipeline *p = mem_calloc(1, sizeof(*p));
    p->src = *src;
    p->capacity = src->batch_capacity ? src->batch_capacity : 1024;
    int rc = source_decoder(src, &p->dec);
    if (rc)
        goto out_free;
    rc = row_batch_create(src->schema, p->capacity, &p->batch);
    if (rc)
        goto out_dec;
    if (src->time_column >= 0) {
        rc = row_batch_set_time_column(p->batch, src->time_column);
        if (rc)
            goto out_batch;
    }
    rc = watermark_create(src->npartitions, src->watermark_delay_ms,
                          src->idle_timeout_ms, -1, &p->wm);
    if (rc)
        goto out_batch;
    buf_init(&p->key_text);
    p->key_column = -1;
    p->pk_column = -1;
    p->tag_column = -1;
    p->nsources = 1;
    p->st.watermark = WATERMARK_NONE;
    p->ext_wm = WATERMARK_NONE;
    p->peer_floor = INT64_MIN;
    *out = p;
    return 0;
out_batch:
    row_batch_destroy(p->batch);
out_dec:
    row_decoder_destroy(p->dec);
out_free:
    mem_free(p);
    return rc;
}

void pipeline_destroy(struct pipeline *p)
{
    if (!p)
        return;
    operator_destroy_chain(p->head);
    watermark_destroy(p->wm);
    row_batch_destroy(p->batch);
    row_decoder_destroy(p->dec);
    for (int i = 0; i < p->nsources - 1; i++)
        row_decoder_destroy(p->more_dec[i]);
    buf_fini(&p->key_text);
    mem_free(p);
}

const struct schema *pipeline_schema(const struct pipeline *p)
{
    return p->tail ? p->tail->out_schema : p->src.schema;
}

int pipeline_capacity(const struct pipeline *p)
{
    return p->capacity;
}

static int append(struct pipeline *p, struct operator_node *op)
{
    if (p->tail)
        p->tail->next = op;
    else
        p->head = op;
    p->tail = op;
    return 0;
}

int pipeline_add_filter(struct pipeline *p, struct expr_ctx *ctx,
                        struct expr *pred)
{
    if (p->sealed) {
        expr_ctx_destroy(ctx);
        return ERR_CLOSED;
    }
    struct operator_node *op;
    int rc =
        operator_filter_create(pipeline_schema(p), p->capacity, ctx, pred, &op);
    return rc ? rc : append(p, op);
}

int pipeline_add_project(struct pipeline *p, struct expr_ctx *ctx, int n,
                         struct expr *const *exprs, const char *const *names)
{
    if (p->sealed) {
        expr_ctx_destroy(ctx);
        return ERR_CLOSED;
    }
    struct operator_node *op;
    int rc = operator_project_create(pipeline_schema(p), p->capacity, ctx, n,
                                     exprs, names, &op);
    return rc ? rc : append(p, op);
}

int pipeline_add_window_agg(struct pipeline *p,
                            const struct window_agg_config *cfg,
                            struct window_agg **wa_out)
{
    if (p->sealed)
        return ERR_CLOSED;
    /* Its output batches are the pipeline's: the operators after it take
     * batches of at most that many rows. */
    struct window_agg_config c = *cfg;
    if (!c.output_capacity || c.output_capacity > p->capacity)
        c.output_capacity = p->capacity;
    struct operator_node *op;
    int rc = operator_window_create(pipeline_schema(p), &c, &op, wa_out);
    return rc ? rc : append(p, op);
}

int pipeline_add_operator(struct pipeline *p, struct operator_node *op)
{
    if (p->sealed) {
        op->ops->destroy(op);
        return ERR_CLOSED;
    }
    return append(p, op);
}

int pipeline_set_source_tag(struct pipeline *p, int column)
{
    if (column < 0 || column >= p->src.schema->ncolumns ||
        p->src.schema->columns[column].type != SCHEMA_INT)
        return ERR_INVALID;
    p->tag_column = column;
    return 0;
}

int pipeline_set_sink(struct pipeline *p, operator_sink_fn fn, void *arg)
{
    if (p->sealed)
        return ERR_CLOSED;
    struct operator_node *op;
    int rc = operator_sink_create(pipeline_schema(p), fn, arg, &op);
    if (rc)
        return rc;
    append(p, op);
    p->sealed = true;
    return 0;
}

void pipeline_set_error_handler(struct pipeline *p, pipeline_error_fn fn,
                                void *arg)
{
    p->on_error = fn;
    p->error_arg = arg;
}

/* Decodes one record value into the source batch: 0 (rows added),
 * ERR_TOO_LARGE (batch full: nothing added) or a decode error. */
static int decode(struct pipeline *p, const struct stream_record *r,
                  const struct row_meta *m, int64_t now_ms,
                  struct row_error *err)
{
    int n = row_decoder_decode(p->cur_dec, p->batch, (const char *)r->value,
                               r->value_len, now_ms, m, err);
    return n < 0 ? n : 0;
}

int pipeline_set_key_check(struct pipeline *p, int column)
{
    if (column < 0 || column >= p->src.schema->ncolumns)
        return ERR_INVALID;
    p->key_column = column;
    return 0;
}

/* a[0..n) == b[0..n), inline for the short keys of sensors (a memcmp call
 * per record cost 3% of a keyed query). */
static inline bool same_bytes(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    if (n <= 16 && n >= 8) {
        uint64_t a0, b0, a1, b1;
        memcpy(&a0, x, 8);
        memcpy(&b0, y, 8);
        memcpy(&a1, x + n - 8, 8);
        memcpy(&b1, y + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            if (x[i] != y[i])
                return false;
        return true;
    }
    return memcmp(a, b, n) == 0;
}

/* A keyed input, checked per record (pipeline_set_key_check): the record
 * key must be the key column's value (a string's bytes, else its JSON
 * text) and sit in the partition murmur2 gives it. Returns 0 or fills
 * err. */
static int key_check(struct pipeline *p, const struct stream_record *r, int row,
                     int partition, struct row_error *err)
{
    const char *name = p->src.schema->columns[p->key_column].name;
    if (r->key_null)
        return row_error_set(err, ERR_INVALID, 0,
                             "record has no key, but the stream is keyed by "
                             "'%s' (the query aggregates each partition on "
                             "its own)",
                             name);
    const struct row_column *col = &p->batch->columns[p->key_column];
    const void *want;
    size_t wlen;
    if (col->nulls[row]) {
        want = "null"; /* never equal: a key column is NULL */
        wlen = SIZE_MAX;
    } else if (col->type == SCHEMA_STRING) {
        want = col->data.str[row].ptr;
        wlen = col->data.str[row].len;
    } else {
        buf_reset(&p->key_text);
        json_encode_value(&p->key_text,
                          row_batch_get(p->batch, row, p->key_column));
        want = p->key_text.data;
        wlen = p->key_text.len;
    }
    if (wlen != r->key_len || !same_bytes(want, r->key, wlen))
        return row_error_set(err, ERR_INVALID, 0,
                             "record key differs from its '%s' column, by "
                             "which the stream is keyed (the query aggregates "
                             "each partition on its own)",
                             name);
    int32_t home = murmur2_partition(r->key, r->key_len, p->src.npartitions);
    if (home != partition)
        return row_error_set(err, ERR_INVALID, 0,
                             "record key belongs in partition %d (murmur2), "
                             "found in partition %d (the query aggregates "
                             "each partition on its own)",
                             (int)home, partition);
    return 0;
}

int pipeline_set_per_key_watermarks(struct pipeline *p, int column)
{
    if (column < 0 || column >= p->src.schema->ncolumns ||
        p->src.time_column < 0)
        return ERR_INVALID;
    p->pk_column = column;
    watermark_set_per_key(p->wm);
    return 0;
}

bool pipeline_per_key_watermarks(const struct pipeline *p)
{
    return p->pk_column >= 0;
}

/* Per-key watermarks: rows [from, to) of b, read from watermark slot
 * `slot`, each observed under its key (the key column's bytes: a string's,
 * else the value's; NULL is the empty key). Returns 0 or ERR_TOO_LARGE. */
static int observe_keys(struct pipeline *p, const struct row_batch *b, int from,
                        int to, int slot, int64_t now_ms)
{
    const struct row_column *c = &b->columns[p->pk_column];
    char text[32];
    for (int i = from; i < to; i++) {
        const void *k = "";
        size_t n = 0;
        if (!c->nulls[i]) {
            /* a string's bytes, else the value as text (EXPLAIN WATERMARK
             * names the key) */
            int64_t v = 0;
            bool integer = false;
            switch (c->type) {
            case SCHEMA_STRING:
                k = c->data.str[i].ptr;
                n = c->data.str[i].len;
                break;
            case SCHEMA_BOOLEAN:
                k = c->data.b[i] ? "true" : "false";
                n = strlen(k);
                break;
            case SCHEMA_DOUBLE:
                n = (size_t)snprintf(text, sizeof text, "%.17g",
                                     c->data.f64[i]);
                k = text;
                break;
            case SCHEMA_INT:
                v = c->data.i32[i];
                integer = true;
                break;
            default:
                v = c->data.i64[i];
                integer = true;
                break;
            }
            if (integer) {
                char *e = text + sizeof text, *q = e;
                uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
                do
                    *--q = (char)('0' + u % 10);
                while (u /= 10);
                if (v < 0)
                    *--q = '-';
                k = q;
                n = (size_t)(e - q);
            }
        }
        int rc = watermark_observe_key(p->wm, slot, k, n, b->meta[i].event_ts,
                                       now_ms);
        if (rc)
            return rc;
    }
    return 0;
}

static int run(struct pipeline *p, const struct row_batch *b)
{
    if (b->nrows == 0)
        return 0;
    p->st.rows_in += (uint64_t)b->nrows;
    p->head->rows_in += (uint64_t)b->nrows;
    return p->head->ops->push(p->head, b);
}

static int advance(struct pipeline *p, int64_t now_ms)
{
    if (p->ended)
        return 0;
    int64_t before = watermark_current(p->wm);
    int64_t wm = watermark_advance(p->wm, now_ms);
    if (p->src.external_watermark)
        before = wm = p->ext_wm; /* only the caller moves the operators */
    p->st.watermark = wm;
    if (wm != before || wm != WATERMARK_NONE) {
        int rc = operator_advance_chain(p->head, wm);
        if (rc)
            return rc;
    }
    return 0;
}

/* Pushes records until the end of the chunk or a control record (left in
 * *ctl: returns 1): decoding, the chain, then the partition's watermark,
 * as one push. Returns 0, 1 or an operator's error. */
/* Records taken from a chunk many at a time. */
#define RECS_AT_ONCE 64
struct rec_reader {
    struct stream_records *recs;
    struct stream_record buf[RECS_AT_ONCE];
    int n, i;
};

static inline const struct stream_record *take(struct rec_reader *rd)
{
    if (rd->i == rd->n) {
        rd->n = rd->recs->ops->next_many(rd->recs, rd->buf, RECS_AT_ONCE);
        rd->i = 0;
        if (rd->n <= 0)
            return NULL;
    }
    return &rd->buf[rd->i++];
}

static int push_run(struct pipeline *p, int partition, int slot,
                    struct rec_reader *rd, int64_t now_ms,
                    struct stream_record *ctl)
{
    struct stream_records *recs = rd->recs;
    int64_t max_ts = WATERMARK_NONE;
    int rc = 0, got = 0;
    /* Watermarks record by record (docs/planner.md): each row sees the
     * query watermark as it would stand had the records before it in
     * this partition been pushed one at a time, the other partitions as
     * they stand now. */
    int64_t wm_start = pipeline_watermark(p);
    int64_t floor = p->src.external_watermark
                        ? p->peer_floor
                        : watermark_others_floor(p->wm, slot);
    int64_t delay = watermark_delay(p->wm);
    int64_t run_max = watermark_partition(p->wm, slot);
    if (run_max != WATERMARK_NONE)
        run_max += delay;
    int64_t row_wm = wm_start;
    uint64_t corrupt = recs->corrupt;
    const struct stream_record *r;
    while ((r = take(rd)) != NULL) {
        if (r->control) {
            if (!ctl)
                continue; /* transaction markers: not data */
            *ctl = *r;
            got = 1;
            break;
        }
        /* A new decompression: the rows borrowing the previous one go
         * down the chain first. */
        if (r->fresh_buffer && p->batch->nrows) {
            rc = run(p, p->batch);
            row_batch_reset(p->batch);
            if (rc)
                return rc;
        }
        p->st.records_in++;
        struct row_meta m = {r->timestamp, r->offset, r->timestamp, partition,
                             row_wm};
        struct row_error err;
        int dr, before = p->batch->nrows;
        if (r->value_null) {
            dr = row_error_set(&err, ERR_PARSE, 0, "null record value");
        } else {
            dr = decode(p, r, &m, now_ms, &err);
            if (dr == ERR_TOO_LARGE && p->batch->nrows > 0) {
                rc = run(p, p->batch);
                row_batch_reset(p->batch);
                if (rc)
                    return rc;
                before = 0;
                dr = decode(p, r, &m, now_ms, &err);
            }
            if (!dr && p->key_column >= 0 && slot == partition &&
                p->batch->nrows > before) {
                dr = key_check(p, r, before, partition, &err);
                if (dr)
                    p->batch->nrows = before; /* not aggregated here */
            }
        }
        if (!dr && p->tag_column >= 0) {
            struct row_column *tc = &p->batch->columns[p->tag_column];
            for (int i = before; i < p->batch->nrows; i++) {
                tc->nulls[i] = 0;
                tc->data.i32[i] = p->cur_source;
            }
        }
        if (dr) {
            p->st.decode_errors++;
            if (p->on_error)
                p->on_error(p->error_arg, partition, r, &err);
            continue;
        }
        for (int i = before; i < p->batch->nrows; i++)
            if (p->batch->meta[i].event_ts > max_ts)
                max_ts = p->batch->meta[i].event_ts;
        if (p->pk_column >= 0) {
            /* Per-key: each key's own watermark is the window operator's
             * (window_agg_set_per_key); rows see the partition's floor as
             * of the push's start. */
            rc = observe_keys(p, p->batch, before, p->batch->nrows, slot,
                              now_ms);
            if (rc)
                return rc;
        } else if (max_ts > run_max) {
            run_max = max_ts;
            int64_t own =
                run_max - delay < run_max ? run_max - delay : WATERMARK_NONE;
            int64_t q = own < floor ? own : floor;
            if (q > row_wm)
                row_wm = q;
        }
    }
    p->st.corrupt_batches += recs->corrupt - corrupt;
    rc = run(p, p->batch);
    row_batch_reset(p->batch);
    if (rc)
        return rc;
    if (max_ts != WATERMARK_NONE && p->pk_column < 0)
        watermark_observe(p->wm, slot, max_ts, now_ms);
    rc = advance(p, now_ms);
    return rc ? rc : got;
}

int pipeline_push_source(struct pipeline *p, int source, int partition,
                         struct stream_records *recs, int64_t now_ms,
                         pipeline_control_fn on_control, void *arg)
{
    if (!p->sealed)
        return ERR_CLOSED;
    if (partition < 0 || partition >= p->src.npartitions || source < 0 ||
        source >= p->nsources)
        return ERR_RANGE;
    p->cur_dec = source ? p->more_dec[source - 1] : p->dec;
    p->cur_source = source;
    int slot = source * p->src.npartitions + partition;
    struct stream_record ctl;
    struct rec_reader rd;
    rd.recs = recs;
    rd.n = rd.i = 0;
    int rc;
    while ((rc = push_run(p, partition, slot, &rd, now_ms,
                          on_control ? &ctl : NULL)) == 1)
        if ((rc = on_control(arg, &ctl)))
            return rc;
    return rc;
}

int pipeline_push(struct pipeline *p, int partition,
                  struct stream_records *recs, int64_t now_ms,
                  pipeline_control_fn on_control, void *arg)
{
    return pipeline_push_source(p, 0, partition, recs, now_ms, on_control, arg);
}

int pipeline_add_source(struct pipeline *p,
                        const struct pipeline_source_config *src)
{
    if (p->sealed)
        return ERR_CLOSED;
    if (p->nsources >= PIPELINE_MAX_SOURCES || !src || !src->schema ||
        src->npartitions != p->src.npartitions ||
        src->schema->ncolumns != p->src.schema->ncolumns ||
        src->time_column != p->src.time_column)
        return ERR_INVALID;
    for (int c = 0; c < src->schema->ncolumns; c++)
        if (src->schema->columns[c].type != p->src.schema->columns[c].type)
            return ERR_INVALID;
    struct row_decoder *d;
    int rc = source_decoder(src, &d);
    if (rc)
        return rc;
    /* Every source's slots on one watermark: the minimum over them. */
    struct watermark *w;
    rc = watermark_create(p->src.npartitions * (p->nsources + 1),
                          p->src.watermark_delay_ms, p->src.idle_timeout_ms, -1,
                          &w);
    if (rc) {
        row_decoder_destroy(d);
        return rc;
    }
    watermark_destroy(p->wm);
    p->wm = w;
    if (p->pk_column >= 0)
        watermark_set_per_key(w);
    p->more_dec[p->nsources - 1] = d;
    p->nsources++;
    return 0;
}

int pipeline_nslots(const struct pipeline *p)
{
    return p->nsources * p->src.npartitions;
}

int pipeline_push_rows(struct pipeline *p, const struct row_batch *rows,
                       int64_t now_ms)
{
    if (!p->sealed)
        return ERR_CLOSED;
    int rc = run(p, rows);
    if (rc)
        return rc;
    /* Rows without a partition count as partition 0. */
    for (int i = 0; i < rows->nrows; i++) {
        int32_t part = rows->meta[i].partition;
        if (part < 0 || part >= p->src.npartitions)
            part = 0;
        if (p->pk_column >= 0)
            rc = observe_keys(p, rows, i, i + 1, part, now_ms);
        else
            watermark_observe(p->wm, part, rows->meta[i].event_ts, now_ms);
        if (rc)
            return rc;
    }
    return advance(p, now_ms);
}

int pipeline_tick(struct pipeline *p, int64_t now_ms)
{
    if (!p->sealed)
        return ERR_CLOSED;
    int rc = advance(p, now_ms);
    if (!rc)
        rc = operator_tick_chain(p->head, now_ms);
    if (rc)
        return rc;
    return operator_flush_chain(p->head);
}

int pipeline_end_of_input(struct pipeline *p)
{
    if (!p->sealed)
        return ERR_CLOSED;
    p->ended = true;
    p->st.watermark = INT64_MAX;
    int rc = operator_advance_chain(p->head, INT64_MAX);
    if (rc)
        return rc;
    return operator_flush_chain(p->head);
}

int pipeline_set_watermark(struct pipeline *p, int64_t wm)
{
    if (!p->src.external_watermark)
        return ERR_INVALID;
    if (!p->sealed)
        return ERR_CLOSED;
    if (p->ended || wm <= p->ext_wm)
        return 0;
    p->ext_wm = wm;
    p->st.watermark = wm;
    int rc = operator_advance_chain(p->head, wm);
    if (rc)
        return rc;
    return operator_flush_chain(p->head);
}

void pipeline_set_peer_floor(struct pipeline *p, int64_t floor)
{
    p->peer_floor = floor;
}

int64_t pipeline_partition_watermark(const struct pipeline *p, int partition)
{
    if (partition < 0 || partition >= pipeline_nslots(p))
        return WATERMARK_NONE;
    return watermark_partition(p->wm, partition);
}

bool pipeline_partition_idle(const struct pipeline *p, int partition)
{
    if (partition < 0 || partition >= pipeline_nslots(p))
        return false;
    return watermark_partition_idle(p->wm, partition);
}

void pipeline_stats(const struct pipeline *p, struct pipeline_stats *out)
{
    *out = p->st;
    out->rows_out = p->tail ? p->tail->rows_out : 0;
}

const struct operator_node *pipeline_operators(const struct pipeline *p)
{
    return p->head;
}

int64_t pipeline_watermark(const struct pipeline *p)
{
    if (p->ended)
        return INT64_MAX;
    return p->src.external_watermark ? p->ext_wm : watermark_current(p->wm);
}

/* ---- checkpoints (docs/checkpoints.md) ----
 * Layout, integers big-endian: "PIP1", i64 the operators' watermark
 * (external mode) or WATERMARK_NONE, u32 slots, per slot i64 its own
 * watermark, u32 operators, per operator i64 its watermark, u32 length
 * and its snapshot (0 bytes for a stateless one). */

bool pipeline_checkpointable(const struct pipeline *p, char *why, size_t n)
{
    for (const struct operator_node *op = p->head; op; op = op->next) {
        const char *reason = NULL;
        if (op->ops->checkpointable) {
            if (op->ops->checkpointable(op, &reason))
                continue;
        } else if (op->ops->snapshot || !op->ops->state) {
            continue;
        }
        snprintf(why, n, "%s keeps state that checkpoints do not save%s%s",
                 op->ops->name, reason ? ": " : " yet", reason ? reason : "");
        return false;
    }
    return true;
}

int pipeline_snapshot(struct pipeline *p, struct buf *out)
{
    buf_put(out, "PIP1", 4);
    buf_put_i64(out, p->src.external_watermark ? p->ext_wm : WATERMARK_NONE);
    int ns = pipeline_nslots(p);
    buf_put_i32(out, ns);
    for (int i = 0; i < ns; i++)
        buf_put_i64(out, watermark_partition(p->wm, i));
    int nops = 0;
    for (const struct operator_node *op = p->head; op; op = op->next)
        nops++;
    buf_put_i32(out, nops);
    for (struct operator_node *op = p->head; op; op = op->next) {
        buf_put_i64(out, op->watermark);
        size_t at = out->len;
        buf_put_i32(out, 0);
        if (!op->ops->snapshot)
            continue;
        int rc = op->ops->snapshot(op, out);
        if (rc)
            return rc;
        buf_set_i32(out, at, (int32_t)(out->len - at - 4));
    }
    return 0;
}

int pipeline_restore(struct pipeline *p, const uint8_t *data, size_t n,
                     int64_t now_ms)
{
    struct buf_reader r;
    buf_reader_init(&r, data, n);
    struct slice magic = buf_read_bytes(&r, 4);
    if (r.err || memcmp(magic.ptr, "PIP1", 4))
        return ERR_CORRUPT;
    int64_t ext = buf_read_i64(&r);
    int ns = buf_read_i32(&r);
    if (r.err || ns != pipeline_nslots(p))
        return ERR_CORRUPT;
    int64_t delay = watermark_delay(p->wm);
    for (int i = 0; i < ns; i++) {
        int64_t w = buf_read_i64(&r);
        if (!r.err && w != WATERMARK_NONE)
            watermark_observe(p->wm, i, w > INT64_MAX - delay ? w : w + delay,
                              now_ms);
    }
    int nops = buf_read_i32(&r);
    int have = 0;
    for (const struct operator_node *op = p->head; op; op = op->next)
        have++;
    if (r.err || nops != have)
        return ERR_CORRUPT;
    for (struct operator_node *op = p->head; op; op = op->next) {
        op->watermark = buf_read_i64(&r);
        uint32_t len = (uint32_t)buf_read_i32(&r);
        struct slice st = buf_read_bytes(&r, len);
        if (r.err)
            return ERR_CORRUPT;
        if (!len)
            continue;
        if (!op->ops->restore)
            return ERR_CORRUPT;
        int rc = op->ops->restore(op, st.ptr, st.len);
        if (rc)
            return rc;
    }
    if (buf_reader_left(&r))
        return ERR_CORRUPT;
    if (p->src.external_watermark && ext != WATERMARK_NONE) {
        p->ext_wm = ext;
        p->st.watermark = ext;
    }
    return 0;
}

int pipeline_flush(struct pipeline *p)
{
    return operator_flush_chain(p->head);
}

int pipeline_partition_keys(const struct pipeline *p, int partition)
{
    return watermark_partition_keys(p->wm, partition);
}

bool pipeline_partition_holder(const struct pipeline *p, int partition,
                               const void **key, size_t *len, int64_t *wm)
{
    return watermark_partition_holder(p->wm, partition, key, len, wm);
}
