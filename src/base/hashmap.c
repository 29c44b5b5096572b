/* hashmap.c - linear-probing hash map with backward-shift delete (layer: base).
 *
 * Invariants: (1) cap is 0 or a power of two; (2) count < 0.7 * cap after
 * every put; (3) every live entry is reachable from its home slot by a run
 * of non-empty slots (backward-shift deletion keeps this without tombstones).
 */
#include "base/hashmap.h"

#include "base/mem.h"

#include <string.h>

uint64_t hashmap_hash(const void *p, size_t n)
{
    /* A simple multiply-xorshift hash over 8-byte words. */
    const uint8_t *b = (const uint8_t *)p;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, b, 8);
        h ^= v * 0xbf58476d1ce4e5b9ull;
        h = (h << 31 | h >> 33) * 0x94d049bb133111ebull;
        b += 8;
        n -= 8;
    }
    uint64_t tail = 0;
    memcpy(&tail, b, n);
    h ^= tail * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 32;
    return h ? h : 1;
}

void hashmap_init(struct hashmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

void hashmap_fini(struct hashmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].hash)
            mem_free(m->slots[i].key);
    mem_free(m->slots);
    hashmap_init(m);
}

static size_t find(const struct hashmap *m, uint64_t h, const void *key,
                   size_t n, bool *found)
{
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    for (;;) {
        const struct hashmap_entry *e = &m->slots[i];
        if (!e->hash) {
            *found = false;
            return i;
        }
        if (e->hash == h && e->key_len == n && memcmp(e->key, key, n) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static void grow(struct hashmap *m)
{
    size_t old_cap = m->cap;
    struct hashmap_entry *old = m->slots;
    m->cap = old_cap ? old_cap * 2 : 16;
    m->slots = mem_calloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].hash)
            continue;
        size_t j = old[i].hash & (m->cap - 1);
        while (m->slots[j].hash)
            j = (j + 1) & (m->cap - 1);
        m->slots[j] = old[i];
    }
    mem_free(old);
}

void *hashmap_get(const struct hashmap *m, const void *key, size_t n)
{
    if (!m->count)
        return NULL;
    bool found;
    size_t i = find(m, hashmap_hash(key, n), key, n, &found);
    return found ? m->slots[i].value : NULL;
}

void *hashmap_put(struct hashmap *m, const void *key, size_t n, void *value)
{
    if ((m->count + 1) * 10 >= m->cap * 7)
        grow(m);
    uint64_t h = hashmap_hash(key, n);
    bool found;
    size_t i = find(m, h, key, n, &found);
    struct hashmap_entry *e = &m->slots[i];
    if (found) {
        void *old = e->value;
        e->value = value;
        return old;
    }
    e->hash = h;
    e->key = mem_alloc(n ? n : 1);
    memcpy(e->key, key, n);
    e->key_len = n;
    e->value = value;
    m->count++;
    return NULL;
}

void *hashmap_remove(struct hashmap *m, const void *key, size_t n)
{
    if (!m->count)
        return NULL;
    bool found;
    size_t i = find(m, hashmap_hash(key, n), key, n, &found);
    if (!found)
        return NULL;
    void *value = m->slots[i].value;
    mem_free(m->slots[i].key);
    size_t mask = m->cap - 1;
    /* Backward-shift: move later entries of the run into the hole when
     * their home slot is not between the hole and their position. */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].hash)
            break;
        size_t home = m->slots[j].hash & mask;
        bool movable = (hole <= j) ? (home <= hole || home > j)
                                   : (home <= hole && home > j);
        if (movable) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    memset(&m->slots[hole], 0, sizeof m->slots[hole]);
    m->count--;
    return value;
}

bool hashmap_next(const struct hashmap *m, size_t *iter,
                  struct hashmap_entry **out)
{
    for (size_t i = *iter; i < m->cap; i++) {
        if (m->slots[i].hash) {
            *out = &m->slots[i];
            *iter = i + 1;
            return true;
        }
    }
    *iter = m->cap;
    return false;
}
