/* test_partition.c - partitions through a logdir: append and offsets, read
 * slices (batch containing an offset, max_bytes, upto), roll by size and
 * age, retention by bytes and time, timestamp lookup, durability waits,
 * reopen, torn tails and damaged indexes. */
#include "log/partition.h"

#include <fcntl.h>
#include <pthread.h>

#include "base/clock.h"
#include "base/os.h"
#include "log/logdir.h"
#include "log_testlib.h"
#include "../../harness.h"

static struct logdir *open_ld(const char *dir)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.flush_interval_ms = 50;
    struct logdir *ld = NULL;
    int rc = logdir_open(dir, &o, &ld);
    if (rc)
        fprintf(stderr, "logdir_open: %s\n", err_str(rc));
    return ld;
}

static struct partition *mk(struct logdir *ld, const char *name,
                            int64_t seg_bytes)
{
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.partitions = 2;
    if (seg_bytes)
        c.segment_bytes = seg_bytes;
    c.index_interval_bytes = 256;
    if (logdir_topic_create(ld, name, &c) != 0)
        return NULL;
    return logdir_partition(ld, name, 0);
}

TEST(test_append_offsets_and_read)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = mk(ld, "t", 0);
    CHECK(p != NULL);
    int64_t base = -1;
    CHECK_EQ_INT(tl_append(p, 0, 10, 1000, &base), 0);
    CHECK_EQ_INT(base, 0);
    CHECK_EQ_INT(tl_append(p, 10, 5, 2000, &base), 0);
    CHECK_EQ_INT(base, 10);
    CHECK_EQ_INT(tl_append(p, 15, 1, 3000, &base), 0);
    CHECK_EQ_INT(base, 15);
    CHECK_EQ_INT(partition_high_watermark(p), 16);
    CHECK_EQ_INT(partition_log_start_offset(p), 0);
    CHECK_EQ_INT(tl_check_all(p, 0), 16);
    CHECK_EQ_INT(tl_check_all(p, 12), 4);

    /* The slice starts at the batch containing the offset. */
    struct partition_slice s;
    CHECK_EQ_INT(partition_read(p, 12, 1 << 20, &s), 0);
    CHECK_EQ_INT(s.first_offset, 10);
    CHECK_EQ_INT(s.next_offset, 16);
    CHECK(s.len > 0 && s.fd >= 0);
    partition_slice_release(&s);
    /* At the HWM: empty; past it or below the start: out of range. */
    CHECK_EQ_INT(partition_read(p, 16, 1 << 20, &s), 0);
    CHECK_EQ_INT(s.len, 0);
    CHECK_EQ_INT(partition_read(p, 17, 1 << 20, &s), ERR_RANGE);
    CHECK_EQ_INT(partition_read(p, -1, 1 << 20, &s), ERR_RANGE);
    /* upto bounds the slice at a batch boundary. */
    CHECK_EQ_INT(partition_read_upto(p, 0, 10, 1 << 20, &s), 0);
    CHECK_EQ_INT(s.next_offset, 10);
    partition_slice_release(&s);
    /* The other partition is independent. */
    struct partition *p1 = logdir_partition(ld, "t", 1);
    CHECK_EQ_INT(partition_high_watermark(p1), 0);
    CHECK(logdir_partition(ld, "t", 2) == NULL);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_max_bytes_whole_batches)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = mk(ld, "t", 0);
    for (int i = 0; i < 20; i++)
        CHECK_EQ_INT(tl_append(p, i * 10, 10, 1000 + i, NULL), 0);
    struct partition_slice s;
    /* Smaller than one batch: still one whole batch (KIP-74). */
    CHECK_EQ_INT(partition_read(p, 0, 10, &s), 0);
    size_t one = s.len;
    CHECK_EQ_INT(s.next_offset, 10);
    partition_slice_release(&s);
    CHECK_EQ_INT(partition_read(p, 35, one * 5 / 2, &s), 0);
    CHECK_EQ_INT(s.first_offset, 30);
    CHECK_EQ_INT(s.next_offset, 50);
    CHECK_EQ_INT(s.len, 2 * one);
    partition_slice_release(&s);
    struct buf b;
    buf_init(&b);
    int64_t next;
    CHECK_EQ_INT(partition_read_copy(p, 100, one * 3, &b, &next), 0);
    CHECK_EQ_INT(b.len, 3 * one);
    CHECK_EQ_INT(next, 130);
    buf_fini(&b);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_reject_bad_batches)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = mk(ld, "t", 0);
    struct buf b;
    buf_init(&b);
    tl_batch(&b, 0, 3, 1000, 0);
    b.data[b.len - 1] ^= 1; /* CRC mismatch */
    CHECK_EQ_INT(partition_append(p, b.data, b.len, NULL), ERR_CORRUPT);
    b.data[b.len - 1] ^= 1;
    CHECK_EQ_INT(partition_append(p, b.data, b.len - 1, NULL), ERR_INVALID);
    CHECK_EQ_INT(partition_append(p, b.data, 0, NULL), ERR_INVALID);
    /* Two good batches and a bad one: nothing is written. */
    size_t one = b.len;
    tl_batch(&b, 3, 3, 1000, 0);
    tl_batch(&b, 6, 3, 1000, 0);
    b.data[2 * one + 30] ^= 0x40;
    CHECK_EQ_INT(partition_append(p, b.data, b.len, NULL), ERR_CORRUPT);
    CHECK_EQ_INT(partition_high_watermark(p), 0);
    b.data[2 * one + 30] ^= 0x40;
    int64_t base;
    CHECK_EQ_INT(partition_append(p, b.data, b.len, &base), 0);
    CHECK_EQ_INT(partition_high_watermark(p), 9);
    CHECK_EQ_INT(tl_check_all(p, 0), 9);
    /* Too large for max.message.bytes. */
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.max_message_bytes = 100;
    CHECK_EQ_INT(logdir_topic_create(ld, "small", &c), 0);
    buf_reset(&b);
    tl_batch(&b, 0, 10, 1000, 0);
    CHECK_EQ_INT(
        partition_append(logdir_partition(ld, "small", 0), b.data, b.len, NULL),
        ERR_TOO_LARGE);
    buf_fini(&b);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

static int count_fds(void)
{
    return tl_count_files("/proc/self/fd", "");
}

TEST(test_roll_by_size_and_read_across)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = mk(ld, "r", 4096);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(tl_append(p, i * 5, 5, 1000 + i * 5, NULL), 0);
    CHECK(partition_segment_count(p) >= 3);
    char pd[4200];
    snprintf(pd, sizeof pd, "%s/r-0", dir);
    CHECK_EQ_INT(tl_count_files(pd, ".log"), partition_segment_count(p));
    char f0[4300];
    snprintf(f0, sizeof f0, "%s/00000000000000000000.log", pd);
    CHECK(tl_file_size(f0) > 0 && tl_file_size(f0) <= 4096);
    CHECK_EQ_INT(tl_check_all(p, 0), 500);
    CHECK_EQ_INT(tl_check_all(p, 333), 167);
    /* Slices never span segments. */
    struct partition_slice s;
    CHECK_EQ_INT(partition_read(p, 0, 1 << 20, &s), 0);
    CHECK(s.len <= 4096);
    CHECK(s.next_offset < 500);
    partition_slice_release(&s);
    /* Views: the same bytes as copies, segment by segment, also of the
     * active segment while it grows. */
    for (int64_t off = 0; off < 500;) {
        struct partition_slice v;
        CHECK_EQ_INT(partition_read_view_upto(p, off, -1, 1 << 20, &v), 0);
        CHECK(v.view != NULL && v.len > 0);
        struct buf c;
        buf_init(&c);
        int64_t next = -1;
        CHECK_EQ_INT(
            partition_read_copy_upto(p, off, v.next_offset, 1 << 20, &c, &next),
            0);
        CHECK_EQ_INT(next, v.next_offset);
        CHECK(c.len == v.len && v.view && !memcmp(c.data, v.view, v.len));
        buf_fini(&c);
        if (v.next_offset <= off)
            break;
        off = v.next_offset;
        partition_slice_release(&v);
        CHECK(v.view == NULL);
    }
    /* Reopen: everything is there, including after a forced roll. */
    CHECK_EQ_INT(partition_roll(p), 0);
    int segs = partition_segment_count(p);
    logdir_close(ld);
    int fds_before = count_fds();
    ld = open_ld(dir);
    p = logdir_partition(ld, "r", 0);
    CHECK(p != NULL);
    /* One fd per closed segment; three for each active one; the lock. */
    CHECK(count_fds() - fds_before <= segs + 2 + 3 + 1);
    CHECK_EQ_INT(partition_high_watermark(p), 500);
    CHECK_EQ_INT(partition_segment_count(p), segs);
    CHECK_EQ_INT(tl_check_all(p, 0), 500);
    CHECK_EQ_INT(tl_append(p, 500, 5, 1, NULL), 0);
    CHECK_EQ_INT(tl_check_all(p, 490), 15);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

/* DeleteRecords: the log start moves up (persisted), whole segments below
 * it go, reads below it are out of range, lookups by time are clamped. */
TEST(test_delete_records)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = mk(ld, "d", 4096);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(tl_append(p, i * 5, 5, 1000 + i * 5, NULL), 0);
    int segs = partition_segment_count(p);
    CHECK(segs >= 3);
    int64_t low = 0;
    CHECK_EQ_INT(partition_delete_records(p, 501, &low), ERR_RANGE);
    CHECK_EQ_INT(partition_delete_records(p, -2, &low), ERR_RANGE);
    CHECK_EQ_INT(low, 0);
    CHECK_EQ_INT(partition_delete_records(p, 333, &low), 0);
    CHECK_EQ_INT(low, 333);
    CHECK_EQ_INT(partition_log_start_offset(p), 333);
    CHECK(partition_segment_count(p) < segs);
    struct partition_slice sl;
    CHECK_EQ_INT(partition_read(p, 332, 1 << 20, &sl), ERR_RANGE);
    CHECK_EQ_INT(partition_read(p, 333, 1 << 20, &sl), 0);
    CHECK(sl.len > 0);
    partition_slice_release(&sl);
    int64_t off = -1;
    CHECK_EQ_INT(partition_offset_for_timestamp(p, 0, &off), 0);
    CHECK_EQ_INT(off, 333);
    /* Lower is a no-op; -1 is the high watermark. */
    CHECK_EQ_INT(partition_delete_records(p, 100, &low), 0);
    CHECK_EQ_INT(low, 333);
    logdir_close(ld);
    ld = open_ld(dir);
    p = logdir_partition(ld, "d", 0);
    CHECK_EQ_INT(partition_log_start_offset(p), 333);
    CHECK_EQ_INT(tl_check_all(p, 333), 167);
    CHECK_EQ_INT(partition_delete_records(p, -1, &low), 0);
    CHECK_EQ_INT(low, 500);
    CHECK_EQ_INT(partition_segment_count(p), 1); /* the active one stays */
    CHECK_EQ_INT(tl_append(p, 500, 5, 1, NULL), 0);
    CHECK_EQ_INT(tl_check_all(p, 500), 5);
    logdir_close(ld);
    ld = open_ld(dir);
    p = logdir_partition(ld, "d", 0);
    CHECK_EQ_INT(partition_log_start_offset(p), 500);
    CHECK_EQ_INT(partition_high_watermark(p), 505);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_roll_by_age)
{
    char *dir = tl_tmpdir();
    clock_set_virtual(1000000);
    struct logdir *ld = open_ld(dir);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.segment_ms = 1000;
    CHECK_EQ_INT(logdir_topic_create(ld, "age", &c), 0);
    struct partition *p = logdir_partition(ld, "age", 0);
    CHECK_EQ_INT(tl_append(p, 0, 1, 1, NULL), 0);
    CHECK_EQ_INT(tl_append(p, 1, 1, 1, NULL), 0);
    CHECK_EQ_INT(partition_segment_count(p), 1);
    clock_set_virtual(1000000 + 1500);
    CHECK_EQ_INT(tl_append(p, 2, 1, 1, NULL), 0);
    CHECK_EQ_INT(partition_segment_count(p), 2);
    clock_set_virtual(-1);
    CHECK_EQ_INT(tl_check_all(p, 0), 3);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_retention)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.segment_bytes = 2048;
    c.retention_bytes = 8192;
    c.retention_ms = 60000;
    CHECK_EQ_INT(logdir_topic_create(ld, "ret", &c), 0);
    struct partition *p = logdir_partition(ld, "ret", 0);
    for (int i = 0; i < 200; i++)
        CHECK_EQ_INT(tl_append(p, i * 4, 4, 1000000 + i, NULL), 0);
    int before = partition_segment_count(p);
    CHECK(partition_size_bytes(p) > 8192 * 2);
    /* Hold a slice of the oldest segment across its deletion. */
    struct partition_slice s;
    CHECK_EQ_INT(partition_read(p, 0, 1 << 20, &s), 0);
    int n = logdir_retention_run(ld, 1000000 + 1000);
    CHECK(n > 0);
    CHECK_EQ_INT(partition_segment_count(p), before - n);
    CHECK(partition_size_bytes(p) <= 8192 + 2048);
    CHECK(partition_size_bytes(p) >= 8192 - 2048);
    int64_t start = partition_log_start_offset(p);
    CHECK(start > 0);
    uint8_t hdr[12];
    CHECK_EQ_INT(pread(s.fd, hdr, 12, s.file_pos), 12);
    CHECK_EQ_INT((int64_t)be64_load(hdr), 0);
    partition_slice_release(&s);
    struct partition_slice s2;
    CHECK_EQ_INT(partition_read(p, start - 1, 100, &s2), ERR_RANGE);
    CHECK_EQ_INT(tl_check_all(p, start), 800 - start);
    /* By time: everything but the active segment is older than 60 s. */
    n = logdir_retention_run(ld, 1000000 + 200 + 60001);
    CHECK(n > 0);
    CHECK_EQ_INT(partition_segment_count(p), 1);
    CHECK_EQ_INT(partition_high_watermark(p), 800);
    /* Reopen: the log start offset is the first segment's base. */
    int64_t ls = partition_log_start_offset(p);
    logdir_close(ld);
    ld = open_ld(dir);
    p = logdir_partition(ld, "ret", 0);
    CHECK_EQ_INT(partition_log_start_offset(p), ls);
    CHECK_EQ_INT(partition_high_watermark(p), 800);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

/* Time retention after a reopen: closed segments' largest timestamps come
 * from their time index (or a rebuild of it), not from this process. */
TEST(test_retention_by_time_after_reopen)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.segment_bytes = 2048;
    c.retention_ms = 60000;
    CHECK_EQ_INT(logdir_topic_create(ld, "rt", &c), 0);
    struct partition *p = logdir_partition(ld, "rt", 0);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(tl_append(p, i * 4, 4, 1000000 + i * 10, NULL), 0);
    int segs = partition_segment_count(p);
    CHECK(segs > 3);
    logdir_close(ld);
    /* Damage one closed segment's time index: it must be rebuilt. */
    char path[4300];
    snprintf(path, sizeof path, "%s/rt-0/%020d.timeindex", dir, 0);
    CHECK_EQ_INT(truncate(path, 5), 0);
    ld = open_ld(dir);
    p = logdir_partition(ld, "rt", 0);
    CHECK_EQ_INT(partition_segment_count(p), segs);
    /* Nothing is older than 60 s at t = last + 1 s. */
    CHECK_EQ_INT(logdir_retention_run(ld, 1000000 + 990 + 1000), 0);
    /* At first + 60 s + 1 ms only segments whose newest record is older
     * go: the first one at least, never the active one. */
    int n = logdir_retention_run(ld, 1000000 + 60000 + 300);
    CHECK(n >= 1 && n < segs);
    int64_t start = partition_log_start_offset(p);
    CHECK(start > 0);
    CHECK_EQ_INT(tl_check_all(p, start), 400 - start);
    CHECK(logdir_retention_run(ld, 1000000 + 990 + 60001) >= 1);
    CHECK_EQ_INT(partition_segment_count(p), 1);
    CHECK_EQ_INT(partition_high_watermark(p), 400);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_offset_for_timestamp)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = mk(ld, "ts", 4096);
    /* Batch i holds offsets 10i..10i+9 with timestamps 100i..100i+9. */
    for (int i = 0; i < 60; i++)
        CHECK_EQ_INT(tl_append(p, i * 10, 10, 100 * i, NULL), 0);
    int64_t off;
    CHECK_EQ_INT(partition_offset_for_timestamp(p, 0, &off), 0);
    CHECK_EQ_INT(off, 0);
    CHECK_EQ_INT(partition_offset_for_timestamp(p, 1005, &off), 0);
    CHECK_EQ_INT(off, 105);
    CHECK_EQ_INT(partition_offset_for_timestamp(p, 1050, &off), 0);
    CHECK_EQ_INT(off, 110);
    CHECK_EQ_INT(partition_offset_for_timestamp(p, 5909, &off), 0);
    CHECK_EQ_INT(off, 599);
    CHECK_EQ_INT(partition_offset_for_timestamp(p, 5910, &off), 0);
    CHECK_EQ_INT(off, -1);
    /* Same answers after reopen (indexes reloaded or rebuilt). */
    logdir_close(ld);
    ld = open_ld(dir);
    p = logdir_partition(ld, "ts", 0);
    CHECK_EQ_INT(partition_offset_for_timestamp(p, 3333, &off), 0);
    CHECK_EQ_INT(off, 340);
    CHECK_EQ_INT(partition_offset_for_timestamp(p, 2000, &off), 0);
    CHECK_EQ_INT(off, 200);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

static int listener_calls;
static void on_flush(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&listener_calls, 1, __ATOMIC_SEQ_CST);
}

TEST(test_durability_wait_and_listener)
{
    char *dir = tl_tmpdir();
    struct logdir_options o;
    logdir_options_init(&o);
    o.flush_interval_ms = 0; /* only on request */
    struct logdir *ld;
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    logdir_set_flush_listener(ld, on_flush, NULL);
    struct partition *p = mk(ld, "d", 0);
    CHECK_EQ_INT(tl_append(p, 0, 10, 1, NULL), 0);
    CHECK_EQ_INT(partition_durable_offset(p), 0);
    CHECK_EQ_INT(partition_wait_durable(p, 10, 5000), 0);
    CHECK(partition_durable_offset(p) >= 10);
    /* The listener runs after the round that woke the waiter. */
    for (int i = 0;
         i < 2000 && !__atomic_load_n(&listener_calls, __ATOMIC_SEQ_CST); i++)
        usleep(1000);
    CHECK(__atomic_load_n(&listener_calls, __ATOMIC_SEQ_CST) >= 1);
    /* Non-blocking request: the flusher catches up soon. */
    CHECK_EQ_INT(tl_append(p, 10, 10, 1, NULL), 0);
    partition_request_sync(p);
    for (int i = 0; i < 500 && partition_durable_offset(p) < 20; i++)
        usleep(2000);
    CHECK_EQ_INT(partition_durable_offset(p), 20);
    CHECK_EQ_INT(partition_wait_durable(p, 21, 10), ERR_RANGE);
    logdir_close(ld);
    /* Interval policy: durable without asking. */
    o.flush_interval_ms = 20;
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    p = logdir_partition(ld, "d", 0);
    CHECK_EQ_INT(partition_durable_offset(p), 20);
    CHECK_EQ_INT(tl_append(p, 20, 10, 1, NULL), 0);
    for (int i = 0; i < 500 && partition_durable_offset(p) < 30; i++)
        usleep(2000);
    CHECK_EQ_INT(partition_durable_offset(p), 30);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

static void append_garbage(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK_EQ_INT(write(fd, p, n), (long)n);
    close(fd);
}

TEST(test_torn_tail_truncated)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = mk(ld, "torn", 0);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(tl_append(p, i * 3, 3, 1, NULL), 0);
    logdir_close(ld);
    char f[4300];
    snprintf(f, sizeof f, "%s/torn-0/00000000000000000000.log", dir);
    long good = tl_file_size(f);
    /* Half of a valid batch, as a torn write leaves it. */
    struct buf b;
    buf_init(&b);
    tl_batch(&b, 30, 3, 1, 0);
    record_batch_set_base_offset(b.data, 30);
    append_garbage(f, b.data, b.len / 2);
    ld = open_ld(dir);
    p = logdir_partition(ld, "torn", 0);
    CHECK_EQ_INT(partition_high_watermark(p), 30);
    CHECK_EQ_INT(tl_file_size(f), good);
    CHECK_EQ_INT(tl_check_all(p, 0), 30);
    CHECK_EQ_INT(tl_append(p, 30, 3, 1, NULL), 0);
    logdir_close(ld);
    /* A whole batch with a flipped byte: also cut. */
    good = tl_file_size(f);
    b.data[b.len - 3] ^= 0xff;
    record_batch_set_base_offset(b.data, 33);
    append_garbage(f, b.data, b.len);
    ld = open_ld(dir);
    p = logdir_partition(ld, "torn", 0);
    CHECK_EQ_INT(partition_high_watermark(p), 33);
    CHECK_EQ_INT(tl_file_size(f), good);
    CHECK_EQ_INT(tl_check_all(p, 0), 33);
    logdir_close(ld);
    buf_fini(&b);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_damaged_indexes_rebuilt)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = mk(ld, "ix", 4096);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(tl_append(p, i * 5, 5, 1000 + 5 * i, NULL), 0);
    int segs = partition_segment_count(p);
    logdir_close(ld);
    char f[4300];
    /* Delete one index, garble another, truncate a time index oddly. */
    snprintf(f, sizeof f, "%s/ix-0/00000000000000000000.index", dir);
    CHECK(tl_file_size(f) > 0);
    unlink(f);
    snprintf(f, sizeof f, "%s/ix-0/00000000000000000000.timeindex", dir);
    CHECK(truncate(f, 5) == 0);
    /* And lose the recovery point: every segment is walked. */
    snprintf(f, sizeof f, "%s/recovery-point-offset-checkpoint", dir);
    unlink(f);
    ld = open_ld(dir);
    p = logdir_partition(ld, "ix", 0);
    CHECK_EQ_INT(partition_segment_count(p), segs);
    CHECK_EQ_INT(partition_high_watermark(p), 500);
    CHECK_EQ_INT(tl_check_all(p, 0), 500);
    int64_t off;
    CHECK_EQ_INT(partition_offset_for_timestamp(p, 1003, &off), 0);
    CHECK_EQ_INT(off, 3);
    logdir_close(ld);
    snprintf(f, sizeof f, "%s/ix-0/00000000000000000000.index", dir);
    CHECK(tl_file_size(f) > 0);
    tl_rmrf(dir);
    free(dir);
}

struct conc {
    struct partition *p;
    int batches;
    long read;
    int bad;
};

static void *conc_writer(void *arg)
{
    struct conc *c = arg;
    for (int i = 0; i < c->batches; i++) {
        int64_t first = partition_high_watermark(c->p);
        if (tl_append(c->p, first, 7, clock_now_ms(), NULL) != 0)
            c->bad++;
        if (i % 50 == 49 && partition_wait_durable(c->p, first + 7, 5000) != 0)
            c->bad++;
    }
    return NULL;
}

static void *conc_reader(void *arg)
{
    struct conc *c = arg;
    struct buf data, scratch;
    buf_init(&data);
    buf_init(&scratch);
    int64_t off = 0, end = (int64_t)c->batches * 7;
    while (off < end) {
        buf_reset(&data);
        int64_t next;
        if (partition_read_copy(c->p, off, 4096, &data, &next) < 0) {
            c->bad++;
            break;
        }
        struct record_batch_walk w;
        record_batch_walk_init(&w, data.data, data.len);
        struct record_batch_header h;
        const uint8_t *bp;
        size_t bl;
        while (record_batch_walk_next(&w, &h, &bp, &bl) == 1) {
            struct record_iter it;
            struct record r;
            if (record_batch_verify(bp, bl) != 0 ||
                record_iter_init(&it, bp, bl, &scratch) != 0) {
                c->bad++;
                continue;
            }
            while (record_iter_next(&it, &r) == 1) {
                char want[32];
                int k =
                    snprintf(want, sizeof want, "v%lld", (long long)r.offset);
                if (r.offset >= off &&
                    memcmp(r.value.ptr, want, (size_t)k) != 0)
                    c->bad++;
                if (r.offset >= off)
                    c->read++;
            }
        }
        off = next;
        if (data.len == 0)
            usleep(100);
    }
    buf_fini(&data);
    buf_fini(&scratch);
    return NULL;
}

TEST(test_concurrent_append_read_flush)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir);
    struct partition *p = mk(ld, "conc", 16384);
    struct conc c = {.p = p, .batches = 1500};
    pthread_t w, r;
    pthread_create(&w, NULL, conc_writer, &c);
    pthread_create(&r, NULL, conc_reader, &c);
    for (int i = 0; i < 20; i++) {
        logdir_retention_run(ld, clock_now_ms()); /* nothing to delete */
        usleep(1000);
    }
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    CHECK_EQ_INT(c.bad, 0);
    CHECK_EQ_INT(c.read, 1500 * 7);
    CHECK_EQ_INT(tl_check_all(p, 0), 1500 * 7);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

int main(void)
{
    RUN(test_append_offsets_and_read);
    RUN(test_max_bytes_whole_batches);
    RUN(test_reject_bad_batches);
    RUN(test_roll_by_size_and_read_across);
    RUN(test_delete_records);
    RUN(test_roll_by_age);
    RUN(test_retention);
    RUN(test_retention_by_time_after_reopen);
    RUN(test_offset_for_timestamp);
    RUN(test_durability_wait_and_listener);
    RUN(test_torn_tail_truncated);
    RUN(test_damaged_indexes_rebuilt);
    RUN(test_concurrent_append_read_flush);
    return harness_summary("test_partition");
}
