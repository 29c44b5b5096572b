/* segment.h - one log segment: `<base>.log` of RecordBatch v2 bytes plus its
 * `.index` and `.timeindex` (layer: log, used by partition.c only).
 *
 * A segment appends whole batches with one pwrite, keeps its indexes in
 * memory, recovers itself by walking batches with their CRC and truncating
 * a torn or corrupt tail, and answers "where is the batch containing offset
 * X" with an index lookup plus a short header scan. It is reference-counted
 * so a reader's fd (sendfile) outlives deletion by retention.
 * Not thread-safe: the partition mutex protects everything except
 * segment_ref/unref (atomic) and reads of the fd.
 */
#ifndef RILL_SEGMENT_H
#define RILL_SEGMENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "log/offset_index.h"
#include "log/record_batch.h"
#include "log/time_index.h"

/* Largest batch recovery will read (a batchLength above it is corrupt). */
#define SEGMENT_MAX_BATCH_BYTES (64 << 20)

struct segment {
    int64_t base_offset;
    int64_t next_offset;   /* offset after the last batch */
    int64_t size;          /* bytes of valid batches = file size */
    int64_t max_timestamp; /* largest batch maxTimestamp, -1 if none */
    int64_t created_ms;    /* wall time it became active (for segment.ms) */
    int64_t bytes_since_index;
    int fd;   /* -1 while closed by the fd cache (fd_cache.h): see seg_fd */
    int refs; /* atomic */
    bool read_only;
    /* Offsets may jump forward between batches (a compacted segment; never
     * the active one): recovery accepts a batch whose base offset is above
     * the previous batch's last offset + 1. */
    bool allow_gaps;
    bool dirty;       /* appended since the flusher last captured it */
    bool index_dirty; /* sealed; index files need an fsync */
    struct offset_index oix;
    struct time_index tix;
    char *stem; /* "<dir>/<20-digit base>" */
    /* A read-only shared mapping of the .log file (segment_map), made by
     * the first reader that asks for a view, under its partition's mutex;
     * unmapped when the segment is freed (views hold a reference). */
    const uint8_t *map;
    size_t map_len;
    /* fd_cache.c: the partition mutex that guards this segment (NULL until
     * its partition owns it, and again once disowned), the ring of open
     * files (under the cache's mutex) and the second-chance bit. */
    pthread_mutex_t *owner;
    struct segment *fc_prev, *fc_next;
    bool fc_linked;
    int fc_used; /* atomic */
};

/* The .log file's descriptor, opened again if the fd cache closed it:
 * the fd, or a negative errno (EMFILE after closing cold files did not
 * help). Caller holds the owner's mutex (or owns s alone). The fd stays
 * open while the caller holds that mutex, or a reference besides the
 * partition's (a slice's, the flusher's). */
int segment_fd(struct segment *s);
/* Sets the partition mutex guarding s (fd_cache_set_owner); `held`: a
 * partition mutex the caller holds, or NULL. */
void segment_set_owner(struct segment *s, pthread_mutex_t *owner,
                       pthread_mutex_t *held);
/* Writes the index entries not yet in the index files (opening them if
 * they were closed). Returns 0 or a negative errno. */
int segment_write_indexes(struct segment *s);

/* Maps the .log file read-only for at least `need` bytes, reserving
 * `reserve` bytes of address space so that the file can grow under it:
 * the mapping, or NULL (cannot map, or need > the reservation). Caller
 * serialises (the partition's mutex). */
const uint8_t *segment_map(struct segment *s, size_t need, size_t reserve);

/* Creates a new empty segment (files truncated if they exist). */
int segment_create(const char *dir, int64_t base_offset, struct segment **out);
/* Opens an existing segment; size from the file, nothing validated yet:
 * follow with segment_recover or segment_load. */
int segment_open(const char *dir, int64_t base_offset, bool read_only,
                 struct segment **out);
/* Walks every batch from the start checking header, CRC, and that offsets
 * follow on from base_offset; rebuilds both indexes; truncates the file at
 * the end of the last valid batch (unless read-only). Batches ending below
 * trusted_below (the recovery point: verified before they were fsynced)
 * get header checks only, and their bodies are not read. *truncated tells
 * whether bytes were dropped. index_interval: bytes between index entries.
 * Returns 0 or a negative errno. */
int segment_recover(struct segment *s, int32_t index_interval,
                    int64_t trusted_below, bool *truncated);
/* For a segment below the recovery point whose end offset is known (the
 * next segment's base): loads and validates the index files, falling back
 * to segment_recover when they do not pass. */
int segment_load(struct segment *s, int64_t next_offset,
                 int32_t index_interval);
/* Appends len bytes of whole, already verified batches whose base offsets
 * are set; updates indexes, next_offset, max_timestamp. On a write error
 * the file is truncated back (best effort) and the segment unchanged. */
int segment_append(struct segment *s, const uint8_t *p, size_t len,
                   int32_t index_interval);
/* Stops being active: final time index entry, index files written. */
int segment_seal(struct segment *s);
/* Closes the index files' fds, keeping the entries in memory: once they
 * are final (sealed and synced, or loaded), and for the active segment
 * once created or recovered (its entries are written by segment_seal or
 * segment_write_indexes, which open the files again). A segment keeps one
 * fd, its .log, and the fd cache may close that one too. */
void segment_close_index_files(struct segment *s);
/* Durability: fdatasync the log (and indexes when sealed). */
int segment_sync(struct segment *s, bool with_indexes);

/* Position of the batch containing offset (the first batch whose last
 * offset >= offset) and that batch's base offset; *pos = size when none. */
int segment_find_offset(struct segment *s, int64_t offset, int64_t *pos,
                        int64_t *batch_base);
/* The largest batch boundary b with from < b <= limit (limit < size), and
 * the base offset of the batch starting at b; if no batch ends by limit,
 * the end of the batch at from. */
int segment_find_bound(struct segment *s, int64_t from, int64_t limit,
                       int64_t *pos, int64_t *offset);
/* First offset in this segment whose record timestamp >= ts, or -1. */
int segment_find_timestamp(struct segment *s, int64_t ts, struct buf *scratch,
                           int64_t *offset);

void segment_ref(struct segment *s);
/* Drops a reference; the last one closes the files and frees. */
void segment_unref(struct segment *s);
/* Removes the files (the fd stays open for existing references) and
 * disowns s (segment_set_owner NULL): its partition is letting it go. */
int segment_unlink(struct segment *s);
/* Parses "<20 digits>.log"; returns the base offset or -1. */
int64_t segment_parse_name(const char *name);

#endif
