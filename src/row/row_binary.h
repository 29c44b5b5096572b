/* row_binary.h - the binary row encoding of repartition topics (layer:
 * row).
 *
 * One record value holds one row of a schema known to both sides (the
 * stage that writes a repartition topic and the stage that reads it are
 * planned from the same query). Layout, little-endian:
 *
 *   offset  size        field
 *   0       1           version, ROW_BINARY_VERSION (1)
 *   1       4           schema id: row_binary_schema_id() of the writer's
 *                       schema (column count, types and names); a reader
 *                       with another schema refuses the record
 *   5       ceil(n/8)   NULL bitmap, bit c of byte c/8 set: column c NULL
 *   ...                 each non-NULL column in schema order:
 *                         BOOLEAN 1 byte (0 or 1); INT 4 bytes;
 *                         BIGINT, TIMESTAMP 8 bytes; DOUBLE 8 bytes
 *                         (IEEE-754); STRING a LEB128 length (at most
 *                         5 bytes, < 2^30) and the bytes
 *
 * Event time travels as the record timestamp, not in the row. Decoding
 * borrows strings from the value (no copy): the value must outlive the
 * batch's rows, as for JSON. Any thread; no state.
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

/* A 32-bit FNV-1a over the column count, types and names. */
uint32_t row_binary_schema_id(const struct schema *s);

/* Appends row `row` of b (whose schema has id `id`) to out. */
void row_binary_encode(const struct row_batch *b, int row, uint32_t id,
                       struct buf *out);

/* Appends the row in p[0..n) to b (schema s, id `id`): 0, ERR_TOO_LARGE
 * (batch full, nothing added) or ERR_PARSE with *err (bad version, other
 * schema, truncated, trailing bytes, a BOOLEAN other than 0/1). */
int row_binary_decode(const struct schema *s, uint32_t id, struct row_batch *b,
                      const uint8_t *p, size_t n, const struct row_meta *meta,
                      struct row_error *err);

#endif
