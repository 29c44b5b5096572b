/* sparkplug.h - Sparkplug B payloads (Eclipse Sparkplug 3.0: a protobuf
 * Payload of Metrics) -> one row per metric (layer: row).
 *
 * Columns are taken by name (case-insensitive), each optional:
 *
 *   name STRING          the metric's name (NULL when only its alias came)
 *   alias BIGINT         the metric's alias
 *   ts | time TIMESTAMP  the metric's timestamp, else the payload's (ms)
 *                        (or BIGINT)
 *   datatype INT         the Sparkplug datatype code (1 Int8 ... 17 Bytes)
 *   value DOUBLE         a numeric value (Int8..UInt64, Float, Double)
 *   int_value BIGINT     an integer value, exactly (Int8..UInt64 below
 *                        2^63, DateTime)
 *   string_value STRING  String, Text, UUID
 *   bool_value BOOLEAN   Boolean
 *   seq BIGINT           the payload's sequence number
 *
 * A metric with is_null, or whose type another column holds, leaves these
 * NULL; DataSet, Template, Bytes and File values are not decoded (the
 * row has its name, alias, time and datatype). Any other column is refused
 * at creation. The protobuf wire format is read directly (no generated
 * code): varints of at most 10 bytes, lengths checked against what is
 * left, groups refused, unknown fields skipped.
 */
#ifndef RILL_SPARKPLUG_H
#define RILL_SPARKPLUG_H

#include <stddef.h>
#include <stdint.h>

#include "row/row_batch.h"
#include "row/row_error.h"
#include "row/schema.h"

struct sparkplug_decoder;

int sparkplug_decoder_create(const struct schema *s,
                             struct sparkplug_decoder **out);
void sparkplug_decoder_destroy(struct sparkplug_decoder *d);

/* Rows appended (>= 0), or a negative error (ERR_PARSE with the byte
 * offset, ERR_INVALID, ERR_TOO_LARGE when b is full) with no row added. */
int sparkplug_decode(const struct sparkplug_decoder *d, struct row_batch *b,
                     const uint8_t *p, size_t n, const struct row_meta *meta,
                     struct row_error *err);

#endif
