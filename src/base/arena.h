/* arena.h - bump allocator for one unit of work (layer: base).
 *
 * Allocations come from chunks and are freed all at once by arena_reset()
 * (keeps the first chunk for reuse) or arena_fini(). Use one arena per
 * request, row batch or compiled query, reset at one visible point.
 * Not thread-safe: an arena belongs to one thread at a time.
 */
#ifndef RILL_ARENA_H
#define RILL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;
    size_t chunk_size;
    size_t used_total; /* bytes handed out since the last reset */
};

void arena_init(struct arena *a, size_t chunk_size);
void arena_fini(struct arena *a);
void arena_reset(struct arena *a);
/* 16-byte aligned, uninitialised. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);

#endif
