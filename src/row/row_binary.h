/* row_binary.h - the binary row blocks of repartition topics (layer: row).
 *
 * One record value holds a block of rows of a schema known to both sides
 * (the stage that writes a repartition topic and the stage that reads it
 * are planned from the same query): one record per many rows keeps the
 * per-record cost (framing, varints, a call per record) off the rows.
 * Layout, little-endian:
 *
 *   offset  size        field
 *   0       1           version, ROW_BINARY_VERSION (1)
 *   1       4           schema id: row_binary_schema_id() of the writer's
 *                       schema (column count, types and names); a reader
 *                       with another schema refuses the record
 *   5       2           row count n, 1..ROW_BINARY_BLOCK_MAX
 *   7       ...         n rows, each:
 *             8           event time, int64 (ms)
 *             4           input partition the row came from, int32
 *             ceil(c/8)   NULL bitmap, bit k of byte k/8 set: column k NULL
 *             ...         each non-NULL column in schema order:
 *                           BOOLEAN 1 byte (0 or 1); INT 4 bytes;
 *                           BIGINT, TIMESTAMP 8 bytes; DOUBLE 8 bytes
 *                           (IEEE-754); STRING a LEB128 length (at most
 *                           5 bytes, < 2^30) and the bytes
 *
 * Decoding borrows strings from the value (no copy): the value must
 * outlive the batch's rows, as for JSON. Any thread; no state.
 */
#ifndef RILL_ROW_BINARY_H
#define RILL_ROW_BINARY_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "row/row_batch.h"
#include "row/row_error.h"
#include "row/schema.h"

#define ROW_BINARY_VERSION 1
#define ROW_BINARY_HEADER 7
#define ROW_BINARY_BLOCK_MAX 256 /* rows in one block (within a batch) */

/* A 32-bit FNV-1a over the column count, types and names. */
uint32_t row_binary_schema_id(const struct schema *s);

/* Starts an empty block in out (reset first) for schema id `id`. */
void row_binary_block_begin(struct buf *out, uint32_t id);
/* Appends row `row` of b with its event time and input partition; the
 * caller ends the block at ROW_BINARY_BLOCK_MAX rows. */
void row_binary_block_add(struct buf *out, const struct row_batch *b, int row,
                          int64_t event_ts, int32_t partition);
/* Rows in the block being built. */
int row_binary_block_count(const struct buf *out);

/* Appends the block in p[0..n) to b (schema s, id `id`), all rows or none:
 * the row count, ERR_TOO_LARGE (not enough room in the batch: nothing
 * added) or ERR_PARSE with *err (bad version, other schema, a count of 0
 * or above the maximum, truncated, trailing bytes, a BOOLEAN other than 0
 * or 1). Each row's meta is meta's with the row's event time (as its
 * record time) and input partition. */
int row_binary_decode(const struct schema *s, uint32_t id, struct row_batch *b,
                      const uint8_t *p, size_t n, const struct row_meta *meta,
                      struct row_error *err);

#endif
