/* fuzz_csv.c - libFuzzer target for the CSV line decoder (layer: row, test
 * only). The first byte picks the delimiter; the rest is one line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "row/csv_decode.h"
#include "row/row_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema schema;
static struct row_batch *batch;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!batch) {
        schema_init(&schema);
        schema_add(&schema, "id", SCHEMA_STRING, false, NULL);
        schema_add(&schema, "n", SCHEMA_INT, true, NULL);
        schema_add(&schema, "d", SCHEMA_DOUBLE, true, NULL);
        schema_add(&schema, "b", SCHEMA_BOOLEAN, true, NULL);
        schema_add(&schema, "ts", SCHEMA_TIMESTAMP, true, NULL);
        schema_add(&schema, "big", SCHEMA_BIGINT, false, NULL);
        if (row_batch_create(&schema, 1, &batch) != 0)
            abort();
    }
    if (size == 0)
        return 0;
    static const char delims[] = {',', ';', '\t', '|'};
    struct csv_decoder *d;
    if (csv_decoder_create(&schema, delims[data[0] % 4], 0, &d) != 0)
        abort();
    struct row_error err;
    row_batch_reset(batch);
    int rc = csv_decode(d, batch, (const char *)data + 1, size - 1, NULL, &err);
    if (rc != 0 && (batch->nrows != 0 || err.offset > size))
        abort();
    if (rc == 0) {
        volatile uint8_t sink = 0;
        struct value v = row_batch_get(batch, 0, 0);
        for (uint32_t i = 0; i < v.u.str.len; i++)
            sink ^= (uint8_t)v.u.str.ptr[i];
        (void)sink;
    }
    csv_decoder_destroy(d);
    return 0;
}
