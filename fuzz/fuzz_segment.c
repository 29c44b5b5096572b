/* fuzz_segment.c - libFuzzer target for segment files: recovery and reads
 * of arbitrary bytes (layer: log, test only).
 *
 * Each input becomes the .log file(s) of a one-partition topic in a fresh
 * temporary data directory: byte 0 selects a mode, the rest is split into
 * one segment, or two segments (the first "below the recovery point", with
 * the input as its damaged .index/.timeindex, so index validation runs).
 * Then logdir_open recovers it, and everything recovered is read back and
 * must verify from the recovery point on (nothing invalid served; below
 * it the log trusts what it verified before the fsync); lookups by
 * timestamp and one more append must work. Nothing may crash, leak or
 * read out of bounds.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/diag.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    if (n && write(fd, p, n) != (ssize_t)n)
        perror(path);
    close(fd);
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Batches from verify_from on must pass their CRC; below it (the recovery
 * point) the log trusts what was verified before it was fsynced. */
static void check_all(struct partition *p, int64_t verify_from)
{
    struct buf data;
    buf_init(&data);
    int64_t off = partition_log_start_offset(p);
    int64_t hwm = partition_high_watermark(p);
    while (off < hwm) {
        buf_reset(&data);
        int64_t next = off;
        if (partition_read_copy(p, off, 1 << 16, &data, &next) < 0 ||
            next <= off)
            abort(); /* recovered data must be readable, and progress */
        struct record_batch_walk w;
        record_batch_walk_init(&w, data.data, data.len);
        struct record_batch_header h;
        const uint8_t *bp;
        size_t bl;
        while (record_batch_walk_next(&w, &h, &bp, &bl) == 1)
            if (h.base_offset >= verify_from &&
                record_batch_verify(bp, bl) != 0)
                abort(); /* something invalid was served */
        if (w.truncated || w.pos != data.len)
            abort();
        off = next;
    }
    buf_fini(&data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        diag_set_level(DIAG_ERROR);
        quiet = true;
    }
    char dir[] = "/tmp/rill-fuzz-segment.XXXXXX";
    if (!mkdtemp(dir))
        return 0;
    uint8_t mode = size ? data[0] : 0;
    const uint8_t *body = size ? data + 1 : data;
    size_t n = size ? size - 1 : 0;

    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    o.recovery_point_ms = 0;
    struct logdir *ld;
    if (logdir_open(dir, &o, &ld) != 0)
        goto out_rm;
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.index_interval_bytes = 64;
    logdir_topic_create(ld, "f", &c);
    logdir_close(ld);

    char path[256];
    int64_t verify_from = 0;
    if (mode & 1) {
        size_t half = n / 2;
        snprintf(path, sizeof path, "%s/f-0/00000000000000000000.log", dir);
        put_file(path, body, half);
        snprintf(path, sizeof path, "%s/f-0/00000000000000000000.index", dir);
        put_file(path, body + half, n - half);
        snprintf(path, sizeof path, "%s/f-0/00000000000000000000.timeindex",
                 dir);
        put_file(path, body, n);
        /* The second segment's base: a plausible offset from the input. */
        unsigned base = mode >> 1;
        snprintf(path, sizeof path, "%s/f-0/%020u.log", dir, base);
        put_file(path, body + half, n - half);
        snprintf(path, sizeof path, "%s/recovery-point-offset-checkpoint", dir);
        char cp[64];
        int k = snprintf(cp, sizeof cp, "0\n1\nf 0 %u\n", base + 1);
        verify_from = base + 1;
        put_file(path, cp, (size_t)k);
    } else {
        snprintf(path, sizeof path, "%s/f-0/00000000000000000000.log", dir);
        put_file(path, body, n);
        snprintf(path, sizeof path, "%s/recovery-point-offset-checkpoint", dir);
        unlink(path);
    }

    if (logdir_open(dir, &o, &ld) != 0)
        goto out_rm;
    struct partition *p = logdir_partition(ld, "f", 0);
    if (p) {
        check_all(p, verify_from);
        int64_t ts_off;
        partition_offset_for_timestamp(p, 0, &ts_off);
        partition_offset_for_timestamp(p, INT64_MAX, &ts_off);
        /* The recovered partition accepts appends. */
        struct record_batch_builder b;
        struct buf out;
        buf_init(&out);
        record_batch_builder_init(&b, 0);
        struct slice v = slice_make("after", 5);
        record_batch_builder_add(&b, NULL, &v, 1, NULL, 0);
        record_batch_builder_finish(&b, &out);
        record_batch_builder_fini(&b);
        int64_t hwm = partition_high_watermark(p), base = -1;
        if (partition_append(p, out.data, out.len, &base) != 0 || base != hwm)
            abort();
        buf_fini(&out);
        check_all(p, verify_from);
    }
    logdir_close(ld);
out_rm:
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
