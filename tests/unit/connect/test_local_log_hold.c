/* test_local_log_hold.c - held output of the local log's writers (the
 * exactly-once path, docs/checkpoints.md): nothing held is visible before
 * commit; a description names the batches; a redo after a "crash" before
 * the commit appends them once, and a second redo, or a redo after the
 * commit, appends nothing; batches carry the writer's producer id. */
#include <stdio.h>
#include <string.h>

#include "../../harness.h"
#include "../log/log_testlib.h"
#include "base/err.h"
#include "connect/local_log.h"
#include "log/logdir.h"
#include "log/partition.h"

#define PID ((int64_t)1 << 62 | 12345)

static struct logdir *open_log(const char *dir)
{
    struct logdir_options o;
    logdir_options_init(&o);
    o.no_flusher = true;
    struct logdir *ld = NULL;
    CHECK_EQ_INT(logdir_open(dir, &o, &ld), 0);
    struct logdir_topic_config c;
    logdir_topic_config_init(&c);
    c.partitions = 2;
    logdir_topic_create(ld, "out", &c);
    return ld;
}

static int64_t end(struct logdir *ld, int p)
{
    return partition_high_watermark(logdir_partition(ld, "out", p));
}

/* Records of partition p (data and control) and how many carry PID. */
static int count(struct stream_log *log, int p, int *with_pid)
{
    struct stream_reader *r;
    CHECK_EQ_INT(stream_log_reader(log, "out", p, 0, &r), 0);
    int n = 0;
    *with_pid = 0;
    struct stream_chunk c;
    int64_t from = 0;
    while (stream_reader_read(r, from, 1u << 20, &c) == 1) {
        struct stream_record rec;
        while (stream_records_next(c.records, &rec) == 1)
            n++;
        from = c.next_offset;
        stream_reader_release(r);
    }
    stream_reader_close(r);
    /* the producer ids, from the batch headers */
    struct partition_slice s = {0};
    struct partition *part =
        logdir_partition((struct logdir *)log->ctx, "out", p);
    if (partition_read_view_upto(part, 0, -1, 1u << 20, &s) == 0 && s.view) {
        struct record_batch_walk w;
        struct record_batch_header h;
        const uint8_t *bp;
        size_t bl;
        record_batch_walk_init(&w, s.view, s.len);
        while (record_batch_walk_next(&w, &h, &bp, &bl) == 1)
            *with_pid += h.producer_id == PID ? h.record_count : 0;
    }
    partition_slice_release(&s);
    return n;
}

static void add(struct stream_writer *w, int p, const char *v)
{
    CHECK_EQ_INT(stream_writer_add(w, p, NULL, 0, false, v, strlen(v), 1000),
                 0);
}

TEST(held_commit_redo)
{
    char *dir = tl_tmpdir();
    struct logdir *ld = open_log(dir);
    struct stream_log log;
    local_log_init(&log, ld);
    struct stream_writer *w;
    CHECK_EQ_INT(stream_log_writer(&log, "out", false, &w), 0);
    CHECK(stream_writer_can_hold(w));
    CHECK_EQ_INT(stream_writer_hold(w, PID), 0);
    add(w, 0, "a");
    add(w, 1, "b");
    CHECK_EQ_INT(stream_writer_flush(w, NULL), 0);
    add(w, 0, "c");
    CHECK_EQ_INT(stream_writer_marker(w, "m", 1), 0);
    CHECK_EQ_INT(end(ld, 0), 0); /* nothing visible yet */
    CHECK_EQ_INT(end(ld, 1), 0);

    /* checkpoint 1: prepared and committed */
    struct buf d1;
    buf_init(&d1);
    CHECK_EQ_INT(stream_writer_prepare(w, &d1), 0);
    CHECK_EQ_INT(stream_writer_commit(w), 0);
    int wp = 0;
    CHECK_EQ_INT(count(&log, 0, &wp), 3); /* a, c, the marker */
    CHECK_EQ_INT(wp, 3);
    CHECK_EQ_INT(count(&log, 1, &wp), 2); /* b, the marker */

    /* Someone else appends meanwhile (another task). */
    struct stream_writer *other;
    CHECK_EQ_INT(stream_log_writer(&log, "out", false, &other), 0);
    add(other, 0, "x");
    CHECK_EQ_INT(stream_writer_flush(other, NULL), 0);

    /* checkpoint 2: prepared, then a crash before the commit */
    add(w, 0, "d");
    add(w, 1, "e");
    add(w, 1, "f");
    struct buf d2;
    buf_init(&d2);
    CHECK_EQ_INT(stream_writer_prepare(w, &d2), 0);
    stream_writer_close(w); /* the held batches die with the process */
    add(other, 1, "y");
    CHECK_EQ_INT(stream_writer_flush(other, NULL), 0);
    CHECK_EQ_INT(count(&log, 0, &wp), 4);
    CHECK_EQ_INT(count(&log, 1, &wp), 3);

    /* the restart: redo appends checkpoint 2's batches, once */
    CHECK_EQ_INT(stream_log_writer(&log, "out", false, &w), 0);
    CHECK_EQ_INT(stream_writer_hold(w, PID), 0);
    CHECK_EQ_INT(stream_writer_redo(w, d2.data, d2.len), 0);
    CHECK_EQ_INT(count(&log, 0, &wp), 5);
    CHECK_EQ_INT(wp, 4);
    CHECK_EQ_INT(count(&log, 1, &wp), 5);
    CHECK_EQ_INT(wp, 4);
    CHECK_EQ_INT(stream_writer_redo(w, d2.data, d2.len), 0);
    CHECK_EQ_INT(count(&log, 0, &wp), 5);
    CHECK_EQ_INT(count(&log, 1, &wp), 5);
    /* an older description whose batches are all there: nothing */
    CHECK_EQ_INT(stream_writer_redo(w, d1.data, d1.len), 0);
    CHECK_EQ_INT(count(&log, 0, &wp), 5);
    /* a damaged description is refused */
    for (size_t n = 1; n < d2.len; n += 7)
        CHECK(stream_writer_redo(w, d2.data, n) != 0 ||
              count(&log, 0, &wp) == 5);
    CHECK_EQ_INT(count(&log, 0, &wp), 5);

    buf_fini(&d1);
    buf_fini(&d2);
    stream_writer_close(w);
    stream_writer_close(other);
    logdir_close(ld);
    tl_rmrf(dir);
}

int main(void)
{
    RUN(held_commit_redo);
    return harness_summary("test_local_log_hold");
}
