/* web_events.c - GET /events: the dashboard's live feed, as server-sent
 * events (layer: web).
 *
 * Once a second (?interval_ms= between 200 and 60000) one event
 * "overview": {"time", "time_iso", "counters": {...}, "topics": [...],
 * "groups": [...], "queries": [...]} (queries as GET /queries gives them;
 * null when the SQL server does not answer). Counters are totals since
 * start; the page derives rates from two events. Ends when the client
 * leaves or the server stops.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "web/web_int.h"

struct events {
    int interval_ms;
};

static void counters_json(struct buf *b)
{
    struct metrics_snapshot *s = mem_alloc(sizeof *s);
    metrics_snapshot(s);
    const uint64_t *c = s->counters;
    uint64_t produce = c[METRIC_BROKER_REQUESTS + 0];
    uint64_t fetch = c[METRIC_BROKER_REQUESTS + 1];
    buf_printf(b,
               "{\"broker_bytes_in\":%" PRIu64 ",\"broker_bytes_out\":%" PRIu64
               ",\"produce_requests\":%" PRIu64 ",\"fetch_requests\":%" PRIu64
               ",\"connections\":%" PRIu64 ",\"log_appends\":%" PRIu64
               ",\"log_append_bytes\":%" PRIu64 ",\"http_requests\":%" PRIu64
               ",\"http_ingest_records\":%" PRIu64 "}",
               c[METRIC_BROKER_BYTES_IN], c[METRIC_BROKER_BYTES_OUT], produce,
               fetch,
               c[METRIC_BROKER_CONNS_OPENED] - c[METRIC_BROKER_CONNS_CLOSED],
               c[METRIC_LOG_APPENDS], c[METRIC_LOG_APPEND_BYTES],
               c[METRIC_HTTP_REQUESTS], c[METRIC_HTTP_INGEST_RECORDS]);
    mem_free(s);
}

static void events_job(struct web_job *j, void *arg)
{
    struct events *e = arg;
    struct web *w = web_job_web(j);
    web_job_begin(j, 200, "text/event-stream");
    struct buf b, q;
    buf_init(&b);
    buf_init(&q);
    static const char hello[] = "retry: 2000\n\n";
    int rc = web_job_write(j, hello, sizeof hello - 1);
    while (rc == 0 && !web_job_gone(j)) {
        int64_t now = clock_now_ms();
        char iso[40];
        web_iso8601(now, iso, sizeof iso);
        buf_reset(&b);
        buf_printf(&b,
                   "event: overview\ndata: {\"time\":%" PRId64
                   ",\"time_iso\":\"%s\",\"counters\":",
                   now, iso);
        counters_json(&b);
        buf_put_str(&b, ",\"topics\":");
        web_topics_json(w, &b);
        buf_put_str(&b, ",\"groups\":");
        web_groups_json(w, &b);
        buf_put_str(&b, ",\"queries\":");
        buf_reset(&q);
        int qrc = web_queries_json(j, NULL, &q);
        if (qrc == ERR_CLOSED)
            break;
        if (qrc == 0)
            buf_put(&b, q.data, q.len);
        else
            buf_put_str(&b, "null");
        buf_put_str(&b, "}\n\n");
        rc = web_job_write(j, b.data, b.len);
        /* Sleep in slices, so a client that leaves is noticed soon. */
        for (int waited = 0;
             rc == 0 && waited < e->interval_ms && !web_job_gone(j);
             waited += 50) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    buf_fini(&q);
    buf_fini(&b);
    mem_free(e);
}

void web_events_get(struct web *w, struct http_conn *c,
                    const struct http_request *req)
{
    struct events *e = mem_calloc(1, sizeof *e);
    e->interval_ms = 1000;
    struct http_str v;
    char tmp[16];
    if (http_query_param(req->query, "interval_ms", &v) &&
        http_url_decode(v, tmp, sizeof tmp) > 0) {
        int ms = atoi(tmp);
        if (ms >= 200 && ms <= 60000)
            e->interval_ms = ms;
    }
    if (web_job_start(w, c, events_job, e))
        mem_free(e);
}
