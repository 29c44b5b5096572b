/* offset_index.h - a segment's sparse offset index, `.index` (layer: log).
 *
 * Entries map the last offset of an appended batch (relative to the
 * segment's base offset) to the byte position where that batch starts.
 * All entries live in memory (8 bytes each, one per index.interval.bytes of
 * log); new ones are written to the file in blocks, so appending costs no
 * syscall per batch. The file has no checksum: it is validated on load and
 * rebuilt from the log when it does not pass. Format: docs/log.md.
 * Not thread-safe: the owning partition's mutex protects it.
 */
#ifndef RILL_OFFSET_INDEX_H
#define RILL_OFFSET_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFFSET_INDEX_ENTRY_SIZE 8

struct offset_index_entry {
    uint32_t rel_offset; /* offset - segment base */
    uint32_t position;   /* byte position of the batch in the .log */
};

struct offset_index {
    int fd; /* -1: memory only (read-only logdir) */
    struct offset_index_entry *entries;
    size_t count, cap;
    size_t written; /* entries already in the file */
};

/* Opens (creates unless read_only) the file; does not read it. */
int offset_index_open(struct offset_index *ix, const char *path,
                      bool read_only);
void offset_index_close(struct offset_index *ix);
/* Reads the file and checks it: whole entries, offsets and positions
 * strictly increasing, positions < log_size, offsets <= max_rel. Returns 0
 * or ERR_CORRUPT (then the index is left empty: rebuild it). */
int offset_index_load(struct offset_index *ix, int64_t log_size,
                      int64_t max_rel);
/* Adds an entry in memory (caller keeps both fields increasing). */
void offset_index_add(struct offset_index *ix, uint32_t rel, uint32_t pos);
/* Writes entries not yet in the file. Returns 0 or a negative errno. */
int offset_index_write(struct offset_index *ix);
/* Empties memory and file. */
int offset_index_reset(struct offset_index *ix);
/* Position of the largest entry with rel_offset < rel (0 if none): a scan
 * from there meets the batch containing rel. */
uint32_t offset_index_lookup(const struct offset_index *ix, uint32_t rel);
/* Largest entry position <= pos (and > after); false if none. */
bool offset_index_lookup_pos(const struct offset_index *ix, uint32_t after,
                             uint32_t pos, uint32_t *out);
int offset_index_fsync(struct offset_index *ix);

#endif
