/* log_read.c - G7: sequential reads from the embedded log, in-process.
 *
 * Fills a partition with 200-byte records (batches of 1000), then reads it
 * from offset 0 with partition_read_copy (1 MiB at a time, from the page
 * cache) and walks every record (CRC-32C checked per batch, then the record
 * iterator: key, value, timestamp, offset). Reports records per second per
 * core of user+sys CPU for the read phase only (PASSES passes over the
 * data). Also times logdir_open on the result: after a clean close and
 * with the recovery point lost (log_recover). Usage: log_read [records]
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

#define RECORDS 1000
#define VALUE_BYTES 200
#define PASSES 5

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : 3000000;
    diag_set_level(DIAG_WARN);
    char dir[] = "/tmp/rill-bench-read.XXXXXX";
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
    c.segment_bytes = 128 << 20;
    logdir_topic_create(ld, "bench", &c);
    struct partition *p = logdir_partition(ld, "bench", 0);

    struct record_batch_builder b;
    record_batch_builder_init(&b, 0);
    char v[VALUE_BYTES];
    memset(v, 'x', sizeof v);
    for (int i = 0; i < RECORDS; i++) {
        struct slice key = slice_make("sensor-0001", 11);
        struct slice val = slice_make(v, sizeof v);
        record_batch_builder_add(&b, &key, &val, 1700000000000LL + i, NULL, 0);
    }
    struct buf batch;
    buf_init(&batch);
    record_batch_builder_finish(&b, &batch);
    record_batch_builder_fini(&b);
    for (long n = 0; n < total; n += RECORDS)
        if (partition_append(p, batch.data, batch.len, NULL) != 0)
            return 1;
    int64_t hwm = partition_high_watermark(p);

    struct buf data;
    buf_init(&data);
    double c0 = bench_cpu_s();
    int64_t t0 = clock_mono_ns(), off = 0, records = 0;
    uint64_t checksum = 0;
    for (int pass = 0; pass < PASSES; pass++, off = 0)
        while (off < hwm) {
            buf_reset(&data);
            int64_t next;
            int rc = partition_read_copy(p, off, 1 << 20, &data, &next);
            if (rc < 0 || data.len == 0) {
                fprintf(stderr, "read: %s\n", err_str(rc));
                return 1;
            }
            struct record_batch_walk w;
            record_batch_walk_init(&w, data.data, data.len);
            struct record_batch_header h;
            const uint8_t *bp;
            size_t bl;
            while (record_batch_walk_next(&w, &h, &bp, &bl) == 1) {
                if (record_batch_verify(bp, bl) != 0)
                    return 1;
                struct record_iter it;
                struct record r;
                if (record_iter_init(&it, bp, bl, NULL) != 0)
                    return 1;
                while (record_iter_next(&it, &r) == 1) {
                    checksum += (uint64_t)r.offset + r.value.len + r.key.len +
                                (uint64_t)r.timestamp;
                    records++;
                }
            }
            off = next;
        }
    double wall = (double)(clock_mono_ns() - t0) / 1e9;
    double cpu = bench_cpu_s() - c0;
    printf("log_read records_per_s_per_core=%.0f records_per_s=%.0f "
           "cpu_s=%.2f wall_s=%.2f records=%lld record_bytes=%d "
           "batch_records=%d passes=%d crc_checked=1 checksum=%llu\n",
           (double)records / cpu, (double)records / wall, cpu, wall,
           (long long)records, VALUE_BYTES, RECORDS, PASSES,
           (unsigned long long)checksum);
    buf_fini(&data);
    buf_fini(&batch);
    int64_t bytes = partition_size_bytes(p);
    logdir_close(ld);

    /* Recovery time of the same directory (page cache warm): after a clean
     * close (recovery point = log end), and with the recovery point lost
     * (every segment walked with its CRC, the worst case after a crash). */
    int64_t r0 = clock_mono_ns();
    if (logdir_open(dir, &o, &ld) != 0)
        return 1;
    double clean_ms = (double)(clock_mono_ns() - r0) / 1e6;
    logdir_close(ld);
    char cp[128];
    snprintf(cp, sizeof cp, "%s/recovery-point-offset-checkpoint", dir);
    unlink(cp);
    r0 = clock_mono_ns();
    if (logdir_open(dir, &o, &ld) != 0)
        return 1;
    double walk_ms = (double)(clock_mono_ns() - r0) / 1e6;
    bool same =
        partition_high_watermark(logdir_partition(ld, "bench", 0)) == hwm;
    logdir_close(ld);
    printf("log_recover clean_open_ms=%.1f lost_recovery_point_open_ms=%.1f "
           "bytes=%lld segment_bytes=%d recovered_all=%d\n",
           clean_ms, walk_ms, (long long)bytes, 128 << 20, same);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) != 0;
}
