/* test_mem_log.c - the log interface in memory: appends and reads by
 * offset, keys and NULLs kept apart, markers as control records, the ring
 * dropping its oldest records (start offset moves, ERR_RANGE below it),
 * records bigger than a ring refused, the budget refusing topics, the
 * wake-up after an append, topic list and delete. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../harness.h"
#include "base/clock.h"
#include "base/err.h"
#include "connect/mem_log.h"

static int read_all(struct stream_reader *r, int64_t from, char out[][32],
                    int max, int64_t *next)
{
    int n = 0;
    struct stream_chunk c;
    int rc;
    while ((rc = stream_reader_read(r, from, 1u << 20, &c)) == 1) {
        struct stream_record rec;
        while (stream_records_next(c.records, &rec) == 1 && n < max) {
            snprintf(out[n++], 32, "%s%.*s", rec.control ? "!" : "",
                     (int)rec.value_len, (const char *)rec.value);
        }
        from = c.next_offset;
        stream_reader_release(r);
    }
    *next = from;
    return rc < 0 ? rc : n;
}

TEST(test_append_read)
{
    struct mem_log *ml;
    mem_log_create(NULL, &ml);
    struct stream_log log;
    mem_log_stream_log(ml, &log);
    CHECK_EQ_INT(stream_log_create(&log, "t", 2), 0);
    CHECK_EQ_INT(stream_log_create(&log, "t", 2), ERR_EXISTS);
    CHECK_EQ_INT(stream_log_partitions(&log, "t"), 2);
    CHECK_EQ_INT(stream_log_partitions(&log, "u"), ERR_NOT_FOUND);
    struct stream_writer *w;
    CHECK_EQ_INT(stream_log_writer(&log, "t", false, &w), 0);
    CHECK_EQ_INT(stream_writer_partitions(w), 2);
    CHECK_EQ_INT(stream_writer_add(w, 1, "k", 1, true, "a", 1, 5), 0);
    CHECK_EQ_INT(stream_writer_add(w, 1, NULL, 0, false, "bb", 2, 7), 0);
    CHECK_EQ_INT(stream_writer_add(w, 1, "k", 1, true, NULL, 0, 9), 0);
    CHECK_EQ_INT(stream_writer_add(w, 2, "k", 1, true, "x", 1, 9), ERR_INVALID);
    CHECK_EQ_INT(stream_writer_marker(w, "m", 1), 0);
    CHECK_EQ_INT(stream_writer_flush(w, NULL), 0);
    struct stream_reader *r;
    CHECK_EQ_INT(stream_log_reader(&log, "t", 1, 0, &r), 0);
    CHECK_EQ_INT(stream_reader_start(r), 0);
    CHECK_EQ_INT(stream_reader_end(r), 4);
    struct stream_chunk c;
    CHECK_EQ_INT(stream_reader_read(r, 0, 1u << 20, &c), 1);
    struct stream_record rec;
    CHECK_EQ_INT(stream_records_next(c.records, &rec), 1);
    CHECK(!rec.key_null && rec.key_len == 1 && rec.key[0] == 'k');
    CHECK(rec.value_len == 1 && rec.value[0] == 'a' && rec.timestamp == 5);
    CHECK_EQ_INT(stream_records_next(c.records, &rec), 1);
    CHECK(rec.key_null && rec.value_len == 2 && rec.offset == 1);
    CHECK_EQ_INT(stream_records_next(c.records, &rec), 1);
    CHECK(rec.value_null && !rec.control);
    CHECK_EQ_INT(stream_records_next(c.records, &rec), 1);
    CHECK(rec.control && rec.value[0] == 'm');
    CHECK_EQ_INT(stream_records_next(c.records, &rec), 0);
    CHECK_EQ_INT(c.next_offset, 4);
    CHECK_EQ_INT(c.max_timestamp, 9);
    stream_reader_release(r);
    CHECK_EQ_INT(stream_reader_read(r, 4, 1u << 20, &c), 0);
    /* max_bytes 1: exactly one record */
    CHECK_EQ_INT(stream_reader_read(r, 1, 1, &c), 1);
    CHECK_EQ_INT(c.next_offset, 2);
    int64_t at;
    CHECK_EQ_INT(stream_reader_offset_for_time(r, 6, &at), 0);
    CHECK_EQ_INT(at, 1);
    stream_reader_close(r);
    /* The other partition got only the marker. */
    CHECK_EQ_INT(stream_log_reader(&log, "t", 0, 0, &r), 0);
    char got[8][32];
    int64_t next;
    CHECK_EQ_INT(read_all(r, 0, got, 8, &next), 1);
    CHECK_EQ_STR(got[0], "!m");
    stream_reader_close(r);
    stream_writer_close(w);
    mem_log_destroy(ml);
}

TEST(test_ring_drops_oldest)
{
    struct mem_log_options o = {.partition_bytes = 1000};
    struct mem_log *ml;
    mem_log_create(&o, &ml);
    struct stream_log log;
    mem_log_stream_log(ml, &log);
    struct stream_writer *w;
    CHECK_EQ_INT(stream_log_writer(&log, "t", true, &w), 0); /* created */
    char v[32];
    for (int i = 0; i < 500; i++) {
        int n = snprintf(v, sizeof v, "%09d", i); /* 9 bytes each */
        CHECK_EQ_INT(stream_writer_add(w, 0, NULL, 0, false, v, (size_t)n, i),
                     0);
    }
    char big[1001];
    memset(big, 'x', sizeof big);
    CHECK_EQ_INT(stream_writer_add(w, 0, NULL, 0, false, big, sizeof big, 0),
                 ERR_TOO_LARGE);
    struct stream_reader *r;
    CHECK_EQ_INT(stream_log_reader(&log, "t", 0, 0, &r), 0);
    int64_t start = stream_reader_start(r), end = stream_reader_end(r);
    CHECK_EQ_INT(end, 500);
    /* At most 1000/9 records fit; the newest are kept, in order. */
    CHECK(start > 380 && start < 500);
    struct stream_chunk c;
    CHECK_EQ_INT(stream_reader_read(r, 0, 1u << 20, &c), ERR_RANGE);
    char got[200][32];
    int64_t next;
    int n = read_all(r, start, got, 200, &next);
    CHECK_EQ_INT(n, end - start);
    CHECK_EQ_INT(next, 500);
    snprintf(v, sizeof v, "%09d", (int)start);
    CHECK_EQ_STR(got[0], v);
    CHECK_EQ_STR(got[n - 1], "000000499");
    stream_reader_close(r);
    stream_writer_close(w);
    mem_log_destroy(ml);
}

TEST(test_budget_topics_delete)
{
    /* What one partition costs, then a budget of three. */
    struct mem_log_options o = {.partition_bytes = 1u << 20};
    struct mem_log *ml;
    mem_log_create(&o, &ml);
    struct stream_log log;
    mem_log_stream_log(ml, &log);
    CHECK_EQ_INT(stream_log_create(&log, "one", 1), 0);
    size_t cost = mem_log_reserved(ml);
    CHECK(cost >= o.partition_bytes && cost < 2 * o.partition_bytes);
    mem_log_destroy(ml);
    o.budget_bytes = 3 * cost;
    mem_log_create(&o, &ml);
    mem_log_stream_log(ml, &log);
    CHECK_EQ_INT(stream_log_create(&log, "b", 2), 0);
    CHECK_EQ_INT(stream_log_create(&log, "a", 2), ERR_TOO_LARGE);
    CHECK(mem_log_reserved(ml) <= o.budget_bytes);
    CHECK_EQ_INT(stream_log_create(&log, "a", 0), 0); /* one partition */
    char **names;
    size_t n;
    CHECK_EQ_INT(stream_log_topics(&log, &names, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(names[0], "a");
    CHECK_EQ_STR(names[1], "b");
    stream_log_names_free(names, n);
    CHECK_EQ_INT(stream_log_delete(&log, "b"), 0);
    CHECK_EQ_INT(stream_log_delete(&log, "b"), ERR_NOT_FOUND);
    CHECK_EQ_INT(stream_log_create(&log, "c", 2), 0); /* room again */
    CHECK(stream_log_state_dir(&log) == NULL);
    mem_log_destroy(ml);
}

static void *late_append(void *arg)
{
    struct stream_log *log = arg;
    usleep(50 * 1000);
    struct stream_writer *w;
    if (stream_log_writer(log, "t", true, &w) == 0) {
        stream_writer_add(w, 0, NULL, 0, false, "x", 1, 0);
        stream_writer_flush(w, NULL);
        stream_writer_close(w);
    }
    return NULL;
}

TEST(test_wake)
{
    struct mem_log *ml;
    mem_log_create(NULL, &ml);
    struct stream_log log;
    mem_log_stream_log(ml, &log);
    uint64_t seq = stream_log_append_seq(&log);
    pthread_t t;
    pthread_create(&t, NULL, late_append, &log);
    int64_t t0 = clock_mono_ms();
    stream_log_wait(&log, seq, 5000);
    int64_t waited = clock_mono_ms() - t0;
    pthread_join(t, NULL);
    CHECK(stream_log_append_seq(&log) != seq);
    CHECK(waited < 4000); /* woken by the append, not the timeout */
    seq = stream_log_append_seq(&log);
    t0 = clock_mono_ms();
    stream_log_wait(&log, seq, 30);
    CHECK(clock_mono_ms() - t0 >= 25); /* nothing: the timeout */
    mem_log_destroy(ml);
}

int main(void)
{
    RUN(test_append_read);
    RUN(test_ring_drops_oldest);
    RUN(test_budget_topics_delete);
    RUN(test_wake);
    return harness_summary("test_mem_log");
}
