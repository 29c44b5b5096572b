/* watermark.c - per-partition bounded out-of-orderness, minimum over active
 * partitions, idleness on processing time (layer: stream).
 *
 * Each input partition is in one of three states:
 *
 *      NEW --data--> ACTIVE <--data-- IDLE
 *       |              |               ^
 *       +--no data for idle_timeout----+  (from NEW or ACTIVE)
 *
 * Invariants:
 *  1. A partition's watermark is max(event time seen) - delay, or NONE.
 *     It never decreases (a late row does not lower the maximum).
 *  2. NEW and ACTIVE partitions hold the query watermark back: it is the
 *     minimum over them. A NEW partition (no data yet) holds it at NONE,
 *     so no window fires before every input has spoken or gone idle.
 *  3. IDLE partitions do not count. If every partition is IDLE the query
 *     watermark stays where it is (nothing to advance it).
 *  4. The query watermark is monotonic: it is max(previous, computed).
 *     A partition rejoining from IDLE with old data cannot pull it back;
 *     its rows may then be late, which the window operator handles.
 *  5. Idleness is judged on processing time (now_ms from the caller),
 *     never on event time.
 *  6. Per-key mode: a partition's max_ts is not its largest event time
 *     but the least over its keys that are not idle (each key's largest
 *     event time), recomputed at advance when a key delivered or may have
 *     turned idle; it never decreases (invariant 1 still holds), so it is
 *     the floor under each key's own watermark. Keys are never forgotten:
 *     at most WATERMARK_MAX_KEYS, then observe refuses.
 */
#include "stream/watermark.h"

#include <string.h>

#include "base/err.h"
#include "base/hashmap.h"
#include "base/mem.h"

enum part_state { PART_NEW, PART_ACTIVE, PART_IDLE };

struct wkey {
    int64_t max_ts, last_ms;
    int part;
    uint32_t len;
    uint8_t bytes[]; /* the key, len bytes */
};

struct part {
    enum part_state state;
    int64_t max_ts;  /* WATERMARK_NONE before data */
    int64_t last_ms; /* processing time of the last data (or creation) */
    /* per-key mode */
    int nkeys;
    const struct wkey *holder; /* the least active key, or NULL */
};

struct watermark {
    int n;
    int64_t delay_ms, idle_ms;
    int64_t current;
    bool clock_pending; /* created with now_ms < 0: idle clocks start at the
                           first observe or advance */
    struct part *parts;
    /* per-key mode: (partition, key bytes) -> struct wkey */
    bool per_key;
    bool keys_dirty;      /* a key delivered since the last recompute */
    int64_t next_idle_ms; /* when an active key may turn idle */
    struct hashmap keys;
    uint8_t *kbuf; /* lookup scratch: partition (4 bytes) + key */
    size_t kcap;
    struct wkey *last; /* the key observed last (runs of one key) */
};

/* A partition's idle clock runs from its creation; a watermark created
 * before the caller knows the time starts them all at its first use, so a
 * partition that has not delivered yet is not idle "since 1970". */
static void start_clock(struct watermark *w, int64_t now_ms)
{
    if (!w->clock_pending)
        return;
    for (int i = 0; i < w->n; i++)
        w->parts[i].last_ms = now_ms;
    w->clock_pending = false;
}

int watermark_create(int npartitions, int64_t delay_ms, int64_t idle_timeout_ms,
                     int64_t now_ms, struct watermark **out)
{
    if (npartitions <= 0 || npartitions > WATERMARK_MAX_PARTITIONS ||
        delay_ms < 0)
        return ERR_INVALID;
    struct watermark *w = mem_calloc(1, sizeof(*w));
    w->n = npartitions;
    w->delay_ms = delay_ms;
    w->idle_ms = idle_timeout_ms;
    w->current = WATERMARK_NONE;
    w->clock_pending = now_ms < 0;
    w->parts = mem_calloc((size_t)npartitions, sizeof(*w->parts));
    for (int i = 0; i < npartitions; i++) {
        w->parts[i].state = PART_NEW;
        w->parts[i].max_ts = WATERMARK_NONE;
        w->parts[i].last_ms = now_ms;
    }
    *out = w;
    return 0;
}

void watermark_destroy(struct watermark *w)
{
    if (!w)
        return;
    if (w->per_key) {
        struct hashmap_entry *e;
        for (size_t i = 0; hashmap_next(&w->keys, &i, &e);)
            mem_free(e->value);
        hashmap_fini(&w->keys);
        mem_free(w->kbuf);
    }
    mem_free(w->parts);
    mem_free(w);
}

int watermark_observe(struct watermark *w, int partition, int64_t max_event_ts,
                      int64_t now_ms)
{
    if (partition < 0 || partition >= w->n)
        return ERR_RANGE;
    start_clock(w, now_ms);
    struct part *p = &w->parts[partition];
    p->state = PART_ACTIVE;
    p->last_ms = now_ms;
    if (max_event_ts > p->max_ts)
        p->max_ts = max_event_ts;
    return 0;
}

static int64_t part_wm(const struct watermark *w, const struct part *p)
{
    if (p->max_ts == WATERMARK_NONE)
        return WATERMARK_NONE;
    if (p->max_ts < WATERMARK_NONE + w->delay_ms + 1)
        return WATERMARK_NONE;
    return p->max_ts - w->delay_ms;
}

/* Per-key mode: each partition's max_ts becomes the least over its keys
 * that are not idle (never lower than it was), and its holder that key. */
static void recompute_keys(struct watermark *w, int64_t now_ms)
{
    if (!w->keys_dirty && now_ms < w->next_idle_ms)
        return;
    w->keys_dirty = false;
    w->next_idle_ms = INT64_MAX;
    for (int i = 0; i < w->n; i++)
        w->parts[i].holder = NULL;
    struct hashmap_entry *e;
    for (size_t i = 0; hashmap_next(&w->keys, &i, &e);) {
        const struct wkey *k = e->value;
        if (w->idle_ms > 0) {
            if (now_ms - k->last_ms >= w->idle_ms)
                continue; /* idle: holds nothing back */
            if (k->last_ms + w->idle_ms < w->next_idle_ms)
                w->next_idle_ms = k->last_ms + w->idle_ms;
        }
        struct part *p = &w->parts[k->part];
        if (!p->holder || k->max_ts < p->holder->max_ts)
            p->holder = k;
    }
    for (int i = 0; i < w->n; i++) {
        struct part *p = &w->parts[i];
        if (p->holder && p->holder->max_ts > p->max_ts)
            p->max_ts = p->holder->max_ts;
    }
}

int64_t watermark_advance(struct watermark *w, int64_t now_ms)
{
    start_clock(w, now_ms);
    if (w->per_key)
        recompute_keys(w, now_ms);
    int64_t min = INT64_MAX;
    int counted = 0;
    for (int i = 0; i < w->n; i++) {
        struct part *p = &w->parts[i];
        if (p->state != PART_IDLE && w->idle_ms > 0 &&
            now_ms - p->last_ms >= w->idle_ms)
            p->state = PART_IDLE;
        if (p->state == PART_IDLE)
            continue;
        int64_t pw = part_wm(w, p);
        if (pw < min)
            min = pw;
        counted++;
    }
    if (counted > 0 && min > w->current)
        w->current = min;
    return w->current;
}

int64_t watermark_others_floor(const struct watermark *w, int partition)
{
    int64_t min = INT64_MAX;
    for (int i = 0; i < w->n; i++) {
        if (i == partition || w->parts[i].state == PART_IDLE)
            continue;
        int64_t pw = part_wm(w, &w->parts[i]);
        if (pw < min)
            min = pw;
    }
    return min;
}

int64_t watermark_delay(const struct watermark *w)
{
    return w->delay_ms;
}

int64_t watermark_current(const struct watermark *w)
{
    return w->current;
}

int64_t watermark_partition(const struct watermark *w, int partition)
{
    if (partition < 0 || partition >= w->n)
        return WATERMARK_NONE;
    return part_wm(w, &w->parts[partition]);
}

bool watermark_partition_idle(const struct watermark *w, int partition)
{
    return partition >= 0 && partition < w->n &&
           w->parts[partition].state == PART_IDLE;
}

int watermark_npartitions(const struct watermark *w)
{
    return w->n;
}

/* ---- per-key watermarks ---- */

void watermark_set_per_key(struct watermark *w)
{
    if (w->per_key)
        return;
    w->per_key = true;
    hashmap_init(&w->keys);
    w->next_idle_ms = INT64_MAX;
}

bool watermark_per_key(const struct watermark *w)
{
    return w->per_key;
}

int watermark_observe_key(struct watermark *w, int partition, const void *key,
                          size_t len, int64_t ts, int64_t now_ms)
{
    if (partition < 0 || partition >= w->n)
        return ERR_RANGE;
    if (!w->per_key)
        return watermark_observe(w, partition, ts, now_ms);
    start_clock(w, now_ms);
    struct wkey *k = w->last;
    if (!k || k->part != partition || k->len != len ||
        (len && memcmp(k->bytes, key, len) != 0)) {
        if (len > UINT32_MAX - 8)
            return ERR_TOO_LARGE;
        if (len + 4 > w->kcap) {
            w->kcap = len + 4 < 64 ? 64 : len + 4;
            w->kbuf = mem_realloc(w->kbuf, w->kcap);
        }
        int32_t p32 = partition;
        memcpy(w->kbuf, &p32, 4);
        if (len)
            memcpy(w->kbuf + 4, key, len);
        k = hashmap_get(&w->keys, w->kbuf, len + 4);
        if (!k) {
            if (hashmap_count(&w->keys) >= WATERMARK_MAX_KEYS)
                return ERR_TOO_LARGE;
            k = mem_calloc(1, sizeof *k + len + 1);
            k->max_ts = WATERMARK_NONE;
            k->part = partition;
            k->len = (uint32_t)len;
            if (len)
                memcpy(k->bytes, key, len);
            hashmap_put(&w->keys, w->kbuf, len + 4, k);
            w->parts[partition].nkeys++;
        }
        w->last = k;
    }
    k->last_ms = now_ms;
    if (ts > k->max_ts)
        k->max_ts = ts;
    struct part *p = &w->parts[partition];
    p->state = PART_ACTIVE;
    p->last_ms = now_ms;
    w->keys_dirty = true;
    return 0;
}

int watermark_partition_keys(const struct watermark *w, int partition)
{
    if (!w->per_key || partition < 0 || partition >= w->n)
        return 0;
    return w->parts[partition].nkeys;
}

bool watermark_partition_holder(const struct watermark *w, int partition,
                                const void **key, size_t *len, int64_t *wm)
{
    if (!w->per_key || partition < 0 || partition >= w->n ||
        !w->parts[partition].holder)
        return false;
    const struct wkey *k = w->parts[partition].holder;
    *key = k->bytes;
    *len = k->len;
    struct part tmp = {PART_ACTIVE, k->max_ts, 0, 0, NULL};
    *wm = part_wm(w, &tmp);
    return true;
}
