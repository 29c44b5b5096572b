/* test_metrics.c - per-thread counter shards: sums over threads are
 * exact, histograms land in the right buckets, and a shard handed to a
 * new thread after its owner exited keeps every count (sums only grow).
 */
#include "../../harness.h"

#include <pthread.h>

#include "base/metrics.h"

#define THREADS 4
#define ADDS 100000

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < ADDS; i++) {
        metrics_add(METRIC_LOG_APPENDS, 1);
        metrics_add(METRIC_LOG_APPEND_BYTES, 3);
    }
    metrics_observe_us(METRIC_HIST_LOG_FSYNC, 40);      /* <= 50 */
    metrics_observe_us(METRIC_HIST_LOG_FSYNC, 1000);    /* <= 1000 */
    metrics_observe_us(METRIC_HIST_LOG_FSYNC, 9000000); /* +Inf */
    return NULL;
}

static void run_threads(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, adder, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
}

TEST(sums_over_threads)
{
    struct metrics_snapshot s;
    run_threads();
    metrics_snapshot(&s);
    CHECK_EQ_INT(s.counters[METRIC_LOG_APPENDS], THREADS * ADDS);
    CHECK_EQ_INT(s.counters[METRIC_LOG_APPEND_BYTES], 3 * THREADS * ADDS);
    const uint64_t *b = s.buckets[METRIC_HIST_LOG_FSYNC];
    CHECK_EQ_INT(b[0], THREADS);
    CHECK_EQ_INT(b[4], THREADS); /* le 1000 us */
    CHECK_EQ_INT(b[METRICS_BUCKETS - 1], THREADS);
    CHECK_EQ_INT(s.sum_us[METRIC_HIST_LOG_FSYNC], THREADS * 9001040ull);
}

TEST(reused_shards_keep_counting)
{
    /* The threads of the first test exited; these reuse their shards. */
    run_threads();
    struct metrics_snapshot s;
    metrics_snapshot(&s);
    CHECK_EQ_INT(s.counters[METRIC_LOG_APPENDS], 2 * THREADS * ADDS);
    metrics_add(METRIC_HTTP_REQUESTS, 7); /* the main thread's own shard */
    metrics_snapshot(&s);
    CHECK_EQ_INT(s.counters[METRIC_HTTP_REQUESTS], 7);
    CHECK_EQ_INT(s.counters[METRIC_BROKER_BYTES_IN], 0);
}

TEST(out_of_range_ids_ignored)
{
    metrics_add((enum metric_counter)METRIC_COUNTERS, 1);
    metrics_observe_us((enum metric_hist)METRIC_HISTS, 1);
    struct metrics_snapshot s;
    metrics_snapshot(&s);
    CHECK_EQ_INT(s.counters[METRIC_HTTP_REQUESTS], 7);
}

int main(void)
{
    RUN(sums_over_threads);
    RUN(reused_shards_keep_counting);
    RUN(out_of_range_ids_ignored);
    return harness_summary("test_metrics");
}
