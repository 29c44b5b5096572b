/* fuzz_marker.c - libFuzzer target for the watermark marker of
 * repartition topics (layer: stream, test only): whatever decodes encodes
 * back to the same 13 bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream/marker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct marker m;
    if (marker_decode(data, size, &m) == 0) {
        uint8_t back[MARKER_SIZE];
        marker_encode(&m, back);
        if (size != MARKER_SIZE || memcmp(back, data, size))
            abort();
    }
    return 0;
}
