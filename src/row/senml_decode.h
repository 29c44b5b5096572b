/* senml_decode.h - RFC 8428 SenML JSON pack -> one row per record
 * (layer: row).
 *
 * The decoder resolves base fields (bn, bt, bu, bv, bs, bver) as the RFC
 * says: name = bn + n, time = bt + t, value = bv + v, sum = bs + s, unit =
 * u or else bu; a resolved time below 2^28 s is relative to now_ms. It maps
 * each resolved record onto the schema's columns by name (case-insensitive):
 *
 *   name STRING, unit STRING, value DOUBLE, string_value|vs STRING,
 *   bool_value|vb BOOLEAN, data_value|vd STRING, sum DOUBLE,
 *   ts|time TIMESTAMP (or BIGINT, ms), update_time|ut DOUBLE (seconds)
 *
 * Any other column name or type is refused when the decoder is created.
 * See docs/formats.md for the whole mapping.
 * A decoder is immutable after creation (threads may share it); a batch
 * belongs to one thread.
 */
#ifndef RILL_SENML_DECODE_H
#define RILL_SENML_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "row/row_batch.h"
#include "row/row_error.h"
#include "row/schema.h"

struct senml_decoder;

/* Returns ERR_INVALID (and leaves *out NULL) for a column the mapping
 * above does not know or whose type differs. */
int senml_decoder_create(const struct schema *s, struct senml_decoder **out);
void senml_decoder_destroy(struct senml_decoder *d);

/* Decodes the SenML pack [p, p+n) into rows appended to b, each committed
 * with meta (may be NULL). Records holding only base fields make no row.
 * Returns the number of rows added (>= 0), or a negative error with *err
 * filled and no row added: ERR_TOO_LARGE when the pack does not fit in what
 * is left of b (on an empty batch: the pack is larger than a batch),
 * ERR_PARSE for malformed JSON or SenML, ERR_INVALID for a record that does
 * not fit the schema. Unescaped strings are slices into the input. */
int senml_decode(struct senml_decoder *d, struct row_batch *b, const char *p,
                 size_t n, int64_t now_ms, const struct row_meta *meta,
                 struct row_error *err);

/* The same for a pack in CBOR (RFC 8428 section 6; senml_cbor.c):
 * integer labels, vd a byte string (given to data_value in base64url). */
int senml_decode_cbor(struct senml_decoder *d, struct row_batch *b,
                      const uint8_t *p, size_t n, int64_t now_ms,
                      const struct row_meta *meta, struct row_error *err);

#endif
