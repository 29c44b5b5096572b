/* fuzz_progress.c - libFuzzer target for query progress files (layer:
 * stream, test only): the parser reads within the length it is given (no
 * NUL needed), and what parses formats back to text that parses to the
 * same watermark and offsets.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "stream/progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes: a read past it is caught by ASan. */
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    int64_t wm, next[N];
    if (progress_parse(text, size, N, &wm, next) == 0) {
        struct buf b;
        buf_init(&b);
        progress_format(&b, wm, next, N);
        int64_t wm2, next2[N];
        if (progress_parse((const char *)b.data, b.len, N, &wm2, next2) != 0 ||
            wm2 != wm || memcmp(next, next2, sizeof next))
            abort();
        buf_fini(&b);
    }
    free(text);
    return 0;
}
