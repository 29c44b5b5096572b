/* fuzz_record_batch.c - libFuzzer target for RecordBatch v2 parsing
 * (layer: log, test only).
 *
 * Walks the input as concatenated batches; for each one decodes the header,
 * verifies the CRC and iterates every record and header, once as given and
 * once regardless of the CRC (so the record parser sees arbitrary bytes,
 * not only inputs that happen to carry a valid CRC-32C). Decompression is
 * capped at 1 MiB to keep iterations fast.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "log/record_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void iterate(const uint8_t *p, size_t n, struct buf *scratch)
{
    struct record_iter it;
    struct record r;
    if (record_iter_init_max(&it, p, n, scratch, 1u << 20) != 0)
        return;
    int guard = 0;
    while (record_iter_next(&it, &r) == 1 && guard++ < 100000) {
        /* Touch every byte handed out, so ASan sees any overrun. */
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < r.key.len; i++)
            sink ^= r.key.ptr[i];
        for (size_t i = 0; i < r.value.len; i++)
            sink ^= r.value.ptr[i];
        struct record_header_iter hi;
        struct slice k, v;
        bool vnull;
        record_header_iter_init(&hi, &r);
        while (record_header_iter_next(&hi, &k, &v, &vnull) == 1) {
            for (size_t i = 0; i < k.len; i++)
                sink ^= k.ptr[i];
            for (size_t i = 0; i < v.len; i++)
                sink ^= v.ptr[i];
        }
        (void)sink;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf scratch;
    buf_init(&scratch);
    struct record_batch_header h;
    (void)record_batch_header_decode(data, size, &h);

    struct record_batch_walk w;
    const uint8_t *p;
    size_t n;
    record_batch_walk_init(&w, data, size);
    while (record_batch_walk_next(&w, &h, &p, &n) == 1) {
        if (record_batch_verify(p, n) == 0)
            iterate(p, n, &scratch); /* the path a broker/consumer takes */
        else
            iterate(p, n, &scratch); /* CRC skipped: exercise the parser */
    }
    buf_fini(&scratch);
    return 0;
}
