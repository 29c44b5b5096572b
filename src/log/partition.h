/* partition.h - one topic partition: an ordered list of segments with
 * append, read, lookup by offset and timestamp, roll, retention, group
 * commit bookkeeping and the FAILED state (layer: log).
 *
 * A partition is created and recovered by logdir (logdir.h); callers get a
 * borrowed pointer from logdir_partition() that stays valid until the topic
 * is deleted or the logdir closed. Nothing here parses records: batches are
 * stored exactly as given (RecordBatch v2), only baseOffset is rewritten.
 * State diagram and invariants: top of partition.c and docs/log.md.
 *
 * Threads: every function here is thread-safe. Appends and reads take the
 * partition mutex once per call (never per record); the flusher thread
 * fsyncs without holding it, so an append never waits for an fsync.
 */
#ifndef RILL_PARTITION_H
#define RILL_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct partition;
struct segment;

/* Appends one or more whole RecordBatch v2 batches, back to back in
 * batch[0..len). The buffer stays the caller's, but is rewritten in place
 * (baseOffset of every batch). Every batch's CRC-32C and header are checked
 * first (lastOffsetDelta + 1 == recordCount > 0, size <= the topic's
 * max.message.bytes); then all of them are written with one write, at the
 * next offsets. Never waits for fsync: see partition_wait_durable /
 * partition_request_sync. *base_offset_out (may be NULL) receives the first
 * batch's assigned base offset.
 * Returns 0, ERR_CORRUPT (bad CRC or header; nothing written), ERR_INVALID
 * (empty or trailing partial batch), ERR_TOO_LARGE, ERR_FAILED (the
 * partition is FAILED after an I/O error; err_str explains; reads still
 * work), ERR_CLOSED (topic deleted / read-only logdir). */
int partition_append(struct partition *p, uint8_t *batch, size_t len,
                     int64_t *base_offset_out);

/* Offsets. log start <= durable <= high watermark (= log end offset on one
 * node). Lock-free reads of atomics; any thread. */
int64_t partition_log_start_offset(struct partition *p);
int64_t partition_high_watermark(struct partition *p);
/* Every offset below this one has been fsynced (fdatasync). */
int64_t partition_durable_offset(struct partition *p);
/* Total bytes of the partition's segment files. */
int64_t partition_size_bytes(struct partition *p);
/* What Kafka fetches served from it (the broker counts a response's
 * records: its offsets, and bytes): relaxed atomic adds, any thread; read
 * for fetch rates (the dashboard, /metrics). */
void partition_note_fetch(struct partition *p, int64_t records, int64_t bytes);
void partition_fetched(struct partition *p, int64_t *records, int64_t *bytes);
/* 0 or the I/O error that put the partition in FAILED (negative errno). */
int partition_failed(struct partition *p);
int32_t partition_id(const struct partition *p);
/* Whether the topic's cleanup.policy includes compact (a lock-free read;
 * changes with logdir_topic_alter). The broker refuses records without a
 * key there, as Kafka does. */
bool partition_compacted(struct partition *p);
const char *partition_topic(const struct partition *p);

/* Asks the flusher thread to fsync this partition soon (non-blocking). Its
 * flush listener (logdir_set_flush_listener) fires after the round; then
 * check partition_durable_offset. */
void partition_request_sync(struct partition *p);
/* Blocks until partition_durable_offset(p) >= end_offset (i.e. every
 * offset < end_offset is on disk), requesting a sync. timeout_ms < 0 waits
 * forever. Returns 0, ERR_TIMEOUT, ERR_FAILED (an fsync failed), or
 * ERR_CLOSED. Never call from an event-loop thread. */
int partition_wait_durable(struct partition *p, int64_t end_offset,
                           int timeout_ms);

/* A byte range of one segment file holding whole batches, for sendfile.
 * The fd stays open (even if retention deletes the segment) until
 * partition_slice_release. len == 0 means nothing to read (offset == upto). */
struct partition_slice {
    int fd;
    int64_t file_pos;
    size_t len;
    int64_t first_offset;    /* base offset of the first batch in the slice */
    int64_t next_offset;     /* offset just after the last batch in it */
    struct segment *segment; /* reference held; NULL when len == 0 */
    /* partition_read_view_upto: the bytes themselves, read-only, valid
     * until partition_slice_release; NULL: read them from fd */
    const uint8_t *view;
};

/* Finds the batch containing offset and returns whole batches from it, in
 * one segment, ending at or before the `upto` offset (high watermark for
 * partition_read; upto < 0 means the high watermark) and within max_bytes,
 * except that the first batch is always returned whole even if larger
 * (KIP-74), so a consumer always progresses. A slice never spans two
 * segments: call again from out->next_offset for more.
 * Returns 0 (maybe len 0 when offset == upto), ERR_RANGE (offset below the
 * log start or above upto), or a negative errno from a read. */
int partition_read(struct partition *p, int64_t offset, size_t max_bytes,
                   struct partition_slice *out);
int partition_read_upto(struct partition *p, int64_t offset, int64_t upto,
                        size_t max_bytes, struct partition_slice *out);
/* partition_read_upto, and the bytes as a view into a read-only mapping
 * of the segment (no copy) when it can be mapped (out->view), else NULL
 * and the caller reads fd. */
int partition_read_view_upto(struct partition *p, int64_t offset, int64_t upto,
                             size_t max_bytes, struct partition_slice *out);
/* Drops the slice's segment reference (no-op on a zeroed/empty slice). */
void partition_slice_release(struct partition_slice *s);

/* Like partition_read, but appends the bytes to out (possibly spanning
 * segments, until max_bytes or upto) and returns the offset after the last
 * batch copied in *next_offset (may be NULL). */
int partition_read_copy(struct partition *p, int64_t offset, size_t max_bytes,
                        struct buf *out, int64_t *next_offset);
int partition_read_copy_upto(struct partition *p, int64_t offset, int64_t upto,
                             size_t max_bytes, struct buf *out,
                             int64_t *next_offset);

/* The first offset whose record timestamp is >= ts (Kafka ListOffsets by
 * time), via the time index then a scan; *offset = -1 when no record has
 * such a timestamp. Returns 0 or a negative error. */
int partition_offset_for_timestamp(struct partition *p, int64_t ts,
                                   int64_t *offset);

/* The record with the largest timestamp (Kafka ListOffsets MAX_TIMESTAMP,
 * KIP-734): the first record carrying the largest batch maxTimestamp of
 * the log; *offset = *timestamp = -1 when the log is empty. Returns 0 or a
 * negative error. */
int partition_max_timestamp(struct partition *p, int64_t *timestamp,
                            int64_t *offset);

/* Starts a new segment now (tests, admin). Returns 0 or ERR_FAILED. */
int partition_roll(struct partition *p);
/* Deletes whole segments (never the active one, oldest first) older than
 * retention_ms (by their largest timestamp vs now_ms) or while the
 * partition exceeds retention_bytes by at least the oldest segment's size;
 * advances the log start offset. The logdir runs this periodically.
 * Returns the number of segments deleted or a negative error. */
int partition_retention_run(struct partition *p, int64_t now_ms);
/* Kafka's DeleteRecords: moves the log start offset up to offset (-1: the
 * high watermark), persisted first (<dir>/log-start-offset), then deletes
 * the segments wholly below it (never the active one). Reads below it get
 * ERR_RANGE from then on. An offset at or below the current start changes
 * nothing. *low_watermark (may be NULL) receives the log start after the
 * call. Returns 0, ERR_RANGE (offset above the high watermark or below
 * -1), ERR_FAILED, ERR_CLOSED, or a negative errno (nothing changed). */
int partition_delete_records(struct partition *p, int64_t offset,
                             int64_t *low_watermark);
/* Segments currently in the partition. */
int partition_segment_count(struct partition *p);

/* Aborted-transaction indexes (txn_index.h): appends e (fsynced) to the
 * index of the segment holding e->last_offset; reads the entries of every
 * segment, oldest segment first (fn as txn_index_read). Return 0 / the
 * number of entries, or a negative error. */
struct txn_index_entry;
typedef void txn_index_fn(void *arg, const struct txn_index_entry *e);
int partition_txn_index_append(struct partition *p,
                               const struct txn_index_entry *e);
int partition_txn_index_read(struct partition *p, txn_index_fn *fn, void *arg);

#endif
