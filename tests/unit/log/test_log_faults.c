/* test_log_faults.c - I/O errors injected with os_fault_set: a failed
 * fsync or write puts the partition in FAILED (appends refused with
 * ERR_FAILED, reads keep working, waiters woken), a full disk never
 * corrupts a segment, and reopening recovers everything acknowledged. */
#include <errno.h>
#include <pthread.h>

#include "base/os.h"
#include "log_testlib.h"
#include "../../harness.h"

static struct logdir *open_ld(const char *dir, bool flusher)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = !flusher;
    o.flush_interval_ms = 0;
    o.recovery_point_ms = 0;
    struct logdir *ld = NULL;
    if (logdir_open(dir, &o, &ld) != 0)
        return NULL;
    return ld;
}

TEST(test_fsync_eio_fails_partition)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir, false);
    CHECK_EQ_INT(logdir_topic_create(ld, "f", NULL), 0);
    struct partition *p = logdir_partition(ld, "f", 0);
    CHECK_EQ_INT(tl_append(p, 0, 10, 1, NULL), 0);
    CHECK_EQ_INT(logdir_flush(ld), 0);
    CHECK_EQ_INT(partition_durable_offset(p), 10);
    CHECK_EQ_INT(tl_append(p, 10, 10, 1, NULL), 0);
    os_fault_set(OS_OP_FSYNC, 1, EIO);
    CHECK_EQ_INT(logdir_flush(ld), -EIO);
    os_fault_clear();
    CHECK_EQ_INT(partition_failed(p), -EIO);
    CHECK_EQ_INT(partition_durable_offset(p), 10);
    /* Never retry an fsync and carry on: appends are refused. */
    CHECK_EQ_INT(tl_append(p, 20, 1, 1, NULL), ERR_FAILED);
    CHECK_EQ_INT(partition_wait_durable(p, 20, 100), ERR_FAILED);
    CHECK(strstr(err_str(ERR_FAILED), "I/O error") != NULL);
    /* Reads of what is on disk keep working. */
    CHECK_EQ_INT(tl_check_all(p, 0), 20);
    logdir_close(ld);
    /* Reopen: recovery validates the tail and the partition works again. */
    ld = open_ld(dir, false);
    p = logdir_partition(ld, "f", 0);
    CHECK_EQ_INT(partition_failed(p), 0);
    CHECK(partition_high_watermark(p) >= 10);
    CHECK_EQ_INT(tl_check_all(p, 0), partition_high_watermark(p));
    int64_t base;
    CHECK_EQ_INT(tl_append(p, partition_high_watermark(p), 3, 1, &base), 0);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_enospc_write_keeps_acknowledged)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir, false);
    CHECK_EQ_INT(logdir_topic_create(ld, "full", NULL), 0);
    struct partition *p = logdir_partition(ld, "full", 0);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(tl_append(p, i * 10, 10, 1, NULL), 0);
    CHECK_EQ_INT(partition_wait_durable(p, 100, 1000), 0);
    char f[4300];
    snprintf(f, sizeof f, "%s/full-0/00000000000000000000.log", dir);
    long size = tl_file_size(f);
    /* The disk fills up: this write and every later one fail. */
    os_fault_set(OS_OP_WRITE, 1, ENOSPC);
    CHECK_EQ_INT(tl_append(p, 100, 10, 1, NULL), ERR_FAILED);
    CHECK_EQ_INT(partition_failed(p), -ENOSPC);
    CHECK_EQ_INT(tl_append(p, 100, 10, 1, NULL), ERR_FAILED);
    CHECK_EQ_INT(partition_high_watermark(p), 100);
    CHECK_EQ_INT(tl_file_size(f), size); /* nothing partial left behind */
    CHECK_EQ_INT(tl_check_all(p, 0), 100);
    /* Other partitions are not affected until they write. */
    CHECK_EQ_INT(logdir_topic_create(ld, "other", NULL), -ENOSPC);
    logdir_close(ld); /* must not crash with the disk still full */
    os_fault_clear();
    ld = open_ld(dir, false);
    p = logdir_partition(ld, "full", 0);
    CHECK_EQ_INT(partition_high_watermark(p), 100);
    CHECK_EQ_INT(tl_check_all(p, 0), 100);
    CHECK_EQ_INT(tl_append(p, 100, 10, 1, NULL), 0);
    CHECK_EQ_INT(tl_check_all(p, 0), 110);
    CHECK_EQ_INT(logdir_topic_partitions(ld, "other"), ERR_NOT_FOUND);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_roll_open_failure)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir, false);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.segment_bytes = 2048;
    CHECK_EQ_INT(logdir_topic_create(ld, "roll", &c), 0);
    struct partition *p = logdir_partition(ld, "roll", 0);
    int64_t i = 0;
    while (partition_size_bytes(p) < 1800) {
        CHECK_EQ_INT(tl_append(p, i * 5, 5, 1, NULL), 0);
        i++;
    }
    /* opens 1-2: the sealed index files (a failure there only costs a
     * rebuild); 3: the new segment's .log */
    os_fault_set(OS_OP_OPEN, 3, EIO);
    int rc = 0;
    for (int k = 0; k < 20 && rc == 0; k++, i++)
        rc = tl_append(p, i * 5, 5, 1, NULL);
    os_fault_clear();
    CHECK_EQ_INT(rc, ERR_FAILED);
    CHECK_EQ_INT(partition_failed(p), -EIO);
    int64_t hwm = partition_high_watermark(p);
    CHECK_EQ_INT(tl_check_all(p, 0), hwm);
    logdir_close(ld);
    ld = open_ld(dir, false);
    p = logdir_partition(ld, "roll", 0);
    CHECK_EQ_INT(partition_high_watermark(p), hwm);
    CHECK_EQ_INT(tl_append(p, hwm, 5, 1, NULL), 0);
    CHECK_EQ_INT(tl_check_all(p, 0), hwm + 5);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

static int calls;
static void on_flush(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
}

TEST(test_flusher_thread_fsync_error)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir, true);
    logdir_set_flush_listener(ld, on_flush, NULL);
    CHECK_EQ_INT(logdir_topic_create(ld, "t", NULL), 0);
    struct partition *p = logdir_partition(ld, "t", 0);
    CHECK_EQ_INT(tl_append(p, 0, 5, 1, NULL), 0);
    CHECK_EQ_INT(partition_wait_durable(p, 5, 5000), 0);
    /* The listener runs after the round that woke the waiter. */
    for (int i = 0; i < 2000 && !__atomic_load_n(&calls, __ATOMIC_SEQ_CST); i++)
        usleep(1000);
    int before = __atomic_load_n(&calls, __ATOMIC_SEQ_CST);
    CHECK(before >= 1);
    CHECK_EQ_INT(tl_append(p, 5, 5, 1, NULL), 0);
    os_fault_set(OS_OP_FSYNC, 1, EIO);
    CHECK_EQ_INT(partition_wait_durable(p, 10, 5000), ERR_FAILED);
    os_fault_clear();
    for (int i = 0;
         i < 200 && __atomic_load_n(&calls, __ATOMIC_SEQ_CST) == before; i++)
        usleep(1000);
    CHECK(__atomic_load_n(&calls, __ATOMIC_SEQ_CST) > before);
    CHECK_EQ_INT(tl_append(p, 10, 1, 1, NULL), ERR_FAILED);
    CHECK_EQ_INT(tl_check_all(p, 0), 10);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_checkpoint_failure_is_harmless)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir, false);
    CHECK_EQ_INT(logdir_topic_create(ld, "cp", NULL), 0);
    struct partition *p = logdir_partition(ld, "cp", 0);
    CHECK_EQ_INT(tl_append(p, 0, 5, 1, NULL), 0);
    os_fault_set(OS_OP_RENAME, 1, EIO);
    CHECK_EQ_INT(logdir_flush(ld), -EIO); /* the checkpoint, not the data */
    os_fault_clear();
    CHECK_EQ_INT(partition_failed(p), 0);
    CHECK_EQ_INT(partition_durable_offset(p), 5);
    CHECK_EQ_INT(tl_append(p, 5, 5, 1, NULL), 0);
    logdir_close(ld);
    ld = open_ld(dir, false);
    CHECK_EQ_INT(tl_check_all(logdir_partition(ld, "cp", 0), 0), 10);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

/* Two threads flushing one partition at once (the flusher's round and a
 * logdir_flush, as rill serve does at shutdown): the one that finds the
 * dirty segments already taken by the other must not raise the durable
 * offset before that other one's fdatasyncs have returned. Here those
 * fsyncs fail, so nothing appended since the last good flush may ever be
 * reported durable (before the fix the spinning thread saw 1601). */
struct flush_race {
    struct logdir *ld;
    struct partition *p;
    int stop;
    int64_t max_durable_seen;
};

static void *flush_spin(void *arg)
{
    struct flush_race *r = arg;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        logdir_flush(r->ld);
        int64_t d = partition_durable_offset(r->p);
        if (d > r->max_durable_seen)
            r->max_durable_seen = d;
    }
    return NULL;
}

TEST(test_concurrent_flush_waits_for_fsync)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_ld(dir, false);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.segment_bytes = 1024;
    CHECK_EQ_INT(logdir_topic_create(ld, "race", &c), 0);
    struct partition *p = logdir_partition(ld, "race", 0);
    CHECK_EQ_INT(tl_append(p, 0, 1, 1, NULL), 0);
    CHECK_EQ_INT(logdir_flush(ld), 0);
    CHECK_EQ_INT(partition_durable_offset(p), 1);
    /* 40 batches of ~600 B with 1 KiB segments: 40 dirty segments, so one
     * flush makes dozens of fdatasyncs; from the 30th on every fsync
     * fails (ENOSPC faults are sticky; the other thread's checkpoint
     * writes count too). */
    for (int i = 0; i < 40; i++)
        CHECK_EQ_INT(tl_append(p, 1 + i * 40, 40, 1, NULL), 0);
    CHECK(partition_segment_count(p) >= 20);
    os_fault_set(OS_OP_FSYNC, 30, ENOSPC);
    struct flush_race r = {ld, p, 0, 0};
    pthread_t th;
    CHECK_EQ_INT(pthread_create(&th, NULL, flush_spin, &r), 0);
    int rc = logdir_flush(ld);
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    os_fault_clear();
    CHECK(rc < 0);
    CHECK_EQ_INT(partition_failed(p), -ENOSPC);
    CHECK(r.max_durable_seen <= 1); /* never more than the last good flush */
    CHECK_EQ_INT(partition_durable_offset(p), 1);
    logdir_close(ld);
    tl_rmrf(dir);
    free(dir);
}

int main(void)
{
    RUN(test_fsync_eio_fails_partition);
    RUN(test_enospc_write_keeps_acknowledged);
    RUN(test_roll_open_failure);
    RUN(test_flusher_thread_fsync_error);
    RUN(test_checkpoint_failure_is_harmless);
    RUN(test_concurrent_flush_waits_for_fsync);
    return harness_summary("test_log_faults");
}
