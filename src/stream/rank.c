/* rank.c - DISTINCT, deduplication and Top-N operators (layer: stream).
 *
 * State: groups (one per key: the PARTITION BY columns, for WINDOW_TOPN
 * including window_end) in a dense array with a free list and a
 * generation per slot, found through a hashmap from the key's bytes to
 * the slot. A group holds up to n rows, each encoded as bytes (per
 * column: a NULL byte, then 8 bytes, or a u32 length and the string),
 * sorted by rank. Timers (FIRST: a pending row's time; WINDOW_TOPN: the
 * window's end - 1) are a min-heap of (time, seq, slot, generation);
 * an entry whose group moved on or went is stale and skipped. The TTL is
 * applied by a sweep over every group each time the watermark has moved
 * a quarter of the TTL. Rows are allocated when kept (a key's first row,
 * a row entering a Top-N), not per input row.
 */
#include "stream/rank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "stream/watermark.h"

struct rrow {
    int64_t ts;
    uint64_t seq; /* arrival order: ties */
    uint32_t len;
    uint8_t bytes[];
};

struct group {
    int64_t ts;  /* FIRST: the pending/emitted row's; others: the newest */
    int64_t end; /* WINDOW_TOPN: window_end */
    uint32_t gen;
    bool live, emitted;
    int n;
    struct rrow **rows; /* cap: 1 or cfg.n */
    void *key;
    size_t key_len;
};

struct hent {
    int64_t t;
    uint64_t seq;
    uint32_t slot, gen;
};

struct rank_op {
    struct operator_node base;
    struct rank_config cfg;
    const struct schema *in;
    struct schema out_schema;
    struct row_batch *out;
    struct hashmap map;
    struct group *groups;
    uint32_t ngroups, cap, free_head; /* free list through .n */
    uint32_t nfree;
    struct hent *heap;
    size_t nheap, heap_cap;
    uint64_t seq;
    int64_t wm, swept;
    struct rank_stats st;
    struct buf keybuf, rowbuf;
    struct value vals[SCHEMA_MAX_COLUMNS + 1];
};

/* ---- encoding ---- */

static void enc_value(struct buf *b, const struct row_batch *in, int row, int c)
{
    const struct row_column *col = &in->columns[c];
    uint8_t null = col->nulls[row] ? 1 : 0;
    buf_put(b, &null, 1);
    if (null)
        return;
    int64_t x = 0;
    switch (col->type) {
    case SCHEMA_BOOLEAN:
        x = col->data.b[row];
        break;
    case SCHEMA_INT:
        x = col->data.i32[row];
        break;
    case SCHEMA_DOUBLE:
        memcpy(&x, &col->data.f64[row], 8);
        break;
    case SCHEMA_STRING: {
        uint32_t n = col->data.str[row].len;
        buf_put(b, &n, 4);
        buf_put(b, col->data.str[row].ptr, n);
        return;
    }
    default:
        x = col->data.i64[row];
        break;
    }
    buf_put(b, &x, 8);
}

/* Decodes a stored row into o->vals[0..ncolumns); strings borrow r. */
static void dec_row(struct rank_op *o, const struct rrow *r)
{
    const uint8_t *p = r->bytes;
    for (int c = 0; c < o->in->ncolumns; c++) {
        struct value *v = &o->vals[c];
        if (*p++) {
            *v = value_null();
            continue;
        }
        enum schema_type t = o->in->columns[c].type;
        if (t == SCHEMA_STRING) {
            uint32_t n;
            memcpy(&n, p, 4);
            *v = value_string((const char *)p + 4, n);
            p += 4 + n;
            continue;
        }
        int64_t x;
        memcpy(&x, p, 8);
        p += 8;
        switch (t) {
        case SCHEMA_BOOLEAN:
            *v = value_bool(x != 0);
            break;
        case SCHEMA_INT:
            *v = value_int((int32_t)x);
            break;
        case SCHEMA_DOUBLE: {
            double d;
            memcpy(&d, &x, 8);
            *v = value_double(d);
            break;
        }
        case SCHEMA_TIMESTAMP:
            *v = value_timestamp(x);
            break;
        default:
            *v = value_bigint(x);
            break;
        }
    }
}

static struct rrow *row_new(struct rank_op *o, const struct row_batch *in,
                            int row)
{
    buf_reset(&o->rowbuf);
    for (int c = 0; c < in->ncolumns; c++)
        enc_value(&o->rowbuf, in, row, c);
    struct rrow *r = mem_alloc(sizeof *r + o->rowbuf.len);
    r->ts = in->meta[row].event_ts;
    r->seq = o->seq++;
    r->len = (uint32_t)o->rowbuf.len;
    memcpy(r->bytes, o->rowbuf.data, o->rowbuf.len);
    o->st.rows++;
    o->st.bytes += sizeof *r + r->len;
    return r;
}

static void row_free(struct rank_op *o, struct rrow *r)
{
    if (!r)
        return;
    o->st.rows--;
    o->st.bytes -= sizeof *r + r->len;
    mem_free(r);
}

/* ---- output ---- */

static int flush_out(struct rank_op *o)
{
    if (o->out->nrows == 0)
        return 0;
    int rc = operator_emit(&o->base, o->out);
    row_batch_reset(o->out);
    return rc;
}

/* Emits stored row r with rank rn (0: no rank column) at event time ts. */
static int emit_row(struct rank_op *o, const struct rrow *r, int64_t rn,
                    int64_t ts)
{
    if (row_batch_full(o->out)) {
        int rc = flush_out(o);
        if (rc)
            return rc;
    }
    dec_row(o, r);
    if (o->cfg.rank_column >= 0)
        o->vals[o->cfg.rank_column] = value_bigint(rn);
    struct row_meta m = {ts, -1, ts, -1, WATERMARK_NONE};
    int rc = row_batch_append(o->out, o->vals, &m, true);
    return rc < 0 ? rc : 0;
}

/* Emits input row `row` as it is (DISTINCT, LAST) with rank 1. */
static int emit_input(struct rank_op *o, const struct row_batch *in, int row)
{
    if (row_batch_full(o->out)) {
        int rc = flush_out(o);
        if (rc)
            return rc;
    }
    for (int c = 0; c < in->ncolumns; c++)
        o->vals[c] = row_batch_get(in, row, c);
    if (o->cfg.rank_column >= 0)
        o->vals[o->cfg.rank_column] = value_bigint(1);
    struct row_meta m = in->meta[row];
    m.watermark = WATERMARK_NONE;
    int rc = row_batch_append(o->out, o->vals, &m, true);
    return rc < 0 ? rc : 0;
}

/* ---- groups and timers ---- */

static void heap_push(struct rank_op *o, int64_t t, uint64_t seq, uint32_t slot)
{
    if (o->nheap == o->heap_cap) {
        o->heap_cap = o->heap_cap ? o->heap_cap * 2 : 64;
        o->heap = mem_realloc(o->heap, o->heap_cap * sizeof *o->heap);
    }
    struct hent e = {t, seq, slot, o->groups[slot].gen};
    size_t i = o->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        const struct hent *q = &o->heap[p];
        if (q->t < e.t || (q->t == e.t && q->seq <= e.seq))
            break;
        o->heap[i] = *q;
        i = p;
    }
    o->heap[i] = e;
}

static struct hent heap_pop(struct rank_op *o)
{
    struct hent top = o->heap[0];
    struct hent last = o->heap[--o->nheap];
    size_t i = 0, n = o->nheap;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const struct hent *best = &last;
        if (l < n && (o->heap[l].t < best->t ||
                      (o->heap[l].t == best->t && o->heap[l].seq < best->seq)))
            m = l, best = &o->heap[l];
        if (r < n && (o->heap[r].t < best->t ||
                      (o->heap[r].t == best->t && o->heap[r].seq < best->seq)))
            m = r, best = &o->heap[r];
        if (m == i)
            break;
        o->heap[i] = o->heap[m];
        i = m;
    }
    if (n)
        o->heap[i] = last;
    return top;
}

static uint32_t group_slot(struct rank_op *o, const struct row_batch *in,
                           int row, bool *created)
{
    buf_reset(&o->keybuf);
    for (int k = 0; k < o->cfg.nkeys; k++)
        enc_value(&o->keybuf, in, row, o->cfg.keys[k]);
    void *v = hashmap_get(&o->map, o->keybuf.data, o->keybuf.len);
    *created = v == NULL;
    if (v)
        return (uint32_t)((uintptr_t)v - 1);
    uint32_t s;
    if (o->nfree) {
        s = o->free_head;
        o->free_head = (uint32_t)o->groups[s].n;
        o->nfree--;
    } else {
        if (o->ngroups == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 64;
            o->groups = mem_realloc(o->groups, o->cap * sizeof *o->groups);
            memset(o->groups + o->ngroups, 0,
                   (o->cap - o->ngroups) * sizeof *o->groups);
        }
        s = o->ngroups++;
    }
    struct group *g = &o->groups[s];
    uint32_t gen = g->gen;
    memset(g, 0, sizeof *g);
    g->gen = gen;
    g->live = true;
    int cap = o->cfg.mode == RANK_TOPN || o->cfg.mode == RANK_WINDOW_TOPN
                  ? (int)o->cfg.n
                  : 1;
    if (o->cfg.mode != RANK_DISTINCT)
        g->rows = mem_calloc((size_t)cap, sizeof *g->rows);
    g->key = mem_alloc(o->keybuf.len ? o->keybuf.len : 1);
    memcpy(g->key, o->keybuf.data, o->keybuf.len);
    g->key_len = o->keybuf.len;
    hashmap_put(&o->map, g->key, g->key_len, (void *)(uintptr_t)(s + 1));
    o->st.keys++;
    o->st.bytes += g->key_len + sizeof *g;
    return s;
}

static void group_free(struct rank_op *o, uint32_t s)
{
    struct group *g = &o->groups[s];
    hashmap_remove(&o->map, g->key, g->key_len);
    for (int i = 0; i < g->n; i++)
        row_free(o, g->rows[i]);
    if (o->cfg.mode == RANK_FIRST || o->cfg.mode == RANK_LAST)
        row_free(o, g->rows ? g->rows[0] : NULL);
    o->st.bytes -= g->key_len + sizeof *g;
    o->st.keys--;
    mem_free(g->rows);
    mem_free(g->key);
    g->rows = NULL;
    g->key = NULL;
    g->live = false;
    g->gen++;
    g->n = (int)o->free_head;
    o->free_head = s;
    o->nfree++;
}

/* ---- ordering (TOPN) ---- */

static int cmp_values(struct value a, struct value b)
{
    /* NULL is the least value (first ascending, last descending). */
    if (a.type == SCHEMA_NULL || b.type == SCHEMA_NULL)
        return (a.type != SCHEMA_NULL) - (b.type != SCHEMA_NULL);
    switch (a.type) {
    case SCHEMA_DOUBLE:
        return (a.u.f64 > b.u.f64) - (a.u.f64 < b.u.f64);
    case SCHEMA_INT:
        return (a.u.i32 > b.u.i32) - (a.u.i32 < b.u.i32);
    case SCHEMA_BOOLEAN:
        return (int)a.u.b - (int)b.u.b;
    case SCHEMA_STRING: {
        uint32_t n = a.u.str.len < b.u.str.len ? a.u.str.len : b.u.str.len;
        int c = n ? memcmp(a.u.str.ptr, b.u.str.ptr, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return (a.u.str.len > b.u.str.len) - (a.u.str.len < b.u.str.len);
    }
    default:
        return (a.u.i64 > b.u.i64) - (a.u.i64 < b.u.i64);
    }
}

/* < 0 when input row `row` ranks before stored row r. Equal keys: the
 * stored one first (arrival order, as Flink's Top-N). */
static int cmp_in_stored(struct rank_op *o, const struct row_batch *in, int row,
                         const struct rrow *r)
{
    dec_row(o, r);
    for (int i = 0; i < o->cfg.norder; i++) {
        int c = o->cfg.order[i];
        int d = cmp_values(row_batch_get(in, row, c), o->vals[c]);
        if (o->cfg.desc[i])
            d = -d;
        if (d)
            return d;
    }
    return 1;
}

/* ---- modes ---- */

static void late_row(struct rank_op *o, const struct row_batch *in, int row)
{
    o->st.late++;
    if (o->cfg.late)
        o->cfg.late(o->cfg.late_arg, in, row);
}

static int push_row(struct rank_op *o, const struct row_batch *in, int row)
{
    int64_t ts = in->meta[row].event_ts;
    bool created;
    uint32_t s;
    struct group *g;
    if (o->cfg.mode == RANK_WINDOW_TOPN) {
        const struct row_column *ec = &in->columns[o->cfg.window_end];
        if (ec->nulls[row])
            return 0; /* no window: belongs to none */
        int64_t end = ec->data.i64[row];
        if (o->wm != WATERMARK_NONE && end - 1 <= o->wm) {
            late_row(o, in, row);
            return 0;
        }
        s = group_slot(o, in, row, &created);
        g = &o->groups[s];
        if (created) {
            g->end = end;
            heap_push(o, end - 1, o->seq++, s);
        }
        goto topn;
    }
    s = group_slot(o, in, row, &created);
    g = &o->groups[s];
    switch (o->cfg.mode) {
    case RANK_DISTINCT:
        if (created || ts > g->ts)
            g->ts = ts;
        return created ? emit_input(o, in, row) : 0;
    case RANK_FIRST:
        if (created) {
            g->ts = ts;
            g->rows[0] = row_new(o, in, row);
            if (o->wm != WATERMARK_NONE && ts <= o->wm) {
                /* no earlier row can come but a late one: final now */
                g->emitted = true;
                return emit_row(o, g->rows[0], 1, ts);
            }
            heap_push(o, ts, g->rows[0]->seq, s);
            return 0;
        }
        if (ts >= g->ts)
            return 0; /* a duplicate */
        if (g->emitted) {
            late_row(o, in, row);
            return 0;
        }
        row_free(o, g->rows[0]);
        g->rows[0] = row_new(o, in, row);
        g->ts = ts;
        heap_push(o, ts, g->rows[0]->seq, s);
        return 0;
    case RANK_LAST:
        if (!created && ts < g->ts)
            return 0; /* older than the kept row: changes nothing */
        g->ts = ts;
        return emit_input(o, in, row);
    default:
        break;
    }
    if (created || ts > g->ts)
        g->ts = ts;
topn:;
    /* Where the row goes: after every stored row that ranks before it or
     * ties with it. */
    int pos = g->n;
    while (pos > 0 && cmp_in_stored(o, in, row, g->rows[pos - 1]) < 0)
        pos--;
    if (pos >= o->cfg.n)
        return 0;
    if (g->n == o->cfg.n)
        row_free(o, g->rows[--g->n]);
    memmove(&g->rows[pos + 1], &g->rows[pos],
            (size_t)(g->n - pos) * sizeof *g->rows);
    g->rows[pos] = row_new(o, in, row);
    g->n++;
    if (o->cfg.mode == RANK_WINDOW_TOPN)
        return 0; /* emitted when the window closes */
    for (int i = pos; i < g->n; i++) {
        int rc = emit_row(o, g->rows[i], i + 1, ts);
        if (rc)
            return rc;
    }
    return 0;
}

static int rank_push(struct operator_node *op, const struct row_batch *in)
{
    struct rank_op *o = (struct rank_op *)op;
    for (int i = 0; i < in->nrows; i++) {
        int rc = push_row(o, in, i);
        if (rc)
            return rc;
    }
    return flush_out(o);
}

static void sweep(struct rank_op *o)
{
    for (uint32_t s = 0; s < o->ngroups; s++) {
        struct group *g = &o->groups[s];
        if (!g->live || g->ts > o->wm - o->cfg.ttl_ms)
            continue;
        if (o->cfg.mode == RANK_FIRST && !g->emitted)
            continue;
        group_free(o, s);
        o->st.expired++;
    }
    o->swept = o->wm;
}

static int rank_advance(struct operator_node *op, int64_t wm)
{
    struct rank_op *o = (struct rank_op *)op;
    if (wm <= o->wm)
        return 0;
    o->wm = wm;
    while (o->nheap && o->heap[0].t <= wm) {
        struct hent e = heap_pop(o);
        struct group *g = &o->groups[e.slot];
        if (!g->live || g->gen != e.gen)
            continue;
        int rc = 0;
        if (o->cfg.mode == RANK_FIRST) {
            if (g->emitted || !g->rows[0] || g->rows[0]->seq != e.seq)
                continue; /* replaced by an earlier row: stale */
            g->emitted = true;
            rc = emit_row(o, g->rows[0], 1, g->ts);
        } else {
            for (int i = 0; i < g->n && !rc; i++)
                rc = emit_row(o, g->rows[i], i + 1, g->end - 1);
            group_free(o, e.slot);
        }
        if (rc)
            return rc;
    }
    if (o->cfg.ttl_ms > 0 && wm != INT64_MAX &&
        (o->swept == WATERMARK_NONE || wm - o->swept >= o->cfg.ttl_ms / 4))
        sweep(o);
    return flush_out(o);
}

static void rank_destroy(struct operator_node *op)
{
    struct rank_op *o = (struct rank_op *)op;
    for (uint32_t s = 0; s < o->ngroups; s++)
        if (o->groups[s].live)
            group_free(o, s);
    mem_free(o->groups);
    mem_free(o->heap);
    hashmap_fini(&o->map);
    buf_fini(&o->keybuf);
    buf_fini(&o->rowbuf);
    row_batch_destroy(o->out);
    mem_free(o);
}

static void rank_state(const struct operator_node *op,
                       struct operator_state *out)
{
    const struct rank_op *o = (const struct rank_op *)op;
    out->entries = o->st.rows ? o->st.rows : o->st.keys;
    out->bytes = o->st.bytes;
}

#define RANK_OPS(label)                                                        \
    {                                                                          \
        .name = label, .push = rank_push, .advance = rank_advance,             \
        .destroy = rank_destroy, .state = rank_state,                          \
    }

static const struct operator_ops rank_ops[] = {
    [RANK_DISTINCT] = RANK_OPS("distinct"),
    [RANK_FIRST] = RANK_OPS("deduplicate (first row)"),
    [RANK_LAST] = RANK_OPS("deduplicate (last row)"),
    [RANK_TOPN] = RANK_OPS("top-n"),
    [RANK_WINDOW_TOPN] = RANK_OPS("window top-n"),
};

int rank_create(const struct schema *in, const struct rank_config *cfg,
                struct operator_node **out, char *err, size_t errlen)
{
    const char *why = NULL;
    if (cfg->nkeys < 0 || cfg->nkeys > RANK_MAX_KEYS || cfg->norder < 0 ||
        cfg->norder > RANK_MAX_ORDER)
        why = "too many keys or ORDER BY columns";
    else if ((cfg->mode == RANK_TOPN || cfg->mode == RANK_WINDOW_TOPN) &&
             (cfg->n < 1 || cfg->n > RANK_MAX_N || cfg->norder < 1))
        why = "Top-N needs 1 <= N <= 10000 and ORDER BY columns";
    else if (cfg->mode == RANK_WINDOW_TOPN &&
             (cfg->window_end < 0 || cfg->window_end >= in->ncolumns ||
              in->columns[cfg->window_end].type != SCHEMA_TIMESTAMP))
        why = "window Top-N needs the window_end column";
    else if (cfg->rank_column >= in->ncolumns ||
             (cfg->rank_column >= 0 &&
              in->columns[cfg->rank_column].type != SCHEMA_BIGINT))
        why = "the row number column must be BIGINT";
    for (int k = 0; !why && k < cfg->nkeys; k++)
        if (cfg->keys[k] < 0 || cfg->keys[k] >= in->ncolumns)
            why = "bad key column";
    for (int k = 0; !why && k < cfg->norder; k++)
        if (cfg->order[k] < 0 || cfg->order[k] >= in->ncolumns)
            why = "bad ORDER BY column";
    if (why) {
        if (err)
            snprintf(err, errlen, "%s", why);
        return ERR_INVALID;
    }
    struct rank_op *o = mem_calloc(1, sizeof *o);
    o->cfg = *cfg;
    o->in = in;
    o->wm = WATERMARK_NONE;
    o->swept = WATERMARK_NONE;
    schema_init(&o->out_schema);
    for (int c = 0; c < in->ncolumns; c++)
        schema_add(&o->out_schema, in->columns[c].name, in->columns[c].type,
                   true, NULL);
    if (row_batch_create(&o->out_schema,
                         cfg->capacity > 0 ? cfg->capacity : 1024, &o->out)) {
        mem_free(o);
        if (err)
            snprintf(err, errlen, "cannot allocate the output batch");
        return ERR_INVALID;
    }
    hashmap_init(&o->map);
    buf_init(&o->keybuf);
    buf_init(&o->rowbuf);
    o->base.ops = &rank_ops[cfg->mode];
    o->base.out_schema = &o->out_schema;
    o->base.watermark = INT64_MIN;
    *out = &o->base;
    return 0;
}

void rank_stats(const struct operator_node *op, struct rank_stats *out)
{
    *out = ((const struct rank_op *)op)->st;
}

/* ---- barrier ---- */

struct barrier_op {
    struct operator_node base;
    struct operator_node *up;
    struct row_batch *out;
    struct schema schema;
};

/* The chain advances every operator before it flushes any: the rows the
 * upstream aggregate fired at this watermark are still in its output
 * batch. Flushed here, they reach the next operator before the watermark
 * that made them does. */
static int barrier_advance(struct operator_node *op, int64_t wm)
{
    (void)wm;
    struct barrier_op *b = (struct barrier_op *)op;
    for (struct operator_node *u = b->up; u && u != op; u = u->next)
        if (u->ops->flush) {
            int rc = u->ops->flush(u);
            if (rc)
                return rc;
        }
    return 0;
}

static int barrier_push(struct operator_node *op, const struct row_batch *in)
{
    struct barrier_op *b = (struct barrier_op *)op;
    row_batch_reset(b->out);
    struct value v[SCHEMA_MAX_COLUMNS];
    for (int i = 0; i < in->nrows; i++) {
        if (row_batch_full(b->out)) {
            int rc = operator_emit(op, b->out);
            row_batch_reset(b->out);
            if (rc)
                return rc;
        }
        for (int c = 0; c < in->ncolumns; c++)
            v[c] = row_batch_get(in, i, c);
        struct row_meta m = in->meta[i];
        m.watermark = WATERMARK_NONE;
        int rc = row_batch_append(b->out, v, &m, false);
        if (rc < 0)
            return rc;
    }
    int rc = operator_emit(op, b->out);
    row_batch_reset(b->out);
    return rc;
}

static void barrier_destroy(struct operator_node *op)
{
    struct barrier_op *b = (struct barrier_op *)op;
    row_batch_destroy(b->out);
    mem_free(b);
}

static const struct operator_ops barrier_ops = {
    .name = "subquery boundary",
    .push = barrier_push,
    .advance = barrier_advance,
    .destroy = barrier_destroy,
};

int rank_barrier_create(const struct schema *in, int capacity,
                        struct operator_node *up, struct operator_node **out)
{
    struct barrier_op *b = mem_calloc(1, sizeof *b);
    b->up = up;
    b->schema = *in;
    if (row_batch_create(&b->schema, capacity > 0 ? capacity : 1024, &b->out)) {
        mem_free(b);
        return ERR_INVALID;
    }
    b->base.ops = &barrier_ops;
    b->base.out_schema = &b->schema;
    b->base.watermark = INT64_MIN;
    *out = &b->base;
    return 0;
}
