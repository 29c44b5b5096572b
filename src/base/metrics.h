/* metrics.h - process-wide counters and latency histograms for /metrics
 * (layer: base).
 *
 * Every thread that counts gets its own shard of counters (a thread-local
 * pointer, claimed on first use); an increment is a load and a store of a
 * relaxed atomic that only that thread writes: no lock, no contended
 * cache line, no syscall. A scrape (metrics_snapshot) sums every shard. A
 * shard whose thread exited is handed to the next new thread, which goes on
 * adding to it, so every sum only grows (Prometheus counters).
 * The ids are fixed here; names, help and labels are given by the web layer
 * (web/web_metrics.c), which formats the exposition.
 * Threads: metrics_add / metrics_observe_us from any thread; snapshot from
 * any thread (it reads while others write: each value is exact, the set is
 * not one instant).
 */
#ifndef RILL_METRICS_H
#define RILL_METRICS_H

#include <stdint.h>

/* Kafka API keys counted one by one (a key at or above it counts in the
 * last slot). */
#define METRICS_API_SLOTS 80

enum metric_counter {
    METRIC_BROKER_BYTES_IN,     /* request frames, length prefix included */
    METRIC_BROKER_BYTES_OUT,    /* response frames, file ranges included */
    METRIC_BROKER_CONNS_OPENED, /* accepted Kafka connections */
    METRIC_BROKER_CONNS_CLOSED, /* closed Kafka connections */
    METRIC_BROKER_BAD_REQUESTS, /* frames that closed their connection */
    METRIC_LOG_APPENDS,         /* successful partition_append calls */
    METRIC_LOG_APPEND_BYTES,    /* bytes they wrote */
    METRIC_LOG_APPEND_ERRORS,   /* appends refused or failed */
    METRIC_HTTP_REQUESTS,       /* HTTP requests answered */
    METRIC_HTTP_BAD_REQUESTS, /* malformed HTTP requests (connection closed) */
    METRIC_HTTP_INGEST_RECORDS, /* records appended by POST /topics/{t} */
    METRIC_BROKER_REQUESTS,     /* + api key: METRICS_API_SLOTS slots */
    METRIC_COUNTERS = METRIC_BROKER_REQUESTS + METRICS_API_SLOTS
};

enum metric_hist {
    METRIC_HIST_LOG_FSYNC,  /* one partition's fdatasync(s), microseconds */
    METRIC_HIST_BROKER_API, /* + api key: request in to response queued */
    METRIC_HISTS = METRIC_HIST_BROKER_API + METRICS_API_SLOTS
};

/* Upper bounds of the histogram buckets in microseconds; the last bucket
 * (+Inf) is implicit. */
#define METRICS_BUCKETS 16
extern const uint64_t metrics_bucket_le_us[METRICS_BUCKETS - 1];

void metrics_add(enum metric_counter c, uint64_t n);
void metrics_observe_us(enum metric_hist h, uint64_t us);
/* The monotonic clock in microseconds (for measuring what to observe). */
uint64_t metrics_now_us(void);

/* Sums over every shard. Buckets are per bucket (not cumulative). */
struct metrics_snapshot {
    uint64_t counters[METRIC_COUNTERS];
    uint64_t buckets[METRIC_HISTS][METRICS_BUCKETS];
    uint64_t sum_us[METRIC_HISTS];
};
void metrics_snapshot(struct metrics_snapshot *out);

#endif
