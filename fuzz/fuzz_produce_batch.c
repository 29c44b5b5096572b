/* fuzz_produce_batch.c - libFuzzer target for the broker's validation of
 * produced batches (layer: broker, test only).
 *
 * Each batch of the input (walked as concatenated batches, as a Produce
 * partition's records would be cut) is validated with a 1 MiB ceiling on
 * decompressed records; the validator must answer for any bytes without
 * reading out of bounds or allocating past the ceiling.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "broker/broker_validate.h"
#include "log/record_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf scratch;
    buf_init(&scratch);
    struct record_batch_walk w;
    struct record_batch_header h;
    const uint8_t *b;
    size_t n;
    record_batch_walk_init(&w, data, size);
    while (record_batch_walk_next(&w, &h, &b, &n) == 1) {
        const char *why = NULL;
        (void)broker_validate_batch(b, n, 1u << 20, &scratch, &why);
    }
    buf_fini(&scratch);
    return 0;
}
