/* json_encode.h - one row -> one JSON object (layer: row).
 *
 * Keys are the column names in schema order; NULL is null; timestamps are
 * ISO-8601 strings in UTC with milliseconds ("2026-11-24T07:30:00.123Z");
 * doubles are the shortest of 15-17 significant digits that reads back
 * exactly (NaN and infinities become null); strings are escaped per RFC 8259
 * (bytes >= 0x80 are copied as they are: decoded input is valid UTF-8).
 */
#ifndef RILL_JSON_ENCODE_H
#define RILL_JSON_ENCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "row/row_batch.h"

/* Appends the JSON object for row `row` of b to out. */
void json_encode_row(const struct row_batch *b, int row, struct buf *out);

/* Appends the quoted, escaped JSON string for [p, p+n). */
void json_encode_string(struct buf *out, const char *p, size_t n);

/* Appends one value as JSON (a TIMESTAMP as an ISO-8601 string). */
void json_encode_value(struct buf *out, struct value v);
/* Whether p[0..n) is well-formed UTF-8 (no overlongs, no surrogates, at
 * most U+10FFFF): what json_encode_string needs to give valid JSON text. */
bool json_utf8_valid(const char *p, size_t n);
/* Appends p[0..n) as a JSON string of standard base64 (RFC 4648). */
void json_encode_base64(struct buf *out, const void *p, size_t n);

#endif
