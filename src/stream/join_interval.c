/* join_interval.c - the interval join operator: per-key row state of both
 * sides, matching, expiry on the watermark, NULL-padded rows of outer
 * joins, late rows (layer: stream). What it computes: join_interval.h;
 * the rules and the state layout: docs/joins.md.
 *
 * A row's life: arrives (too late: counted, to the late callback, gone)
 * -> probes the other side's rows of its key, emitting a pair per match
 * -> is stored (its key and its own columns copied into a chunk) with a
 * due time -> the watermark reaches the due time: emitted NULL-padded if
 * it is on an outer side and never matched, then dropped.
 *
 * Invariants:
 *  1. A left row l is due at l.ts - lower, a right row r at r.ts + upper:
 *     a row that is not late has ts > watermark, so no row arriving after
 *     the due time can match (l.ts - r.ts < lower, or > upper). Dropping
 *     due rows never loses a pair, and an unmatched row emitted then is
 *     final.
 *  2. Rows are dropped only in advance(), with the operator's watermark,
 *     which is at or below the watermark every later row carries; so the
 *     result depends only on which rows are late, not on batching.
 *  3. Nothing is allocated per row in steady state: entries, keys, timers
 *     and the key table live in arrays that double; row bytes in 64 KiB
 *     chunks that go back to a free list when their last row is dropped
 *     (rows over a quarter chunk get a chunk of their own, freed with
 *     them).
 *  4. A dropped row's bytes stay valid until the output batch that may
 *     borrow them has gone downstream (the pending list).
 */
#include "stream/join_interval.h"

#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"

#define NONE UINT32_MAX
#define CHUNK_SIZE (64u << 10)

struct entry {
    int64_t ts;
    int64_t offset;
    const uint8_t *data; /* u32 key length, key bytes, the side's columns */
    uint32_t next, prev; /* the key's rows of this side, oldest first; next:
                            the free list too */
    uint32_t key;
    uint32_t chunk;
    uint32_t size; /* bytes of data */
    int32_t partition;
    uint8_t side, matched;
};

struct keyrec {
    uint64_t hash;
    uint32_t head[2], tail[2];
    uint32_t n; /* live rows of both sides; next free key id when free */
};

struct chunk {
    uint8_t *mem;
    uint32_t size, used, live;
};

struct timer {
    int64_t due;
    uint32_t entry;
};

struct interval_join {
    struct operator_node node;
    struct interval_join_config cfg;
    struct schema out_schema;
    struct row_batch *out;
    struct row_batch *late_b[2]; /* late rows in their stream's schema */
    /* entries */
    struct entry *e;
    uint32_t ne, cap_e, free_e;
    /* keys: records and an open-addressing table of key id + 1 */
    struct keyrec *k;
    uint32_t nk, cap_k, free_k;
    uint32_t *table;
    uint32_t tcap, tcount;
    /* row bytes */
    struct chunk *ch;
    uint32_t nch, cap_ch, cur;
    uint32_t *free_std; /* standard chunks with no rows */
    uint32_t nfree_std;
    uint32_t *free_slot; /* chunk slots without memory */
    uint32_t nfree_slot;
    /* timers: a min-heap on due */
    struct timer *h;
    uint32_t nh, cap_h;
    /* entries dropped, released once the output went downstream */
    uint32_t *pending;
    uint32_t npending, cap_pending;
    struct buf key;
    struct interval_join_stats st;
};

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    uint32_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    p = mem_realloc(p, (size_t)n * elem);
    *cap = n;
    return p;
}

/* ---- keys ---- */

/* The key of row i as bytes in j->key; false when a key column is NULL
 * (NULL equals nothing). */
static bool encode_key(struct interval_join *j, const struct row_batch *b,
                       int i)
{
    buf_reset(&j->key);
    for (int c = 0; c < j->cfg.nkeys; c++) {
        const struct row_column *col = &b->columns[j->cfg.keys[c]];
        if (col->nulls[i])
            return false;
        switch (col->type) {
        case SCHEMA_BOOLEAN:
            buf_put(&j->key, &col->data.b[i], 1);
            break;
        case SCHEMA_INT:
            buf_put(&j->key, &col->data.i32[i], 4);
            break;
        case SCHEMA_DOUBLE: {
            double d = col->data.f64[i];
            if (d == 0)
                d = 0; /* -0.0 = 0.0 */
            buf_put(&j->key, &d, 8);
            break;
        }
        case SCHEMA_STRING: {
            uint32_t n = col->data.str[i].len;
            buf_put(&j->key, &n, 4);
            buf_put(&j->key, col->data.str[i].ptr, n);
            break;
        }
        default:
            buf_put(&j->key, &col->data.i64[i], 8);
            break;
        }
    }
    return true;
}

static const uint8_t *key_bytes(const struct interval_join *j, uint32_t id,
                                uint32_t *len)
{
    const struct keyrec *k = &j->k[id];
    uint32_t e = k->head[0] != NONE ? k->head[0] : k->head[1];
    const uint8_t *d = j->e[e].data;
    memcpy(len, d, 4);
    return d + 4;
}

/* The key id of j->key, or NONE; *slot gets where it is or would go. */
static uint32_t key_find(const struct interval_join *j, uint64_t hash,
                         uint32_t *slot)
{
    if (!j->tcap) {
        *slot = 0;
        return NONE;
    }
    uint32_t mask = j->tcap - 1;
    for (uint32_t s = (uint32_t)hash & mask;; s = (s + 1) & mask) {
        uint32_t v = j->table[s];
        if (!v) {
            *slot = s;
            return NONE;
        }
        if (j->k[v - 1].hash != hash)
            continue;
        uint32_t len;
        const uint8_t *kb = key_bytes(j, v - 1, &len);
        if (len == j->key.len && !memcmp(kb, j->key.data, len)) {
            *slot = s;
            return v - 1;
        }
    }
}

static void table_grow(struct interval_join *j)
{
    uint32_t old = j->tcap;
    uint32_t *ot = j->table;
    j->tcap = old ? old * 2 : 256;
    j->table = mem_calloc(j->tcap, sizeof *j->table);
    uint32_t mask = j->tcap - 1;
    for (uint32_t i = 0; i < old; i++) {
        uint32_t v = ot[i];
        if (!v)
            continue;
        uint32_t s = (uint32_t)j->k[v - 1].hash & mask;
        while (j->table[s])
            s = (s + 1) & mask;
        j->table[s] = v;
    }
    mem_free(ot);
}

/* A new key (j->key, not in the table) at its slot. */
static uint32_t key_add(struct interval_join *j, uint64_t hash)
{
    if ((j->tcount + 1) * 10 > j->tcap * 7)
        table_grow(j);
    uint32_t id;
    if (j->free_k != NONE) {
        id = j->free_k;
        j->free_k = j->k[id].n;
    } else {
        j->k = grow(j->k, &j->cap_k, j->nk + 1, sizeof *j->k);
        id = j->nk++;
    }
    struct keyrec *k = &j->k[id];
    k->hash = hash;
    k->head[0] = k->head[1] = k->tail[0] = k->tail[1] = NONE;
    k->n = 0;
    uint32_t mask = j->tcap - 1, s = (uint32_t)hash & mask;
    while (j->table[s])
        s = (s + 1) & mask;
    j->table[s] = id + 1;
    j->tcount++;
    return id;
}

/* Removes key id from the table (backward-shift deletion). */
static void key_remove(struct interval_join *j, uint32_t id)
{
    uint32_t mask = j->tcap - 1;
    uint32_t i = (uint32_t)j->k[id].hash & mask;
    while (j->table[i] != id + 1)
        i = (i + 1) & mask;
    for (uint32_t n = (i + 1) & mask; j->table[n]; n = (n + 1) & mask) {
        uint32_t home = (uint32_t)j->k[j->table[n] - 1].hash & mask;
        /* Move n back to i when its home is not in (i, n]. */
        bool between =
            i <= n ? (home > i && home <= n) : (home > i || home <= n);
        if (!between) {
            j->table[i] = j->table[n];
            i = n;
        }
    }
    j->table[i] = 0;
    j->tcount--;
    j->k[id].n = j->free_k;
    j->free_k = id;
}

/* ---- row bytes ---- */

static uint32_t chunk_slot(struct interval_join *j)
{
    if (j->nfree_slot)
        return j->free_slot[--j->nfree_slot];
    uint32_t cap = j->cap_ch;
    j->ch = grow(j->ch, &j->cap_ch, j->nch + 1, sizeof *j->ch);
    if (cap != j->cap_ch) {
        /* the free lists can hold every chunk */
        j->free_std = mem_realloc(j->free_std, j->cap_ch * sizeof(uint32_t));
        j->free_slot = mem_realloc(j->free_slot, j->cap_ch * sizeof(uint32_t));
    }
    uint32_t id = j->nch++;
    memset(&j->ch[id], 0, sizeof j->ch[id]);
    return id;
}

/* n bytes for a row: a pointer, and the chunk in *chunk. */
static uint8_t *reserve(struct interval_join *j, uint32_t n, uint32_t *chunk)
{
    if (n > CHUNK_SIZE / 4) {
        uint32_t id = chunk_slot(j);
        struct chunk *c = &j->ch[id];
        c->mem = mem_alloc(n);
        c->size = c->used = n;
        c->live = 1;
        *chunk = id;
        j->st.state_bytes += n;
        return c->mem;
    }
    if (j->cur == NONE || j->ch[j->cur].used + n > j->ch[j->cur].size) {
        /* The old current chunk holds rows (an emptied current chunk is
         * reused in place): release() pools it when they go. */
        if (j->nfree_std) {
            j->cur = j->free_std[--j->nfree_std];
        } else {
            j->cur = chunk_slot(j);
            j->ch[j->cur].mem = mem_alloc(CHUNK_SIZE);
            j->ch[j->cur].size = CHUNK_SIZE;
        }
        j->ch[j->cur].used = 0;
        j->ch[j->cur].live = 0;
    }
    struct chunk *c = &j->ch[j->cur];
    uint8_t *p = c->mem + c->used;
    c->used += (n + 7u) & ~7u;
    if (c->used > c->size)
        c->used = c->size;
    c->live++;
    *chunk = j->cur;
    j->st.state_bytes += n;
    return p;
}

static void release(struct interval_join *j, uint32_t id, uint32_t n)
{
    struct chunk *c = &j->ch[id];
    j->st.state_bytes -= n;
    if (--c->live)
        return;
    if (c->size != CHUNK_SIZE) { /* a row's own chunk */
        mem_free(c->mem);
        c->mem = NULL;
        j->free_slot[j->nfree_slot++] = id;
        return;
    }
    if (id == j->cur) {
        c->used = 0; /* reuse in place */
        return;
    }
    j->free_std[j->nfree_std++] = id;
}

/* ---- stored rows ---- */

static uint32_t col_bytes(const struct row_column *col, int i)
{
    if (col->nulls[i])
        return 1;
    if (col->type == SCHEMA_STRING)
        return 1 + 4 + col->data.str[i].len;
    return 1 + 8;
}

/* Copies row i of side s (its key in j->key) into state. */
static uint32_t store(struct interval_join *j, const struct row_batch *b, int i,
                      int s, int64_t ts, uint32_t key, bool matched)
{
    const struct join_side *sd = &j->cfg.side[s];
    uint32_t n = 4 + (uint32_t)j->key.len;
    for (int c = 0; c < sd->ncolumns; c++)
        n += col_bytes(&b->columns[sd->columns[c]], i);
    uint32_t chunk;
    uint8_t *p = reserve(j, n, &chunk);
    uint8_t *d = p;
    uint32_t kl = (uint32_t)j->key.len;
    memcpy(d, &kl, 4);
    memcpy(d + 4, j->key.data, kl);
    d += 4 + kl;
    for (int c = 0; c < sd->ncolumns; c++) {
        const struct row_column *col = &b->columns[sd->columns[c]];
        *d++ = col->nulls[i] ? 1 : 0;
        if (col->nulls[i])
            continue;
        int64_t v = 0;
        switch (col->type) {
        case SCHEMA_BOOLEAN:
            v = col->data.b[i];
            break;
        case SCHEMA_INT:
            v = col->data.i32[i];
            break;
        case SCHEMA_DOUBLE:
            memcpy(&v, &col->data.f64[i], 8);
            break;
        case SCHEMA_STRING: {
            uint32_t len = col->data.str[i].len;
            memcpy(d, &len, 4);
            memcpy(d + 4, col->data.str[i].ptr, len);
            d += 4 + len;
            continue;
        }
        default:
            v = col->data.i64[i];
            break;
        }
        memcpy(d, &v, 8);
        d += 8;
    }
    uint32_t id;
    if (j->free_e != NONE) {
        id = j->free_e;
        j->free_e = j->e[id].next;
    } else {
        j->e = grow(j->e, &j->cap_e, j->ne + 1, sizeof *j->e);
        /* room for every entry's release (pending, free slots) */
        j->pending = grow(j->pending, &j->cap_pending, j->ne + 1, 4);
        id = j->ne++;
    }
    struct entry *e = &j->e[id];
    e->ts = ts;
    e->offset = b->meta[i].offset;
    e->partition = b->meta[i].partition;
    e->data = p;
    e->key = key;
    e->chunk = chunk;
    e->size = n;
    e->side = (uint8_t)s;
    e->matched = matched;
    e->next = NONE;
    struct keyrec *k = &j->k[key];
    e->prev = k->tail[s];
    if (k->tail[s] != NONE)
        j->e[k->tail[s]].next = id;
    else
        k->head[s] = id;
    k->tail[s] = id;
    k->n++;
    /* due: invariant 1 */
    int64_t due = j->cfg.temporal ? e->ts
                  : s == 0        ? e->ts - j->cfg.lower_ms
                                  : e->ts + j->cfg.upper_ms;
    if (s == 0 && j->cfg.lower_ms < 0 && due < e->ts)
        due = INT64_MAX; /* overflow */
    if (s == 1 && j->cfg.upper_ms > 0 && due < e->ts)
        due = INT64_MAX;
    j->h = grow(j->h, &j->cap_h, j->nh + 1, sizeof *j->h);
    uint32_t at = j->nh++;
    while (at > 0) {
        uint32_t up = (at - 1) / 2;
        if (j->h[up].due <= due)
            break;
        j->h[at] = j->h[up];
        at = up;
    }
    j->h[at] = (struct timer){due, id};
    j->st.live_rows++;
    return n;
}

/* Column c of a stored row as a value; *d walks the row's bytes. */
static struct value load(const uint8_t **d, enum schema_type t)
{
    const uint8_t *p = *d;
    if (*p++) {
        *d = p;
        return value_null();
    }
    struct value v = value_null();
    v.type = t;
    if (t == SCHEMA_STRING) {
        uint32_t len;
        memcpy(&len, p, 4);
        v.u.str.ptr = (const char *)p + 4;
        v.u.str.len = len;
        *d = p + 4 + len;
        return v;
    }
    int64_t x;
    memcpy(&x, p, 8);
    *d = p + 8;
    switch (t) {
    case SCHEMA_BOOLEAN:
        v.u.b = x != 0;
        break;
    case SCHEMA_INT:
        v.u.i32 = (int32_t)x;
        break;
    case SCHEMA_DOUBLE:
        memcpy(&v.u.f64, &x, 8);
        break;
    default:
        v.u.i64 = x;
        break;
    }
    return v;
}

/* ---- output ---- */

/* Output columns of side s (its own, then the window's bounds). */
static int side_width(const struct interval_join *j, int s)
{
    return j->cfg.side[s].ncolumns + (j->cfg.window_size_ms ? 2 : 0);
}

/* A window join's row time: its window's end - 1 (TUMBLE). */
static int64_t window_max(const struct interval_join *j, int64_t ts)
{
    int64_t size = j->cfg.window_size_ms;
    int64_t r = (ts - j->cfg.window_offset_ms) % size;
    if (r < 0)
        r += size;
    return ts - r + size - 1;
}

/* window_start, window_end of a row whose time is t (window_max). */
static void window_cols(const struct interval_join *j, int64_t t,
                        struct value *vals)
{
    if (!j->cfg.window_size_ms)
        return;
    vals[0] = value_timestamp(t + 1 - j->cfg.window_size_ms);
    vals[1] = value_timestamp(t + 1);
}

static int emit_out(struct interval_join *j)
{
    int rc = 0;
    if (j->out->nrows) {
        rc = operator_emit(&j->node, j->out);
        row_batch_reset(j->out);
    }
    /* invariant 4 */
    for (uint32_t i = 0; i < j->npending; i++) {
        struct entry *e = &j->e[j->pending[i]];
        release(j, e->chunk, e->size);
        e->next = j->free_e;
        j->free_e = j->pending[i];
    }
    j->npending = 0;
    return rc;
}

/* Appends one output row: side 0's values then side 1's. */
static int append(struct interval_join *j, const struct value *vals,
                  const struct row_meta *m)
{
    int r = row_batch_append(j->out, vals, m, false);
    if (r == ERR_TOO_LARGE) {
        int rc = emit_out(j);
        if (rc)
            return rc;
        r = row_batch_append(j->out, vals, m, false);
    }
    return r < 0 ? r : 0;
}

/* The values of side s from input row i into vals. */
static void from_input(const struct interval_join *j, int s,
                       const struct row_batch *b, int i, struct value *vals)
{
    const struct join_side *sd = &j->cfg.side[s];
    for (int c = 0; c < sd->ncolumns; c++)
        vals[c] = row_batch_get(b, i, sd->columns[c]);
}

static void from_entry(const struct interval_join *j, const struct entry *e,
                       struct value *vals)
{
    const struct join_side *sd = &j->cfg.side[e->side];
    uint32_t kl;
    memcpy(&kl, e->data, 4);
    const uint8_t *d = e->data + 4 + kl;
    int base = e->side ? side_width(j, 0) : 0;
    for (int c = 0; c < sd->ncolumns; c++)
        vals[c] = load(&d, j->out_schema.columns[base + c].type);
    window_cols(j, e->ts, vals + sd->ncolumns);
}

static void nulls(struct value *vals, int n)
{
    for (int c = 0; c < n; c++)
        vals[c] = value_null();
}

static bool outer(const struct interval_join *j, int side)
{
    return j->cfg.type == JOIN_FULL ||
           (side == 0 ? j->cfg.type == JOIN_LEFT : j->cfg.type == JOIN_RIGHT);
}

static int late_row(struct interval_join *j, const struct row_batch *b, int i,
                    int s)
{
    j->st.rows_late++;
    if (!j->cfg.late)
        return 0;
    struct row_batch *lb = j->late_b[s];
    if (!lb) {
        j->cfg.late(j->cfg.late_arg, b, i);
        return 0;
    }
    struct value vals[SCHEMA_MAX_COLUMNS];
    from_input(j, s, b, i, vals);
    if (row_batch_full(lb))
        row_batch_reset(lb);
    int r = row_batch_append(lb, vals, &b->meta[i], false);
    if (r >= 0)
        j->cfg.late(j->cfg.late_arg, lb, r);
    return 0;
}

static int ij_push(struct operator_node *op, const struct row_batch *in)
{
    struct interval_join *j = (struct interval_join *)op;
    const struct row_column *side = &in->columns[j->cfg.side_column];
    int n0 = side_width(j, 0);
    struct value vals[SCHEMA_MAX_COLUMNS];
    int rc = 0;
    for (int i = 0; i < in->nrows && !rc; i++) {
        if (side->nulls[i])
            continue;
        int s = side->data.i32[i] ? 1 : 0;
        const struct row_meta *m = &in->meta[i];
        int64_t ts =
            j->cfg.window_size_ms ? window_max(j, m->event_ts) : m->event_ts;
        if (m->watermark != INT64_MIN && ts <= m->watermark) {
            rc = late_row(j, in, i, s);
            continue;
        }
        if (!encode_key(j, in, i)) {
            /* A NULL key matches nothing: final at once. */
            if (outer(j, s)) {
                nulls(vals, SCHEMA_MAX_COLUMNS);
                from_input(j, s, in, i, vals + (s ? n0 : 0));
                window_cols(j, ts,
                            vals + (s ? n0 : 0) + j->cfg.side[s].ncolumns);
                struct row_meta om = *m;
                om.event_ts = ts;
                rc = append(j, vals, &om);
                j->st.unmatched++;
            }
            continue;
        }
        uint64_t hash = hashmap_hash(j->key.data, j->key.len);
        uint32_t slot;
        uint32_t key = key_find(j, hash, &slot);
        bool matched = false;
        if (key != NONE && !j->cfg.temporal) {
            int o = 1 - s;
            from_input(j, s, in, i, vals + (s ? n0 : 0));
            window_cols(j, ts, vals + (s ? n0 : 0) + j->cfg.side[s].ncolumns);
            for (uint32_t x = j->k[key].head[o]; x != NONE && !rc;
                 x = j->e[x].next) {
                struct entry *e = &j->e[x];
                int64_t d = s == 0 ? ts - e->ts : e->ts - ts;
                if (d < j->cfg.lower_ms || d > j->cfg.upper_ms)
                    continue;
                from_entry(j, e, vals + (o ? n0 : 0));
                struct row_meta om = *m;
                om.event_ts = e->ts > ts ? e->ts : ts;
                rc = append(j, vals, &om);
                e->matched = 1;
                matched = true;
                j->st.pairs++;
            }
        } else if (key == NONE) {
            key = key_add(j, hash);
        }
        if (!rc)
            store(j, in, i, s, ts, key, matched);
    }
    for (int s = 0; s < 2; s++)
        if (j->late_b[s])
            row_batch_reset(j->late_b[s]);
    int rc2 = emit_out(j);
    return rc ? rc : rc2;
}

/* Takes entry x out of its key's list (its bytes go with the next output
 * batch: invariant 4). */
static void drop(struct interval_join *j, uint32_t x)
{
    struct entry *e = &j->e[x];
    struct keyrec *k = &j->k[e->key];
    if (e->prev != NONE)
        j->e[e->prev].next = e->next;
    else
        k->head[e->side] = e->next;
    if (e->next != NONE)
        j->e[e->next].prev = e->prev;
    else
        k->tail[e->side] = e->prev;
    j->pending[j->npending++] = x;
    j->st.live_rows--;
    if (--k->n == 0)
        key_remove(j, e->key);
}

/* A temporal join's timer: a left row joins the version of its key valid
 * at its time and goes; a version drops the older ones (their timers,
 * due earlier, have all fired; a version arriving later than the
 * watermark is late, so none older can come). */
static int temporal_due(struct interval_join *j, uint32_t x, int64_t wm)
{
    struct entry *e = &j->e[x];
    struct keyrec *k = &j->k[e->key];
    int n0 = side_width(j, 0);
    int rc = 0;
    if (e->side == 1) {
        for (uint32_t y = k->head[1]; y != NONE;) {
            uint32_t next = j->e[y].next;
            if (j->e[y].ts < e->ts)
                drop(j, y);
            y = next;
        }
        return 0;
    }
    uint32_t best = NONE;
    for (uint32_t y = k->head[1]; y != NONE; y = j->e[y].next)
        if (j->e[y].ts <= e->ts &&
            (best == NONE || j->e[y].ts >= j->e[best].ts))
            best = y;
    struct value vals[SCHEMA_MAX_COLUMNS];
    if (best != NONE || j->cfg.type == JOIN_LEFT) {
        nulls(vals, SCHEMA_MAX_COLUMNS);
        from_entry(j, e, vals);
        if (best != NONE)
            from_entry(j, &j->e[best], vals + n0);
        struct row_meta m = {e->ts, e->offset, e->ts, e->partition, wm};
        rc = append(j, vals, &m);
        if (best != NONE)
            j->st.pairs++;
        else
            j->st.unmatched++;
    }
    drop(j, x);
    return rc;
}

/* Drops the rows due at wm (invariant 1), emitting unmatched ones of an
 * outer side. */
static int ij_advance(struct operator_node *op, int64_t wm)
{
    struct interval_join *j = (struct interval_join *)op;
    int n0 = side_width(j, 0);
    struct value vals[SCHEMA_MAX_COLUMNS];
    int rc = 0;
    while (j->nh && j->h[0].due <= wm && !rc) {
        struct timer t = j->h[0];
        struct timer last = j->h[--j->nh];
        uint32_t at = 0;
        for (;;) {
            uint32_t c = 2 * at + 1;
            if (c >= j->nh)
                break;
            if (c + 1 < j->nh && j->h[c + 1].due < j->h[c].due)
                c++;
            if (last.due <= j->h[c].due)
                break;
            j->h[at] = j->h[c];
            at = c;
        }
        if (j->nh)
            j->h[at] = last;
        struct entry *e = &j->e[t.entry];
        if (j->cfg.temporal) {
            rc = temporal_due(j, t.entry, wm);
            continue;
        }
        if (!e->matched && outer(j, e->side)) {
            nulls(vals, SCHEMA_MAX_COLUMNS);
            from_entry(j, e, vals + (e->side ? n0 : 0));
            struct row_meta m = {t.due, e->offset, t.due, e->partition, wm};
            rc = append(j, vals, &m);
            j->st.unmatched++;
        }
        drop(j, t.entry);
    }
    int rc2 = emit_out(j);
    return rc ? rc : rc2;
}

static void ij_destroy(struct operator_node *op)
{
    struct interval_join *j = (struct interval_join *)op;
    for (uint32_t i = 0; i < j->nch; i++)
        mem_free(j->ch[i].mem);
    mem_free(j->ch);
    mem_free(j->free_std);
    mem_free(j->free_slot);
    mem_free(j->e);
    mem_free(j->k);
    mem_free(j->table);
    mem_free(j->h);
    mem_free(j->pending);
    buf_fini(&j->key);
    row_batch_destroy(j->out);
    for (int s = 0; s < 2; s++)
        row_batch_destroy(j->late_b[s]);
    mem_free(j);
}

/* operator_ops.state: the rows both sides hold (DESCRIBE, /metrics). */
static void ij_state(const struct operator_node *op, struct operator_state *out)
{
    struct interval_join_stats st;
    interval_join_stats((const struct interval_join *)op, &st);
    out->entries = st.live_rows;
    out->bytes = st.state_bytes;
}

static const struct operator_ops ij_ops = {
    .name = "interval_join",
    .push = ij_push,
    .advance = ij_advance,
    .destroy = ij_destroy,
    .state = ij_state,
};

static bool col_ok(const struct schema *in, int c)
{
    return c >= 0 && c < in->ncolumns;
}

int operator_interval_join_create(const struct schema *in, int capacity,
                                  const struct interval_join_config *cfg,
                                  struct operator_node **out,
                                  struct interval_join **jout)
{
    int wc = cfg->window_size_ms ? 2 : 0;
    if (!col_ok(in, cfg->side_column) ||
        in->columns[cfg->side_column].type != SCHEMA_INT || cfg->nkeys <= 0 ||
        cfg->nkeys > JOIN_MAX_KEYS || cfg->lower_ms > cfg->upper_ms ||
        !cfg->names || cfg->window_size_ms < 0 ||
        cfg->side[0].ncolumns + cfg->side[1].ncolumns + 2 * wc >
            SCHEMA_MAX_COLUMNS)
        return ERR_INVALID;
    for (int k = 0; k < cfg->nkeys; k++)
        if (!col_ok(in, cfg->keys[k]))
            return ERR_INVALID;
    struct interval_join *j = mem_calloc(1, sizeof *j);
    j->cfg = *cfg;
    j->cfg.names = NULL;
    schema_init(&j->out_schema);
    int rc = 0, n = 0;
    for (int s = 0; s < 2 && !rc; s++)
        for (int c = 0; c < cfg->side[s].ncolumns && !rc; c++, n++) {
            int ic = cfg->side[s].columns[c];
            if (!col_ok(in, ic)) {
                rc = ERR_INVALID;
                break;
            }
            int r = schema_add(&j->out_schema, cfg->names[n],
                               in->columns[ic].type, true, NULL);
            if (r < 0)
                rc = ERR_INVALID;
            if (c == cfg->side[s].ncolumns - 1)
                for (int w = 0; w < wc && !rc; w++)
                    if (schema_add(&j->out_schema, cfg->names[++n],
                                   SCHEMA_TIMESTAMP, true, NULL) < 0)
                        rc = ERR_INVALID;
        }
    if (!rc)
        rc = row_batch_create(&j->out_schema, capacity, &j->out);
    for (int s = 0; s < 2 && !rc; s++)
        if (cfg->side[s].schema)
            rc = row_batch_create(cfg->side[s].schema, 64, &j->late_b[s]);
    if (rc) {
        ij_destroy(&j->node);
        return ERR_INVALID;
    }
    j->node.ops = &ij_ops;
    j->node.out_schema = &j->out_schema;
    j->node.watermark = INT64_MIN;
    j->free_e = j->free_k = NONE;
    j->cur = NONE;
    buf_init(&j->key);
    *out = &j->node;
    if (jout)
        *jout = j;
    return 0;
}

void interval_join_stats(const struct interval_join *j,
                         struct interval_join_stats *out)
{
    *out = j->st;
}
