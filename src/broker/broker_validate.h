/* broker_validate.h - checks a produced RecordBatch the way Kafka's log
 * validator does before anything is stored (layer: broker).
 *
 * Producers are not trusted: a batch whose CRC matches can still carry
 * records that overrun it, a record count that disagrees with the records,
 * an unknown codec or a compressed payload that does not decompress, or
 * one that decompresses to far more than the broker accepts. Stored, such
 * a batch makes every consumer of the partition re-fetch it forever. The
 * check walks the records in place (no copy for uncompressed batches, so
 * the zero-copy append stays) and decompresses compressed ones into the
 * caller's scratch buffer. Loop thread (the caller owns scratch).
 */
#ifndef RILL_BROKER_VALIDATE_H
#define RILL_BROKER_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Validates the single magic-2 batch p[0..n) (its header already decoded
 * and n == its size). max_records bounds the decompressed records of a
 * compressed batch. Returns 0, or a negative error with *why set to a
 * static reason:
 *   ERR_CORRUPT  the CRC does not match (CORRUPT_MESSAGE)
 *   ERR_INVALID  structure, codec or decompression (INVALID_RECORD)
 *   ERR_TOO_LARGE the records decompress to more than max_records
 *                 (INVALID_RECORD as well: a decompression bomb).
 * The CRC is computed only when the structure is wrong (to tell a damaged
 * batch from a forged one); partition_append checks it for good batches. */
int broker_validate_batch(const uint8_t *p, size_t n, size_t max_records,
                          struct buf *scratch, const char **why);
/* The same, and *record_index = the index in the batch of the record that
 * failed (its offset delta is not its position, or it is malformed), -1
 * when the failure is the batch's: what a Produce v8+ answer names in
 * record_errors (KIP-467). */
int broker_validate_batch_at(const uint8_t *p, size_t n, size_t max_records,
                             struct buf *scratch, const char **why,
                             int32_t *record_index);

#endif
