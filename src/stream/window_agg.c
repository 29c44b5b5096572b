/* window_agg.c - grouped window aggregation with watermark-driven firing,
 * allowed lateness and a late side output (layer: stream).
 *
 * A (key, window) state moves through:
 *
 *   (none) --first row--> OPEN --wm >= end-1--> FIRED --wm >= end-1+L--> purged
 *                          |                      |  ^
 *                          |                      +--+ late row within L:
 *                          |                           update, re-emit
 *                          +-- (L = 0: fire and purge at once)
 *
 * Invariants:
 *  1. Every live slot is either in the (key, start) table (non-session
 *     windows) or on its key's session chain (sessions), never both.
 *  2. Every live slot is due at exactly one time (slot_due_at), which only
 *     grows while the slot lives: a session slot has a heap entry at that
 *     time (entries at other times are stale and skipped); any other
 *     slot is on exactly one timer bucket's chain (slot_hdr.next), and
 *     only the bucket's expiry frees it, so chains never hold dead slots.
 *  3. No row is created a slot for a window that is already too late
 *     (end - 1 + L <= wm), so a purged window never comes back.
 *  4. The operator's watermark never decreases.
 *  5. Each input row is counted once in rows_in, and at most once in
 *     rows_late (it may also have updated open windows: HOP/CUMULATE).
 *
 * Slot layout (docs/stream.md, "Memory", has the table): struct slot_hdr
 * (16 bytes: start, key id | flags, next), for CUMULATE and SESSION a
 * uint32 length padded to 8, then each aggregate's state at agg.offset,
 * back to back; a COUNT(c) next to another aggregate over c
 * (SUM, AVG, ...) has no state and reads that one's count (agg.shared). Keys:
 * encoded bytes (per column: a NULL byte, then int64, double or u32 length +
 * bytes) interned in an arena, one key id each.
 */
#include "stream/window_agg.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"
#include "stream/watermark.h"

#define NIL UINT32_MAX
#define F_LIVE (1u << 29)
#define F_FIRED (1u << 30)
#define F_DIRTY (1u << 31)
#define KEY_MASK (F_LIVE - 1)
#define KEYS_MAX KEY_MASK /* key ids are < 2^29 - 1 */

/* 16 bytes; CUMULATE and SESSION slots, whose lengths vary, have a uint32
 * end - start (and 4 bytes of padding) after it: 24. TUMBLE and HOP
 * windows all have the window's size, WINDOW_NONE 0. */
struct slot_hdr {
    int64_t start;
    uint32_t kf;   /* key id (bits 0-28) | F_LIVE | F_FIRED | F_DIRTY */
    uint32_t next; /* free list, session chain or timer bucket chain */
};

#define WINDOW_LEN_MAX UINT32_MAX

static uint32_t slot_key(const struct slot_hdr *h)
{
    return h->kf & KEY_MASK;
}

static uint32_t *slot_lenp(struct slot_hdr *h)
{
    return (uint32_t *)(void *)(h + 1);
}

struct keyent {
    uint64_t hash;
    const uint8_t *bytes;
    uint32_t len;
    uint32_t sessions; /* head of the key's session chain, or NIL */
    /* per-key watermarks: the key's largest event time, and the chain of
     * its live slots (through window_agg.knext) */
    int64_t kmax;
    uint32_t open;
};

/* A heap entry: a session slot, or for every other window
 * kind a bucket of all slots due at the same time (windows of one end
 * share one entry; slots are chained through slot_hdr.next). */
struct timer {
    int64_t at;
    uint32_t id;
};

struct tbucket {
    int64_t at;
    uint32_t head;
};

struct window_agg {
    struct window_agg_config cfg;
    const struct schema *in;
    struct schema out_schema;
    struct agg aggs[WINDOW_AGG_MAX_AGGS];
    int key_type[WINDOW_AGG_MAX_KEYS];
    window_agg_emit_fn emit;
    void *emit_arg;
    int64_t wm;

    /* slots */
    uint8_t *slots;
    size_t slot_size;
    bool var_len;       /* CUMULATE, SESSION: the length is in the slot */
    uint32_t fixed_len; /* the others' end - start */
    uint32_t nslots, cap_slots, free_head, live;

    /* (key, start, end) -> slot + 1 (0 empty) */
    uint32_t *table;
    uint32_t table_cap, table_count;

    /* interned keys */
    struct keyent *keys;
    uint32_t nkeys, cap_keys;
    uint32_t *key_table; /* key id + 1 */
    uint32_t key_table_cap;
    struct arena key_arena;

    /* timers */
    struct timer *heap;
    uint32_t nheap, cap_heap;
    struct tbucket *buckets;
    uint32_t nbuckets, cap_buckets, free_bucket_top;
    uint32_t *free_buckets;
    struct hashmap bucket_map; /* at (8 bytes) -> bucket id + 1 */
    uint32_t last_bucket;      /* cache: the bucket used last */

    /* dirty slots to emit at the end of a push */
    uint32_t *dirty;
    uint32_t ndirty, cap_dirty;

    /* per-row scratch, grown to the largest batch seen */
    int cap_rows;
    uint32_t *row_key;
    uint32_t *row_slot;
    uint8_t **row_ptr;
    uint8_t *row_late;
    int64_t *row_ts;
    uint8_t keybuf[4096];

    struct row_batch *out;
    struct window_agg_stats st;
    uint64_t *late_by_part;
    uint32_t nlate_parts;

    /* per-key watermarks (window_agg_set_per_key) */
    bool per_key;
    int64_t pk_delay;
    uint32_t *knext; /* per slot: the next live slot of its key */
    uint32_t cap_knext;
    int64_t *row_kwm;  /* per row: its key's watermark before it */
    uint32_t *touched; /* keys whose watermark rose in this push */
    uint32_t ntouched;
};

static struct slot_hdr *hdr(const struct window_agg *wa, uint32_t s)
{
    return (struct slot_hdr *)(void *)(wa->slots + (size_t)s * wa->slot_size);
}

static int64_t slot_end(const struct window_agg *wa, const struct slot_hdr *h)
{
    uint32_t len =
        wa->var_len ? *(const uint32_t *)(const void *)(h + 1) : wa->fixed_len;
    return h->start + (int64_t)len;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ULL;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dULL;
    x ^= x >> 33;
    return x;
}

/* CUMULATE windows share a start, so the end is part of the identity. */
static uint64_t group_hash(uint32_t key, int64_t start, int64_t end)
{
    return mix(((uint64_t)key * 0x9E3779B97F4A7C15ULL) ^ (uint64_t)start ^
               ((uint64_t)end * 0xC2B2AE3D27D4EB4FULL));
}

/* --- creation ---------------------------------------------------------- */

int window_agg_create(const struct schema *in,
                      const struct window_agg_config *cfg,
                      window_agg_emit_fn emit, void *emit_arg,
                      struct window_agg **out)
{
    if (!in || !cfg || window_spec_check(&cfg->window) != 0 || cfg->nkeys < 0 ||
        cfg->nkeys > WINDOW_AGG_MAX_KEYS || cfg->naggs < 0 ||
        cfg->naggs > WINDOW_AGG_MAX_AGGS || cfg->allowed_lateness_ms < 0 ||
        cfg->output_capacity < 0 ||
        cfg->output_capacity > ROW_BATCH_MAX_CAPACITY)
        return ERR_INVALID;
    if (cfg->window.size_ms > (int64_t)WINDOW_LEN_MAX ||
        cfg->window.gap_ms > (int64_t)WINDOW_LEN_MAX)
        return ERR_INVALID;
    struct window_agg *wa = mem_calloc(1, sizeof(*wa));
    wa->cfg = *cfg;
    wa->in = in;
    wa->emit = emit;
    wa->emit_arg = emit_arg;
    wa->wm = WATERMARK_NONE;
    wa->free_head = NIL;
    schema_init(&wa->out_schema);
    int rc = ERR_INVALID;
    for (int k = 0; k < cfg->nkeys; k++) {
        int c = cfg->keys[k];
        if (c < 0 || c >= in->ncolumns)
            goto out_free;
        wa->key_type[k] = in->columns[c].type;
        if (schema_add(&wa->out_schema, in->columns[c].name,
                       in->columns[c].type, true, NULL) < 0)
            goto out_free;
    }
    if (cfg->window.kind != WINDOW_NONE) {
        if (schema_add(&wa->out_schema, "window_start", SCHEMA_TIMESTAMP, false,
                       NULL) < 0 ||
            schema_add(&wa->out_schema, "window_end", SCHEMA_TIMESTAMP, false,
                       NULL) < 0)
            goto out_free;
    }
    for (int a = 0; a < cfg->naggs; a++)
        if (agg_compile(&wa->aggs[a], &cfg->aggs[a], in) != 0)
            goto out_free;
    /* A COUNT(c) reads the count another state over c keeps anyway. */
    int holder[WINDOW_AGG_MAX_AGGS];
    for (int a = 0; a < cfg->naggs; a++) {
        holder[a] = -1;
        if (wa->aggs[a].spec.func != AGG_COUNT)
            continue;
        holder[a] =
            agg_count_holder(wa->aggs, cfg->naggs, wa->aggs[a].spec.column);
        if (holder[a] >= 0) {
            wa->aggs[a].shared = true;
            wa->aggs[a].size = 0;
        }
    }
    wa->var_len = cfg->window.kind == WINDOW_CUMULATE ||
                  cfg->window.kind == WINDOW_SESSION;
    wa->fixed_len =
        cfg->window.kind == WINDOW_NONE ? 0 : (uint32_t)cfg->window.size_ms;
    size_t off = sizeof(struct slot_hdr) + (wa->var_len ? 8 : 0);
    for (int a = 0; a < cfg->naggs; a++) {
        wa->aggs[a].offset = (uint32_t)off;
        off += wa->aggs[a].size;
    }
    for (int a = 0; a < cfg->naggs; a++) {
        if (holder[a] >= 0)
            wa->aggs[a].offset = wa->aggs[holder[a]].offset;
        char name[SCHEMA_NAME_MAX];
        snprintf(name, sizeof(name), "%s", wa->aggs[a].spec.name);
        if (schema_find(&wa->out_schema, name, strlen(name)) >= 0)
            snprintf(name, sizeof(name), "%.50s_%d", wa->aggs[a].spec.name,
                     a + 1);
        if (schema_add(&wa->out_schema, name, wa->aggs[a].out_type, true,
                       NULL) < 0)
            goto out_free;
    }
    wa->slot_size = off;
    int cap = cfg->output_capacity ? cfg->output_capacity : 1024;
    if (row_batch_create(&wa->out_schema, cap, &wa->out) != 0)
        goto out_free;
    arena_init(&wa->key_arena, 64 * 1024);
    wa->table_cap = 1024;
    wa->table = mem_calloc(wa->table_cap, sizeof(uint32_t));
    wa->key_table_cap = 256;
    wa->key_table = mem_calloc(wa->key_table_cap, sizeof(uint32_t));
    hashmap_init(&wa->bucket_map);
    wa->last_bucket = NIL;
    *out = wa;
    return 0;
out_free:
    mem_free(wa);
    return rc;
}

void window_agg_destroy(struct window_agg *wa)
{
    if (!wa)
        return;
    for (uint32_t s = 0; s < wa->nslots; s++) {
        if (!(hdr(wa, s)->kf & F_LIVE))
            continue;
        for (int a = 0; a < wa->cfg.naggs; a++)
            agg_fini(&wa->aggs[a], hdr(wa, s));
    }
    mem_free(wa->slots);
    mem_free(wa->table);
    mem_free(wa->keys);
    mem_free(wa->key_table);
    arena_fini(&wa->key_arena);
    mem_free(wa->heap);
    mem_free(wa->buckets);
    mem_free(wa->free_buckets);
    hashmap_fini(&wa->bucket_map);
    mem_free(wa->dirty);
    mem_free(wa->row_key);
    mem_free(wa->row_slot);
    mem_free(wa->row_ptr);
    mem_free(wa->row_late);
    mem_free(wa->row_ts);
    mem_free(wa->row_kwm);
    mem_free(wa->touched);
    mem_free(wa->knext);
    mem_free(wa->late_by_part);
    row_batch_destroy(wa->out);
    mem_free(wa);
}

const struct schema *window_agg_schema(const struct window_agg *wa)
{
    return &wa->out_schema;
}

int64_t window_agg_watermark(const struct window_agg *wa)
{
    return wa->wm;
}

/* --- keys -------------------------------------------------------------- */

/* Encodes row i's key into wa->keybuf; returns its length. */
static uint32_t key_encode(struct window_agg *wa, const struct row_batch *b,
                           int i)
{
    uint8_t *p = wa->keybuf, *end = wa->keybuf + sizeof(wa->keybuf);
    for (int k = 0; k < wa->cfg.nkeys; k++) {
        const struct row_column *c = &b->columns[wa->cfg.keys[k]];
        if (c->nulls[i]) {
            *p++ = 1;
            continue;
        }
        *p++ = 0;
        int64_t v;
        switch (c->type) {
        case SCHEMA_STRING: {
            uint32_t n = c->data.str[i].len;
            if (n > (uint32_t)(end - p) - 4 - 16 * WINDOW_AGG_MAX_KEYS)
                n = (uint32_t)(end - p) - 4 - 16 * WINDOW_AGG_MAX_KEYS;
            memcpy(p, &n, 4);
            if (n)
                memcpy(p + 4, c->data.str[i].ptr, n);
            p += 4 + n;
            continue;
        }
        case SCHEMA_DOUBLE:
            memcpy(p, &c->data.f64[i], 8);
            p += 8;
            continue;
        case SCHEMA_BOOLEAN:
            v = c->data.b[i];
            break;
        case SCHEMA_INT:
            v = c->data.i32[i];
            break;
        default:
            v = c->data.i64[i];
            break;
        }
        memcpy(p, &v, 8);
        p += 8;
    }
    return (uint32_t)(p - wa->keybuf);
}

static void key_table_grow(struct window_agg *wa)
{
    uint32_t cap = wa->key_table_cap * 2;
    uint32_t *t = mem_calloc(cap, sizeof(uint32_t));
    for (uint32_t k = 0; k < wa->nkeys; k++) {
        uint32_t j = (uint32_t)wa->keys[k].hash & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = k + 1;
    }
    mem_free(wa->key_table);
    wa->key_table = t;
    wa->key_table_cap = cap;
}

static uint32_t key_intern(struct window_agg *wa, uint32_t len)
{
    uint64_t h = hashmap_hash(wa->keybuf, len);
    uint32_t mask = wa->key_table_cap - 1, j = (uint32_t)h & mask;
    while (wa->key_table[j]) {
        struct keyent *e = &wa->keys[wa->key_table[j] - 1];
        if (e->hash == h && e->len == len &&
            memcmp(e->bytes, wa->keybuf, len) == 0)
            return wa->key_table[j] - 1;
        j = (j + 1) & mask;
    }
    if (wa->nkeys == KEYS_MAX)
        return NIL;
    if (wa->nkeys == wa->cap_keys) {
        wa->cap_keys = wa->cap_keys ? wa->cap_keys * 2 : 64;
        wa->keys = mem_realloc(wa->keys, wa->cap_keys * sizeof(*wa->keys));
    }
    uint32_t id = wa->nkeys++;
    struct keyent *e = &wa->keys[id];
    e->hash = h;
    e->len = len;
    uint8_t *copy = arena_alloc(&wa->key_arena, len ? len : 1);
    memcpy(copy, wa->keybuf, len);
    e->bytes = copy;
    e->sessions = NIL;
    e->kmax = WATERMARK_NONE;
    e->open = NIL;
    wa->key_table[j] = id + 1;
    if ((uint64_t)wa->nkeys * 10 > (uint64_t)wa->key_table_cap * 7)
        key_table_grow(wa);
    return id;
}

/* Writes key id's columns into row `row` of out. */
static void key_decode(const struct window_agg *wa, uint32_t id,
                       struct row_batch *out, int row)
{
    const uint8_t *p = wa->keys[id].bytes;
    for (int k = 0; k < wa->cfg.nkeys; k++) {
        if (*p++) {
            row_batch_set(out, row, k, value_null());
            continue;
        }
        int64_t v;
        double d;
        uint32_t n;
        switch (wa->key_type[k]) {
        case SCHEMA_STRING:
            memcpy(&n, p, 4);
            row_batch_set(out, row, k, value_string((const char *)p + 4, n));
            p += 4 + n;
            continue;
        case SCHEMA_DOUBLE:
            memcpy(&d, p, 8);
            row_batch_set(out, row, k, value_double(d));
            p += 8;
            continue;
        default:
            memcpy(&v, p, 8);
            p += 8;
            break;
        }
        struct value val;
        switch (wa->key_type[k]) {
        case SCHEMA_BOOLEAN:
            val = value_bool(v != 0);
            break;
        case SCHEMA_INT:
            val = value_int((int32_t)v);
            break;
        case SCHEMA_TIMESTAMP:
            val = value_timestamp(v);
            break;
        default:
            val = value_bigint(v);
            break;
        }
        row_batch_set(out, row, k, val);
    }
}

/* --- slots, table, timers ---------------------------------------------- */

static uint32_t slot_new(struct window_agg *wa, uint32_t key, int64_t start,
                         int64_t end)
{
    uint32_t s;
    if (wa->free_head != NIL) {
        s = wa->free_head;
        wa->free_head = hdr(wa, s)->next;
    } else {
        if (wa->nslots == wa->cap_slots) {
            wa->cap_slots = wa->cap_slots ? wa->cap_slots * 2 : 256;
            wa->slots = mem_realloc(wa->slots, wa->cap_slots * wa->slot_size);
        }
        s = wa->nslots++;
    }
    struct slot_hdr *h = hdr(wa, s);
    memset(h, 0, wa->slot_size);
    h->start = start;
    if (wa->var_len)
        *slot_lenp(h) = (uint32_t)(end - start);
    h->kf = key | F_LIVE;
    h->next = NIL;
    for (int a = 0; a < wa->cfg.naggs; a++)
        if (agg_needs_init(&wa->aggs[a]))
            agg_init(&wa->aggs[a], h);
    if (wa->per_key) {
        if (wa->cap_knext < wa->cap_slots) {
            wa->cap_knext = wa->cap_slots;
            wa->knext =
                mem_realloc(wa->knext, wa->cap_knext * sizeof(uint32_t));
        }
        wa->knext[s] = wa->keys[key].open;
        wa->keys[key].open = s;
    }
    wa->live++;
    return s;
}

static void table_insert_raw(uint32_t *t, uint32_t cap, uint64_t h, uint32_t v)
{
    uint32_t j = (uint32_t)h & (cap - 1);
    while (t[j])
        j = (j + 1) & (cap - 1);
    t[j] = v;
}

static void table_grow(struct window_agg *wa)
{
    uint32_t cap = wa->table_cap * 2;
    uint32_t *t = mem_calloc(cap, sizeof(uint32_t));
    for (uint32_t j = 0; j < wa->table_cap; j++) {
        uint32_t v = wa->table[j];
        if (v) {
            struct slot_hdr *h = hdr(wa, v - 1);
            table_insert_raw(
                t, cap, group_hash(slot_key(h), h->start, slot_end(wa, h)), v);
        }
    }
    mem_free(wa->table);
    wa->table = t;
    wa->table_cap = cap;
}

/* Removes slot s from the table (backward-shift deletion). */
static void table_remove(struct window_agg *wa, uint32_t s)
{
    struct slot_hdr *h = hdr(wa, s);
    uint32_t mask = wa->table_cap - 1;
    uint32_t j =
        (uint32_t)group_hash(slot_key(h), h->start, slot_end(wa, h)) & mask;
    while (wa->table[j] != s + 1) {
        if (!wa->table[j])
            return;
        j = (j + 1) & mask;
    }
    wa->table[j] = 0;
    wa->table_count--;
    uint32_t k = (j + 1) & mask;
    while (wa->table[k]) {
        struct slot_hdr *o = hdr(wa, wa->table[k] - 1);
        uint32_t home =
            (uint32_t)group_hash(slot_key(o), o->start, slot_end(wa, o)) & mask;
        /* Move k back to j if its home is not cyclically in (j, k]. */
        bool in_range =
            j <= k ? (home > j && home <= k) : (home > j || home <= k);
        if (!in_range) {
            wa->table[j] = wa->table[k];
            wa->table[k] = 0;
            j = k;
        }
        k = (k + 1) & mask;
    }
}

static void heap_push(struct window_agg *wa, int64_t at, uint32_t id)
{
    if (wa->nheap == wa->cap_heap) {
        wa->cap_heap = wa->cap_heap ? wa->cap_heap * 2 : 256;
        wa->heap = mem_realloc(wa->heap, wa->cap_heap * sizeof(*wa->heap));
    }
    struct timer t = {at, id};
    uint32_t i = wa->nheap++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (wa->heap[p].at <= at)
            break;
        wa->heap[i] = wa->heap[p];
        i = p;
    }
    wa->heap[i] = t;
}

static void heap_pop(struct window_agg *wa)
{
    struct timer last = wa->heap[--wa->nheap];
    uint32_t i = 0, n = wa->nheap;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && wa->heap[c + 1].at < wa->heap[c].at)
            c++;
        if (wa->heap[c].at >= last.at)
            break;
        wa->heap[i] = wa->heap[c];
        i = c;
    }
    if (n)
        wa->heap[i] = last;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* Chains slot s on the bucket of time `at`, creating it (and its heap
 * entry) when it is the first slot due then. */
static void bucket_add(struct window_agg *wa, int64_t at, uint32_t s)
{
    uint32_t b = wa->last_bucket;
    if (b == NIL || b >= wa->nbuckets || wa->buckets[b].at != at ||
        wa->buckets[b].head == NIL - 1) {
        void *v = hashmap_get(&wa->bucket_map, &at, sizeof(at));
        if (v) {
            b = (uint32_t)(uintptr_t)v - 1;
        } else {
            if (wa->free_bucket_top) {
                b = wa->free_buckets[--wa->free_bucket_top];
            } else {
                if (wa->nbuckets == wa->cap_buckets) {
                    wa->cap_buckets =
                        wa->cap_buckets ? wa->cap_buckets * 2 : 64;
                    wa->buckets = mem_realloc(
                        wa->buckets, wa->cap_buckets * sizeof(*wa->buckets));
                    wa->free_buckets = mem_realloc(
                        wa->free_buckets, wa->cap_buckets * sizeof(uint32_t));
                }
                b = wa->nbuckets++;
            }
            wa->buckets[b].at = at;
            wa->buckets[b].head = NIL;
            hashmap_put(&wa->bucket_map, &at, sizeof(at),
                        (void *)(uintptr_t)(b + 1));
            heap_push(wa, at, b);
        }
        wa->last_bucket = b;
    }
    hdr(wa, s)->next = wa->buckets[b].head;
    wa->buckets[b].head = s;
}

/* When slot s is next due: firing (FINAL, not fired yet) or purging. Due
 * times of a live slot only grow, so a heap entry whose time differs from
 * this is stale. */
static int64_t slot_due_at(const struct window_agg *wa,
                           const struct slot_hdr *h)
{
    if (wa->cfg.emit == EMIT_FINAL && !(h->kf & F_FIRED) &&
        !wa->cfg.final_after_lateness)
        return slot_end(wa, h) - 1;
    return sat_add(slot_end(wa, h) - 1, wa->cfg.allowed_lateness_ms);
}

static void slot_schedule(struct window_agg *wa, uint32_t s)
{
    struct slot_hdr *h = hdr(wa, s);
    if (wa->cfg.window.kind == WINDOW_NONE)
        return;
    int64_t at = slot_due_at(wa, h);
    if (wa->cfg.window.kind == WINDOW_SESSION)
        heap_push(wa, at, s);
    else
        bucket_add(wa, at, s);
}

static void slot_free(struct window_agg *wa, uint32_t s)
{
    struct slot_hdr *h = hdr(wa, s);
    if (wa->per_key) {
        uint32_t *link = &wa->keys[slot_key(h)].open;
        while (*link != NIL && *link != s)
            link = &wa->knext[*link];
        if (*link == s)
            *link = wa->knext[s];
    }
    for (int a = 0; a < wa->cfg.naggs; a++)
        agg_fini(&wa->aggs[a], h);
    h->kf = 0;
    h->next = wa->free_head;
    wa->free_head = s;
    wa->live--;
}

static uint32_t group_get(struct window_agg *wa, uint32_t key, int64_t start,
                          int64_t end)
{
    uint32_t mask = wa->table_cap - 1;
    uint32_t j = (uint32_t)group_hash(key, start, end) & mask;
    for (;;) {
        uint32_t v = wa->table[j];
        if (!v)
            break;
        struct slot_hdr *h = hdr(wa, v - 1);
        if (slot_key(h) == key && h->start == start && slot_end(wa, h) == end)
            return v - 1;
        j = (j + 1) & mask;
    }
    uint32_t s = slot_new(wa, key, start, end);
    wa->table[j] = s + 1;
    wa->table_count++;
    slot_schedule(wa, s);
    if ((uint64_t)wa->table_count * 10 > (uint64_t)wa->table_cap * 7)
        table_grow(wa);
    return s;
}

/* --- output ------------------------------------------------------------ */

int window_agg_flush(struct window_agg *wa)
{
    if (wa->out->nrows == 0)
        return 0;
    int rc = wa->emit ? wa->emit(wa->emit_arg, wa->out) : 0;
    row_batch_reset(wa->out);
    return rc < 0 ? rc : 0;
}

static int emit_slot(struct window_agg *wa, uint32_t s)
{
    if (row_batch_full(wa->out)) {
        int rc = window_agg_flush(wa);
        if (rc)
            return rc;
    }
    struct slot_hdr *h = hdr(wa, s);
    struct row_batch *o = wa->out;
    int row = row_batch_begin_row(o);
    key_decode(wa, slot_key(h), o, row);
    int col = wa->cfg.nkeys;
    if (wa->cfg.window.kind != WINDOW_NONE) {
        row_batch_set(o, row, col++, value_timestamp(h->start));
        row_batch_set(o, row, col++, value_timestamp(slot_end(wa, h)));
    }
    for (int a = 0; a < wa->cfg.naggs; a++)
        agg_result(&wa->aggs[a], h, o, row, col++);
    /* Event time = the window's end - 1 (commit takes it from record_ts;
     * offset -1: no source record), or the watermark without a window. */
    int64_t et =
        wa->cfg.window.kind == WINDOW_NONE ? wa->wm : slot_end(wa, h) - 1;
    struct row_meta m = {et, -1, et, -1, wa->wm};
    row_batch_commit_row(o, &m);
    wa->st.rows_emitted++;
    return 0;
}

static void mark_dirty(struct window_agg *wa, uint32_t s)
{
    struct slot_hdr *h = hdr(wa, s);
    if (h->kf & F_DIRTY)
        return;
    if (wa->cfg.emit != EMIT_CHANGES && wa->cfg.window.kind != WINDOW_NONE &&
        !(h->kf & F_FIRED))
        return;
    h->kf |= F_DIRTY;
    if (wa->ndirty == wa->cap_dirty) {
        wa->cap_dirty = wa->cap_dirty ? wa->cap_dirty * 2 : 256;
        wa->dirty = mem_realloc(wa->dirty, wa->cap_dirty * sizeof(uint32_t));
    }
    wa->dirty[wa->ndirty++] = s;
}

static int emit_dirty(struct window_agg *wa)
{
    int rc = 0;
    for (uint32_t i = 0; i < wa->ndirty; i++) {
        uint32_t s = wa->dirty[i];
        struct slot_hdr *h = hdr(wa, s);
        if (!(h->kf & F_LIVE) || !(h->kf & F_DIRTY))
            continue;
        h->kf &= ~F_DIRTY;
        if (!rc)
            rc = emit_slot(wa, s);
    }
    wa->ndirty = 0;
    return rc;
}

/* --- input ------------------------------------------------------------- */

static void grow_rows(struct window_agg *wa, int n)
{
    if (n <= wa->cap_rows)
        return;
    size_t c = (size_t)n;
    wa->row_key = mem_realloc(wa->row_key, c * sizeof(uint32_t));
    wa->row_slot = mem_realloc(wa->row_slot, c * sizeof(uint32_t));
    wa->row_ptr = mem_realloc(wa->row_ptr, c * sizeof(uint8_t *));
    wa->row_late = mem_realloc(wa->row_late, c);
    wa->row_ts = mem_realloc(wa->row_ts, c * sizeof(int64_t));
    if (wa->per_key) {
        wa->row_kwm = mem_realloc(wa->row_kwm, c * sizeof(int64_t));
        wa->touched = mem_realloc(wa->touched, c * sizeof(uint32_t));
    }
    wa->cap_rows = n;
}

static void count_late(struct window_agg *wa, const struct row_batch *in, int i)
{
    wa->st.rows_late++;
    int32_t p = in->meta[i].partition;
    if (p >= 0 && p < WATERMARK_MAX_PARTITIONS) {
        if ((uint32_t)p >= wa->nlate_parts) {
            uint32_t n = (uint32_t)p + 1 < 16 ? 16 : (uint32_t)p * 2 + 1;
            wa->late_by_part =
                mem_realloc(wa->late_by_part, n * sizeof(uint64_t));
            memset(wa->late_by_part + wa->nlate_parts, 0,
                   (n - wa->nlate_parts) * sizeof(uint64_t));
            wa->nlate_parts = n;
        }
        wa->late_by_part[p]++;
    }
    if (wa->cfg.late)
        wa->cfg.late(wa->cfg.late_arg, in, i);
}

static void update_slots(struct window_agg *wa, const struct row_batch *in,
                         int n)
{
    for (int a = 0; a < wa->cfg.naggs; a++) {
        const struct agg *ag = &wa->aggs[a];
        const struct row_column *col = ag->spec.func == AGG_COUNT_STAR
                                           ? NULL
                                           : &in->columns[ag->spec.column];
        agg_update_batch(ag, col, n, wa->row_ptr, wa->row_ts);
    }
}

/* Whether a row that saw watermark `seen` (its own, record by record, or
 * the operator's if later) comes too late for a window ending at end. */
static bool too_late(const struct window_agg *wa, int64_t end, int64_t seen)
{
    int64_t wm = seen > wa->wm ? seen : wa->wm;
    return wa->cfg.window.kind != WINDOW_NONE && wm != WATERMARK_NONE &&
           sat_add(end - 1, wa->cfg.allowed_lateness_ms) <= wm;
}

/* --- per-key watermarks ------------------------------------------------ */

/* Key k's own watermark: its largest event time minus the delay. */
static int64_t key_wm(const struct window_agg *wa, uint32_t k)
{
    int64_t m = wa->keys[k].kmax;
    if (m == WATERMARK_NONE || m < WATERMARK_NONE + wa->pk_delay + 1)
        return WATERMARK_NONE;
    return m - wa->pk_delay;
}

/* Each row's key watermark as it stood before the row (record by record),
 * then the row's event time moves it; the keys that moved are noted. */
static void key_watermarks(struct window_agg *wa, int n)
{
    wa->ntouched = 0;
    for (int i = 0; i < n; i++) {
        uint32_t k = wa->row_key[i];
        wa->row_kwm[i] = key_wm(wa, k);
        if (wa->row_ts[i] > wa->keys[k].kmax) {
            wa->keys[k].kmax = wa->row_ts[i];
            if (!wa->ntouched || wa->touched[wa->ntouched - 1] != k)
                wa->touched[wa->ntouched++] = k;
        }
    }
}

/* Fires the windows of the keys whose watermark moved in this push, each
 * on max(its own watermark, the operator's). A fired window stays on its
 * timer until the operator's watermark purges it (the timer then finds
 * it fired: no second row). */
static int fire_keys(struct window_agg *wa)
{
    int rc = 0;
    if (wa->cfg.emit != EMIT_FINAL)
        return 0;
    for (uint32_t t = 0; t < wa->ntouched; t++) {
        uint32_t k = wa->touched[t];
        int64_t wm = key_wm(wa, k);
        if (wm == WATERMARK_NONE || wm <= wa->wm)
            continue; /* the operator's own timers cover it */
        for (uint32_t s = wa->keys[k].open; s != NIL; s = wa->knext[s]) {
            struct slot_hdr *h = hdr(wa, s);
            if ((h->kf & F_FIRED) || slot_due_at(wa, h) > wm)
                continue;
            h->kf |= F_FIRED;
            h->kf &= ~F_DIRTY;
            wa->st.windows_fired++;
            wa->st.windows_fired_by_key++;
            int r = emit_slot(wa, s);
            if (!rc)
                rc = r;
        }
    }
    wa->ntouched = 0;
    return rc;
}

int window_agg_set_per_key(struct window_agg *wa, int64_t delay_ms)
{
    if (wa->cfg.window.kind == WINDOW_NONE ||
        wa->cfg.window.kind == WINDOW_SESSION || delay_ms < 0 || wa->nkeys)
        return ERR_INVALID;
    wa->per_key = true;
    wa->pk_delay = delay_ms;
    wa->cap_rows = 0; /* the per-row scratch grows with the per-key arrays */
    return 0;
}

/* Sessions: row by row, since a row may merge sessions (and free slots). */
static void push_sessions(struct window_agg *wa, const struct row_batch *in)
{
    int64_t gap = wa->cfg.window.gap_ms;
    for (int i = 0; i < in->nrows; i++) {
        uint32_t key = wa->row_key[i];
        int64_t ts = wa->row_ts[i], start = ts, end = ts + gap;
        uint32_t target = NIL, *link = &wa->keys[key].sessions;
        /* Merge every session touching [start, end] into one. */
        while (*link != NIL) {
            uint32_t s = *link;
            struct slot_hdr *h = hdr(wa, s);
            int64_t he = slot_end(wa, h);
            int64_t ms = h->start < start ? h->start : start;
            int64_t me = he > end ? he : end;
            /* Sessions longer than WINDOW_LEN_MAX (49.7 days) are not
             * merged further: a new one starts. */
            if (h->start <= end && start <= he && me - ms <= WINDOW_LEN_MAX) {
                start = ms;
                end = me;
                if (target == NIL) {
                    target = s;
                    link = &h->next;
                    continue;
                }
                *link = h->next;
                struct slot_hdr *t = hdr(wa, target);
                for (int a = 0; a < wa->cfg.naggs; a++)
                    agg_merge(&wa->aggs[a], t, h);
                if (h->kf & F_FIRED)
                    t->kf |= F_FIRED;
                slot_free(wa, s);
                wa->st.sessions_merged++;
                continue;
            }
            link = &h->next;
        }
        if (target == NIL) {
            if (too_late(wa, end, in->meta[i].watermark)) {
                count_late(wa, in, i);
                continue;
            }
            target = slot_new(wa, key, start, end);
            hdr(wa, target)->next = wa->keys[key].sessions;
            wa->keys[key].sessions = target;
            slot_schedule(wa, target);
        } else {
            struct slot_hdr *t = hdr(wa, target);
            if (t->start != start || slot_end(wa, t) != end) {
                t->start = start;
                *slot_lenp(t) = (uint32_t)(end - start);
                if ((t->kf & F_FIRED) && end - 1 > wa->wm)
                    t->kf &= ~F_FIRED; /* it grew: fire again later */
                slot_schedule(wa, target);
            }
        }
        uint8_t *ptr = (uint8_t *)hdr(wa, target);
        if (hdr(wa, target)->kf & F_FIRED)
            wa->st.rows_late_within++;
        for (int a = 0; a < wa->cfg.naggs; a++) {
            const struct agg *ag = &wa->aggs[a];
            const struct row_column *col = ag->spec.func == AGG_COUNT_STAR
                                               ? NULL
                                               : &in->columns[ag->spec.column];
            /* A one-row window over the batch: pass row i alone. */
            uint8_t *ptrs[1] = {ptr};
            if (!col) {
                agg_update_batch(ag, NULL, 1, ptrs, &wa->row_ts[i]);
                continue;
            }
            struct row_column one = *col;
            one.nulls += i;
            switch (col->type) {
            case SCHEMA_BOOLEAN:
                one.data.b += i;
                break;
            case SCHEMA_INT:
                one.data.i32 += i;
                break;
            case SCHEMA_DOUBLE:
                one.data.f64 += i;
                break;
            case SCHEMA_STRING:
                one.data.str += i;
                break;
            default:
                one.data.i64 += i;
                break;
            }
            agg_update_batch(ag, &one, 1, ptrs, &wa->row_ts[i]);
        }
        mark_dirty(wa, target);
    }
}

static int push_part(struct window_agg *wa, const struct row_batch *in)
{
    int n = in->nrows;
    if (n == 0)
        return 0;
    if (in->schema != wa->in && in->ncolumns != wa->in->ncolumns)
        return ERR_INVALID;
    grow_rows(wa, n);
    wa->st.rows_in += (uint64_t)n;
    for (int i = 0; i < n; i++) {
        wa->row_ts[i] = in->meta[i].event_ts;
        wa->row_key[i] = key_intern(wa, key_encode(wa, in, i));
        if (wa->row_key[i] == NIL)
            return ERR_TOO_LARGE;
    }
    if (wa->cfg.window.kind == WINDOW_SESSION) {
        push_sessions(wa, in);
        return emit_dirty(wa);
    }
    if (wa->per_key)
        key_watermarks(wa, n);
    memset(wa->row_late, 0, (size_t)n);
    int64_t starts[WINDOW_MAX_PER_ROW], ends[WINDOW_MAX_PER_ROW];
    int passes = 1;
    if (wa->cfg.window.kind == WINDOW_HOP ||
        wa->cfg.window.kind == WINDOW_CUMULATE)
        passes = (int)(wa->cfg.window.size_ms / wa->cfg.window.slide_ms);
    for (int p = 0; p < passes; p++) {
        int used = 0;
        for (int i = 0; i < n; i++) {
            int nw =
                window_assign(&wa->cfg.window, wa->row_ts[i], starts, ends);
            int64_t seen = in->meta[i].watermark;
            if (wa->per_key && wa->row_kwm[i] > seen)
                seen = wa->row_kwm[i];
            if (p >= nw || too_late(wa, ends[p], seen)) {
                if (p < nw)
                    wa->row_late[i] = 1;
                wa->row_slot[i] = NIL;
                continue;
            }
            wa->row_slot[i] = group_get(wa, wa->row_key[i], starts[p], ends[p]);
            used++;
        }
        if (!used)
            continue;
        /* Slots may have moved while the table grew: pointers only now. */
        for (int i = 0; i < n; i++)
            wa->row_ptr[i] = wa->row_slot[i] == NIL
                                 ? NULL
                                 : (uint8_t *)hdr(wa, wa->row_slot[i]);
        update_slots(wa, in, n);
        for (int i = 0; i < n; i++) {
            if (wa->row_slot[i] == NIL)
                continue;
            if (hdr(wa, wa->row_slot[i])->kf & F_FIRED)
                wa->st.rows_late_within++;
            mark_dirty(wa, wa->row_slot[i]);
        }
    }
    for (int i = 0; i < n; i++)
        if (wa->row_late[i])
            count_late(wa, in, i);
    if (wa->per_key) {
        int rc = fire_keys(wa);
        if (rc)
            return rc;
    }
    return emit_dirty(wa);
}

/* Rows carry the watermark they saw, record by record (row_batch.h). When
 * a row's watermark makes a timer due, the rows before it are aggregated,
 * then the operator advances to it (windows fire, or fire again later
 * with the rows within lateness), then the rest: exactly what pushing
 * one record at a time would give, at the cost of a split per window
 * boundary rather than per row. */
int window_agg_push(struct window_agg *wa, const struct row_batch *in)
{
    if (in->nrows == 0)
        return 0;
    if (in->schema != wa->in && in->ncolumns != wa->in->ncolumns)
        return ERR_INVALID;
    int from = 0, rc;
    for (int i = 0; i < in->nrows; i++) {
        int64_t w = in->meta[i].watermark;
        if (w <= wa->wm || !wa->nheap || wa->heap[0].at > w)
            continue;
        if (i > from) {
            struct row_column cols[SCHEMA_MAX_COLUMNS];
            struct row_batch part;
            row_batch_view(in, from, i - from, &part, cols);
            if ((rc = push_part(wa, &part)))
                return rc;
        }
        if ((rc = window_agg_advance(wa, w)))
            return rc;
        from = i;
    }
    if (from == 0)
        return push_part(wa, in);
    struct row_column cols[SCHEMA_MAX_COLUMNS];
    struct row_batch part;
    row_batch_view(in, from, in->nrows - from, &part, cols);
    return push_part(wa, &part);
}

/* --- watermark --------------------------------------------------------- */

/* The timer of slot s came due at watermark wm: fire and/or purge it, or
 * schedule its purge. Returns an emit error. */
static int slot_due(struct window_agg *wa, uint32_t s, int64_t wm)
{
    struct slot_hdr *h = hdr(wa, s);
    int rc = 0;
    bool purge =
        sat_add(slot_end(wa, h) - 1, wa->cfg.allowed_lateness_ms) <= wm;
    if (wa->cfg.emit == EMIT_FINAL && !(h->kf & F_FIRED)) {
        h->kf |= F_FIRED;
        h->kf &= ~F_DIRTY;
        wa->st.windows_fired++;
        rc = emit_slot(wa, s);
    }
    if (purge) {
        if (wa->cfg.window.kind == WINDOW_SESSION) {
            uint32_t *link = &wa->keys[slot_key(h)].sessions;
            while (*link != NIL && *link != s)
                link = &hdr(wa, *link)->next;
            if (*link == s)
                *link = h->next;
        } else {
            table_remove(wa, s);
        }
        slot_free(wa, s);
        wa->st.windows_purged++;
    } else {
        slot_schedule(wa, s);
    }
    return rc;
}

int window_agg_advance(struct window_agg *wa, int64_t wm)
{
    if (wm <= wa->wm)
        return 0;
    wa->wm = wm;
    int rc = 0;
    while (wa->nheap && wa->heap[0].at <= wm) {
        struct timer t = wa->heap[0];
        heap_pop(wa);
        if (wa->cfg.window.kind == WINDOW_SESSION) {
            struct slot_hdr *h = hdr(wa, t.id);
            if (!(h->kf & F_LIVE) || slot_due_at(wa, h) != t.at)
                continue; /* stale: the slot was freed, merged or re-timed */
            int r = slot_due(wa, t.id, wm);
            if (!rc)
                rc = r;
            continue;
        }
        /* A bucket: detach its chain and retire it first, since due slots
         * may be rescheduled into new buckets. */
        uint32_t s = wa->buckets[t.id].head;
        hashmap_remove(&wa->bucket_map, &t.at, sizeof(t.at));
        wa->buckets[t.id].head = NIL - 1; /* retired: never reused as is */
        wa->free_buckets[wa->free_bucket_top++] = t.id;
        if (wa->last_bucket == t.id)
            wa->last_bucket = NIL;
        while (s != NIL) {
            uint32_t next = hdr(wa, s)->next;
            int r = slot_due(wa, s, wm);
            if (!rc)
                rc = r;
            s = next;
        }
    }
    return rc;
}

void window_agg_stats(const struct window_agg *wa, struct window_agg_stats *out)
{
    *out = wa->st;
    out->groups_live = wa->live;
    out->keys = wa->nkeys;
    size_t heap = 0;
    /* Only COUNT(DISTINCT) and PERCENTILE keep memory outside the slots:
     * without them there is nothing to walk (this runs at every publish). */
    bool walk = false;
    for (int a = 0; a < wa->cfg.naggs && !walk; a++)
        walk = !wa->aggs[a].shared &&
               (wa->aggs[a].spec.func == AGG_COUNT_DISTINCT ||
                wa->aggs[a].spec.func == AGG_PERCENTILE);
    for (uint32_t s = 0; walk && s < wa->nslots; s++) {
        const struct slot_hdr *h = hdr(wa, s);
        if (!(h->kf & F_LIVE))
            continue;
        for (int a = 0; a < wa->cfg.naggs; a++)
            heap += agg_heap_bytes(&wa->aggs[a], h);
    }
    out->state_bytes =
        (size_t)wa->cap_slots * wa->slot_size + (size_t)wa->table_cap * 4 +
        (size_t)wa->cap_heap * sizeof(struct timer) +
        (size_t)wa->cap_buckets * (sizeof(struct tbucket) + 4) +
        (size_t)wa->cap_keys * sizeof(struct keyent) +
        (size_t)wa->key_table_cap * 4 + wa->key_arena.used_total + heap +
        (size_t)wa->cap_knext * 4;
}

uint64_t window_agg_late_count(const struct window_agg *wa, int partition)
{
    if (partition < 0 || (uint32_t)partition >= wa->nlate_parts)
        return 0;
    return wa->late_by_part[partition];
}

/* --- snapshot / restore (checkpoints, docs/checkpoints.md) --------------
 *
 * Layout (integers big-endian through base/buf; aggregate states are the
 * slot's bytes as they are in memory, so a snapshot is read back only by
 * the same build on the same machine kind):
 *   "WAG1", u32 slot size, u32 aggregates, u32 window kind, i64 watermark,
 *   u64 windows fired, u64 windows purged, u64 rows late, u32 live slots,
 *   then per live slot: u32 key bytes, the key, i64 start, u32 end - start,
 *   u8 fired, the aggregate states (slot size - header bytes).
 */

static bool agg_plain(const struct agg *a)
{
    switch (a->spec.func) {
    case AGG_COUNT_DISTINCT:
    case AGG_PERCENTILE:
        return false;
    case AGG_MIN:
    case AGG_MAX:
    case AGG_FIRST_VALUE:
    case AGG_LAST_VALUE:
        return a->in_type != SCHEMA_STRING;
    default:
        return true;
    }
}

bool window_agg_checkpointable(const struct window_agg *wa, const char **why)
{
    for (int a = 0; a < wa->cfg.naggs; a++)
        if (!wa->aggs[a].shared && !agg_plain(&wa->aggs[a])) {
            if (why)
                *why = wa->aggs[a].spec.func == AGG_COUNT_DISTINCT
                           ? "COUNT(DISTINCT) keeps a hash set"
                       : wa->aggs[a].spec.func == AGG_PERCENTILE
                           ? "PERCENTILE keeps a sketch"
                           : "MIN/MAX/FIRST_VALUE/LAST_VALUE of a string keep "
                             "a copy of it";
            return false;
        }
    return true;
}

static size_t hdr_size(const struct window_agg *wa)
{
    return sizeof(struct slot_hdr) + (wa->var_len ? 8 : 0);
}

int window_agg_snapshot(const struct window_agg *wa, struct buf *out)
{
    if (!window_agg_checkpointable(wa, NULL))
        return ERR_UNSUPPORTED;
    size_t hs = hdr_size(wa);
    buf_put(out, "WAG1", 4);
    buf_put_i32(out, (int32_t)wa->slot_size);
    buf_put_i32(out, wa->cfg.naggs);
    buf_put_i32(out, (int32_t)wa->cfg.window.kind);
    buf_put_i64(out, wa->wm);
    buf_put_i64(out, (int64_t)wa->st.windows_fired);
    buf_put_i64(out, (int64_t)wa->st.windows_purged);
    buf_put_i64(out, (int64_t)wa->st.rows_late);
    buf_put_i32(out, (int32_t)wa->live);
    for (uint32_t s = 0; s < wa->nslots; s++) {
        struct slot_hdr *h = hdr(wa, s);
        if (!(h->kf & F_LIVE))
            continue;
        const struct keyent *k = &wa->keys[slot_key(h)];
        buf_put_i32(out, (int32_t)k->len);
        buf_put(out, k->bytes, k->len);
        buf_put_i64(out, h->start);
        buf_put_i32(out, (int32_t)(slot_end(wa, h) - h->start));
        buf_put_u8(out, (h->kf & F_FIRED) ? 1 : 0);
        buf_put(out, (const uint8_t *)h + hs, wa->slot_size - hs);
    }
    return 0;
}

int window_agg_restore(struct window_agg *wa, const uint8_t *p, size_t n)
{
    if (wa->live || !window_agg_checkpointable(wa, NULL))
        return ERR_INVALID;
    size_t hs = hdr_size(wa);
    struct buf_reader r;
    buf_reader_init(&r, p, n);
    struct slice magic = buf_read_bytes(&r, 4);
    if (r.err || memcmp(magic.ptr, "WAG1", 4) ||
        (size_t)buf_read_i32(&r) != wa->slot_size ||
        buf_read_i32(&r) != wa->cfg.naggs ||
        buf_read_i32(&r) != (int32_t)wa->cfg.window.kind)
        return ERR_CORRUPT;
    int64_t wm = buf_read_i64(&r);
    uint64_t fired = (uint64_t)buf_read_i64(&r);
    uint64_t purged = (uint64_t)buf_read_i64(&r);
    uint64_t late = (uint64_t)buf_read_i64(&r);
    uint32_t live = (uint32_t)buf_read_i32(&r);
    /* Sized once for what comes (each live slot takes at least 21 bytes
     * of the snapshot, so a bad count cannot make this allocate more
     * than the snapshot justifies), not grown by doubling and rehashing
     * all the way up. */
    if (!r.err && live <= buf_reader_left(&r) / 21 && live > wa->cap_slots) {
        wa->cap_slots = live;
        wa->slots = mem_realloc(wa->slots, (size_t)live * wa->slot_size);
        wa->cap_keys = live;
        wa->keys = mem_realloc(wa->keys, (size_t)live * sizeof(*wa->keys));
        uint32_t cap = wa->table_cap;
        while ((uint64_t)live * 10 > (uint64_t)cap * 7)
            cap *= 2;
        if (cap != wa->table_cap) {
            mem_free(wa->table);
            wa->table = mem_calloc(cap, sizeof(uint32_t));
            wa->table_cap = cap;
        }
        cap = wa->key_table_cap;
        while ((uint64_t)live * 10 > (uint64_t)cap * 7)
            cap *= 2;
        if (cap != wa->key_table_cap) {
            mem_free(wa->key_table);
            wa->key_table = mem_calloc(cap, sizeof(uint32_t));
            wa->key_table_cap = cap;
        }
    }
    for (uint32_t i = 0; i < live && !r.err; i++) {
        uint32_t klen = (uint32_t)buf_read_i32(&r);
        if (klen > sizeof(wa->keybuf))
            return ERR_CORRUPT;
        struct slice key = buf_read_bytes(&r, klen);
        int64_t start = buf_read_i64(&r);
        uint32_t len = (uint32_t)buf_read_i32(&r);
        uint8_t was_fired = buf_read_u8(&r);
        struct slice st = buf_read_bytes(&r, wa->slot_size - hs);
        if (r.err)
            return ERR_CORRUPT;
        memcpy(wa->keybuf, key.ptr, klen);
        uint32_t id = key_intern(wa, klen);
        if (id == NIL)
            return ERR_TOO_LARGE;
        uint32_t s = slot_new(wa, id, start, start + (int64_t)len);
        struct slot_hdr *h = hdr(wa, s);
        if (was_fired)
            h->kf |= F_FIRED;
        memcpy((uint8_t *)h + hs, st.ptr, wa->slot_size - hs);
        if (wa->cfg.window.kind == WINDOW_SESSION) {
            h->next = wa->keys[id].sessions;
            wa->keys[id].sessions = s;
        } else {
            table_insert_raw(wa->table, wa->table_cap,
                             group_hash(id, start, start + (int64_t)len),
                             s + 1);
            wa->table_count++;
            if ((uint64_t)wa->table_count * 10 > (uint64_t)wa->table_cap * 7)
                table_grow(wa);
        }
        slot_schedule(wa, s);
    }
    if (r.err || buf_reader_left(&r))
        return ERR_CORRUPT;
    wa->wm = wm;
    wa->st.windows_fired = fired;
    wa->st.windows_purged = purged;
    wa->st.rows_late = late;
    return 0;
}
