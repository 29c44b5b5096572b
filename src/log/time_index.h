/* time_index.h - a segment's sparse time index, `.timeindex` (layer: log).
 *
 * Entries map the largest timestamp seen so far in the segment to the last
 * offset of the batch that carried it (relative to the segment base), added
 * at the same moments as offset index entries and only when the timestamp
 * grows, so timestamps increase. Kept in memory, written in blocks,
 * validated on load, rebuilt from the log when invalid. Format: docs/log.md.
 * Not thread-safe: the owning partition's mutex protects it.
 */
#ifndef RILL_TIME_INDEX_H
#define RILL_TIME_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIME_INDEX_ENTRY_SIZE 12

struct time_index_entry {
    int64_t timestamp;
    uint32_t rel_offset;
};

struct time_index {
    int fd; /* -1: memory only */
    struct time_index_entry *entries;
    size_t count, cap;
    size_t written;
};

int time_index_open(struct time_index *ix, const char *path, bool read_only);
void time_index_close(struct time_index *ix);
/* Reads and checks the file: whole entries, timestamps strictly and
 * offsets weakly increasing, offsets <= max_rel. 0 or ERR_CORRUPT. */
int time_index_load(struct time_index *ix, int64_t max_rel);
/* Adds (ts, rel) if ts is larger than the last entry's timestamp. */
void time_index_maybe_add(struct time_index *ix, int64_t ts, uint32_t rel);
int time_index_write(struct time_index *ix);
int time_index_reset(struct time_index *ix);
/* Relative offset of the largest entry with timestamp < ts, or -1: every
 * batch up to that offset has timestamps < ts. */
int64_t time_index_lookup(const struct time_index *ix, int64_t ts);
/* Largest timestamp recorded, or -1. */
int64_t time_index_max_timestamp(const struct time_index *ix);
int time_index_fsync(struct time_index *ix);

#endif
