/* row_decoder.c - format dispatch over the JSON, CSV, SenML (JSON and
 * CBOR), InfluxDB line protocol, Sparkplug B and binary-row decoders
 * (layer: row). One switch per record; no state of its own.
 */
#include "row/row_decoder.h"

#include <strings.h>

#include "base/err.h"
#include "base/mem.h"
#include "row/csv_decode.h"
#include "row/influx.h"
#include "row/json_decode.h"
#include "row/row_binary.h"
#include "row/senml_decode.h"
#include "row/sparkplug.h"

struct row_decoder {
    enum row_format format;
    struct json_decoder *json;
    struct csv_decoder *csv;
    struct senml_decoder *senml;
    struct influx_decoder *influx;
    struct sparkplug_decoder *sparkplug;
    const struct schema *schema; /* binary */
    uint32_t binary_id;
};

int row_format_parse(const char *text, size_t n)
{
    if (n == 4 && strncasecmp(text, "json", 4) == 0)
        return ROW_FORMAT_JSON;
    if (n == 3 && strncasecmp(text, "csv", 3) == 0)
        return ROW_FORMAT_CSV;
    if (n == 5 && strncasecmp(text, "senml", 5) == 0)
        return ROW_FORMAT_SENML;
    if (n == 10 && strncasecmp(text, "senml-cbor", 10) == 0)
        return ROW_FORMAT_SENML_CBOR;
    if (n == 6 && strncasecmp(text, "influx", 6) == 0)
        return ROW_FORMAT_INFLUX;
    if (n == 9 && strncasecmp(text, "sparkplug", 9) == 0)
        return ROW_FORMAT_SPARKPLUG;
    return ERR_INVALID;
}

const char *row_format_name(enum row_format f)
{
    switch (f) {
    case ROW_FORMAT_JSON:
        return "json";
    case ROW_FORMAT_CSV:
        return "csv";
    case ROW_FORMAT_SENML:
        return "senml";
    case ROW_FORMAT_BINARY:
        return "binary";
    case ROW_FORMAT_SENML_CBOR:
        return "senml-cbor";
    case ROW_FORMAT_INFLUX:
        return "influx";
    case ROW_FORMAT_SPARKPLUG:
        return "sparkplug";
    }
    return "?";
}

int row_decoder_create(enum row_format f, const struct schema *s,
                       const struct row_decoder_options *opts,
                       struct row_decoder **out)
{
    struct row_decoder_options none = {0, false};
    if (!opts)
        opts = &none;
    *out = NULL;
    struct row_decoder *d = mem_calloc(1, sizeof(*d));
    d->format = f;
    int rc;
    switch (f) {
    case ROW_FORMAT_JSON:
        rc = json_decoder_create(
            s, opts->copy_strings ? JSON_DECODE_COPY_STRINGS : 0, &d->json);
        break;
    case ROW_FORMAT_CSV:
        rc = csv_decoder_create(
            s, opts->csv_delimiter ? opts->csv_delimiter : ',',
            opts->copy_strings ? CSV_DECODE_COPY_STRINGS : 0, &d->csv);
        break;
    case ROW_FORMAT_SENML:
    case ROW_FORMAT_SENML_CBOR:
        rc = senml_decoder_create(s, &d->senml);
        break;
    case ROW_FORMAT_INFLUX:
        rc = influx_decoder_create(s, &d->influx);
        break;
    case ROW_FORMAT_SPARKPLUG:
        rc = sparkplug_decoder_create(s, &d->sparkplug);
        break;
    case ROW_FORMAT_BINARY:
        d->schema = s;
        d->binary_id = row_binary_schema_id(s);
        rc = 0;
        break;
    default:
        rc = ERR_INVALID;
        break;
    }
    if (rc != 0) {
        mem_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

void row_decoder_destroy(struct row_decoder *d)
{
    if (!d)
        return;
    json_decoder_destroy(d->json);
    csv_decoder_destroy(d->csv);
    senml_decoder_destroy(d->senml);
    influx_decoder_destroy(d->influx);
    sparkplug_decoder_destroy(d->sparkplug);
    mem_free(d);
}

int row_decoder_decode(const struct row_decoder *d, struct row_batch *b,
                       const char *p, size_t n, int64_t now_ms,
                       const struct row_meta *meta, struct row_error *err)
{
    int rc;
    switch (d->format) {
    case ROW_FORMAT_JSON:
        rc = json_decode(d->json, b, p, n, meta, err);
        return rc == 0 ? 1 : rc;
    case ROW_FORMAT_CSV:
        rc = csv_decode(d->csv, b, p, n, meta, err);
        return rc == 0 ? 1 : rc;
    case ROW_FORMAT_SENML:
        return senml_decode(d->senml, b, p, n, now_ms, meta, err);
    case ROW_FORMAT_SENML_CBOR:
        return senml_decode_cbor(d->senml, b, (const uint8_t *)p, n, now_ms,
                                 meta, err);
    case ROW_FORMAT_INFLUX:
        return influx_decode(d->influx, b, p, n, meta, err);
    case ROW_FORMAT_SPARKPLUG:
        return sparkplug_decode(d->sparkplug, b, (const uint8_t *)p, n, meta,
                                err);
    case ROW_FORMAT_BINARY:
        return row_binary_decode(d->schema, d->binary_id, b, (const uint8_t *)p,
                                 n, meta, err);
    }
    return row_error_set(err, ERR_INVALID, 0, "unknown format");
}
