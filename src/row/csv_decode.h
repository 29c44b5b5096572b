/* csv_decode.h - one CSV line -> one row (layer: row).
 *
 * Field i goes to column i. RFC 4180 quoting: a field that starts with '"'
 * runs to the next lone '"', and "" inside it is one quote; such a field may
 * contain the delimiter and line breaks. An unquoted empty field is NULL
 * (the empty string for a NOT NULL STRING column). No whitespace is trimmed.
 * A header line is the caller's to skip. See docs/formats.md.
 * A decoder is immutable after creation (threads may share it); a batch
 * belongs to one thread.
 */
#ifndef RILL_CSV_DECODE_H
#define RILL_CSV_DECODE_H

#include <stddef.h>

#include "row/row_batch.h"
#include "row/row_error.h"
#include "row/schema.h"

struct csv_decoder;

/* Copy every string field into the batch arena (see JSON_DECODE_COPY_STRINGS).
 */
#define CSV_DECODE_COPY_STRINGS 1u

/* delim is any byte but '"', '\r' and '\n' (ERR_INVALID otherwise). */
int csv_decoder_create(const struct schema *s, char delim, unsigned flags,
                       struct csv_decoder **out);
void csv_decoder_destroy(struct csv_decoder *d);

/* Decodes one line (a trailing "\n" or "\r\n" is ignored) into the next row
 * of b. Returns 0, ERR_TOO_LARGE when b is full, ERR_PARSE (bad quoting,
 * wrong field count) or ERR_INVALID (a field does not fit its column), with
 * *err filled and no row added. */
int csv_decode(struct csv_decoder *d, struct row_batch *b, const char *p,
               size_t n, const struct row_meta *meta, struct row_error *err);

#endif
