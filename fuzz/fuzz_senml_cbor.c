/* fuzz_senml_cbor.c - libFuzzer target for the SenML CBOR decoder (layer:
 * row, test only).
 *
 * Decodes the input as a SenML CBOR pack into a schema holding every mapped
 * column; on success touches every string byte of every row, and checks
 * that a failed pack added no row.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "row/row_batch.h"
#include "row/senml_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema schema;
static struct senml_decoder *dec;
static struct row_batch *batch;

static void setup(void)
{
    schema_init(&schema);
    schema_add(&schema, "name", SCHEMA_STRING, false, NULL);
    schema_add(&schema, "unit", SCHEMA_STRING, true, NULL);
    schema_add(&schema, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&schema, "ts", SCHEMA_TIMESTAMP, false, NULL);
    schema_add(&schema, "sum", SCHEMA_DOUBLE, true, NULL);
    schema_add(&schema, "vs", SCHEMA_STRING, true, NULL);
    schema_add(&schema, "vb", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&schema, "vd", SCHEMA_STRING, true, NULL);
    schema_add(&schema, "ut", SCHEMA_DOUBLE, true, NULL);
    if (senml_decoder_create(&schema, &dec) != 0 ||
        row_batch_create(&schema, 64, &batch) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!batch)
        setup();
    struct row_error err;
    row_batch_reset(batch);
    int rc =
        senml_decode_cbor(dec, batch, data, size, 1795505400123LL, NULL, &err);
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
    return 0;
}
