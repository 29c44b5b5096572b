/* web_metrics.c - GET /metrics: the Prometheus text exposition format
 * (version 0.0.4) (layer: web).
 *
 * Families: the process counters of base/metrics.h (broker requests,
 * latency histograms per Kafka API, bytes, connections; log appends and
 * fsync latency; HTTP), the partitions of the logdir (offsets, sizes,
 * segments: read from atomics, any thread), and the queries' figures
 * (web_queries.c, through the SQL socket). Runs as a job because the
 * last part may wait for a running statement.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "kafka/kafka_proto.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "web/web_int.h"

static void family(struct buf *b, const char *name, const char *type,
                   const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(struct buf *b, const char *name, const char *help,
                    uint64_t v)
{
    family(b, name, "counter", help);
    buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

/* One histogram's samples; labels like `api="Produce"` or "". */
static void hist(struct buf *b, const char *name, const char *labels,
                 const uint64_t *buckets, uint64_t sum_us)
{
    uint64_t cum = 0;
    const char *sep = labels[0] ? "," : "";
    for (int i = 0; i < METRICS_BUCKETS - 1; i++) {
        cum += buckets[i];
        buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels,
                   sep, (double)metrics_bucket_le_us[i] / 1e6, cum);
    }
    cum += buckets[METRICS_BUCKETS - 1];
    buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep,
               cum);
    const char *open = labels[0] ? "{" : "", *close = labels[0] ? "}" : "";
    buf_printf(b, "%s_sum%s%s%s %.6f\n", name, open, labels, close,
               (double)sum_us / 1e6);
    buf_printf(b, "%s_count%s%s%s %" PRIu64 "\n", name, open, labels, close,
               cum);
}

static const char *api_label(int slot, char *tmp, size_t n)
{
    const char *name = kafka_api_name((int16_t)slot);
    if (!name || !*name || !strcmp(name, "Unknown")) {
        snprintf(tmp, n, "%d", slot);
        return tmp;
    }
    return name;
}

static void process_families(struct web *w, struct buf *b)
{
    struct metrics_snapshot *s = mem_alloc(sizeof *s);
    metrics_snapshot(s);
    uint64_t *c = s->counters;
    family(b, "rill_up", "gauge", "1 while rill serve runs.");
    buf_printf(b, "rill_up 1\n");
    family(b, "rill_start_time_seconds", "gauge",
           "When rill serve started (seconds since the epoch).");
    buf_printf(b, "rill_start_time_seconds %.3f\n",
               (double)w->started_ms / 1000.0);

    family(b, "rill_broker_requests_total", "counter",
           "Kafka requests received, per API.");
    char tmp[16];
    for (int i = 0; i < METRICS_API_SLOTS; i++)
        if (c[METRIC_BROKER_REQUESTS + i])
            buf_printf(
                b, "rill_broker_requests_total{api=\"%s\"} %" PRIu64 "\n",
                api_label(i, tmp, sizeof tmp), c[METRIC_BROKER_REQUESTS + i]);
    family(b, "rill_broker_request_duration_seconds", "histogram",
           "Kafka request received to response queued, per API (acks=-1 "
           "produce includes the fsync; fetch includes its long poll).");
    for (int i = 0; i < METRICS_API_SLOTS; i++) {
        const uint64_t *bk = s->buckets[METRIC_HIST_BROKER_API + i];
        uint64_t n = 0;
        for (int k = 0; k < METRICS_BUCKETS; k++)
            n += bk[k];
        if (!n)
            continue;
        char labels[64];
        snprintf(labels, sizeof labels, "api=\"%s\"",
                 api_label(i, tmp, sizeof tmp));
        hist(b, "rill_broker_request_duration_seconds", labels, bk,
             s->sum_us[METRIC_HIST_BROKER_API + i]);
    }
    counter(b, "rill_broker_bytes_in_total",
            "Bytes of Kafka request frames received.",
            c[METRIC_BROKER_BYTES_IN]);
    counter(b, "rill_broker_bytes_out_total",
            "Bytes of Kafka response frames sent (fetched record data "
            "included).",
            c[METRIC_BROKER_BYTES_OUT]);
    counter(b, "rill_broker_connections_opened_total",
            "Kafka client connections accepted.",
            c[METRIC_BROKER_CONNS_OPENED]);
    family(b, "rill_broker_connections", "gauge",
           "Kafka client connections open now.");
    buf_printf(b, "rill_broker_connections %" PRIu64 "\n",
               c[METRIC_BROKER_CONNS_OPENED] - c[METRIC_BROKER_CONNS_CLOSED]);
    counter(b, "rill_broker_bad_requests_total",
            "Malformed Kafka requests (each closed its connection).",
            c[METRIC_BROKER_BAD_REQUESTS]);

    counter(b, "rill_log_appends_total",
            "Appends to partitions (one or more record batches each).",
            c[METRIC_LOG_APPENDS]);
    counter(b, "rill_log_append_bytes_total", "Bytes appended to partitions.",
            c[METRIC_LOG_APPEND_BYTES]);
    counter(b, "rill_log_append_errors_total",
            "Appends refused (corrupt, too large) or failed.",
            c[METRIC_LOG_APPEND_ERRORS]);
    family(b, "rill_log_fsync_duration_seconds", "histogram",
           "One partition's group-commit fsync (segments and indexes).");
    hist(b, "rill_log_fsync_duration_seconds", "",
         s->buckets[METRIC_HIST_LOG_FSYNC], s->sum_us[METRIC_HIST_LOG_FSYNC]);

    counter(b, "rill_http_requests_total", "HTTP requests received.",
            c[METRIC_HTTP_REQUESTS]);
    counter(b, "rill_http_bad_requests_total",
            "Malformed HTTP requests (each closed its connection).",
            c[METRIC_HTTP_BAD_REQUESTS]);
    counter(b, "rill_http_ingest_records_total",
            "Records appended through POST /topics/{name}.",
            c[METRIC_HTTP_INGEST_RECORDS]);
    mem_free(s);
}

/* Per partition: offsets, size, segments (lock-free reads). */
static void partition_families(struct web *w, struct buf *b)
{
    char **names;
    size_t n;
    if (logdir_topic_list(w->o.logdir, &names, &n))
        return;
    static const char *const fam[][3] = {
        {"rill_log_end_offset", "gauge", "The partition's log end offset."},
        {"rill_log_start_offset", "gauge",
         "The partition's first retained offset."},
        {"rill_log_durable_offset", "gauge", "Offsets below it are fsync'ed."},
        {"rill_log_size_bytes", "gauge", "Bytes in the partition's segments."},
        {"rill_log_segments", "gauge", "Segment files of the partition."},
        {"rill_log_fetched_records_total", "counter",
         "Records Kafka fetches served from the partition."},
        {"rill_log_fetched_bytes_total", "counter",
         "Bytes Kafka fetches served from the partition."},
    };
    for (int f = 0; f < 7; f++) {
        family(b, fam[f][0], fam[f][1], fam[f][2]);
        for (size_t t = 0; t < n; t++) {
            int np = logdir_topic_partitions(w->o.logdir, names[t]);
            for (int i = 0; i < np; i++) {
                struct partition *p =
                    logdir_partition(w->o.logdir, names[t], i);
                if (!p)
                    continue;
                int64_t fr, fb;
                partition_fetched(p, &fr, &fb);
                int64_t v = f == 0   ? partition_high_watermark(p)
                            : f == 1 ? partition_log_start_offset(p)
                            : f == 2 ? partition_durable_offset(p)
                            : f == 3 ? partition_size_bytes(p)
                            : f == 4 ? partition_segment_count(p)
                            : f == 5 ? fr
                                     : fb;
                buf_printf(b, "%s{topic=\"%s\",partition=\"%d\"} %" PRId64 "\n",
                           fam[f][0], names[t], i, v);
            }
        }
    }
    logdir_names_free(names, n);
}

static void metrics_job(struct web_job *j, void *arg)
{
    (void)arg;
    struct web *w = web_job_web(j);
    struct buf b;
    buf_init(&b);
    process_families(w, &b);
    partition_families(w, &b);
    web_groups_metrics(w, &b);
    struct buf q;
    buf_init(&q);
    int rc = web_queries_metrics(j, &q);
    if (rc == ERR_CLOSED)
        goto out;
    family(&b, "rill_http_push_queries", "gauge",
           "Push queries (POST /query) streaming now.");
    buf_printf(&b, "rill_http_push_queries %d\n", atomic_load(&w->pushes));
    family(&b, "rill_sql_server_up", "gauge",
           "1 when the SQL server answered this scrape (query figures "
           "follow).");
    buf_printf(&b, "rill_sql_server_up %d\n", rc == 0);
    if (rc == 0)
        buf_put(&b, q.data, q.len);
    web_job_respond(j, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
out:
    buf_fini(&q);
    buf_fini(&b);
}

void web_metrics_get(struct web *w, struct http_conn *c)
{
    web_job_start(w, c, metrics_job, NULL);
}
