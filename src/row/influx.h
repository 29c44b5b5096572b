/* influx.h - InfluxDB line protocol in and out (layer: row).
 *
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *
 * Decoding: one record may hold several lines (one row each; empty lines
 * and '#' comments skipped). Columns are filled by name (case-insensitive):
 * `measurement` (STRING) gets the measurement, a column named like a tag
 * gets the tag (STRING), a column named like a field gets the field
 * (DOUBLE from a float or integer, BIGINT/INT from an integer `12i` or
 * `12u`, STRING from a string, BOOLEAN from t/true/f/false in any of the
 * spellings InfluxDB takes), and `time` or `ts` (TIMESTAMP or BIGINT, in
 * ms) gets the timestamp, read in nanoseconds (the protocol's default) and
 * truncated to ms; without one, NULL. Tags and fields no column names are
 * ignored; a column no line fills is NULL (an error if NOT NULL); a field
 * of the wrong type is an error. Escapes: `\,` `\ ` `\=` in names and tag
 * values, `\"` `\\` in string fields.
 * Encoding: one row as one line, with the measurement given or taken from
 * a column, the tag columns given, every other non-NULL column a field
 * (integers with `i`), and the time column as nanoseconds.
 * A decoder is immutable after creation (threads may share it).
 */
#ifndef RILL_INFLUX_H
#define RILL_INFLUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "row/row_batch.h"
#include "row/row_error.h"
#include "row/schema.h"

struct influx_decoder;

/* ERR_INVALID for a `measurement` column that is not STRING or a time
 * column that is neither TIMESTAMP nor BIGINT. */
int influx_decoder_create(const struct schema *s, struct influx_decoder **out);
void influx_decoder_destroy(struct influx_decoder *d);

/* Appends one row per line of [p, p+n): the number of rows (>= 0), or a
 * negative error (ERR_PARSE with the byte offset, ERR_INVALID, or
 * ERR_TOO_LARGE when b is full) with no row added. Strings without
 * escapes are slices of the input; unescaped ones live in b's arena. */
int influx_decode(const struct influx_decoder *d, struct row_batch *b,
                  const char *p, size_t n, const struct row_meta *meta,
                  struct row_error *err);

struct influx_encoding {
    const char *measurement; /* a fixed name, or NULL: measurement_column */
    int measurement_column;  /* -1: none */
    const int *tag_columns;  /* written as tags (their text) */
    int ntags;
    int time_column; /* -1: no timestamp (the server's time) */
};

/* Appends row `row` of b as one line (with its '\n'). A row with no
 * non-NULL field writes nothing and returns ERR_INVALID (the protocol needs
 * one field); 0 otherwise. */
int influx_encode_row(const struct row_batch *b, int row,
                      const struct influx_encoding *e, struct buf *out);

#endif
