/* query_wake.c - G3 in-process: input append -> persistent query output
 * append latency.
 *
 * Opens a fresh data directory, runs `CREATE STREAM alerts AS SELECT ...
 * FROM readings WHERE value > 5` on the SQL engine (query_run, its own
 * thread), then appends one matching JSON record at a time to `readings`
 * (partition_append, as the broker does) and times until `alerts` has the
 * output record (its high watermark moved). Rounds are a few ms apart so
 * the query task is idle, waiting, when the record comes: the case the
 * task loop's wake-up (logdir_wait_append) is for. Prints
 *   query_wake p50_us=.. p99_us=.. max_us=.. rounds=..
 * Usage: query_wake [rounds] (default 300). Figures are indicative.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "sql/catalog.h"
#include "sql/query_run.h"
#include "sql/sql_exec.h"

static const char SCRIPT[] =
    "CREATE STREAM readings (sensor_id STRING, value DOUBLE, "
    "ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) "
    "WITH (topic = 'readings', format = 'json', partitions = 1);\n"
    "CREATE STREAM alerts AS SELECT sensor_id, value FROM readings "
    "WHERE value > 5;\n";

static int emit_none(void *arg, const char *line, size_t len)
{
    (void)arg;
    (void)line;
    (void)len;
    return 0;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void build(struct buf *out, int i)
{
    char v[160];
    int64_t now = clock_now_ms();
    time_t s = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    int n = snprintf(v, sizeof v,
                     "{\"sensor_id\":\"s%d\",\"value\":9.5,"
                     "\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"}",
                     i % 4, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(now % 1000));
    struct record_batch_builder b;
    record_batch_builder_init(&b, 0);
    struct slice val = slice_make(v, (size_t)n);
    record_batch_builder_add(&b, NULL, &val, now, NULL, 0);
    buf_reset(out);
    record_batch_builder_finish(&b, out);
    record_batch_builder_fini(&b);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 300;
    if (rounds < 1 || rounds > 100000)
        rounds = 300;
    char dir[] = "/tmp/rill-query-wake.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("query_wake: mkdtemp");
        return 1;
    }
    struct logdir *ld = NULL;
    struct catalog *cat = NULL;
    struct query_run *qr = NULL;
    struct sql_exec *ex = NULL;
    int64_t *lat = calloc((size_t)rounds, sizeof *lat);
    char msg[256];
    struct buf out, batch;
    buf_init(&out);
    buf_init(&batch);
    int rc = 1, n = 0;
    if (!lat || logdir_open(dir, NULL, &ld) ||
        catalog_open(dir, &cat, msg, sizeof msg) ||
        query_run_create(NULL, &qr)) {
        fprintf(stderr, "query_wake: setup failed\n");
        goto out;
    }
    struct sql_exec_options o = {
        .catalog = cat,
        .logdir = ld,
        .engine = &query_run_engine,
        .engine_ctx = qr,
        .emit = emit_none,
    };
    struct sql_exec_error err;
    memset(&err, 0, sizeof err);
    if (sql_exec_create(&o, &ex) ||
        sql_exec_script(ex, SCRIPT, sizeof SCRIPT - 1, &out, &err)) {
        fprintf(stderr, "query_wake: script failed: %.*s\n", (int)out.len,
                (const char *)out.data);
        goto out;
    }
    struct partition *in = logdir_partition(ld, "readings", 0);
    struct partition *alerts = NULL;
    for (int i = 0; i < 500 && !alerts; i++) {
        alerts = logdir_partition(ld, "alerts", 0);
        if (!alerts) {
            struct timespec ts = {0, 2000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (!in || !alerts) {
        fprintf(stderr, "query_wake: topics missing\n");
        goto out;
    }
    for (int i = 0; i < rounds; i++) {
        struct timespec gap = {0, 3000000L + (long)(i % 7) * 1000000L};
        nanosleep(&gap, NULL);
        int64_t before = partition_high_watermark(alerts);
        build(&batch, i);
        int64_t t0 = clock_mono_ns();
        if (partition_append(in, batch.data, batch.len, NULL) != 0)
            break;
        int64_t deadline = clock_mono_ms() + 2000;
        while (partition_high_watermark(alerts) == before &&
               clock_mono_ms() < deadline) {
            uint64_t seq = logdir_append_seq(ld);
            if (partition_high_watermark(alerts) != before)
                break;
            logdir_wait_append(ld, seq, 50);
        }
        if (partition_high_watermark(alerts) == before) {
            fprintf(stderr, "query_wake: no output for round %d\n", i);
            break;
        }
        lat[n++] = (clock_mono_ns() - t0) / 1000;
    }
    if (n == rounds) {
        qsort(lat, (size_t)n, sizeof *lat, cmp64);
        printf("query_wake p50_us=%lld p99_us=%lld max_us=%lld rounds=%d\n",
               (long long)lat[n / 2], (long long)lat[(n * 99) / 100],
               (long long)lat[n - 1], n);
        rc = 0;
    }
out:
    sql_exec_destroy(ex);
    query_run_destroy(qr); /* stops queries before the log */
    catalog_close(cat);
    logdir_close(ld);
    buf_fini(&out);
    buf_fini(&batch);
    free(lat);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "query_wake: could not remove %s\n", dir);
    return rc;
}
