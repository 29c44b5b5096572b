/* fuzz_row_binary.c - libFuzzer target for the binary row decoder of
 * repartition topics (layer: row, test only).
 *
 * Decodes the input as a block of rows of a schema with every column
 * type, all or nothing. On success it touches every string byte, encodes
 * the rows again and aborts unless the block decodes to the same count.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "row/row_batch.h"
#include "row/row_binary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema s;
static struct row_batch *batch;
static struct buf out;
static uint32_t id;

static void setup(void)
{
    schema_init(&s);
    schema_add(&s, "id", SCHEMA_STRING, false, NULL);
    schema_add(&s, "n", SCHEMA_INT, true, NULL);
    schema_add(&s, "big", SCHEMA_BIGINT, true, NULL);
    schema_add(&s, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&s, "ok", SCHEMA_BOOLEAN, true, NULL);
    schema_add(&s, "ts", SCHEMA_TIMESTAMP, true, NULL);
    schema_add(&s, "kind", SCHEMA_STRING, true, NULL);
    if (row_batch_create(&s, ROW_BINARY_BLOCK_MAX, &batch) != 0)
        abort();
    buf_init(&out);
    id = row_binary_schema_id(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!batch)
        setup();
    row_batch_reset(batch);
    struct row_error err;
    /* A schema id that matches, so inputs reach the columns. */
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    if (size >= 5)
        for (int i = 0; i < 4; i++)
            copy[1 + i] = (uint8_t)(id >> (8 * i));
    int n = row_binary_decode(&s, id, batch, copy, size, NULL, &err);
    if (n > 0) {
        if (batch->nrows != n)
            abort();
        unsigned sum = 0;
        for (int r = 0; r < n; r++)
            for (int c = 0; c < s.ncolumns; c++)
                if (batch->columns[c].type == SCHEMA_STRING &&
                    !batch->columns[c].nulls[r])
                    for (uint32_t k = 0; k < batch->columns[c].data.str[r].len;
                         k++)
                        sum += (uint8_t)batch->columns[c].data.str[r].ptr[k];
        (void)sum;
        row_binary_block_begin(&out, id);
        for (int r = 0; r < n; r++)
            row_binary_block_add(&out, batch, r, batch->meta[r].event_ts,
                                 batch->meta[r].partition);
        /* Non-minimal LEB128 lengths decode too: never longer re-encoded. */
        if (out.len > size || row_binary_block_count(&out) != n)
            abort();
    } else if (batch->nrows != 0) {
        abort(); /* all or nothing */
    }
    free(copy);
    return 0;
}
