/* json_decode.h - schema-driven JSON object -> one row (layer: row).
 *
 * A decoder is compiled once from a schema (field paths -> column index) and
 * then decodes one JSON object (one Kafka record value) per call straight
 * into the next row of a batch: no DOM, no allocation per record. It fully
 * validates the text (RFC 8259, UTF-8), skips unknown fields including
 * nested objects and arrays, and checks every value against its column type.
 * See docs/formats.md for the type rules and timestamp formats.
 * A decoder is immutable after creation (threads may share it); a batch
 * belongs to one thread.
 */
#ifndef RILL_JSON_DECODE_H
#define RILL_JSON_DECODE_H

#include <stddef.h>

#include "row/row_batch.h"
#include "row/row_error.h"
#include "row/schema.h"

struct json_decoder;

/* Copy every string value into the batch arena, so the input buffer may be
 * reused right after the call (for sources whose buffers are transient).
 * Without it, unescaped strings are slices into the input. */
#define JSON_DECODE_COPY_STRINGS 1u

/* Compiles the decoder. s must outlive it. Fails with ERR_INVALID when two
 * columns have the same path or a path is both a value and an object
 * ("a" and "a.b"), with ERR_TOO_LARGE past 64 path levels. */
int json_decoder_create(const struct schema *s, unsigned flags,
                        struct json_decoder **out);
void json_decoder_destroy(struct json_decoder *d);

/* Decodes the JSON object [p, p+n) into the next row of b and commits it
 * with meta (may be NULL). Returns 0; ERR_TOO_LARGE if b is full (nothing
 * written); ERR_PARSE for malformed JSON or ERR_INVALID for a value that
 * does not fit the schema, with *err filled (if not NULL) and no row added.
 * b must have been created for the same schema. */
int json_decode(struct json_decoder *d, struct row_batch *b, const char *p,
                size_t n, const struct row_meta *meta, struct row_error *err);

#endif
