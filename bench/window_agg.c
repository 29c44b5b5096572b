/* window_agg.c - G1 family / G5: windowed aggregation end to end from the
 * embedded log.
 *
 * Writes N JSON readings (~150 B, 2,000 sensors, one reading per sensor
 * per second with up to 1 s of disorder) into a partition (not timed),
 * then times: partition_read_copy (1 MiB) -> CRC-32C check per batch ->
 * record iteration -> schema-driven JSON decode -> TUMBLE(10 s) AVG, MIN,
 * MAX, COUNT per sensor_id with a 5 s watermark delay -> a sink that
 * checks every window's COUNT against an offline recount. Reports events
 * per second per core (user+sys CPU of the timed phase).
 * Second figure: memory per million window aggregates, the RSS delta
 * while 1M (sensor, window) states are live (no watermark), divided out.
 * Usage: window_agg [records]   (default 5,000,000; the machine is shared,
 * so figures are indicative)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_util.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/err.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "connect/local_log.h"
#include "stream/pipeline.h"

#define SENSORS 2000
#define WINDOW_MS 10000
#define BASE_TS 1700000000000LL
#define BATCH_RECORDS 1000

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Offline recount: expected[sensor * nwin + window]. */
static uint16_t *expected;
static long nwin;
static long windows_seen, mismatches;
static long long events_counted;

static int check_sink(void *arg, const struct row_batch *b)
{
    (void)arg;
    for (int r = 0; r < b->nrows; r++) {
        struct row_str s = b->columns[0].data.str[r];
        long sensor = 0; /* "sensor-00042": not NUL-terminated */
        for (uint32_t k = 7; k < s.len; k++)
            sensor = sensor * 10 + (s.ptr[k] - '0');
        if (sensor < 0 || sensor >= SENSORS) {
            mismatches++;
            continue;
        }
        long w = (b->columns[1].data.i64[r] - BASE_TS) / WINDOW_MS;
        int64_t count = b->columns[6].data.i64[r];
        windows_seen++;
        events_counted += count;
        if (w < 0 || w >= nwin || expected[sensor * nwin + w] != count)
            mismatches++;
    }
    return 0;
}

static void schema_make(struct schema *s)
{
    schema_init(s);
    schema_add(s, "sensor_id", SCHEMA_STRING, false, NULL);
    schema_add(s, "machine_id", SCHEMA_STRING, true, NULL);
    schema_add(s, "kind", SCHEMA_STRING, true, NULL);
    schema_add(s, "value", SCHEMA_DOUBLE, true, NULL);
    schema_add(s, "ts", SCHEMA_TIMESTAMP, false, NULL);
}

static void window_cfg(struct window_agg_config *w)
{
    memset(w, 0, sizeof(*w));
    w->window.kind = WINDOW_TUMBLE;
    w->window.size_ms = WINDOW_MS;
    w->nkeys = 1;
    w->keys[0] = 0;
    w->naggs = 4;
    enum agg_func fs[4] = {AGG_AVG, AGG_MIN, AGG_MAX, AGG_COUNT};
    for (int i = 0; i < 4; i++) {
        w->aggs[i].func = fs[i];
        w->aggs[i].column = 3;
    }
}

/* G5: RSS per million live (sensor, window) aggregates. */
static void memory_phase(const struct schema *s)
{
    struct window_agg_config w;
    window_cfg(&w);
    struct window_agg *wa;
    if (window_agg_create(s, &w, NULL, NULL, &wa) != 0)
        return;
    struct row_batch *b;
    row_batch_create(s, 4096, &b);
    row_batch_set_time_column(b, 4);
    static char names[SENSORS][24];
    for (int i = 0; i < SENSORS; i++)
        snprintf(names[i], sizeof(names[i]), "sensor-%05d", i);
    long target = 1000000, groups = 0;
    long rss0 = bench_rss_bytes();
    for (long win = 0; groups < target; win++) {
        for (int i = 0; i < SENSORS; i++) {
            int r = row_batch_begin_row(b);
            if (r < 0) {
                window_agg_push(wa, b);
                row_batch_reset(b);
                r = row_batch_begin_row(b);
            }
            row_batch_set(b, r, 0, value_string(names[i], 12));
            row_batch_set(b, r, 1, value_null());
            row_batch_set(b, r, 2, value_null());
            row_batch_set(b, r, 3, value_double((double)(i % 100)));
            row_batch_set(b, r, 4, value_timestamp(BASE_TS + win * WINDOW_MS));
            row_batch_commit_row(b, NULL);
            groups++;
        }
    }
    window_agg_push(wa, b);
    long rss1 = bench_rss_bytes();
    struct window_agg_stats st;
    window_agg_stats(wa, &st);
    double per_m = (double)(rss1 - rss0) / ((double)st.groups_live / 1e6) /
                   (1024.0 * 1024.0);
    printf("window_agg_memory mb_per_million_window_aggregates=%.1f "
           "bytes_per_window=%.0f accounted_bytes_per_window=%.0f "
           "windows_live=%llu aggregates_per_window=4 "
           "mb_per_million_aggregate_values=%.1f\n",
           per_m, (double)(rss1 - rss0) / (double)st.groups_live,
           (double)st.state_bytes / (double)st.groups_live,
           (unsigned long long)st.groups_live, per_m / 4);
    row_batch_destroy(b);
    window_agg_destroy(wa);
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : 5000000;
    total -= total % SENSORS;
    if (total <= 0)
        return 1;
    diag_set_level(DIAG_WARN);
    struct schema sch;
    schema_make(&sch);
    memory_phase(&sch);

    char dir[] = "/tmp/rill-bench-window.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    o.flush_interval_ms = 0;
    o.recovery_point_ms = 0;
    struct logdir *ld;
    if (logdir_open(dir, &o, &ld) != 0)
        return 1;
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.segment_bytes = 256 << 20;
    c.max_message_bytes = 4 << 20;
    logdir_topic_create(ld, "readings", &c);
    struct partition *p = logdir_partition(ld, "readings", 0);

    /* Write (not timed). */
    nwin = (total / SENSORS) * 1000 / WINDOW_MS + 2;
    expected = calloc((size_t)(SENSORS * nwin), sizeof(uint16_t));
    struct record_batch_builder rb;
    record_batch_builder_init(&rb, 0);
    struct buf batch;
    buf_init(&batch);
    long bytes = 0;
    for (long i = 0; i < total; i++) {
        long sensor = i % SENSORS, second = i / SENSORS;
        int64_t ts = BASE_TS + second * 1000 + (int64_t)(rnd() % 1000);
        char v[200], key[16];
        int kn = snprintf(key, sizeof(key), "sensor-%05ld", sensor);
        int n =
            snprintf(v, sizeof(v),
                     "{\"sensor_id\":\"%s\",\"machine_id\":\"machine-%03ld\","
                     "\"kind\":\"temperature\",\"value\":%ld.%02ld,"
                     "\"unit\":\"celsius\",\"site\":\"plant-north-7\","
                     "\"ts\":%lld}",
                     key, sensor / 20, 15 + (long)(rnd() % 20),
                     (long)(rnd() % 100), (long long)ts);
        bytes += n;
        expected[sensor * nwin + (ts - BASE_TS) / WINDOW_MS]++;
        struct slice ks = slice_make(key, (size_t)kn);
        struct slice vs = slice_make(v, (size_t)n);
        record_batch_builder_add(&rb, &ks, &vs, ts, NULL, 0);
        if (record_batch_builder_count(&rb) == BATCH_RECORDS ||
            i + 1 == total) {
            buf_reset(&batch);
            record_batch_builder_finish(&rb, &batch);
            record_batch_builder_reset(&rb);
            if (partition_append(p, batch.data, batch.len, NULL) != 0) {
                fprintf(stderr, "append failed\n");
                return 1;
            }
        }
    }
    record_batch_builder_fini(&rb);
    int64_t hwm = partition_high_watermark(p);

    /* The query. */
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    src.schema = &sch;
    src.time_column = 4;
    src.npartitions = 1;
    src.watermark_delay_ms = 5000;
    src.batch_capacity = 1024;
    struct pipeline *pl;
    if (pipeline_create(&src, &pl) != 0)
        return 1;
    struct window_agg_config w;
    window_cfg(&w);
    struct window_agg *wa;
    if (pipeline_add_window_agg(pl, &w, &wa) != 0 ||
        pipeline_set_sink(pl, check_sink, NULL) != 0)
        return 1;

    /* Read as the runtime reads: through the local log's reader (views
     * of the segment, CRC checked). */
    struct stream_log log;
    local_log_init(&log, ld);
    struct stream_reader *rd;
    if (stream_log_reader(&log, "readings", 0, 0, &rd) != 0)
        return 1;
    double c0 = bench_cpu_s();
    int64_t t0 = clock_mono_ns(), off = 0;
    while (off < hwm) {
        struct stream_chunk ch;
        int rc = stream_reader_read(rd, off, 1 << 20, &ch);
        if (rc <= 0) {
            fprintf(stderr, "read: %s\n", err_str(rc));
            return 1;
        }
        rc = pipeline_push(pl, 0, ch.records, 0, NULL, NULL);
        if (rc) {
            fprintf(stderr, "push: %s\n", err_str(rc));
            return 1;
        }
        off = ch.next_offset;
        stream_reader_release(rd);
    }
    pipeline_end_of_input(pl);
    double wall = (double)(clock_mono_ns() - t0) / 1e9;
    double cpu = bench_cpu_s() - c0;
    struct pipeline_stats st;
    pipeline_stats(pl, &st);
    long expected_windows = 0;
    for (long i = 0; i < SENSORS * nwin; i++)
        expected_windows += expected[i] != 0;
    int ok = mismatches == 0 && events_counted == total &&
             windows_seen == expected_windows && st.decode_errors == 0;
    printf("window_agg events_per_s_per_core=%.0f events_per_s=%.0f "
           "cpu_s=%.2f wall_s=%.2f events=%ld avg_record_bytes=%ld "
           "windows=%ld sensors=%d window_s=%d crc_checked=1 "
           "recount=%s\n",
           (double)total / cpu, (double)total / wall, cpu, wall, total,
           bytes / total, windows_seen, SENSORS, WINDOW_MS / 1000,
           ok ? "ok" : "MISMATCH");
    stream_reader_close(rd);
    buf_fini(&batch);
    pipeline_destroy(pl);
    free(expected);
    logdir_close(ld);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return ok ? 0 : 1;
}
