/* over_agg.c - OVER aggregates in event-time order, with the anomaly
 * functions (layer: stream).
 *
 * A row moves through:
 *
 *   push --ts <= wm--> too late: late callback, rows_late++
 *     |
 *     +--> PENDING (heap by (ts, arrival)) --wm >= ts--> RELEASED: its
 *          key's frame gets the row, the aggregates are computed, the row
 *          and its aggregates go out; only the frame entry stays
 *
 * Invariants:
 *  1. Rows leave in (event time, arrival) order; every row leaves once,
 *     either released or late.
 *  2. A key's frame (a ring of entries: event time, then the value of
 *     every aggregated column) is in release order, so in event-time
 *     order; entries leave only from its oldest end, at the start of a
 *     run of rows with one event time, and only when no aggregate's frame
 *     can need them again (further back than the longest ROWS frame and
 *     than the longest RANGE).
 *  3. The operator's watermark never decreases; a row with ts <= it is
 *     never pending.
 *  4. Rows of one event time (a run) all enter their frames before any of
 *     them is computed: RANGE frames include peers, ROWS frames end at the
 *     row itself (entries carry their sequence number within the key).
 *
 * Memory: pending rows live in a slot array (8 bytes per cell, a NULL
 * byte per cell, the row meta) with a free list; their strings are copied
 * into 64 KiB chunks reference-counted by the rows using them, recycled
 * when empty. Frames grow by doubling up to OVER_AGG_FRAME_MAX entries.
 * Nothing is allocated per row in steady state (a new key allocates its
 * frame; a string over 64 KiB gets a chunk of its own).
 *
 * Snapshot (operator_ops.snapshot; every integer big-endian, doubles as
 * their IEEE-754 bits):
 *   "OVR1" | i64 watermark | u64 arrivals | u32 ncolumns | u32 naggs
 *   | u32 nvalues | u32 nkeys, then per key: u32 len, key bytes, i64 run_ts,
 *   u64 first_seq, u32 count, count entries (i64 ts, nvalues x u64 value,
 *   nvalues x u8 null), naggs x AUX_N x u64 aux state
 *   | u32 npending, then per row in release order: u64 arrival, i64
 *   event_ts, i64 offset, i64 record_ts, i32 partition, i64 watermark,
 *   per column u8 null, then u64 cell, or for strings u32 len + bytes.
 */
#include "stream/over_agg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "stream/watermark.h"

#define NIL UINT32_MAX
#define CHUNK_SIZE (64u * 1024u)
#define AUX_N 8 /* doubles of per-key state per aggregate */
#define KEYBUF_MAX 4096

/* aux layout, running (UNBOUNDED) aggregates */
enum { R_ALL, R_N, R_SUM, R_MEAN, R_M2, R_MIN, R_MAX, R_FIRST };
/* EWMA: 0 n, 1 mean, 2 variance; CUSUM: 0 S+, 1 S- */

struct okey {
    uint8_t *ring;
    uint32_t cap, head, count;
    uint64_t first_seq; /* sequence number of the oldest entry */
    int64_t run_ts;     /* event time of the last run inserted */
    double *aux;        /* naggs x AUX_N */
    uint32_t len;       /* of the key bytes */
};

struct chunk {
    char *mem;
    uint32_t used, cap, refs;
};

struct pend { /* a heap entry */
    int64_t ts;
    uint64_t arrival;
    uint32_t slot;
};

struct over_op {
    struct operator_node base;
    struct over_agg_config cfg;
    const struct schema *in;
    struct schema out_schema;
    int ncol;
    enum schema_type out_type[OVER_AGG_MAX_AGGS];
    /* the distinct aggregated columns (frame entry values) */
    int nv;
    int vcol[OVER_AGG_MAX_AGGS];
    int agg_v[OVER_AGG_MAX_AGGS]; /* value index of each aggregate, -1 */
    size_t esize;                 /* frame entry bytes */
    int64_t keep_rows;            /* entries older than the new row kept */
    int64_t keep_range;           /* ms; -1: no RANGE frame */
    int64_t wm;
    uint64_t arrivals;

    /* keys */
    struct hashmap keymap; /* encoded key -> id + 1 */
    struct okey *keys;
    uint32_t nkeys, cap_keys;
    uint8_t keybuf[KEYBUF_MAX];

    /* pending rows */
    uint64_t *cells;
    uint8_t *nulls;
    struct row_meta *meta;
    uint32_t *slot_chunk, *slot_key;
    uint32_t nslots, cap_slots, free_head; /* free list through slot_key */
    uint32_t npending;
    struct pend *heap;
    uint32_t nheap, cap_heap;
    struct chunk *chunks;
    uint32_t nchunks, cap_chunks, cur_chunk;
    uint32_t *free_chunks;
    uint32_t nfree_chunks;

    /* a run being released */
    uint32_t *run;
    uint64_t *run_pos;
    uint32_t cap_run;
    double *scratch;
    uint32_t cap_scratch;

    struct row_batch *out;
    struct value vals[SCHEMA_MAX_COLUMNS];
    struct over_agg_stats st;
    uint64_t frame_entries; /* over every key */
    size_t key_bytes;       /* frames (rings) and aux states, every key */
};

static const char *const func_names[] = {
    [OVER_COUNT_STAR] = "COUNT",
    [OVER_COUNT] = "COUNT",
    [OVER_SUM] = "SUM",
    [OVER_AVG] = "AVG",
    [OVER_MIN] = "MIN",
    [OVER_MAX] = "MAX",
    [OVER_STDDEV_POP] = "STDDEV_POP",
    [OVER_STDDEV_SAMP] = "STDDEV_SAMP",
    [OVER_VAR_POP] = "VAR_POP",
    [OVER_VAR_SAMP] = "VAR_SAMP",
    [OVER_FIRST_VALUE] = "FIRST_VALUE",
    [OVER_LAST_VALUE] = "LAST_VALUE",
    [OVER_EWMA] = "EWMA",
    [OVER_EWM_STDDEV] = "EWM_STDDEV",
    [OVER_ZSCORE] = "ZSCORE",
    [OVER_MAD_SCORE] = "MAD_SCORE",
    [OVER_CUSUM] = "CUSUM",
};

const char *over_func_name(enum over_func f)
{
    if ((unsigned)f < sizeof func_names / sizeof func_names[0])
        return func_names[f];
    return "?";
}

static bool recursive(enum over_func f)
{
    return f == OVER_EWMA || f == OVER_EWM_STDDEV;
}

static bool reference(enum over_func f)
{
    return f == OVER_ZSCORE || f == OVER_MAD_SCORE || f == OVER_CUSUM;
}

/* ---- frame entries ---- */

static uint8_t *entry(const struct over_op *o, const struct okey *k,
                      uint64_t seq)
{
    /* cap is a power of two (16, doubled, at most OVER_AGG_FRAME_MAX) */
    uint64_t i = (k->head + (seq - k->first_seq)) & (k->cap - 1);
    return k->ring + i * o->esize;
}

static int64_t e_ts(const uint8_t *e)
{
    int64_t t;
    memcpy(&t, e, 8);
    return t;
}

/* Value v of an entry: false if NULL. */
static bool e_val(const struct over_op *o, const uint8_t *e, int v, double *x)
{
    if (e[8 + 8 * (size_t)o->nv + (size_t)v])
        return false;
    memcpy(x, e + 8 + 8 * (size_t)v, 8);
    return true;
}

static int key_grow_ring(struct over_op *o, struct okey *k)
{
    if (k->cap >= OVER_AGG_FRAME_MAX)
        return ERR_TOO_LARGE;
    uint32_t nc = k->cap ? k->cap * 2 : 16;
    if (nc > OVER_AGG_FRAME_MAX)
        nc = OVER_AGG_FRAME_MAX;
    uint8_t *r = mem_alloc((size_t)nc * o->esize);
    for (uint32_t i = 0; i < k->count; i++)
        memcpy(r + (size_t)i * o->esize,
               k->ring + (size_t)((k->head + i) & (k->cap - 1)) * o->esize,
               o->esize);
    mem_free(k->ring);
    o->key_bytes += (size_t)(nc - k->cap) * o->esize;
    k->ring = r;
    k->cap = nc;
    k->head = 0;
    return 0;
}

/* ---- creation ---- */

static bool numeric(enum schema_type t)
{
    return t == SCHEMA_INT || t == SCHEMA_BIGINT || t == SCHEMA_DOUBLE ||
           t == SCHEMA_TIMESTAMP;
}

static int bad(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t n, const char *fmt, ...)
{
    if (err && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
    }
    return ERR_INVALID;
}

static const struct operator_ops over_ops;

int over_agg_create(const struct schema *in, const struct over_agg_config *cfg,
                    struct operator_node **out, char *err, size_t errlen)
{
    if (!in || !cfg || cfg->nkeys < 0 || cfg->nkeys > OVER_AGG_MAX_KEYS ||
        cfg->naggs < 1 || cfg->naggs > OVER_AGG_MAX_AGGS ||
        cfg->output_capacity < 0 ||
        cfg->output_capacity > ROW_BATCH_MAX_CAPACITY ||
        in->ncolumns + cfg->naggs > SCHEMA_MAX_COLUMNS)
        return bad(err, errlen, "%s", "invalid OVER configuration");
    for (int i = 0; i < cfg->nkeys; i++)
        if (cfg->keys[i] < 0 || cfg->keys[i] >= in->ncolumns)
            return bad(err, errlen, "%s", "invalid PARTITION BY column");
    struct over_op *o = mem_calloc(1, sizeof *o);
    o->cfg = *cfg;
    o->in = in;
    o->ncol = in->ncolumns;
    o->keep_range = -1;
    schema_init(&o->out_schema);
    for (int c = 0; c < in->ncolumns; c++)
        schema_add(&o->out_schema, in->columns[c].name, in->columns[c].type,
                   true, NULL);
    int rc = ERR_INVALID;
    for (int a = 0; a < cfg->naggs; a++) {
        const struct over_agg_spec *s = &cfg->aggs[a];
        const char *fn = over_func_name(s->func);
        o->agg_v[a] = -1;
        if ((unsigned)s->func > OVER_CUSUM) {
            rc = bad(err, errlen, "%s", "unknown OVER function");
            goto out_free;
        }
        enum schema_type t = SCHEMA_BIGINT;
        if (s->func != OVER_COUNT_STAR) {
            if (s->column < 0 || s->column >= in->ncolumns) {
                rc = bad(err, errlen, "%s: invalid column", fn);
                goto out_free;
            }
            t = in->columns[s->column].type;
            if (s->func != OVER_COUNT && !numeric(t)) {
                rc = bad(err, errlen, "%s over OVER needs a number", fn);
                goto out_free;
            }
            if (t == SCHEMA_TIMESTAMP && s->func != OVER_COUNT &&
                s->func != OVER_MIN && s->func != OVER_MAX &&
                s->func != OVER_FIRST_VALUE && s->func != OVER_LAST_VALUE) {
                rc = bad(err, errlen, "%s needs a number, not a TIMESTAMP", fn);
                goto out_free;
            }
        }
        if (s->frame == OVER_FRAME_ROWS &&
            (s->preceding < 0 || s->preceding >= OVER_AGG_FRAME_MAX)) {
            if (err)
                snprintf(err, errlen,
                         "ROWS BETWEEN n PRECEDING: n must be in 0..%d",
                         OVER_AGG_FRAME_MAX - 1);
            rc = ERR_INVALID;
            goto out_free;
        }
        if (s->frame == OVER_FRAME_RANGE && s->preceding < 0) {
            rc = bad(err, errlen, "%s", "RANGE frame: negative interval");
            goto out_free;
        }
        if (reference(s->func) && s->frame == OVER_FRAME_UNBOUNDED) {
            rc = bad(err, errlen,
                     "%s needs a bounded frame (ROWS BETWEEN n PRECEDING or "
                     "RANGE BETWEEN INTERVAL ... PRECEDING)",
                     fn);
            goto out_free;
        }
        if (recursive(s->func) && !(s->p1 > 0 && s->p1 <= 1)) {
            rc = bad(err, errlen, "%s: alpha must be in (0, 1]", fn);
            goto out_free;
        }
        if (s->func == OVER_CUSUM && !(s->p1 >= 0 && s->p2 > 0)) {
            rc = bad(err, errlen, "%s: k must be >= 0 and h > 0", fn);
            goto out_free;
        }
        switch (s->func) {
        case OVER_COUNT_STAR:
        case OVER_COUNT:
            t = SCHEMA_BIGINT;
            break;
        case OVER_SUM:
            t = t == SCHEMA_DOUBLE ? SCHEMA_DOUBLE : SCHEMA_BIGINT;
            break;
        case OVER_MIN:
        case OVER_MAX:
        case OVER_FIRST_VALUE:
        case OVER_LAST_VALUE:
            break;
        default:
            t = SCHEMA_DOUBLE;
        }
        o->out_type[a] = t;
        if (s->func != OVER_COUNT_STAR) {
            int v;
            for (v = 0; v < o->nv; v++)
                if (o->vcol[v] == s->column)
                    break;
            if (v == o->nv)
                o->vcol[o->nv++] = s->column;
            o->agg_v[a] = v;
        }
        if (!recursive(s->func) && s->frame == OVER_FRAME_ROWS &&
            s->preceding > o->keep_rows)
            o->keep_rows = s->preceding;
        if (!recursive(s->func) && s->frame == OVER_FRAME_RANGE &&
            s->preceding > o->keep_range)
            o->keep_range = s->preceding;
        char name[SCHEMA_NAME_MAX];
        if (s->name[0])
            snprintf(name, sizeof name, "%s", s->name);
        else
            snprintf(name, sizeof name, "%s", fn);
        if (schema_find(&o->out_schema, name, strlen(name)) >= 0)
            snprintf(name + strlen(name) / 2, sizeof name - strlen(name) / 2,
                     "_%d", o->out_schema.ncolumns);
        if (schema_add(&o->out_schema, name, t, true, NULL) < 0) {
            rc = bad(err, errlen, "bad output column name '%s'", name);
            goto out_free;
        }
    }
    o->esize = 8 + 8 * (size_t)o->nv + (((size_t)o->nv + 7) & ~(size_t)7);
    int cap = cfg->output_capacity ? cfg->output_capacity : 1024;
    if (row_batch_create(&o->out_schema, cap, &o->out) != 0) {
        rc = bad(err, errlen, "%s", "cannot create the output batch");
        goto out_free;
    }
    hashmap_init(&o->keymap);
    o->wm = WATERMARK_NONE;
    o->free_head = NIL;
    o->cur_chunk = NIL;
    o->base.ops = &over_ops;
    o->base.watermark = INT64_MIN;
    o->base.out_schema = &o->out_schema;
    *out = &o->base;
    return 0;
out_free:
    mem_free(o);
    return rc;
}

static void over_destroy(struct operator_node *op)
{
    struct over_op *o = (struct over_op *)op;
    for (uint32_t i = 0; i < o->nkeys; i++) {
        mem_free(o->keys[i].ring);
        mem_free(o->keys[i].aux);
    }
    mem_free(o->keys);
    hashmap_fini(&o->keymap);
    for (uint32_t i = 0; i < o->nchunks; i++)
        mem_free(o->chunks[i].mem);
    mem_free(o->chunks);
    mem_free(o->free_chunks);
    mem_free(o->cells);
    mem_free(o->nulls);
    mem_free(o->meta);
    mem_free(o->slot_chunk);
    mem_free(o->slot_key);
    mem_free(o->heap);
    mem_free(o->run);
    mem_free(o->run_pos);
    mem_free(o->scratch);
    row_batch_destroy(o->out);
    mem_free(o);
}

/* ---- keys ---- */

static uint32_t key_encode(struct over_op *o, const struct row_batch *b,
                           int row)
{
    uint32_t n = 0;
    for (int k = 0; k < o->cfg.nkeys; k++) {
        const struct row_column *c = &b->columns[o->cfg.keys[k]];
        if (n + 13 > KEYBUF_MAX)
            break;
        bool null = c->nulls[row] != 0;
        o->keybuf[n++] = null;
        if (null)
            continue;
        switch (c->type) {
        case SCHEMA_BOOLEAN:
            o->keybuf[n++] = c->data.b[row];
            break;
        case SCHEMA_INT: {
            int64_t v = c->data.i32[row];
            memcpy(o->keybuf + n, &v, 8);
            n += 8;
            break;
        }
        case SCHEMA_DOUBLE:
            memcpy(o->keybuf + n, &c->data.f64[row], 8);
            n += 8;
            break;
        case SCHEMA_STRING: {
            uint32_t l = c->data.str[row].len;
            if (l > KEYBUF_MAX - n - 4)
                l = KEYBUF_MAX - n - 4;
            memcpy(o->keybuf + n, &l, 4);
            memcpy(o->keybuf + n + 4, c->data.str[row].ptr, l);
            n += 4 + l;
            break;
        }
        default:
            memcpy(o->keybuf + n, &c->data.i64[row], 8);
            n += 8;
            break;
        }
    }
    return n;
}

static uint32_t key_intern(struct over_op *o, const uint8_t *bytes,
                           uint32_t len)
{
    void *v = hashmap_get(&o->keymap, bytes, len);
    if (v)
        return (uint32_t)((uintptr_t)v - 1);
    if (o->nkeys == o->cap_keys) {
        o->cap_keys = o->cap_keys ? o->cap_keys * 2 : 64;
        o->keys = mem_realloc(o->keys, o->cap_keys * sizeof *o->keys);
    }
    uint32_t id = o->nkeys++;
    struct okey *k = &o->keys[id];
    memset(k, 0, sizeof *k);
    k->run_ts = INT64_MIN;
    k->aux = mem_calloc((size_t)o->cfg.naggs * AUX_N, sizeof(double));
    o->key_bytes += (size_t)o->cfg.naggs * AUX_N * sizeof(double) + len;
    /* The map owns the copy of the key bytes (snapshots read it there). */
    hashmap_put(&o->keymap, bytes, len, (void *)(uintptr_t)(id + 1));
    k->len = len;
    return id;
}

/* ---- pending rows ---- */

static uint32_t chunk_for(struct over_op *o, uint32_t need)
{
    uint32_t cur = o->cur_chunk;
    if (cur != NIL && o->chunks[cur].cap - o->chunks[cur].used >= need)
        return cur;
    if (cur != NIL && o->chunks[cur].refs == 0) {
        if (o->chunks[cur].cap >= need) { /* no row uses it: start over */
            o->chunks[cur].used = 0;
            return cur;
        }
        o->free_chunks[o->nfree_chunks++] = cur;
    }
    /* A full current chunk with rows in it is left to them: the last
     * one's release recycles it (chunk_unref). */
    uint32_t c = NIL;
    if (need <= CHUNK_SIZE && o->nfree_chunks)
        c = o->free_chunks[--o->nfree_chunks];
    if (c == NIL) {
        if (o->nchunks == o->cap_chunks) {
            o->cap_chunks = o->cap_chunks ? o->cap_chunks * 2 : 16;
            o->chunks =
                mem_realloc(o->chunks, o->cap_chunks * sizeof *o->chunks);
            o->free_chunks =
                mem_realloc(o->free_chunks, o->cap_chunks * sizeof(uint32_t));
        }
        c = o->nchunks++;
        uint32_t cap = need > CHUNK_SIZE ? need : CHUNK_SIZE;
        o->chunks[c].mem = mem_alloc(cap);
        o->chunks[c].cap = cap;
    }
    o->chunks[c].used = 0;
    o->chunks[c].refs = 0;
    o->cur_chunk = c;
    return c;
}

static void chunk_unref(struct over_op *o, uint32_t c)
{
    if (c == NIL)
        return;
    struct chunk *ch = &o->chunks[c];
    if (--ch->refs == 0 && c != o->cur_chunk) {
        if (ch->cap > CHUNK_SIZE) { /* a big one: give it back */
            mem_free(ch->mem);
            ch->mem = mem_alloc(CHUNK_SIZE);
            ch->cap = CHUNK_SIZE;
        }
        ch->used = 0;
        o->free_chunks[o->nfree_chunks++] = c;
    }
}

static uint32_t slot_new(struct over_op *o)
{
    if (o->free_head != NIL) {
        uint32_t s = o->free_head;
        o->free_head = o->slot_key[s];
        return s;
    }
    if (o->nslots == o->cap_slots) {
        uint32_t n = o->cap_slots ? o->cap_slots * 2 : 256;
        o->cells = mem_realloc(o->cells, (size_t)n * (size_t)o->ncol * 8);
        o->nulls = mem_realloc(o->nulls, (size_t)n * (size_t)o->ncol);
        o->meta = mem_realloc(o->meta, (size_t)n * sizeof *o->meta);
        o->slot_chunk = mem_realloc(o->slot_chunk, (size_t)n * 4);
        o->slot_key = mem_realloc(o->slot_key, (size_t)n * 4);
        o->cap_slots = n;
    }
    return o->nslots++;
}

static void slot_free(struct over_op *o, uint32_t s)
{
    chunk_unref(o, o->slot_chunk[s]);
    o->slot_key[s] = o->free_head;
    o->free_head = s;
}

static bool pend_less(const struct pend *a, const struct pend *b)
{
    return a->ts < b->ts || (a->ts == b->ts && a->arrival < b->arrival);
}

static void heap_push(struct over_op *o, struct pend p)
{
    if (o->nheap == o->cap_heap) {
        o->cap_heap = o->cap_heap ? o->cap_heap * 2 : 256;
        o->heap = mem_realloc(o->heap, o->cap_heap * sizeof *o->heap);
    }
    uint32_t i = o->nheap++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!pend_less(&p, &o->heap[parent]))
            break;
        o->heap[i] = o->heap[parent];
        i = parent;
    }
    o->heap[i] = p;
}

static struct pend heap_pop(struct over_op *o)
{
    struct pend top = o->heap[0];
    struct pend last = o->heap[--o->nheap];
    uint32_t i = 0, n = o->nheap;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && pend_less(&o->heap[c + 1], &o->heap[c]))
            c++;
        if (!pend_less(&o->heap[c], &last))
            break;
        o->heap[i] = o->heap[c];
        i = c;
    }
    if (n)
        o->heap[i] = last;
    return top;
}

/* Copies row i of in into a pending slot (strings into a chunk). */
static void hold(struct over_op *o, const struct row_batch *in, int i,
                 uint32_t key, uint64_t arrival)
{
    uint32_t s = slot_new(o);
    uint64_t *cell = o->cells + (size_t)s * (size_t)o->ncol;
    uint8_t *nl = o->nulls + (size_t)s * (size_t)o->ncol;
    uint32_t strbytes = 0;
    for (int c = 0; c < o->ncol; c++)
        if (in->columns[c].type == SCHEMA_STRING && !in->columns[c].nulls[i])
            strbytes += in->columns[c].data.str[i].len;
    uint32_t ch = NIL;
    if (strbytes) {
        ch = chunk_for(o, strbytes);
        o->chunks[ch].refs++;
    }
    for (int c = 0; c < o->ncol; c++) {
        const struct row_column *col = &in->columns[c];
        nl[c] = col->nulls[i] != 0;
        uint64_t v = 0;
        if (!nl[c]) {
            switch (col->type) {
            case SCHEMA_BOOLEAN:
                v = col->data.b[i];
                break;
            case SCHEMA_INT:
                v = (uint64_t)(int64_t)col->data.i32[i];
                break;
            case SCHEMA_DOUBLE:
                memcpy(&v, &col->data.f64[i], 8);
                break;
            case SCHEMA_STRING: {
                uint32_t l = col->data.str[i].len;
                if (!l)
                    break; /* offset 0, length 0 */
                struct chunk *k = &o->chunks[ch];
                memcpy(k->mem + k->used, col->data.str[i].ptr, l);
                v = ((uint64_t)k->used << 32) | l;
                k->used += l;
                break;
            }
            default:
                v = (uint64_t)col->data.i64[i];
                break;
            }
        }
        cell[c] = v;
    }
    o->meta[s] = in->meta[i];
    o->slot_chunk[s] = ch;
    o->slot_key[s] = key;
    heap_push(o, (struct pend){in->meta[i].event_ts, arrival, s});
    o->npending++;
}

static double cell_double(const struct over_op *o, uint32_t s, int c)
{
    uint64_t v = o->cells[(size_t)s * (size_t)o->ncol + (size_t)c];
    switch (o->in->columns[c].type) {
    case SCHEMA_INT:
    case SCHEMA_BIGINT:
    case SCHEMA_TIMESTAMP:
        return (double)(int64_t)v;
    case SCHEMA_BOOLEAN:
        return (double)v;
    case SCHEMA_DOUBLE: {
        double d;
        memcpy(&d, &v, 8);
        return d;
    }
    default:
        return 0;
    }
}

static struct value cell_value(const struct over_op *o, uint32_t s, int c)
{
    if (o->nulls[(size_t)s * (size_t)o->ncol + (size_t)c])
        return value_null();
    uint64_t v = o->cells[(size_t)s * (size_t)o->ncol + (size_t)c];
    switch (o->in->columns[c].type) {
    case SCHEMA_BOOLEAN:
        return value_bool(v != 0);
    case SCHEMA_INT:
        return value_int((int32_t)(int64_t)v);
    case SCHEMA_BIGINT:
        return value_bigint((int64_t)v);
    case SCHEMA_TIMESTAMP:
        return value_timestamp((int64_t)v);
    case SCHEMA_DOUBLE: {
        double d;
        memcpy(&d, &v, 8);
        return value_double(d);
    }
    case SCHEMA_STRING:
        if ((uint32_t)v == 0)
            return value_string("", 0);
        return value_string(o->chunks[o->slot_chunk[s]].mem + (v >> 32),
                            (uint32_t)v);
    default:
        return value_null();
    }
}

/* ---- computing ---- */

static struct value typed(enum schema_type t, double x)
{
    switch (t) {
    case SCHEMA_INT:
        return value_int((int32_t)x);
    case SCHEMA_BIGINT:
        return value_bigint((int64_t)x);
    case SCHEMA_TIMESTAMP:
        return value_timestamp((int64_t)x);
    default:
        return value_double(x);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, uint32_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The frame of aggregate a for the row at sequence pos of key k:
 * entries [*lo, *hi]. */
static void frame_of(const struct over_op *o, const struct okey *k,
                     const struct over_agg_spec *s, uint64_t pos, int64_t ts,
                     uint64_t *lo, uint64_t *hi)
{
    uint64_t end = k->first_seq + k->count; /* one past the newest */
    if (s->frame == OVER_FRAME_ROWS) {
        *hi = pos;
        *lo = pos - k->first_seq > (uint64_t)s->preceding
                  ? pos - (uint64_t)s->preceding
                  : k->first_seq;
        return;
    }
    /* RANGE: every entry with ts - preceding <= e.ts <= ts (peers are
     * in already: the run entered before it is computed). */
    uint64_t h = end;
    while (h > pos + 1 && e_ts(entry(o, k, h - 1)) > ts)
        h--;
    uint64_t l = pos;
    while (l > k->first_seq && e_ts(entry(o, k, l - 1)) >= ts - s->preceding)
        l--;
    *lo = l;
    *hi = h - 1;
}

/* Running (UNBOUNDED) state update with x (null: only COUNT(*)). */
static void running_add(double *r, bool null, double x)
{
    r[R_ALL]++;
    if (null)
        return;
    if (r[R_N] == 0 || x < r[R_MIN])
        r[R_MIN] = x;
    if (r[R_N] == 0 || x > r[R_MAX])
        r[R_MAX] = x;
    if (r[R_N] == 0)
        r[R_FIRST] = x;
    r[R_N]++;
    r[R_SUM] += x;
    double d = x - r[R_MEAN];
    r[R_MEAN] += d / r[R_N];
    r[R_M2] += d * (x - r[R_MEAN]);
}

static struct value compute(struct over_op *o, int a, struct okey *k,
                            uint64_t pos, int64_t ts, bool cur_null, double cur)
{
    const struct over_agg_spec *s = &o->cfg.aggs[a];
    double *aux = k->aux + (size_t)a * AUX_N;
    enum schema_type t = o->out_type[a];
    int v = o->agg_v[a];
    if (s->func == OVER_EWMA || s->func == OVER_EWM_STDDEV) {
        /* aux: 0 n, 1 mean, 2 variance */
        if (!cur_null) {
            if (aux[0] == 0) {
                aux[1] = cur;
                aux[2] = 0;
            } else {
                double d = cur - aux[1], inc = s->p1 * d;
                aux[1] += inc;
                aux[2] = (1 - s->p1) * (aux[2] + d * inc);
            }
            aux[0]++;
        }
        if (aux[0] == 0)
            return value_null();
        return value_double(s->func == OVER_EWMA ? aux[1] : sqrt(aux[2]));
    }
    if (s->frame == OVER_FRAME_UNBOUNDED) {
        double *r = aux;
        running_add(r, cur_null, cur);
        switch (s->func) {
        case OVER_COUNT_STAR:
            return value_bigint((int64_t)r[R_ALL]);
        case OVER_COUNT:
            return value_bigint((int64_t)r[R_N]);
        default:
            break;
        }
        if (r[R_N] == 0)
            return value_null();
        switch (s->func) {
        case OVER_SUM:
            return typed(t, r[R_SUM]);
        case OVER_AVG:
            return value_double(r[R_SUM] / r[R_N]);
        case OVER_MIN:
            return typed(t, r[R_MIN]);
        case OVER_MAX:
            return typed(t, r[R_MAX]);
        case OVER_FIRST_VALUE:
            return typed(t, r[R_FIRST]); /* the first non-NULL */
        case OVER_LAST_VALUE:
            return cur_null ? value_null() : typed(t, cur);
        case OVER_VAR_POP:
            return value_double(r[R_M2] / r[R_N]);
        case OVER_STDDEV_POP:
            return value_double(sqrt(r[R_M2] / r[R_N]));
        case OVER_VAR_SAMP:
            return r[R_N] < 2 ? value_null()
                              : value_double(r[R_M2] / (r[R_N] - 1));
        case OVER_STDDEV_SAMP:
            return r[R_N] < 2 ? value_null()
                              : value_double(sqrt(r[R_M2] / (r[R_N] - 1)));
        default:
            return value_null();
        }
    }
    uint64_t lo, hi;
    frame_of(o, k, s, pos, ts, &lo, &hi);
    if (s->func == OVER_COUNT_STAR)
        return value_bigint((int64_t)(hi - lo + 1));
    /* One pass: count, sum, min, max, first, last (reference functions
     * leave the current row out). */
    bool ref = reference(s->func);
    uint64_t n = 0;
    double sum = 0, mn = 0, mx = 0, first = 0, last = 0, x;
    bool first_null = true, last_null = true;
    for (uint64_t q = lo; q <= hi; q++) {
        if (ref && q == pos)
            continue;
        const uint8_t *e = entry(o, k, q);
        bool has = e_val(o, e, v, &x);
        if (q == lo)
            first_null = !has, first = x;
        if (q == hi)
            last_null = !has, last = x;
        if (!has)
            continue;
        if (n == 0 || x < mn)
            mn = x;
        if (n == 0 || x > mx)
            mx = x;
        sum += x;
        n++;
    }
    switch (s->func) {
    case OVER_COUNT:
        return value_bigint((int64_t)n);
    case OVER_FIRST_VALUE:
        return first_null ? value_null() : typed(t, first);
    case OVER_LAST_VALUE:
        return last_null ? value_null() : typed(t, last);
    default:
        break;
    }
    if (n == 0)
        return value_null();
    switch (s->func) {
    case OVER_SUM:
        return typed(t, sum);
    case OVER_AVG:
        return value_double(sum / (double)n);
    case OVER_MIN:
        return typed(t, mn);
    case OVER_MAX:
        return typed(t, mx);
    default:
        break;
    }
    double mean = sum / (double)n, m2 = 0;
    if (s->func != OVER_MAD_SCORE) {
        for (uint64_t q = lo; q <= hi; q++) {
            if (ref && q == pos)
                continue;
            if (e_val(o, entry(o, k, q), v, &x))
                m2 += (x - mean) * (x - mean);
        }
    }
    switch (s->func) {
    case OVER_VAR_POP:
        return value_double(m2 / (double)n);
    case OVER_STDDEV_POP:
        return value_double(sqrt(m2 / (double)n));
    case OVER_VAR_SAMP:
        return n < 2 ? value_null() : value_double(m2 / (double)(n - 1));
    case OVER_STDDEV_SAMP:
        return n < 2 ? value_null() : value_double(sqrt(m2 / (double)(n - 1)));
    default:
        break;
    }
    if (cur_null || n < 2)
        return value_null();
    if (s->func == OVER_ZSCORE || s->func == OVER_CUSUM) {
        double sd = sqrt(m2 / (double)(n - 1));
        if (!(sd > 0))
            return value_null();
        double z = (cur - mean) / sd;
        if (s->func == OVER_ZSCORE)
            return value_double(z);
        /* aux: 0 S+, 1 S- */
        aux[0] = fmax(0, aux[0] + z - s->p1);
        aux[1] = fmax(0, aux[1] - z - s->p1);
        double c = fmax(aux[0], aux[1]);
        if (c > s->p2)
            aux[0] = aux[1] = 0; /* alarm: start over */
        return value_double(c);
    }
    /* MAD_SCORE */
    if (n > o->cap_scratch) {
        o->cap_scratch = (uint32_t)n * 2;
        o->scratch =
            mem_realloc(o->scratch, o->cap_scratch * sizeof *o->scratch);
    }
    uint32_t m = 0;
    for (uint64_t q = lo; q <= hi; q++)
        if (q != pos && e_val(o, entry(o, k, q), v, &x))
            o->scratch[m++] = x;
    double med = median(o->scratch, m);
    for (uint32_t i = 0; i < m; i++)
        o->scratch[i] = fabs(o->scratch[i] - med);
    double mad = median(o->scratch, m);
    if (!(mad > 0))
        return value_null();
    return value_double(0.6745 * (cur - med) / mad);
}

static int emit_out(struct over_op *o)
{
    if (o->out->nrows == 0)
        return 0;
    int rc = operator_emit(&o->base, o->out);
    row_batch_reset(o->out);
    return rc;
}

/* Entries no frame can need again, before a run at ts (invariant 2). */
static void evict(struct over_op *o, struct okey *k, int64_t ts)
{
    while (k->count) {
        uint64_t end = k->first_seq + k->count;
        if (end - k->first_seq <= (uint64_t)o->keep_rows)
            break;
        if (o->keep_range >= 0 &&
            e_ts(entry(o, k, k->first_seq)) >= ts - o->keep_range)
            break;
        k->head = (k->head + 1) & (k->cap - 1);
        k->first_seq++;
        k->count--;
        o->frame_entries--;
    }
}

/* Releases every pending row with ts <= wm, run by run. */
static int release(struct over_op *o, int64_t wm)
{
    int rc = 0;
    while (o->nheap && o->heap[0].ts <= wm) {
        int64_t ts = o->heap[0].ts;
        uint32_t n = 0;
        while (o->nheap && o->heap[0].ts == ts) {
            if (n == o->cap_run) {
                o->cap_run = o->cap_run ? o->cap_run * 2 : 256;
                o->run = mem_realloc(o->run, o->cap_run * 4);
                o->run_pos = mem_realloc(o->run_pos, o->cap_run * 8);
            }
            o->run[n++] = heap_pop(o).slot;
        }
        /* Phase 1: the run enters its frames. */
        for (uint32_t i = 0; i < n; i++) {
            uint32_t s = o->run[i];
            struct okey *k = &o->keys[o->slot_key[s]];
            if (k->run_ts != ts) {
                evict(o, k, ts);
                k->run_ts = ts;
            }
            if (k->count == k->cap && (rc = key_grow_ring(o, k)) != 0) {
                /* Never silently wrong: the frame limit is the error. */
                return ERR_TOO_LARGE;
            }
            uint64_t seq = k->first_seq + k->count;
            k->count++;
            o->frame_entries++;
            uint8_t *e = entry(o, k, seq);
            memcpy(e, &ts, 8);
            for (int v = 0; v < o->nv; v++) {
                int c = o->vcol[v];
                bool null = o->nulls[(size_t)s * (size_t)o->ncol + (size_t)c];
                double x = null ? 0 : cell_double(o, s, c);
                memcpy(e + 8 + 8 * (size_t)v, &x, 8);
                e[8 + 8 * (size_t)o->nv + (size_t)v] = null;
            }
            o->run_pos[i] = seq;
        }
        /* Phase 2: each row with its aggregates, in order. */
        for (uint32_t i = 0; i < n; i++) {
            uint32_t s = o->run[i];
            struct okey *k = &o->keys[o->slot_key[s]];
            for (int c = 0; c < o->ncol; c++)
                o->vals[c] = cell_value(o, s, c);
            for (int a = 0; a < o->cfg.naggs; a++) {
                const struct over_agg_spec *sp = &o->cfg.aggs[a];
                bool null = true;
                double x = 0;
                if (sp->func != OVER_COUNT_STAR) {
                    null = o->nulls[(size_t)s * (size_t)o->ncol +
                                    (size_t)sp->column] != 0;
                    if (!null)
                        x = cell_double(o, s, sp->column);
                }
                o->vals[o->ncol + a] =
                    compute(o, a, k, o->run_pos[i], ts, null, x);
            }
            if (row_batch_full(o->out) && (rc = emit_out(o)) != 0)
                return rc;
            row_batch_append(o->out, o->vals, &o->meta[s], true);
            o->st.rows_emitted++;
            o->npending--;
            slot_free(o, s);
        }
    }
    return rc;
}

static int over_advance(struct operator_node *op, int64_t wm)
{
    struct over_op *o = (struct over_op *)op;
    if (wm <= o->wm)
        return 0;
    o->wm = wm;
    return release(o, wm);
}

static int over_push(struct operator_node *op, const struct row_batch *in)
{
    struct over_op *o = (struct over_op *)op;
    if (in->ncolumns != o->ncol)
        return ERR_INVALID;
    int rc;
    for (int i = 0; i < in->nrows; i++) {
        o->st.rows_in++;
        int64_t w = in->meta[i].watermark;
        if (w > o->wm && (rc = over_advance(op, w)) != 0)
            return rc;
        int64_t ts = in->meta[i].event_ts;
        if (o->wm != WATERMARK_NONE && ts <= o->wm) {
            o->st.rows_late++;
            if (o->cfg.late)
                o->cfg.late(o->cfg.late_arg, in, i);
            continue;
        }
        uint32_t len = key_encode(o, in, i);
        uint32_t key = key_intern(o, o->keybuf, len);
        hold(o, in, i, key, o->arrivals++);
    }
    return 0;
}

static int over_flush(struct operator_node *op)
{
    return emit_out((struct over_op *)op);
}

void over_agg_stats(const struct operator_node *op, struct over_agg_stats *out)
{
    const struct over_op *o = (const struct over_op *)op;
    *out = o->st;
    out->rows_pending = o->npending;
    out->keys = o->nkeys;
    out->state_bytes = (size_t)o->cap_slots *
                           ((size_t)o->ncol * 9 + sizeof(struct row_meta) + 8) +
                       (size_t)o->cap_heap * sizeof(struct pend) +
                       (size_t)o->nchunks * CHUNK_SIZE +
                       (size_t)o->cap_keys * sizeof(struct okey) + o->key_bytes;
}

/* DESCRIBE, /metrics: rows held (waiting for the watermark, and in the
 * frames) and the bytes of the whole state. */
static void over_state(const struct operator_node *op,
                       struct operator_state *out)
{
    const struct over_op *o = (const struct over_op *)op;
    struct over_agg_stats st;
    over_agg_stats(op, &st);
    out->entries = o->npending + o->frame_entries;
    out->bytes = st.state_bytes;
}

/* ---- snapshot / restore ---- */

static void put_u32(struct buf *b, uint32_t v)
{
    uint8_t x[4];
    be32_store(x, v);
    buf_put(b, x, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
    uint8_t x[8];
    be64_store(x, v);
    buf_put(b, x, 8);
}

static void put_f64(struct buf *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_u64(b, v);
}

static int over_snapshot(struct operator_node *op, struct buf *b)
{
    struct over_op *o = (struct over_op *)op;
    buf_put(b, "OVR1", 4);
    put_u64(b, (uint64_t)o->wm);
    put_u64(b, o->arrivals);
    put_u32(b, (uint32_t)o->ncol);
    put_u32(b, (uint32_t)o->cfg.naggs);
    put_u32(b, (uint32_t)o->nv);
    put_u32(b, o->nkeys);
    /* Key bytes are the map's: walk it once to find each key's. */
    const uint8_t **kb = mem_calloc(o->nkeys ? o->nkeys : 1, sizeof *kb);
    struct hashmap_entry *he;
    for (size_t it = 0; hashmap_next(&o->keymap, &it, &he);)
        kb[(uintptr_t)he->value - 1] = he->key;
    for (uint32_t i = 0; i < o->nkeys; i++) {
        const struct okey *k = &o->keys[i];
        put_u32(b, k->len);
        buf_put(b, kb[i], k->len);
        put_u64(b, (uint64_t)k->run_ts);
        put_u64(b, k->first_seq);
        put_u32(b, k->count);
        for (uint64_t q = k->first_seq; q < k->first_seq + k->count; q++) {
            const uint8_t *e = entry(o, k, q);
            put_u64(b, (uint64_t)e_ts(e));
            for (int v = 0; v < o->nv; v++) {
                uint64_t x;
                memcpy(&x, e + 8 + 8 * (size_t)v, 8);
                put_u64(b, x);
            }
            buf_put(b, e + 8 + 8 * (size_t)o->nv, (size_t)o->nv);
        }
        for (int a = 0; a < o->cfg.naggs * AUX_N; a++)
            put_f64(b, k->aux[a]);
    }
    mem_free(kb);
    /* Pending rows, in release order (a sorted copy of the heap). */
    struct pend *h = mem_alloc((o->nheap ? o->nheap : 1) * sizeof *h);
    memcpy(h, o->heap, o->nheap * sizeof *h);
    uint32_t n = o->nheap;
    put_u32(b, n);
    struct over_op tmp = *o;
    tmp.heap = h;
    tmp.nheap = n;
    for (uint32_t i = 0; i < n; i++) {
        struct pend p = heap_pop(&tmp);
        uint32_t s = p.slot;
        const struct row_meta *m = &o->meta[s];
        put_u64(b, p.arrival);
        put_u64(b, (uint64_t)m->event_ts);
        put_u64(b, (uint64_t)m->offset);
        put_u64(b, (uint64_t)m->record_ts);
        put_u32(b, (uint32_t)m->partition);
        put_u64(b, (uint64_t)m->watermark);
        for (int c = 0; c < o->ncol; c++) {
            bool null = o->nulls[(size_t)s * (size_t)o->ncol + (size_t)c];
            buf_put_u8(b, null);
            if (null)
                continue;
            if (o->in->columns[c].type == SCHEMA_STRING) {
                struct value v = cell_value(o, s, c);
                put_u32(b, v.u.str.len);
                buf_put(b, v.u.str.ptr, v.u.str.len);
            } else {
                put_u64(b, o->cells[(size_t)s * (size_t)o->ncol + (size_t)c]);
            }
        }
    }
    mem_free(h);
    return 0;
}

struct rd {
    const uint8_t *p;
    size_t n;
    bool bad;
};

static const uint8_t *take(struct rd *r, size_t n)
{
    if (r->bad || r->n < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->n -= n;
    return p;
}

static uint32_t get_u32(struct rd *r)
{
    const uint8_t *p = take(r, 4);
    return p ? be32_load(p) : 0;
}

static uint64_t get_u64(struct rd *r)
{
    const uint8_t *p = take(r, 8);
    return p ? be64_load(p) : 0;
}

/* Restores into an operator with no state yet (just created with the same
 * configuration). Returns 0, ERR_CORRUPT (truncated, not a snapshot of this
 * shape) or ERR_INVALID (it already holds state). */
static int over_restore(struct operator_node *op, const uint8_t *p, size_t n)
{
    struct over_op *o = (struct over_op *)op;
    if (o->nkeys || o->nheap)
        return ERR_INVALID;
    struct rd r = {p, n, false};
    const uint8_t *magic = take(&r, 4);
    if (!magic || memcmp(magic, "OVR1", 4))
        return ERR_CORRUPT;
    int64_t wm = (int64_t)get_u64(&r);
    uint64_t arrivals = get_u64(&r);
    if (get_u32(&r) != (uint32_t)o->ncol ||
        get_u32(&r) != (uint32_t)o->cfg.naggs ||
        get_u32(&r) != (uint32_t)o->nv || r.bad)
        return ERR_CORRUPT;
    uint32_t nkeys = get_u32(&r);
    for (uint32_t i = 0; i < nkeys && !r.bad; i++) {
        uint32_t len = get_u32(&r);
        const uint8_t *kbytes = take(&r, len);
        if (!kbytes || len > KEYBUF_MAX || hashmap_get(&o->keymap, kbytes, len))
            return ERR_CORRUPT;
        uint32_t id = key_intern(o, kbytes, len);
        struct okey *k = &o->keys[id];
        k->run_ts = (int64_t)get_u64(&r);
        k->first_seq = get_u64(&r);
        uint32_t count = get_u32(&r);
        if (count > OVER_AGG_FRAME_MAX ||
            r.n < (size_t)count * (8 + 9 * (size_t)o->nv))
            return ERR_CORRUPT;
        while (k->cap < count)
            key_grow_ring(o, k);
        for (uint32_t q = 0; q < count; q++) {
            k->count++;
            o->frame_entries++;
            uint8_t *e = entry(o, k, k->first_seq + q);
            int64_t ts = (int64_t)get_u64(&r);
            memcpy(e, &ts, 8);
            for (int v = 0; v < o->nv; v++) {
                uint64_t x = get_u64(&r);
                memcpy(e + 8 + 8 * (size_t)v, &x, 8);
            }
            const uint8_t *nl = take(&r, (size_t)o->nv);
            if (nl)
                memcpy(e + 8 + 8 * (size_t)o->nv, nl, (size_t)o->nv);
        }
        for (int a = 0; a < o->cfg.naggs * AUX_N; a++) {
            uint64_t x = get_u64(&r);
            memcpy(&k->aux[a], &x, 8);
        }
    }
    uint32_t npend = get_u32(&r);
    if (r.bad)
        return ERR_CORRUPT;
    /* Pending rows go through a one-row batch, as if pushed again. */
    struct row_batch *one;
    if (row_batch_create(o->in, 1, &one))
        return ERR_CORRUPT;
    int rc = 0;
    for (uint32_t i = 0; i < npend && !r.bad; i++) {
        row_batch_reset(one);
        uint64_t arrival = get_u64(&r);
        struct row_meta m;
        m.event_ts = (int64_t)get_u64(&r);
        m.offset = (int64_t)get_u64(&r);
        m.record_ts = (int64_t)get_u64(&r);
        m.partition = (int32_t)get_u32(&r);
        m.watermark = (int64_t)get_u64(&r);
        for (int c = 0; c < o->ncol && !r.bad; c++) {
            const uint8_t *nb = take(&r, 1);
            if (!nb || *nb) {
                o->vals[c] = value_null();
                continue;
            }
            enum schema_type t = o->in->columns[c].type;
            if (t == SCHEMA_STRING) {
                uint32_t l = get_u32(&r);
                const uint8_t *sp = take(&r, l);
                o->vals[c] =
                    value_string(sp ? (const char *)sp : "", sp ? l : 0);
                continue;
            }
            uint64_t x = get_u64(&r);
            double d;
            memcpy(&d, &x, 8);
            o->vals[c] = t == SCHEMA_DOUBLE    ? value_double(d)
                         : t == SCHEMA_BOOLEAN ? value_bool(x != 0)
                         : t == SCHEMA_INT     ? value_int((int32_t)(int64_t)x)
                         : t == SCHEMA_TIMESTAMP ? value_timestamp((int64_t)x)
                                                 : value_bigint((int64_t)x);
        }
        if (r.bad)
            break;
        if (row_batch_append(one, o->vals, &m, false) < 0) {
            rc = ERR_CORRUPT;
            break;
        }
        one->meta[0] = m; /* event_ts as recorded, whatever the columns */
        uint32_t len = key_encode(o, one, 0);
        hold(o, one, 0, key_intern(o, o->keybuf, len), arrival);
    }
    row_batch_destroy(one);
    if (r.bad || rc)
        return ERR_CORRUPT;
    o->wm = wm;
    o->arrivals = arrivals;
    return 0;
}

static const struct operator_ops over_ops = {.name = "over_agg",
                                             .push = over_push,
                                             .advance = over_advance,
                                             .flush = over_flush,
                                             .destroy = over_destroy,
                                             .snapshot = over_snapshot,
                                             .restore = over_restore,
                                             .state = over_state};
