/* fuzz_influx.c - libFuzzer target for the InfluxDB line protocol decoder
 * (layer: row, test only).
 *
 * Decodes the input as line protocol into a schema with a measurement,
 * tags, fields of every type and a time column; on success touches every string
 * byte of every row, and checks that a failed pack added no row.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "row/row_batch.h"
#include "base/buf.h"
#include "row/influx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema schema;
static struct influx_decoder *dec;
static struct row_batch *batch;

static void setup(void)
{
    schema_init(&schema);
    schema_add(&schema, "measurement", SCHEMA_STRING, false, NULL);
    schema_add(&schema, "host", SCHEMA_STRING, true, NULL);
    schema_add(&schema, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&schema, "count", SCHEMA_BIGINT, true, NULL);
    schema_add(&schema, "small", SCHEMA_INT, true, NULL);
    schema_add(&schema, "ok", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&schema, "msg", SCHEMA_STRING, true, NULL);
    schema_add(&schema, "time", SCHEMA_TIMESTAMP, true, NULL);
    if (influx_decoder_create(&schema, &dec) != 0 ||
        row_batch_create(&schema, 64, &batch) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!batch)
        setup();
    struct row_error err;
    row_batch_reset(batch);
    int rc = influx_decode(dec, batch, (const char *)data, size, NULL, &err);
    if (rc < 0) {
        if (batch->nrows != 0 || err.offset > size)
            abort();
        return 0;
    }
    if (rc != batch->nrows)
        abort();
    volatile uint8_t sink = 0;
    for (int r = 0; r < batch->nrows; r++)
        for (int c = 0; c < batch->ncolumns; c++) {
            struct value v = row_batch_get(batch, r, c);
            if (v.type == SCHEMA_STRING)
                for (uint32_t i = 0; i < v.u.str.len; i++)
                    sink ^= (uint8_t)v.u.str.ptr[i];
        }
    (void)sink;
    /* Out again: every row encodes (or has no field) without a crash. */
    struct buf out;
    buf_init(&out);
    int tags[1] = {1};
    struct influx_encoding e = {NULL, 0, tags, 1, 7};
    for (int r = 0; r < batch->nrows; r++)
        influx_encode_row(batch, r, &e, &out);
    buf_fini(&out);
    return 0;
}
