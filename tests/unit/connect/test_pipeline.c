/* test_pipeline.c - a whole query task on a virtual clock: RecordBatch v2
 * bytes read through the local log's record iterator (connect/local_log.h)
 * -> JSON decode -> filter -> project -> TUMBLE aggregate -> sink;
 * dead-letter callback with the bad record in hand, idle partitions
 * releasing the watermark, CRC verification, and the plan API's error
 * paths. */
#include <stdio.h>
#include <string.h>

#include "../../harness.h"
#include "base/buf.h"
#include "base/err.h"
#include "connect/local_log.h"
#include "log/record_batch.h"
#include "row/row_binary.h"
#include "stream/pipeline.h"

static struct schema sch;
static char rows[64][128];
static int nrows;
static int nerrors;
static int64_t error_offset;

static int sink(void *arg, const struct row_batch *b)
{
    (void)arg;
    for (int r = 0; r < b->nrows && nrows < 64; r++) {
        struct value k = row_batch_get(b, r, 0);
        struct value ws = row_batch_get(b, r, 1);
        struct value n = row_batch_get(b, r, 3);
        struct value avg = row_batch_get(b, r, 4);
        snprintf(rows[nrows++], sizeof(rows[0]), "%.*s|%lld|%lld|%g",
                 (int)k.u.str.len, k.u.str.ptr, (long long)ws.u.i64,
                 (long long)n.u.i64, avg.u.f64);
    }
    return 0;
}

static void on_error(void *arg, int partition, const struct stream_record *rec,
                     const struct row_error *err)
{
    (void)arg;
    (void)partition;
    (void)err;
    nerrors++;
    error_offset = rec->offset;
}

/* RecordBatch bytes through the local log's iterator, CRC checked. */
static int push(struct pipeline *p, int partition, const uint8_t *data,
                size_t len, int64_t now_ms)
{
    struct local_records it;
    local_records_init(&it);
    local_records_reset(&it, data, len, true);
    int rc = pipeline_push(p, partition, &it.base, now_ms, NULL, NULL);
    local_records_fini(&it);
    return rc;
}

/* Builds one record batch of JSON values. */
static void build(struct buf *out, const char *const *values, int n,
                  int64_t record_ts)
{
    struct record_batch_builder b;
    record_batch_builder_init(&b, 0);
    for (int i = 0; i < n; i++) {
        struct slice v = {(const uint8_t *)values[i], strlen(values[i])};
        record_batch_builder_add(&b, NULL, &v, record_ts + i, NULL, 0);
    }
    buf_reset(out);
    record_batch_builder_finish(&b, out);
    record_batch_builder_fini(&b);
}

static struct pipeline *make_mode(bool external)
{
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    src.external_watermark = external;
    src.schema = &sch;
    src.time_column = 2;
    src.npartitions = 2;
    src.watermark_delay_ms = 2000;
    src.idle_timeout_ms = 5000;
    struct pipeline *p;
    CHECK_EQ_INT(pipeline_create(&src, &p), 0);
    /* WHERE value > 0 */
    struct expr_ctx *c;
    expr_ctx_create(pipeline_schema(p), pipeline_capacity(p), &c);
    struct expr *pred = expr_binary(c, EXPR_GT, expr_column_named(c, "value"),
                                    expr_literal(c, value_int(0)));
    CHECK_EQ_INT(pipeline_add_filter(p, c, pred), 0);
    /* SELECT UPPER(sensor) AS sensor, value * 2 AS v2 */
    expr_ctx_create(pipeline_schema(p), pipeline_capacity(p), &c);
    struct expr *s = expr_column_named(c, "sensor");
    struct expr *ex[2] = {expr_func(c, EXPR_FN_UPPER, &s, 1),
                          expr_binary(c, EXPR_MUL,
                                      expr_column_named(c, "value"),
                                      expr_literal(c, value_int(2)))};
    const char *names[2] = {"sensor", "v2"};
    CHECK_EQ_INT(pipeline_add_project(p, c, 2, ex, names), 0);
    /* TUMBLE 10 s, COUNT(*), AVG(v2) GROUP BY sensor */
    struct window_agg_config w;
    memset(&w, 0, sizeof(w));
    w.window.kind = WINDOW_TUMBLE;
    w.window.size_ms = 10000;
    w.nkeys = 1;
    w.keys[0] = 0;
    w.naggs = 2;
    w.aggs[0].func = AGG_COUNT_STAR;
    w.aggs[1].func = AGG_AVG;
    w.aggs[1].column = 1;
    CHECK_EQ_INT(pipeline_add_window_agg(p, &w, NULL), 0);
    CHECK_EQ_INT(pipeline_schema(p)->ncolumns, 5);
    CHECK_EQ_INT(pipeline_set_sink(p, sink, NULL), 0);
    pipeline_set_error_handler(p, on_error, NULL);
    return p;
}

static struct pipeline *make(void)
{
    return make_mode(false);
}

/* One task of several: the partition's own watermark is tracked, but the
 * windows fire only at the watermark the caller sets. */
TEST(external_watermark)
{
    nrows = nerrors = 0;
    struct pipeline *p = make_mode(true);
    struct buf b;
    buf_init(&b);
    const char *v[] = {
        "{\"sensor\":\"s1\",\"value\":1,\"ts\":1000}",
        "{\"sensor\":\"s1\",\"value\":3,\"ts\":4000}",
        "{\"sensor\":\"s2\",\"value\":5,\"ts\":15000}",
    };
    build(&b, v, 3, 0);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 100), 0);
    CHECK_EQ_INT(pipeline_partition_watermark(p, 0), 13000);
    CHECK(pipeline_partition_watermark(p, 1) == WATERMARK_NONE);
    CHECK(!pipeline_partition_idle(p, 1));
    /* Partition 1 goes idle: on its own the pipeline would fire [0,10). */
    CHECK_EQ_INT(pipeline_tick(p, 100000), 0);
    CHECK(pipeline_partition_idle(p, 1));
    CHECK(pipeline_watermark(p) == WATERMARK_NONE);
    CHECK_EQ_INT(nrows, 0);
    /* The caller's watermark (another task is behind): nothing yet. */
    CHECK_EQ_INT(pipeline_set_watermark(p, 9000), 0);
    CHECK_EQ_INT(nrows, 0);
    CHECK_EQ_INT(pipeline_set_watermark(p, 9999), 0);
    CHECK_EQ_INT(nrows, 1); /* [0,10) of S1: fired and flushed */
    CHECK_EQ_STR(rows[0], "S1|0|2|4");
    /* Never backwards. */
    CHECK_EQ_INT(pipeline_set_watermark(p, 5000), 0);
    CHECK_EQ_INT(pipeline_watermark(p), 9999);
    CHECK_EQ_INT(pipeline_set_watermark(p, INT64_MAX - 1), 0);
    CHECK_EQ_INT(nrows, 2);
    buf_fini(&b);
    pipeline_destroy(p);
    /* Without the mode the caller cannot set it. */
    p = make();
    CHECK_EQ_INT(pipeline_set_watermark(p, 1000), ERR_INVALID);
    pipeline_destroy(p);
}

static int nkept;
static int count_sink(void *arg, const struct row_batch *b);

/* A record holding a block of binary rows (a repartition topic's): one
 * row per (ts, input partition) pair. */
static void build_block(struct buf *out, const int64_t *ts, const int *part,
                        int n)
{
    struct row_batch *rb;
    row_batch_create(&sch, 4, &rb);
    struct buf blk;
    buf_init(&blk);
    row_binary_block_begin(&blk, row_binary_schema_id(&sch));
    for (int i = 0; i < n; i++) {
        int r = row_batch_begin_row(rb);
        row_batch_set(rb, r, 0, value_string("s1", 2));
        row_batch_set(rb, r, 1, value_double(1));
        row_batch_set(rb, r, 2, value_timestamp(ts[i]));
        row_batch_commit_row(rb, NULL);
        row_binary_block_add(&blk, rb, r, ts[i], part[i]);
    }
    struct record_batch_builder b;
    record_batch_builder_init(&b, 0);
    struct slice v = {blk.data, blk.len};
    record_batch_builder_add(&b, NULL, &v, ts[0], NULL, 0);
    buf_reset(out);
    record_batch_builder_finish(&b, out);
    record_batch_builder_fini(&b);
    buf_fini(&blk);
    row_batch_destroy(rb);
}

/* A repartition topic's blocks: each row keeps its own event time, and
 * late rows count against the input partition the row names, not the
 * partition they were read from. */
TEST(binary_row_blocks)
{
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    src.schema = &sch;
    src.format = PIPELINE_FORMAT_ROW;
    src.time_column = -1;
    src.npartitions = 2;
    src.external_watermark = true;
    struct pipeline *p;
    CHECK_EQ_INT(pipeline_create(&src, &p), 0);
    struct window_agg_config w;
    memset(&w, 0, sizeof(w));
    w.window.kind = WINDOW_TUMBLE;
    w.window.size_ms = 10000;
    w.nkeys = 1;
    w.naggs = 1;
    w.aggs[0].func = AGG_COUNT_STAR;
    struct window_agg *wa;
    CHECK_EQ_INT(pipeline_add_window_agg(p, &w, &wa), 0);
    nkept = 0;
    CHECK_EQ_INT(pipeline_set_sink(p, count_sink, NULL), 0);
    struct buf b;
    buf_init(&b);
    int64_t ts[3] = {1000, 2000, 12000};
    int part[3] = {1, 0, 1};
    build_block(&b, ts, part, 3); /* [0,10): 2 rows; [10,20): 1 */
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 0), 0);
    CHECK_EQ_INT(pipeline_set_watermark(p, 19999), 0);
    CHECK_EQ_INT(nkept, 2); /* both windows, by the rows' own times */
    int64_t late_ts[2] = {2000, 3000};
    int late_part[2] = {1, 0};
    build_block(&b, late_ts, late_part, 2);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 0), 0);
    CHECK_EQ_INT(window_agg_late_count(wa, 1), 1);
    CHECK_EQ_INT(window_agg_late_count(wa, 0), 1);
    buf_fini(&b);
    pipeline_destroy(p);
}

TEST(end_to_end_with_idle_partition)
{
    nrows = nerrors = 0;
    struct pipeline *p = make();
    struct buf b;
    buf_init(&b);
    const char *v1[] = {
        "{\"sensor\":\"s1\",\"value\":1,\"ts\":1000}",
        "{\"sensor\":\"s1\",\"value\":3,\"ts\":\"1970-01-01T00:00:04Z\"}",
        "{\"sensor\":\"s2\",\"value\":-5,\"ts\":2000}", /* filtered */
        "{\"sensor\":\"s2\",\"value\":10,\"ts\":9000}",
        "{\"sensor\":\"s1\",\"value\":oops}", /* dead letter */
        "{\"sensor\":\"s1\",\"value\":7,\"ts\":15000}",
    };
    build(&b, v1, 6, 0);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 100), 0);
    CHECK_EQ_INT(nerrors, 1);
    CHECK_EQ_INT(error_offset, 4);
    /* partition 1 has not spoken: no watermark, nothing fires */
    CHECK_EQ_INT(pipeline_tick(p, 1000), 0);
    CHECK_EQ_INT(nrows, 0);
    CHECK(pipeline_watermark(p) == WATERMARK_NONE);
    /* Partition 0 keeps delivering (a row the filter drops still moves
     * its watermark), so only partition 1 can go idle. */
    const char *v0[] = {"{\"sensor\":\"s2\",\"value\":-1,\"ts\":15000}"};
    build(&b, v0, 1, 0);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 3000), 0);
    /* Partition 1's idle clock started at the pipeline's first use (100),
     * not at 0: just under 5 s later it still holds the watermark back. */
    CHECK_EQ_INT(pipeline_tick(p, 5099), 0);
    CHECK(pipeline_watermark(p) == WATERMARK_NONE);
    /* 5 s of processing time later partition 1 is idle: wm = 15000-2000 */
    CHECK_EQ_INT(pipeline_tick(p, 5100), 0);
    CHECK_EQ_INT(pipeline_watermark(p), 13000);
    CHECK_EQ_INT(nrows, 2);
    CHECK(strcmp(rows[0], "S1|0|2|4") == 0 || strcmp(rows[1], "S1|0|2|4") == 0);
    CHECK(strcmp(rows[0], "S2|0|1|20") == 0 ||
          strcmp(rows[1], "S2|0|1|20") == 0);
    /* partition 1 rejoins; it now holds the watermark back again */
    const char *v2[] = {"{\"sensor\":\"s3\",\"value\":1,\"ts\":14000}"};
    build(&b, v2, 1, 0);
    CHECK_EQ_INT(push(p, 1, b.data, b.len, 6000), 0);
    CHECK_EQ_INT(pipeline_watermark(p), 13000);
    const char *v3[] = {"{\"sensor\":\"s1\",\"value\":1,\"ts\":30000}"};
    build(&b, v3, 1, 0);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 9000), 0);
    CHECK_EQ_INT(pipeline_watermark(p), 13000); /* min(28000, 12000) */
    CHECK_EQ_INT(pipeline_tick(p, 12000), 0);   /* p1 idle again */
    CHECK_EQ_INT(pipeline_watermark(p), 28000);
    CHECK_EQ_INT(nrows, 4);
    struct pipeline_stats st;
    pipeline_stats(p, &st);
    CHECK_EQ_INT(st.records_in, 9);
    CHECK_EQ_INT(st.decode_errors, 1);
    CHECK_EQ_INT(st.rows_in, 8); /* 7 + the filtered keep-alive row */
    CHECK_EQ_INT(st.rows_out, 4);
    /* a corrupted batch is skipped and counted */
    build(&b, v3, 1, 0);
    b.data[b.len - 3] ^= 0x55;
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 13000), 0);
    pipeline_stats(p, &st);
    CHECK_EQ_INT(st.corrupt_batches, 1);
    CHECK_EQ_INT(push(p, 7, b.data, b.len, 0), ERR_RANGE);
    buf_fini(&b);
    pipeline_destroy(p);
}

TEST(record_time_without_time_column)
{
    nrows = 0;
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    src.schema = &sch;
    src.time_column = -1;
    src.npartitions = 1;
    struct pipeline *p;
    CHECK_EQ_INT(pipeline_create(&src, &p), 0);
    struct window_agg_config w;
    memset(&w, 0, sizeof(w));
    w.window.kind = WINDOW_TUMBLE;
    w.window.size_ms = 1000;
    w.nkeys = 1;
    w.naggs = 2;
    w.aggs[0].func = AGG_COUNT_STAR;
    w.aggs[1].func = AGG_AVG;
    w.aggs[1].column = 1;
    /* the sink reads columns 0,1,3,4: give it key, start, end, count, avg */
    CHECK_EQ_INT(pipeline_add_window_agg(p, &w, NULL), 0);
    CHECK_EQ_INT(pipeline_set_sink(p, sink, NULL), 0);
    CHECK_EQ_INT(pipeline_add_filter(p, NULL, NULL), ERR_CLOSED);
    struct buf b;
    buf_init(&b);
    const char *v[] = {"{\"sensor\":\"a\",\"value\":2}",
                       "{\"sensor\":\"a\",\"value\":4}"};
    build(&b, v, 2, 5000); /* record timestamps 5000, 5001 */
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 0), 0);
    const char *v2[] = {"{\"sensor\":\"a\",\"value\":4}"};
    build(&b, v2, 1, 7000);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 0), 0);
    pipeline_tick(p, 0);
    CHECK_EQ_INT(nrows, 1);
    CHECK_EQ_STR(rows[0], "a|5000|2|3");
    buf_fini(&b);
    pipeline_destroy(p);
}

TEST(plan_errors)
{
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    struct pipeline *p;
    CHECK_EQ_INT(pipeline_create(&src, &p), ERR_INVALID);
    src.schema = &sch;
    src.npartitions = 1;
    src.time_column = 1; /* DOUBLE cannot be a time column */
    CHECK_EQ_INT(pipeline_create(&src, &p), ERR_INVALID);
    src.time_column = 2;
    CHECK_EQ_INT(pipeline_create(&src, &p), 0);
    struct expr_ctx *c;
    expr_ctx_create(pipeline_schema(p), 1024, &c);
    /* a non-boolean predicate */
    CHECK_EQ_INT(pipeline_add_filter(p, c, expr_column(c, 1)), ERR_INVALID);
    struct window_agg_config w;
    memset(&w, 0, sizeof(w));
    w.window.kind = WINDOW_HOP;
    w.window.size_ms = 10;
    w.window.slide_ms = 3;
    CHECK_EQ_INT(pipeline_add_window_agg(p, &w, NULL), ERR_INVALID);
    CHECK_EQ_INT(pipeline_tick(p, 0), ERR_CLOSED);
    pipeline_destroy(p);
}

TEST(compressed_batches_back_to_back)
{
    nrows = nerrors = 0;
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    src.schema = &sch;
    src.time_column = 2;
    src.npartitions = 1;
    struct pipeline *p;
    CHECK_EQ_INT(pipeline_create(&src, &p), 0);
    struct window_agg_config w;
    memset(&w, 0, sizeof(w));
    w.window.kind = WINDOW_TUMBLE;
    w.window.size_ms = 10000;
    w.nkeys = 1;
    w.naggs = 2;
    w.aggs[0].func = AGG_COUNT_STAR;
    w.aggs[1].func = AGG_AVG;
    w.aggs[1].column = 1;
    CHECK_EQ_INT(pipeline_add_window_agg(p, &w, NULL), 0);
    CHECK_EQ_INT(pipeline_set_sink(p, sink, NULL), 0);
    /* Two zstd batches in one buffer: the second decompresses into the
     * scratch buffer the first batch's rows borrowed. */
    struct buf all;
    buf_init(&all);
    const char *names[2] = {"first-sensor", "other-thing!"};
    for (int k = 0; k < 2; k++) {
        struct record_batch_builder b;
        record_batch_builder_init(&b, COMPRESS_ZSTD);
        char v[128];
        int n =
            snprintf(v, sizeof(v), "{\"sensor\":\"%s\",\"value\":%d,\"ts\":%d}",
                     names[k], k + 1, 1000 + k);
        struct slice sv = {(const uint8_t *)v, (size_t)n};
        record_batch_builder_add(&b, NULL, &sv, 0, NULL, 0);
        CHECK_EQ_INT(record_batch_builder_finish(&b, &all), 0);
        record_batch_builder_fini(&b);
    }
    CHECK_EQ_INT(push(p, 0, all.data, all.len, 0), 0);
    CHECK_EQ_INT(pipeline_end_of_input(p), 0);
    CHECK_EQ_INT(nrows, 2);
    CHECK(strcmp(rows[0], "first-sensor|0|1|1") == 0 ||
          strcmp(rows[1], "first-sensor|0|1|1") == 0);
    CHECK(strcmp(rows[0], "other-thing!|0|1|2") == 0 ||
          strcmp(rows[1], "other-thing!|0|1|2") == 0);
    buf_fini(&all);
    pipeline_destroy(p);
}

static int nkept;
static int count_sink(void *arg, const struct row_batch *b)
{
    (void)arg;
    nkept += b->nrows;
    return 0;
}

/* WHERE ts > CURRENT_WATERMARK(ts): rows behind the watermark are dropped
 * by the filter (the watermark the filter sees is the one before the
 * batch). */
TEST(current_watermark_filter)
{
    nkept = 0;
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    src.schema = &sch;
    src.time_column = 2;
    src.npartitions = 1;
    src.watermark_delay_ms = 1000;
    struct pipeline *p;
    CHECK_EQ_INT(pipeline_create(&src, &p), 0);
    struct expr_ctx *c;
    expr_ctx_create(pipeline_schema(p), pipeline_capacity(p), &c);
    struct expr *ts = expr_column_named(c, "ts");
    struct expr *cw = expr_func(c, EXPR_FN_CURRENT_WATERMARK, &ts, 1);
    struct expr *keep = expr_binary(c, EXPR_OR, expr_unary(c, EXPR_IS_NULL, cw),
                                    expr_binary(c, EXPR_GT, ts, cw));
    CHECK(keep != NULL);
    CHECK_EQ_INT(pipeline_add_filter(p, c, keep), 0);
    CHECK_EQ_INT(pipeline_set_sink(p, count_sink, NULL), 0);
    struct buf b;
    buf_init(&b);
    const char *v1[] = {"{\"sensor\":\"a\",\"value\":1,\"ts\":5000}"};
    build(&b, v1, 1, 0);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 0), 0);
    CHECK_EQ_INT(nkept, 1); /* no watermark yet: NULL, kept */
    CHECK_EQ_INT(pipeline_watermark(p), 4000);
    const char *v2[] = {"{\"sensor\":\"a\",\"value\":1,\"ts\":3000}",
                        "{\"sensor\":\"a\",\"value\":1,\"ts\":4500}"};
    build(&b, v2, 2, 0);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 0), 0);
    CHECK_EQ_INT(nkept, 2); /* 3000 <= 4000 dropped, 4500 kept */
    buf_fini(&b);
    pipeline_destroy(p);
}

static struct pipeline *make_simple(const struct schema *s,
                                    enum pipeline_format f, int time_col)
{
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    src.schema = s;
    src.format = f;
    src.time_column = time_col;
    src.npartitions = 1;
    struct pipeline *p;
    CHECK_EQ_INT(pipeline_create(&src, &p), 0);
    struct window_agg_config w;
    memset(&w, 0, sizeof(w));
    w.window.kind = WINDOW_TUMBLE;
    w.window.size_ms = 10000;
    w.nkeys = 1;
    w.naggs = 2;
    w.aggs[0].func = AGG_COUNT_STAR;
    w.aggs[1].func = AGG_AVG;
    w.aggs[1].column = 1;
    CHECK_EQ_INT(pipeline_add_window_agg(p, &w, NULL), 0);
    CHECK_EQ_INT(pipeline_set_sink(p, sink, NULL), 0);
    pipeline_set_error_handler(p, on_error, NULL);
    return p;
}

TEST(csv_and_senml_sources)
{
    nrows = nerrors = 0;
    struct pipeline *p = make_simple(&sch, PIPELINE_FORMAT_CSV, 2);
    struct buf b;
    buf_init(&b);
    const char *lines[] = {"s1,2.5,1970-01-01T00:00:01Z",
                           "s1,3.5,1970-01-01T00:00:02Z", "s1,x,y",
                           "s2,1,1970-01-01T00:00:03Z"};
    build(&b, lines, 4, 0);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 0), 0);
    CHECK_EQ_INT(pipeline_end_of_input(p), 0);
    CHECK_EQ_INT(nerrors, 1);
    CHECK_EQ_INT(nrows, 2);
    CHECK(strcmp(rows[0], "s1|0|2|3") == 0 || strcmp(rows[1], "s1|0|2|3") == 0);
    pipeline_destroy(p);

    nrows = nerrors = 0;
    struct schema ss;
    schema_init(&ss);
    schema_add(&ss, "name", SCHEMA_STRING, false, NULL);
    schema_add(&ss, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&ss, "ts", SCHEMA_TIMESTAMP, true, NULL);
    p = make_simple(&ss, PIPELINE_FORMAT_SENML, 2);
    const char *packs[] = {
        "[{\"bn\":\"dev1:\",\"bt\":1700000000,\"n\":\"temp\",\"v\":20},"
        "{\"n\":\"temp\",\"v\":22,\"t\":1},{\"n\":\"hum\",\"v\":50,\"t\":2}]"};
    build(&b, packs, 1, 0);
    CHECK_EQ_INT(push(p, 0, b.data, b.len, 0), 0);
    CHECK_EQ_INT(pipeline_end_of_input(p), 0);
    CHECK_EQ_INT(nerrors, 0);
    CHECK_EQ_INT(nrows, 2);
    CHECK(strcmp(rows[0], "dev1:temp|1700000000000|2|21") == 0 ||
          strcmp(rows[1], "dev1:temp|1700000000000|2|21") == 0);
    buf_fini(&b);
    pipeline_destroy(p);
}

int main(void)
{
    schema_init(&sch);
    schema_add(&sch, "sensor", SCHEMA_STRING, false, NULL);
    schema_add(&sch, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(&sch, "ts", SCHEMA_TIMESTAMP, true, NULL);
    RUN(end_to_end_with_idle_partition);
    RUN(external_watermark);
    RUN(binary_row_blocks);
    RUN(record_time_without_time_column);
    RUN(plan_errors);
    RUN(csv_and_senml_sources);
    RUN(compressed_batches_back_to_back);
    RUN(current_watermark_filter);
    return harness_summary("test_pipeline");
}
