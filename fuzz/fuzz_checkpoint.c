/* fuzz_checkpoint.c - libFuzzer target for operator state in checkpoint
 * files (layer: stream, test only): the pipeline's state (PIP1, holding a
 * window aggregate's WAG1) read back into a pipeline built like the one
 * that wrote it. Anything is refused or restored without reading past
 * the input; what restores snapshots again, and that snapshot restores
 * into a fresh pipeline to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "row/schema.h"
#include "stream/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema in;

static struct pipeline *build(void)
{
    if (!in.ncolumns) {
        schema_init(&in);
        schema_add(&in, "k", SCHEMA_STRING, false, NULL);
        schema_add(&in, "v", SCHEMA_DOUBLE, true, NULL);
        schema_add(&in, "ts", SCHEMA_TIMESTAMP, false, NULL);
    }
    struct pipeline_source_config src = {
        .schema = &in,
        .format = PIPELINE_FORMAT_JSON,
        .time_column = 2,
        .npartitions = 2,
        .watermark_delay_ms = 1000,
        .external_watermark = true,
    };
    struct pipeline *p = NULL;
    if (pipeline_create(&src, &p))
        abort();
    struct window_agg_config w;
    memset(&w, 0, sizeof w);
    w.window.kind = WINDOW_TUMBLE;
    w.window.size_ms = 10000;
    w.nkeys = 1;
    w.naggs = 2;
    w.aggs[0].func = AGG_COUNT_STAR;
    w.aggs[1].func = AGG_AVG;
    w.aggs[1].column = 1;
    if (pipeline_add_window_agg(p, &w, NULL) ||
        pipeline_set_sink(p, NULL, NULL))
        abort();
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct pipeline *p = build();
    if (pipeline_restore(p, copy, size, 0) == 0) {
        struct buf a, b;
        buf_init(&a);
        buf_init(&b);
        if (pipeline_snapshot(p, &a))
            abort();
        struct pipeline *q = build();
        if (pipeline_restore(q, a.data, a.len, 0) || pipeline_snapshot(q, &b) ||
            a.len != b.len || memcmp(a.data, b.data, a.len))
            abort();
        pipeline_destroy(q);
        buf_fini(&a);
        buf_fini(&b);
    }
    pipeline_destroy(p);
    free(copy);
    return 0;
}
