/* librill.c - issue 18's figures, through the public API (include/rill.h)
 * only, as an embedding program uses it.
 *
 *  1. push: events/s per core through rill_push into an in-memory engine
 *     whose query (TUMBLE 10 s COUNT/AVG/MIN/MAX per sensor, 2,000
 *     sensors, bench/query_engine.sh's query) runs in the same thread
 *     (rill_poll every 2,000 records);
 *  2. log: the same records written first to an engine's data directory
 *     (not timed), then the same query reading them from its own log
 *     (rill_exec + rill_wait, one worker thread);
 *     the ratio push/log (issue 18: push within 10% of log);
 *  3. RSS of an in-memory engine running examples/factory.sql (the demo's
 *     ten statements) over 200,000 readings, above the process before;
 *  4. the sizes of librill.so and librill.a (RILL_BUILD, as bench/run.sh
 *     sets it).
 * Every figure is checked: the windows' counts add up to the records, no
 * record skipped. Usage: librill [records] (default 1,000,000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "rill.h"

#define SENSORS 2000
#define BASE_TS 1700000000000LL

static const char *stream_sql =
    "CREATE STREAM readings (sensor_id STRING, machine_id STRING, kind "
    "STRING, value DOUBLE, unit STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS "
    "ts - INTERVAL '5' SECOND) WITH (topic = 'readings', format = 'json', "
    "key = 'sensor_id', partitions = 1);";
static const char *query_sql =
    "CREATE TABLE stats AS SELECT sensor_id, window_start, window_end, "
    "COUNT(*) AS n, AVG(value) AS a, MIN(value) AS lo, MAX(value) AS hi FROM "
    "TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
    "GROUP BY sensor_id, window_start, window_end;";

struct rec {
    int off, len, klen;
    long long ts;
};

static char *data;
static struct rec *recs;

/* n readings, one per sensor per second, in time order. */
static void generate(long n)
{
    static const char *kinds[] = {"vibration", "temperature", "current",
                                  "acoustic"};
    static const char *units[] = {"g", "C", "A", "dB"};
    data = malloc((size_t)n * 150);
    recs = malloc((size_t)n * sizeof *recs);
    if (!data || !recs)
        abort();
    size_t at = 0;
    for (long i = 0; i < n; i++) {
        int s = (int)(i % SENSORS), k = s % 4;
        long long ts = BASE_TS + (i / SENSORS) * 1000 + (s % 1000);
        int len = snprintf(
            data + at, 150,
            "{\"sensor_id\":\"s-%04d\",\"machine_id\":\"m-%04d\","
            "\"kind\":\"%s\",\"value\":%.4f,\"unit\":\"%s\","
            "\"ts\":%lld}",
            s, s / 4, kinds[k], 0.5 + (double)(i % 97) / 100.0, units[k], ts);
        recs[i] = (struct rec){(int)at + 14, len, 6, ts};
        recs[i].off = (int)at;
        at += (size_t)len;
    }
}

static int push(struct rill *db, long i)
{
    const char *v = data + recs[i].off;
    return rill_push(db, "readings", v + 14, 6, v, (size_t)recs[i].len,
                     recs[i].ts);
}

static long long counted;
static long windows;

static void on_window(void *arg, const struct rill_record *r)
{
    (void)arg;
    const char *p = memmem(r->value, r->value_len, "\"n\":", 4);
    if (p)
        counted += atoll(p + 4);
    windows++;
}

/* Every window, read back: the sum of their counts. */
static void count_windows(struct rill *db)
{
    struct rill_sub *sub;
    counted = 0;
    windows = 0;
    if (rill_subscribe(db, "stats", RILL_FROM_BEGINNING, on_window, NULL, &sub))
        return;
    while (rill_poll(db, 0) > 0)
        ;
    rill_unsubscribe(sub);
}

static double run_push(long n)
{
    struct rill_options o = {0};
    o.until_idle = 1;
    o.partition_bytes = 8u << 20;
    struct rill *db;
    if (rill_open(NULL, &o, &db) || rill_exec(db, stream_sql, NULL, NULL) ||
        rill_exec(db, query_sql, NULL, NULL)) {
        fprintf(stderr, "librill push: %s\n", rill_errmsg(db));
        exit(1);
    }
    /* The windows are read as they come (a ring keeps only the newest). */
    struct rill_sub *sub;
    counted = 0;
    windows = 0;
    if (rill_subscribe(db, "stats", RILL_FROM_BEGINNING, on_window, NULL, &sub))
        exit(1);
    double c0 = bench_cpu_s();
    for (long i = 0; i < n; i++) {
        if (push(db, i) ||
            (i % SENSORS == SENSORS - 1 && rill_poll(db, 0) < 0)) {
            fprintf(stderr, "librill push: %s\n", rill_errmsg(db));
            exit(1);
        }
    }
    if (rill_wait(db)) {
        fprintf(stderr, "librill push: %s\n", rill_errmsg(db));
        exit(1);
    }
    while (rill_poll(db, 0) > 0)
        ;
    double cpu = bench_cpu_s() - c0;
    int64_t skipped = -1;
    rill_query_counter(db, "q_1", "records_skipped", &skipped);
    if (skipped != 0 || counted != n) {
        fprintf(stderr,
                "librill push: %lld of %ld records in the windows, %lld "
                "skipped\n",
                counted, n, (long long)skipped);
        exit(1);
    }
    rill_close(db);
    return cpu;
}

static double run_log(long n)
{
    char dir[] = "/tmp/rill-bench-lib-XXXXXX";
    if (!mkdtemp(dir))
        abort();
    struct rill_options o = {0};
    o.until_idle = 1;
    o.workers = 1;
    struct rill *db;
    if (rill_open(dir, &o, &db) || rill_exec(db, stream_sql, NULL, NULL)) {
        fprintf(stderr, "librill log: %s\n", rill_errmsg(db));
        exit(1);
    }
    for (long i = 0; i < n; i++)
        if (push(db, i))
            exit(1);
    if (rill_flush(db))
        exit(1);
    double c0 = bench_cpu_s();
    if (rill_exec(db, query_sql, NULL, NULL) || rill_wait(db)) {
        fprintf(stderr, "librill log: %s\n", rill_errmsg(db));
        exit(1);
    }
    double cpu = bench_cpu_s() - c0;
    count_windows(db);
    if (counted != n) {
        fprintf(stderr, "librill log: %lld of %ld records in the windows\n",
                counted, n);
        exit(1);
    }
    rill_close(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return cpu;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) == (size_t)n)
        s[n] = '\0';
    fclose(f);
    return s;
}

/* The factory demo's statements in memory: the RSS they add. */
static void run_factory(void)
{
    const char *root = getenv("RILL_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/factory.sql", root ? root : ".");
    char *sql = slurp(path);
    if (!sql) {
        printf("librill factory_rss SKIPPED: no %s (set RILL_ROOT)\n", path);
        return;
    }
    long before = bench_rss_bytes();
    struct rill_options o = {0};
    struct rill *db;
    if (rill_open(NULL, &o, &db) || rill_exec(db, sql, NULL, NULL)) {
        fprintf(stderr, "librill factory: %s\n", rill_errmsg(db));
        exit(1);
    }
    long n = 200000;
    for (long i = 0; i < n; i++) {
        const char *v = data + recs[i].off;
        if (rill_push(db, "readings", v + 14, 6, v, (size_t)recs[i].len,
                      recs[i].ts) ||
            (i % 1000 == 999 && rill_poll(db, 0) < 0)) {
            fprintf(stderr, "librill factory: %s\n", rill_errmsg(db));
            exit(1);
        }
    }
    rill_poll(db, 0);
    long after = bench_rss_bytes();
    printf("librill factory_rss statements=10 readings=%ld rss_added_mb=%.1f "
           "budget_mb=64\n",
           n, (double)(after - before) / (1 << 20));
    rill_close(db);
    free(sql);
}

static void sizes(void)
{
    const char *b = getenv("RILL_BUILD");
    if (!b)
        return;
    const char *names[] = {"librill.so", "librill.a"};
    for (int i = 0; i < 2; i++) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", b, names[i]);
        if (!stat(p, &st))
            printf("librill size file=%s bytes=%lld\n", names[i],
                   (long long)st.st_size);
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    generate(n > 200000 ? n : 200000);
    double push_cpu = run_push(n), log_cpu = run_log(n);
    printf("librill push events=%ld cpu_s=%.3f events_per_cpu_s=%.0f\n", n,
           push_cpu, n / push_cpu);
    printf("librill log events=%ld cpu_s=%.3f events_per_cpu_s=%.0f\n", n,
           log_cpu, n / log_cpu);
    printf("librill push_vs_log ratio=%.3f\n", log_cpu / push_cpu);
    run_factory();
    sizes();
    return 0;
}
