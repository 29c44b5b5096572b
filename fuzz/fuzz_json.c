/* fuzz_json.c - libFuzzer target for the schema-driven JSON decoder
 * (layer: row, test only).
 *
 * Decodes the input with a schema covering every column type, nested paths
 * and NOT NULL columns (once slicing strings, once copying them). On success
 * it touches every string byte, encodes the row back to JSON, decodes that
 * with a flat schema of the same columns, and aborts unless every cell is
 * identical: the encoder and decoder must agree on everything they accept.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/buf.h"
#include "row/json_decode.h"
#include "row/json_encode.h"
#include "row/row_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema nested, flat;
static struct json_decoder *dec_nested, *dec_copy, *dec_flat;
static struct row_batch *batch, *back;
static struct buf out;

static void setup(void)
{
    static const struct {
        const char *name, *path;
        enum schema_type type;
        bool nullable;
    } cols[] = {
        {"id", "id", SCHEMA_STRING, false},
        {"n", "n", SCHEMA_INT, true},
        {"big", "big", SCHEMA_BIGINT, true},
        {"value", "value", SCHEMA_DOUBLE, true},
        {"ok", "ok", SCHEMA_BOOLEAN, true},
        {"ts", "ts", SCHEMA_TIMESTAMP, true},
        {"city", "loc.city", SCHEMA_STRING, true},
        {"lat", "loc.geo.lat", SCHEMA_DOUBLE, true},
        {"when", "meta.when", SCHEMA_TIMESTAMP, true},
    };
    schema_init(&nested);
    schema_init(&flat);
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        schema_add(&nested, cols[i].name, cols[i].type, cols[i].nullable,
                   cols[i].path);
        schema_add(&flat, cols[i].name, cols[i].type, cols[i].nullable, NULL);
    }
    if (json_decoder_create(&nested, 0, &dec_nested) != 0 ||
        json_decoder_create(&nested, JSON_DECODE_COPY_STRINGS, &dec_copy) !=
            0 ||
        json_decoder_create(&flat, 0, &dec_flat) != 0 ||
        row_batch_create(&nested, 2, &batch) != 0 ||
        row_batch_create(&flat, 2, &back) != 0)
        abort();
    buf_init(&out);
}

static void check(struct json_decoder *d, const uint8_t *data, size_t size)
{
    struct row_error err;
    row_batch_reset(batch);
    row_batch_reset(back);
    if (json_decode(d, batch, (const char *)data, size, NULL, &err) != 0) {
        if (err.offset > size)
            abort();
        return;
    }
    volatile uint8_t sink = 0;
    for (int c = 0; c < batch->ncolumns; c++) {
        struct value v = row_batch_get(batch, 0, c);
        if (v.type == SCHEMA_STRING)
            for (uint32_t i = 0; i < v.u.str.len; i++)
                sink ^= (uint8_t)v.u.str.ptr[i];
    }
    (void)sink;
    buf_reset(&out);
    json_encode_row(batch, 0, &out);
    if (json_decode(dec_flat, back, (const char *)out.data, out.len, NULL,
                    &err) != 0)
        abort();
    for (int c = 0; c < batch->ncolumns; c++)
        if (!value_same(row_batch_get(batch, 0, c), row_batch_get(back, 0, c)))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!batch)
        setup();
    check(dec_nested, data, size);
    check(dec_copy, data, size);
    return 0;
}
