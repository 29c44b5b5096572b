/* hashmap.h - open-addressing hash map from byte keys to pointers (layer:
 * base).
 *
 * Linear probing with tombstone-free backward-shift deletion; the table
 * doubles at 70% load. Keys are copied into the map (it owns them); values
 * are opaque pointers the caller owns. Iteration order is unspecified.
 * Not thread-safe. Hot paths with fixed-size keys (window state) use their
 * own specialised tables; this one is for catalogs, groups, producers.
 */
#ifndef RILL_HASHMAP_H
#define RILL_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashmap_entry {
    uint64_t hash; /* 0 = empty slot */
    void *key;
    size_t key_len;
    void *value;
};

struct hashmap {
    struct hashmap_entry *slots;
    size_t cap; /* power of two */
    size_t count;
};

/* 64-bit hash of n bytes (never returns 0). */
uint64_t hashmap_hash(const void *p, size_t n);

void hashmap_init(struct hashmap *m);
/* Frees the map's copies of the keys, not the values. */
void hashmap_fini(struct hashmap *m);
void *hashmap_get(const struct hashmap *m, const void *key, size_t n);
/* Inserts or replaces; returns the previous value or NULL. */
void *hashmap_put(struct hashmap *m, const void *key, size_t n, void *value);
/* Removes; returns the value removed or NULL. */
void *hashmap_remove(struct hashmap *m, const void *key, size_t n);
static inline size_t hashmap_count(const struct hashmap *m)
{
    return m->count;
}
/* Iterate: for (size_t i = 0; hashmap_next(m, &i, &e);) ... Do not modify
 * the map while iterating. */
bool hashmap_next(const struct hashmap *m, size_t *iter,
                  struct hashmap_entry **out);

/* Convenience for NUL-terminated string keys. */
static inline void *hashmap_get_str(const struct hashmap *m, const char *k)
{
    size_t n = 0;
    while (k[n])
        n++;
    return hashmap_get(m, k, n);
}

#endif
