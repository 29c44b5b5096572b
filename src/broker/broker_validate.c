/* broker_validate.c - a produced batch's records walked before the append
 * (layer: broker). See broker_validate.h.
 *
 * What is checked, as Kafka's DefaultRecordBatch / LogValidator do:
 *   1. the codec is one of none, gzip, snappy, lz4, zstd;
 *   2. a compressed payload decompresses, to at most max_records bytes;
 *   3. exactly recordCount records follow, each one's length varint covers
 *      its fields exactly (record_iter_next), headers included;
 *   4. no bytes are left after the last record;
 *   5. offset deltas are 0, 1, 2, ... (consumers compute offsets from them).
 * Nothing here allocates except scratch growing to the largest compressed
 * batch seen.
 */
#include "broker/broker_validate.h"

#include "base/err.h"
#include "log/compress.h"
#include "log/record_batch.h"

static int structure(const uint8_t *p, size_t n, size_t max_records,
                     struct buf *scratch, const char **why, int32_t *index)
{
    *index = -1;
    struct record_iter it;
    int rc = record_iter_init_max(&it, p, n, scratch, max_records);
    if (rc == ERR_TOO_LARGE) {
        *why = "records decompress to more than max.message.bytes";
        return ERR_TOO_LARGE;
    }
    if (rc < 0) {
        int codec = record_batch_attr_codec(it.hdr.attributes);
        *why = codec > COMPRESS_ZSTD ? "unknown compression codec"
                                     : "records do not decompress";
        return ERR_INVALID;
    }
    struct record rec;
    int64_t want = it.hdr.base_offset;
    for (int32_t i = 0; i < it.hdr.record_count; i++) {
        rc = record_iter_next(&it, &rec);
        if (rc != 1) {
            *why = "a record overruns the batch or is malformed";
            *index = i;
            return ERR_INVALID;
        }
        if (rec.offset != want) {
            *why = "record offset deltas are not 0, 1, 2, ...";
            *index = i;
            return ERR_INVALID;
        }
        want = (int64_t)((uint64_t)want + 1); /* wraps, as deltas do */
    }
    if (buf_reader_left(&it.r) != 0) {
        *why = "bytes left after recordCount records";
        return ERR_INVALID;
    }
    return 0;
}

int broker_validate_batch_at(const uint8_t *p, size_t n, size_t max_records,
                             struct buf *scratch, const char **why,
                             int32_t *record_index)
{
    int rc = structure(p, n, max_records, scratch, why, record_index);
    if (rc < 0 && record_batch_verify(p, n) == ERR_CORRUPT) {
        *why = "CRC mismatch";
        *record_index = -1;
        rc = ERR_CORRUPT;
    }
    return rc;
}

int broker_validate_batch(const uint8_t *p, size_t n, size_t max_records,
                          struct buf *scratch, const char **why)
{
    int32_t index;
    return broker_validate_batch_at(p, n, max_records, scratch, why, &index);
}
