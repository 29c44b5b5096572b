/* local_log.h - the runtime's log interface (stream/stream_log.h) on the
 * embedded local log: a logdir in this process (layer: connect).
 *
 * Readers return whole RecordBatch v2 batches as views of the segment
 * files (no copy; a pread copy where a segment cannot be mapped), checked
 * by CRC unless opened STREAM_READ_TRUSTED; writers build one
 * batch per partition (flushed past LOCAL_LOG_BATCH_MAX) and append it;
 * markers are control batches (skipped by Kafka consumers). The logdir
 * outlives everything opened from it.
 */
#ifndef RILL_LOCAL_LOG_H
#define RILL_LOCAL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "log/logdir.h"
#include "log/record_batch.h"
#include "stream/stream_log.h"

/* A writer's batch is appended once it grows past this (a batch must stay
 * under the topic's max.message.bytes). */
#define LOCAL_LOG_BATCH_MAX (512u << 10)

/* The records of RecordBatch v2 bytes [data, data+len) as a stream_records
 * iterator (trailing partial batch ignored; control batches are returned
 * as control records; corrupt batches skipped and counted; with
 * verify_crc, data batches whose CRC fails too). Caller's memory; the
 * fields are private. Compressed batches are decompressed into two
 * buffers in turn, so the records of the previous one stay valid until
 * the first record of the next (fresh_buffer). */
struct local_records {
    struct stream_records base;
    struct record_batch_walk walk;
    struct record_iter iter;
    bool in_batch, control, verify, fresh;
    int which;
    struct buf scratch[2];
};
void local_records_init(struct local_records *it);
void local_records_fini(struct local_records *it);
/* Points it at new bytes (keeps its buffers). */
void local_records_reset(struct local_records *it, const uint8_t *data,
                         size_t len, bool verify_crc);

/* Fills *out with the local log's ops over ld (no allocation). */
void local_log_init(struct stream_log *out, struct logdir *ld);

#endif
