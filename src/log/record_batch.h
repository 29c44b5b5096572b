/* record_batch.h - Kafka RecordBatch v2 (magic 2): decode, verify, build and
 * iterate records (layer: log).
 *
 * The wire format is the on-disk format: a broker stores batches as the
 * producer sent them, only rewriting baseOffset (and the leader epoch), which
 * the CRC does not cover. This module never allocates per record: the
 * iterator hands out slices into the batch (or into the caller's scratch
 * buffer when the batch is compressed). Every length read from the bytes is
 * checked against what is left, so malformed input never reads out of
 * bounds. Byte tables: docs/record-batch.md and the top of record_batch.c.
 * Nothing here keeps global state; every function may be called from any
 * thread on objects that thread owns.
 */
#ifndef RILL_RECORD_BATCH_H
#define RILL_RECORD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "log/compress.h"

#define RECORD_BATCH_HEADER_SIZE 61
/* baseOffset + batchLength: the bytes batchLength does not count. */
#define RECORD_BATCH_LOG_OVERHEAD 12
/* Smallest legal batchLength (a header with no records). */
#define RECORD_BATCH_MIN_LENGTH (RECORD_BATCH_HEADER_SIZE - 12)
#define RECORD_BATCH_MAGIC 2
/* Byte offsets of fields that get rewritten in place. */
#define RECORD_BATCH_CRC_OFFSET 17
#define RECORD_BATCH_ATTRIBUTES_OFFSET 21
/* Default ceiling for decompressed records of one batch. */
#define RECORD_BATCH_MAX_DECOMPRESSED (64u << 20)

/* Attribute bits (int16 at byte 21). */
#define RECORD_BATCH_ATTR_CODEC_MASK 0x07
#define RECORD_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define RECORD_BATCH_ATTR_TRANSACTIONAL 0x10
#define RECORD_BATCH_ATTR_CONTROL 0x20
#define RECORD_BATCH_ATTR_DELETE_HORIZON 0x40

struct record_batch_header {
    int64_t base_offset;
    int32_t batch_length;
    int32_t leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp, max_timestamp, producer_id;
    int16_t producer_epoch;
    int32_t base_sequence, record_count;
};

static inline int record_batch_attr_codec(int16_t attributes)
{
    return attributes & RECORD_BATCH_ATTR_CODEC_MASK;
}
static inline bool record_batch_attr_log_append_time(int16_t attributes)
{
    return (attributes & RECORD_BATCH_ATTR_LOG_APPEND_TIME) != 0;
}
static inline bool record_batch_attr_transactional(int16_t attributes)
{
    return (attributes & RECORD_BATCH_ATTR_TRANSACTIONAL) != 0;
}
static inline bool record_batch_attr_control(int16_t attributes)
{
    return (attributes & RECORD_BATCH_ATTR_CONTROL) != 0;
}
/* Total bytes of the batch: 12 + batchLength. */
static inline size_t record_batch_size(const struct record_batch_header *h)
{
    return (size_t)RECORD_BATCH_LOG_OVERHEAD + (size_t)h->batch_length;
}
static inline int64_t
record_batch_last_offset(const struct record_batch_header *h)
{
    return h->base_offset + h->last_offset_delta;
}

/* Decodes the header of the batch at p (n bytes available).
 * Returns 0 when the header is sane (magic 2, batchLength >= 49) and the
 * whole batch, record_batch_size(out) bytes, lies within n.
 * Returns ERR_AGAIN when the bytes so far are sane but n is short: if n >= 12
 * out->batch_length is set (so 12 + batch_length is the size needed); if
 * n >= 61 every field is set and checked. If n < 12 out->batch_length = -1.
 * Returns ERR_CORRUPT for a bad magic or batchLength. */
int record_batch_header_decode(const uint8_t *p, size_t n,
                               struct record_batch_header *out);

/* Header sane, whole batch within n, CRC-32C over [21, 12+batchLength)
 * matches, record count and lastOffsetDelta not negative.
 * Returns 0, ERR_AGAIN (truncated) or ERR_CORRUPT. */
int record_batch_verify(const uint8_t *p, size_t n);

/* CRC-32C the batch at p should carry (p must hold the whole batch). */
uint32_t record_batch_compute_crc(const uint8_t *p, size_t batch_size);

/* In-place rewrites; p holds a whole batch whose header decoded. Offsets
 * and the leader epoch are outside the CRC; the LogAppendTime rewrite sets
 * attribute bit 3 and maxTimestamp and recomputes the CRC. */
void record_batch_set_base_offset(uint8_t *p, int64_t base_offset);
void record_batch_set_leader_epoch(uint8_t *p, int32_t leader_epoch);
void record_batch_set_log_append_time(uint8_t *p, int64_t timestamp_ms);

/* --- walking a buffer of concatenated batches ------------------------- */

/* Fetch responses and segment reads hold several batches back to back,
 * possibly ending with a partial one. */
struct record_batch_walk {
    const uint8_t *p;
    size_t n;
    size_t pos;     /* byte offset of the next batch */
    bool truncated; /* set when the walk stopped at a partial batch */
};

void record_batch_walk_init(struct record_batch_walk *w, const void *p,
                            size_t n);
/* Returns 1 with the next batch (header decoded, not CRC-checked; *batch
 * and *len cover the whole batch), 0 at the end (w->truncated tells whether
 * a partial batch was left over), or ERR_CORRUPT (a bad header at w->pos;
 * the walk stays there). */
int record_batch_walk_next(struct record_batch_walk *w,
                           struct record_batch_header *hdr,
                           const uint8_t **batch, size_t *len);

/* --- records ----------------------------------------------------------- */

/* One record, borrowed from the batch or the iterator's scratch buffer:
 * valid until the batch or scratch changes. headers holds header_count
 * encoded headers; walk them with record_header_iter. */
struct record {
    int64_t offset, timestamp;
    struct slice key, value;
    bool key_null, value_null;
    int32_t header_count;
    struct slice headers;
};

struct record_iter {
    struct record_batch_header hdr;
    struct buf_reader r; /* over the (decompressed) records */
    int32_t index;       /* records returned so far */
};

/* Decodes the header (must return 0: whole batch present) and, when the
 * batch is compressed, decompresses the records into scratch (reset first,
 * at most RECORD_BATCH_MAX_DECOMPRESSED bytes). The CRC is NOT checked: call
 * record_batch_verify first where that matters. scratch may be NULL for
 * uncompressed batches. Returns 0, ERR_AGAIN, ERR_CORRUPT, ERR_TOO_LARGE,
 * or ERR_INVALID (compressed, no scratch, or an unknown codec). */
int record_iter_init(struct record_iter *it, const uint8_t *batch, size_t len,
                     struct buf *scratch);
/* The same with a caller-chosen decompression ceiling. */
int record_iter_init_max(struct record_iter *it, const uint8_t *batch,
                         size_t len, struct buf *scratch, size_t max_out);
/* Returns 1 with the next record in *out, 0 after recordCount records,
 * ERR_CORRUPT when the bytes run out or a record is malformed (then every
 * later call returns ERR_CORRUPT too). */
int record_iter_next(struct record_iter *it, struct record *out);

struct record_header_iter {
    struct buf_reader r;
    int32_t left;
};
void record_header_iter_init(struct record_header_iter *hi,
                             const struct record *rec);
/* Returns 1 with a header (key never null), 0 at the end, ERR_CORRUPT. */
int record_header_iter_next(struct record_header_iter *hi, struct slice *key,
                            struct slice *value, bool *value_null);

/* --- building one batch ------------------------------------------------ */

/* A record header to add; value NULL means a null value. */
struct record_header {
    struct slice key;
    const struct slice *value;
};

struct record_batch_builder {
    struct buf records; /* encoded records, uncompressed */
    int32_t count;
    int64_t base_timestamp, max_timestamp;
    int codec;                /* enum compress_codec */
    int16_t extra_attributes; /* transactional / control bits */
    int64_t base_offset;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t leader_epoch;
};

/* codec is an enum compress_codec. Defaults: base offset 0, producer id,
 * epoch and sequence -1, leader epoch -1, CreateTime. */
void record_batch_builder_init(struct record_batch_builder *b, int codec);
void record_batch_builder_fini(struct record_batch_builder *b);
/* Forgets the records (keeps memory and settings) to build the next batch. */
void record_batch_builder_reset(struct record_batch_builder *b);
void record_batch_builder_set_producer(struct record_batch_builder *b,
                                       int64_t producer_id, int16_t epoch,
                                       int32_t base_sequence);
/* key or value NULL means null; headers may be NULL when header_count is 0.
 * Returns 0, or ERR_TOO_LARGE if a length or the count would overflow. */
int record_batch_builder_add(struct record_batch_builder *b,
                             const struct slice *key, const struct slice *value,
                             int64_t timestamp,
                             const struct record_header *headers,
                             int32_t header_count);
static inline int32_t
record_batch_builder_count(const struct record_batch_builder *b)
{
    return b->count;
}
/* Uncompressed size the batch would have now (header + records). */
static inline size_t
record_batch_builder_size(const struct record_batch_builder *b)
{
    return RECORD_BATCH_HEADER_SIZE + b->records.len;
}
/* Appends one complete batch (CRC set) to out. Returns 0, ERR_INVALID when
 * no record was added, or a compress_encode error. The builder keeps its
 * records until record_batch_builder_reset. */
int record_batch_builder_finish(struct record_batch_builder *b,
                                struct buf *out);

#endif
