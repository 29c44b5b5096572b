/* log_append.c - G7: the embedded log's append API, in-process.
 *
 * One RecordBatch of 1000 records of 200-byte values is built once and
 * appended again and again (the partition rewrites its baseOffset in place
 * and verifies its CRC on every append, as for a producer's batch).
 * Figures are records per second per core of user+sys CPU (getrusage,
 * every thread of the process) over a bounded run:
 *   log_append       to the page cache (no fsync)
 *   log_append_sync  fdatasync at least every 1 MiB (the appender waits
 *                    for durability after each MiB; one fsync covers it)
 *   log_append_acks_all  8 threads, batches of 100, each append waits
 *                    for its fsync (group commit by the flusher thread)
 * Retention keeps the data directory under ~1 GiB. Usage: log_append [secs]
 */
#include <pthread.h>
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

#define RECORDS 1000
#define VALUE_BYTES 200

static void build(struct buf *out)
{
    struct record_batch_builder b;
    record_batch_builder_init(&b, 0);
    char v[VALUE_BYTES];
    int64_t ts = clock_now_ms();
    for (int i = 0; i < RECORDS; i++) {
        memset(v, 'a' + i % 26, sizeof v);
        snprintf(v, 16, "%d", i);
        struct slice key = slice_make("sensor-0001", 11);
        struct slice val = slice_make(v, sizeof v);
        record_batch_builder_add(&b, &key, &val, ts + i, NULL, 0);
    }
    record_batch_builder_finish(&b, out);
    record_batch_builder_fini(&b);
}

static int run(const char *name, bool sync_mib, double secs)
{
    char dir[] = "/tmp/rill-bench-append.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true; /* the appender syncs itself in the sync mode */
    o.flush_interval_ms = 0;
    o.recovery_point_ms = 0;
    o.retention_check_ms = 0;
    struct logdir *ld;
    int rc = logdir_open(dir, &o, &ld);
    if (rc) {
        fprintf(stderr, "logdir_open: %s\n", err_str(rc));
        return 1;
    }
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.segment_bytes = 128 << 20;
    c.retention_bytes = 768 << 20;
    logdir_topic_create(ld, "bench", &c);
    struct partition *p = logdir_partition(ld, "bench", 0);
    struct buf batch;
    buf_init(&batch);
    build(&batch);

    double c0 = bench_cpu_s();
    int64_t t0 = clock_mono_ns(), since_sync = 0, records = 0;
    int64_t deadline = t0 + (int64_t)(secs * 1e9);
    int64_t bytes = 0;
    for (long i = 0;; i++) {
        rc = partition_append(p, batch.data, batch.len, NULL);
        if (rc) {
            fprintf(stderr, "append: %s\n", err_str(rc));
            break;
        }
        records += RECORDS;
        bytes += (int64_t)batch.len;
        since_sync += (int64_t)batch.len;
        if (sync_mib && since_sync + (int64_t)batch.len > (1 << 20)) {
            rc = partition_wait_durable(p, partition_high_watermark(p), -1);
            since_sync = 0;
            if (rc) {
                fprintf(stderr, "sync: %s\n", err_str(rc));
                break;
            }
        }
        if ((i & 63) == 63) {
            logdir_retention_run(ld, clock_now_ms());
            if (clock_mono_ns() > deadline)
                break;
        }
    }
    double wall = (double)(clock_mono_ns() - t0) / 1e9;
    double cpu = bench_cpu_s() - c0;
    printf("%s records_per_s_per_core=%.0f records_per_s=%.0f cpu_s=%.2f "
           "wall_s=%.2f record_bytes=%d batch_records=%d batch_bytes=%zu "
           "mib_per_s=%.0f%s\n",
           name, (double)records / cpu, (double)records / wall, cpu, wall,
           VALUE_BYTES, RECORDS, batch.len, (double)bytes / wall / 1048576,
           sync_mib ? " fdatasync_every_bytes=1048576" : "");
    buf_fini(&batch);
    logdir_close(ld);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return rc ? 1 : 0;
}

/* Group commit: WRITERS threads each append a batch of GC_RECORDS records
 * and wait until it is durable before the next one (acks=all); the flusher
 * thread's one fdatasync per round covers every waiting append. */
#define WRITERS 8
#define GC_RECORDS 100

struct gc_arg {
    struct partition *p;
    int64_t deadline_ns;
    long records;
    int rc;
};

static void *gc_writer(void *arg)
{
    struct gc_arg *a = arg;
    struct record_batch_builder b;
    struct buf batch;
    buf_init(&batch);
    record_batch_builder_init(&b, 0);
    char v[VALUE_BYTES];
    memset(v, 'g', sizeof v);
    for (int i = 0; i < GC_RECORDS; i++) {
        struct slice val = slice_make(v, sizeof v);
        record_batch_builder_add(&b, NULL, &val, clock_now_ms(), NULL, 0);
    }
    record_batch_builder_finish(&b, &batch);
    record_batch_builder_fini(&b);
    while (clock_mono_ns() < a->deadline_ns) {
        int64_t base;
        a->rc = partition_append(a->p, batch.data, batch.len, &base);
        if (a->rc == 0)
            a->rc = partition_wait_durable(a->p, base + GC_RECORDS, 10000);
        if (a->rc)
            break;
        a->records += GC_RECORDS;
    }
    buf_fini(&batch);
    return NULL;
}

static int run_group_commit(double secs)
{
    char dir[] = "/tmp/rill-bench-gc.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    struct logdir_options o;
    logdir_options_init(&o);
    o.flush_interval_ms = 0; /* only on request: every append asks */
    o.recovery_point_ms = 1000;
    struct logdir *ld;
    if (logdir_open(dir, &o, &ld) != 0)
        return 1;
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.segment_bytes = 128 << 20;
    c.retention_bytes = 256 << 20;
    logdir_topic_create(ld, "bench", &c);
    struct partition *p = logdir_partition(ld, "bench", 0);
    struct gc_arg args[WRITERS];
    pthread_t th[WRITERS];
    double c0 = bench_cpu_s();
    int64_t t0 = clock_mono_ns();
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (struct gc_arg){p, t0 + (int64_t)(secs * 1e9), 0, 0};
        pthread_create(&th[i], NULL, gc_writer, &args[i]);
    }
    long records = 0;
    int rc = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        records += args[i].records;
        rc |= args[i].rc;
    }
    double wall = (double)(clock_mono_ns() - t0) / 1e9;
    double cpu = bench_cpu_s() - c0;
    printf("log_append_acks_all records_per_s_per_core=%.0f records_per_s=%.0f "
           "acks_per_s=%.0f cpu_s=%.2f wall_s=%.2f record_bytes=%d "
           "batch_records=%d writers=%d\n",
           (double)records / cpu, (double)records / wall,
           (double)records / GC_RECORDS / wall, cpu, wall, VALUE_BYTES,
           GC_RECORDS, WRITERS);
    logdir_retention_run(ld, clock_now_ms());
    logdir_close(ld);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    diag_set_level(DIAG_WARN); /* retention logs each deleted segment */
    int rc = run("log_append", false, secs);
    rc |= run("log_append_sync", true, secs);
    rc |= run_group_commit(secs);
    return rc;
}
