/* test_window_oracle.c - the window operator against sqlite3: random,
 * seeded, out-of-order rows (disorder < watermark delay, some NULL values)
 * go through a pipeline with TUMBLE or HOP COUNT/SUM/MIN/MAX/AVG; the same
 * rows go into sqlite3 (run with popen), whose GROUP BY must give exactly
 * the same rows. Also checks that no row was late. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness.h"
#include "base/err.h"
#include "stream/pipeline.h"

#define NROWS 6000
#define MAXOUT 20000

static struct schema sch;
static char *ours[MAXOUT];
static int nours;

static void fmt_num(char *buf, size_t n, struct value v)
{
    if (value_is_null(v))
        snprintf(buf, n, "NULL");
    else if (v.type == SCHEMA_DOUBLE)
        snprintf(buf, n, "%.6f", v.u.f64);
    else
        snprintf(buf, n, "%.6f", (double)v.u.i64);
}

static int sink(void *arg, const struct row_batch *b)
{
    (void)arg;
    for (int r = 0; r < b->nrows && nours < MAXOUT; r++) {
        char line[256], f[5][48];
        struct value k = row_batch_get(b, r, 0);
        for (int c = 1; c < 5; c++)
            fmt_num(f[c], sizeof(f[c]), row_batch_get(b, r, 3 + c));
        snprintf(f[0], sizeof(f[0]), "%lld",
                 (long long)row_batch_get(b, r, 3).u.i64);
        snprintf(line, sizeof(line), "%.*s|%lld|%lld|%s|%s|%s|%s|%s",
                 (int)k.u.str.len, k.u.str.ptr,
                 (long long)row_batch_get(b, r, 1).u.i64,
                 (long long)row_batch_get(b, r, 2).u.i64, f[0], f[1], f[2],
                 f[3], f[4]);
        ours[nours++] = strdup(line);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void run_case(uint64_t seed, enum window_kind kind, int64_t size,
                     int64_t slide)
{
    rng_state = seed;
    nours = 0;
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    src.schema = &sch;
    src.time_column = 2;
    src.npartitions = 3;
    src.watermark_delay_ms = 4000; /* disorder is below 3000 ms */
    struct pipeline *p;
    CHECK_EQ_INT(pipeline_create(&src, &p), 0);
    struct window_agg_config w;
    memset(&w, 0, sizeof(w));
    w.window.kind = kind;
    w.window.size_ms = size;
    w.window.slide_ms = slide;
    w.nkeys = 1;
    w.naggs = 5;
    enum agg_func fs[5] = {AGG_COUNT_STAR, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG};
    for (int i = 0; i < 5; i++) {
        w.aggs[i].func = fs[i];
        w.aggs[i].column = 1;
    }
    struct window_agg *wa;
    CHECK_EQ_INT(pipeline_add_window_agg(p, &w, &wa), 0);
    CHECK_EQ_INT(pipeline_set_sink(p, sink, NULL), 0);

    char path[] = "/tmp/rill_oracle_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *sql = fdopen(fd, "w");
    fprintf(sql, "CREATE TABLE t(k TEXT, v REAL, ts INTEGER);\nBEGIN;\n");

    struct row_batch *b;
    row_batch_create(&sch, 512, &b);
    static char keys[16][16];
    for (int k = 0; k < 16; k++)
        snprintf(keys[k], sizeof(keys[k]), "k%02d", k);
    int64_t now = 0;
    for (int i = 0; i < NROWS; i++) {
        int64_t ts = 1000000 + (int64_t)i * 23 - (int64_t)(rnd() % 3000);
        int k = (int)(rnd() % 16);
        bool null = rnd() % 20 == 0;
        double v = (double)(int64_t)(rnd() % 2001) - 1000.0;
        int part = (int)(rnd() % 3);
        int r = row_batch_begin_row(b);
        row_batch_set(b, r, 0, value_string(keys[k], 3));
        row_batch_set(b, r, 1, null ? value_null() : value_double(v));
        row_batch_set(b, r, 2, value_timestamp(ts));
        struct row_meta m = {0, i, ts, part, INT64_MIN};
        row_batch_commit_row(b, &m);
        if (null)
            fprintf(sql, "INSERT INTO t VALUES('%s',NULL,%lld);\n", keys[k],
                    (long long)ts);
        else
            fprintf(sql, "INSERT INTO t VALUES('%s',%.1f,%lld);\n", keys[k], v,
                    (long long)ts);
        if (row_batch_full(b) || rnd() % 97 == 0) {
            CHECK_EQ_INT(pipeline_push_rows(p, b, now++), 0);
            row_batch_reset(b);
        }
    }
    CHECK_EQ_INT(pipeline_push_rows(p, b, now++), 0);
    CHECK_EQ_INT(pipeline_end_of_input(p), 0);
    struct window_agg_stats st;
    window_agg_stats(wa, &st);
    CHECK_EQ_INT(st.rows_in, NROWS);
    CHECK_EQ_INT(st.rows_late, 0);
    CHECK_EQ_INT(st.groups_live, 0);

    const char *agg =
        "COUNT(*), "
        "CASE WHEN SUM(v) IS NULL THEN 'NULL' ELSE printf('%.6f', SUM(v)) END, "
        "CASE WHEN MIN(v) IS NULL THEN 'NULL' ELSE printf('%.6f', MIN(v)) END, "
        "CASE WHEN MAX(v) IS NULL THEN 'NULL' ELSE printf('%.6f', MAX(v)) END, "
        "CASE WHEN AVG(v) IS NULL THEN 'NULL' ELSE printf('%.6f', AVG(v)) END";
    fprintf(sql, "COMMIT;\n");
    if (kind == WINDOW_TUMBLE) {
        fprintf(sql,
                "SELECT k, ts - (ts %% %lld) AS ws, ts - (ts %% %lld) + %lld, "
                "%s FROM t GROUP BY k, ws;\n",
                (long long)size, (long long)size, (long long)size, agg);
    } else {
        fprintf(sql,
                "WITH RECURSIVE o(n) AS (SELECT 0 UNION ALL SELECT n+1 "
                "FROM o WHERE n+1 < %lld)\n",
                (long long)(size / slide));
        fprintf(sql,
                "SELECT k, ts - (ts %% %lld) - n * %lld AS ws, "
                "ts - (ts %% %lld) - n * %lld + %lld, %s FROM t, o "
                "GROUP BY k, ws;\n",
                (long long)slide, (long long)slide, (long long)slide,
                (long long)slide, (long long)size, agg);
    }
    fclose(sql);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "sqlite3 -batch -noheader -separator '|' < %s",
             path);
    FILE *in = popen(cmd, "r");
    CHECK(in != NULL);
    char *theirs[MAXOUT];
    int ntheirs = 0;
    char line[512];
    while (in && ntheirs < MAXOUT && fgets(line, sizeof(line), in)) {
        line[strcspn(line, "\r\n")] = 0;
        theirs[ntheirs++] = strdup(line);
    }
    CHECK_EQ_INT(in ? pclose(in) : -1, 0);
    unlink(path);

    qsort(ours, (size_t)nours, sizeof(char *), cmp_str);
    qsort(theirs, (size_t)ntheirs, sizeof(char *), cmp_str);
    CHECK(ntheirs > 100);
    CHECK_EQ_INT(nours, ntheirs);
    int diffs = 0;
    for (int i = 0; i < nours && i < ntheirs; i++) {
        if (strcmp(ours[i], theirs[i]) != 0 && diffs++ < 3)
            fprintf(stderr, "  ours   %s\n  sqlite %s\n", ours[i], theirs[i]);
    }
    CHECK_EQ_INT(diffs, 0);
    for (int i = 0; i < nours; i++)
        free(ours[i]);
    for (int i = 0; i < ntheirs; i++)
        free(theirs[i]);
    row_batch_destroy(b);
    pipeline_destroy(p);
}

TEST(tumble_matches_sqlite)
{
    run_case(42, WINDOW_TUMBLE, 10000, 0);
    run_case(7, WINDOW_TUMBLE, 1000, 0);
}

TEST(hop_matches_sqlite)
{
    run_case(99, WINDOW_HOP, 15000, 5000);
    run_case(1234, WINDOW_HOP, 4000, 1000);
}

/* Sessions against a naive reference: rows in random order, no watermark
 * until the end, so the merged sessions must equal those found by sorting
 * each key's rows by time and cutting where the gap exceeds `gap`
 * (a row at exactly last + gap still joins: Flink's touching rule). */
struct srow {
    int key;
    int64_t ts;
    double v;
};

static int cmp_srow(const void *a, const void *b)
{
    const struct srow *x = a, *y = b;
    if (x->key != y->key)
        return x->key - y->key;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

TEST(session_matches_naive)
{
    enum { N = 3000, GAP = 700 };
    static struct srow rs[N];
    rng_state = 2024;
    nours = 0;
    struct pipeline_source_config src;
    memset(&src, 0, sizeof(src));
    src.schema = &sch;
    src.time_column = 2;
    src.npartitions = 1;
    src.watermark_delay_ms = 1000000; /* more than the whole time range */
    struct pipeline *p;
    CHECK_EQ_INT(pipeline_create(&src, &p), 0);
    struct window_agg_config w;
    memset(&w, 0, sizeof(w));
    w.window.kind = WINDOW_SESSION;
    w.window.gap_ms = GAP;
    w.nkeys = 1;
    w.naggs = 5;
    enum agg_func fs[5] = {AGG_COUNT_STAR, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG};
    for (int i = 0; i < 5; i++) {
        w.aggs[i].func = fs[i];
        w.aggs[i].column = 1;
    }
    CHECK_EQ_INT(pipeline_add_window_agg(p, &w, NULL), 0);
    CHECK_EQ_INT(pipeline_set_sink(p, sink, NULL), 0);
    struct row_batch *b;
    row_batch_create(&sch, 256, &b);
    row_batch_set_time_column(b, 2);
    static char keys[8][16];
    for (int k = 0; k < 8; k++)
        snprintf(keys[k], sizeof(keys[k]), "k%02d", k);
    for (int i = 0; i < N; i++) {
        rs[i].key = (int)(rnd() % 8);
        rs[i].ts = (int64_t)(rnd() % 400000);
        rs[i].v = (double)(int64_t)(rnd() % 100);
        int r = row_batch_begin_row(b);
        row_batch_set(b, r, 0, value_string(keys[rs[i].key], 3));
        row_batch_set(b, r, 1, value_double(rs[i].v));
        row_batch_set(b, r, 2, value_timestamp(rs[i].ts));
        row_batch_commit_row(b, NULL);
        if (row_batch_full(b)) {
            /* all rows in processing time 0: no watermark advance */
            CHECK_EQ_INT(pipeline_push_rows(p, b, 0), 0);
            row_batch_reset(b);
        }
    }
    /* The watermark only moves at the end: delay covers everything. */
    CHECK_EQ_INT(pipeline_push_rows(p, b, 0), 0);
    CHECK_EQ_INT(pipeline_end_of_input(p), 0);
    qsort(rs, N, sizeof(rs[0]), cmp_srow);
    char *theirs[MAXOUT];
    int ntheirs = 0;
    for (int i = 0; i < N;) {
        int j = i;
        double sum = rs[i].v, mn = rs[i].v, mx = rs[i].v;
        while (j + 1 < N && rs[j + 1].key == rs[i].key &&
               rs[j + 1].ts <= rs[j].ts + GAP) {
            j++;
            sum += rs[j].v;
            mn = rs[j].v < mn ? rs[j].v : mn;
            mx = rs[j].v > mx ? rs[j].v : mx;
        }
        char line[256];
        snprintf(line, sizeof(line), "%s|%lld|%lld|%d|%.6f|%.6f|%.6f|%.6f",
                 keys[rs[i].key], (long long)rs[i].ts,
                 (long long)(rs[j].ts + GAP), j - i + 1, sum, mn, mx,
                 sum / (j - i + 1));
        theirs[ntheirs++] = strdup(line);
        i = j + 1;
    }
    qsort(ours, (size_t)nours, sizeof(char *), cmp_str);
    qsort(theirs, (size_t)ntheirs, sizeof(char *), cmp_str);
    CHECK(ntheirs > 500);
    CHECK_EQ_INT(nours, ntheirs);
    int diffs = 0;
    for (int i = 0; i < nours && i < ntheirs; i++)
        if (strcmp(ours[i], theirs[i]) != 0 && diffs++ < 3)
            fprintf(stderr, "  ours  %s\n  naive %s\n", ours[i], theirs[i]);
    CHECK_EQ_INT(diffs, 0);
    for (int i = 0; i < nours; i++)
        free(ours[i]);
    for (int i = 0; i < ntheirs; i++)
        free(theirs[i]);
    row_batch_destroy(b);
    pipeline_destroy(p);
}

int main(void)
{
    schema_init(&sch);
    schema_add(&sch, "k", SCHEMA_STRING, false, NULL);
    schema_add(&sch, "v", SCHEMA_DOUBLE, true, NULL);
    schema_add(&sch, "ts", SCHEMA_TIMESTAMP, false, NULL);
    RUN(tumble_matches_sqlite);
    RUN(hop_matches_sqlite);
    RUN(session_matches_naive);
    return harness_summary("test_window_oracle");
}
