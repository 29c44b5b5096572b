/* row_decoder.h - one entry point for every record format (layer: row).
 *
 * The runtime knows a stream's format only as the text of its WITH clause
 * ('json', 'csv', 'senml', 'senml-cbor', 'influx', 'sparkplug'; 'binary'
 * for its own repartition topics);
 * this wraps the decoders behind one call
 * that appends the rows of one record value to a batch. A decoder is
 * immutable once created: threads may share it; a batch is one thread's.
 */
#ifndef RILL_ROW_DECODER_H
#define RILL_ROW_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "row/row_batch.h"
#include "row/row_error.h"
#include "row/schema.h"

enum row_format {
    ROW_FORMAT_JSON = 1,
    ROW_FORMAT_CSV,
    ROW_FORMAT_SENML,
    ROW_FORMAT_BINARY,     /* row_binary.h: the runtime's repartition topics */
    ROW_FORMAT_SENML_CBOR, /* senml_decode.h: SenML in CBOR */
    ROW_FORMAT_INFLUX,     /* influx.h: InfluxDB line protocol */
    ROW_FORMAT_SPARKPLUG,  /* sparkplug.h: Sparkplug B payloads */
};

struct row_decoder_options {
    char csv_delimiter; /* 0 means ',' */
    bool copy_strings;  /* JSON/CSV: copy strings into the batch arena */
};

struct row_decoder;

/* "json", "csv", "senml", "senml-cbor", "influx", "sparkplug"
 * (case-insensitive) -> format, or ERR_INVALID
 * (binary rows are the runtime's own, never a stream's WITH format). */
int row_format_parse(const char *text, size_t n);
const char *row_format_name(enum row_format f);

/* opts may be NULL. Fails with the underlying decoder's error (ERR_INVALID
 * for a schema the format cannot fill) or ERR_INVALID for a bad format. */
int row_decoder_create(enum row_format f, const struct schema *s,
                       const struct row_decoder_options *opts,
                       struct row_decoder **out);
void row_decoder_destroy(struct row_decoder *d);

/* Appends the rows of one record value (JSON and CSV: one row; SenML: one
 * per record) and returns how many, or a negative error with *err filled
 * and no row added (see the format's header). now_ms resolves SenML
 * relative times; the others ignore it. */
int row_decoder_decode(const struct row_decoder *d, struct row_batch *b,
                       const char *p, size_t n, int64_t now_ms,
                       const struct row_meta *meta, struct row_error *err);

#endif
