/* log_clean.c - the log cleaner's throughput, in-process (compacted
 * topics, docs/log.md "Compacted topics").
 *
 * Fills one compacted partition with keyed 200-byte records (batches of
 * 100, KEYS distinct keys written over and over, 16 MiB segments, all
 * closed), fsyncs it, then times one forced cleaning pass, unthrottled
 * (logdir_clean_run with log.cleaner.io.max.bytes.per.second = 0).
 * Prints the log bytes cleaned per second of wall clock (the size of the
 * dirty log over the pass's duration) and per second of the pass's CPU,
 * with what it read and wrote. Usage: log_clean [records] [keys]
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

#define BATCH 100
#define VALUE_BYTES 200

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : 1000000;
    long keys = argc > 2 ? atol(argv[2]) : 100000;
    diag_set_level(DIAG_WARN);
    char dir[] = "/tmp/rill-bench-clean.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    o.cleaner_backoff_ms = 0;
    o.cleaner_io_bytes_per_sec = 0;
    o.cleaner_dedupe_bytes = 64 << 20;
    struct logdir *ld;
    if (logdir_open(dir, &o, &ld) != 0)
        return 1;
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.cleanup_policy = LOGDIR_CLEANUP_COMPACT;
    c.segment_bytes = 16 << 20;
    c.retention_ms = -1;
    if (logdir_topic_create(ld, "t", &c) != 0)
        return 1;
    struct partition *p = logdir_partition(ld, "t", 0);
    struct record_batch_builder b;
    struct buf out;
    buf_init(&out);
    record_batch_builder_init(&b, 0);
    char key[32], value[VALUE_BYTES];
    memset(value, 'v', sizeof value);
    int64_t now = clock_now_ms();
    for (long i = 0; i < total; i += BATCH) {
        record_batch_builder_reset(&b);
        for (long j = i; j < i + BATCH && j < total; j++) {
            int n = snprintf(key, sizeof key, "key-%ld", j % keys);
            struct slice k = slice_make(key, (size_t)n);
            struct slice v = slice_make(value, sizeof value);
            record_batch_builder_add(&b, &k, &v, now, NULL, 0);
        }
        buf_reset(&out);
        record_batch_builder_finish(&b, &out);
        if (partition_append(p, out.data, out.len, NULL) != 0)
            return 1;
    }
    partition_roll(p);
    logdir_flush(ld);
    int64_t size0 = partition_size_bytes(p);
    double c0 = bench_cpu_s();
    int64_t t0 = clock_mono_ms();
    struct logdir_clean_stats st;
    int rc = logdir_clean_run(ld, now, true, &st);
    int64_t t1 = clock_mono_ms();
    double c1 = bench_cpu_s();
    double wall = (double)(t1 - t0) / 1000.0, cpu = c1 - c0;
    if (wall <= 0)
        wall = 0.001;
    printf("log_clean mb_per_s=%.1f mb_per_cpu_s=%.1f log_mb=%.1f "
           "after_mb=%.1f read_mb=%.1f records=%ld keys=%ld removed=%lld "
           "wall_s=%.2f segments=%lld rc=%d\n",
           (double)size0 / 1e6 / wall,
           (double)size0 / 1e6 / (cpu > 0 ? cpu : wall), (double)size0 / 1e6,
           (double)partition_size_bytes(p) / 1e6, (double)st.bytes_read / 1e6,
           total, keys, (long long)st.records_removed, wall,
           (long long)st.segments, rc);
    record_batch_builder_fini(&b);
    buf_fini(&out);
    logdir_close(ld);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
