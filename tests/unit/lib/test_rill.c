/* test_rill.c - librill's public API (include/rill.h) from C, as an
 * embedding program uses it: open, SQL, push, subscribe, poll, counters,
 * and every error a program can get. */
#include "rill.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness.h"

static char dir_buf[64];

static const char *fresh_dir(void)
{
    snprintf(dir_buf, sizeof dir_buf, "/tmp/rill-lib-XXXXXX");
    if (!mkdtemp(dir_buf))
        abort();
    return dir_buf;
}

static void rm_dir(const char *d)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", d);
}

struct seen {
    int n;
    char last[256];
};

static void on_rec(void *arg, const struct rill_record *r)
{
    struct seen *s = arg;
    s->n++;
    snprintf(s->last, sizeof s->last, "%.*s", (int)r->value_len,
             (const char *)r->value);
}

static void on_text(void *arg, const char *t, size_t len)
{
    struct seen *s = arg;
    s->n++;
    snprintf(s->last, sizeof s->last, "%.*s", (int)len, t);
}

static const char *stream =
    "CREATE STREAM r (id STRING, v DOUBLE, ts TIMESTAMP(3), "
    "WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) "
    "WITH (topic = 'r', format = 'json', key = 'id', partitions = 2);";

TEST(test_errors)
{
    const char *d = fresh_dir();
    struct rill *db;
    CHECK_EQ_INT(rill_open(d, NULL, &db), 0);
    CHECK_EQ_STR(rill_errmsg(db), "");
    /* An SQL error names line and column. */
    CHECK_EQ_INT(rill_exec(db, "SHOW STREAMS;\nSELEC 1;", NULL, NULL),
                 RILL_ESQL);
    CHECK(strstr(rill_errmsg(db), "line 2, column 1") != NULL);
    CHECK_EQ_INT(rill_exec(db, "SELECT x FROM nowhere;", NULL, NULL),
                 RILL_ESQL);
    CHECK(strstr(rill_errmsg(db), "nowhere") != NULL);
    /* Unknown names. */
    CHECK_EQ_INT(rill_push(db, "nowhere", NULL, 0, "{}", 2, -1),
                 RILL_ENOTFOUND);
    CHECK(strstr(rill_errmsg(db), "nowhere") != NULL);
    struct rill_sub *sub = (struct rill_sub *)1;
    struct seen s = {0, ""};
    CHECK_EQ_INT(rill_subscribe(db, "nowhere", RILL_FROM_END, on_rec, &s, &sub),
                 RILL_ENOTFOUND);
    CHECK(sub == NULL);
    CHECK_EQ_INT(rill_subscribe(db, "nowhere", 7, on_rec, &s, &sub),
                 RILL_EINVAL);
    int64_t v;
    CHECK_EQ_INT(rill_query_counter(db, "q_9", "rows_in", &v), RILL_ENOTFOUND);
    CHECK_EQ_INT(rill_wait(db), RILL_EINVAL); /* not until_idle */
    /* The directory is locked while the engine has it. */
    struct rill *db2;
    CHECK_EQ_INT(rill_open(d, NULL, &db2), RILL_EBUSY);
    CHECK(strstr(rill_errmsg(db2), "in use") != NULL);
    CHECK_EQ_INT(rill_exec(db2, "SHOW STREAMS;", NULL, NULL), RILL_ECLOSED);
    rill_close(db2);
    rill_close(db);
    rill_close(NULL);
    rm_dir(d);
}

TEST(test_push_query_subscribe)
{
    const char *d = fresh_dir();
    struct rill *db;
    CHECK_EQ_INT(rill_open(d, NULL, &db), 0);
    struct seen t = {0, ""};
    CHECK_EQ_INT(rill_exec(db, stream, on_text, &t), 0);
    CHECK(strstr(t.last, "created stream r") != NULL);
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE STREAM hot AS SELECT id, v FROM r "
                           "WHERE v > 10;",
                           on_text, &t),
                 0);
    CHECK(strstr(t.last, "started query q_1") != NULL);
    struct rill_sub *sub;
    struct seen s = {0, ""};
    CHECK_EQ_INT(rill_subscribe(db, "hot", RILL_FROM_END, on_rec, &s, &sub), 0);
    char json[128];
    for (int i = 0; i < 100; i++) {
        int n =
            snprintf(json, sizeof json, "{\"id\":\"k%d\",\"v\":%d,\"ts\":%d}",
                     i % 4, i % 20, 1000 + i);
        CHECK_EQ_INT(rill_push(db, "r", json + 7, 2, json, (size_t)n, 1000 + i),
                     0);
    }
    /* 9 of every 20 values are > 10: 45 rows, delivered by poll. */
    for (int tries = 0; tries < 100 && s.n < 45; tries++)
        CHECK(rill_poll(db, 100) >= 0);
    CHECK_EQ_INT(s.n, 45);
    CHECK(strstr(s.last, "\"v\":1") != NULL); /* 11..19 */
    /* Counters are published by the tasks as they go: soon, not at once. */
    int64_t rows = -1;
    for (int tries = 0; tries < 100 && rows != 100; tries++) {
        CHECK_EQ_INT(rill_query_counter(db, "q_1", "rows_in", &rows), 0);
        if (rows != 100)
            rill_poll(db, 20);
    }
    CHECK_EQ_INT(rows, 100);
    CHECK_EQ_INT(rill_query_counter(db, "q_1", "rows out", &rows), 0);
    CHECK_EQ_INT(rows, 45);
    CHECK_EQ_INT(rill_query_counter(db, "q_1", "no_such", &rows),
                 RILL_ENOTFOUND);
    /* A transient SELECT's rows come through the text callback. */
    struct seen sel = {0, ""};
    CHECK_EQ_INT(rill_exec(db, "SELECT id, v FROM hot LIMIT 3;", on_text, &sel),
                 0);
    CHECK(sel.n >= 3);
    rill_unsubscribe(sub);
    rill_close(db);
    /* Reopened: the stream and its rows are still there; the query
     * resumed and the subscription from the beginning sees every row. */
    CHECK_EQ_INT(rill_open(d, NULL, &db), 0);
    struct seen again = {0, ""};
    CHECK_EQ_INT(
        rill_subscribe(db, "hot", RILL_FROM_BEGINNING, on_rec, &again, &sub),
        0);
    while (rill_poll(db, 200) > 0)
        ;
    CHECK_EQ_INT(again.n, 45);
    CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), RILL_ESQL);
    CHECK(strstr(rill_errmsg(db), "already exists") != NULL);
    rill_close(db); /* closes the subscription too */
    rm_dir(d);
}

TEST(test_until_idle_windows)
{
    const char *d = fresh_dir();
    struct rill_options o = {0};
    o.until_idle = 1;
    o.workers = 1;
    struct rill *db;
    CHECK_EQ_INT(rill_open(d, &o, &db), 0);
    CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), 0);
    char json[128];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(json, sizeof json,
                         "{\"id\":\"k%d\",\"v\":1,\"ts\":%d}", i % 4, i * 100);
        CHECK_EQ_INT(rill_push(db, "r", json + 7, 2, json, (size_t)n, i * 100),
                     0);
    }
    CHECK_EQ_INT(rill_flush(db), 0);
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE TABLE w AS SELECT id, window_start, "
                           "COUNT(*) AS n FROM TABLE(TUMBLE(TABLE r, "
                           "DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
                           "GROUP BY id, window_start, window_end;",
                           NULL, NULL),
                 0);
    CHECK_EQ_INT(rill_wait(db), 0);
    struct rill_sub *sub;
    struct seen s = {0, ""};
    CHECK_EQ_INT(rill_subscribe(db, "w", RILL_FROM_BEGINNING, on_rec, &s, &sub),
                 0);
    while (rill_poll(db, 200) > 0)
        ;
    /* 100 s of rows, 4 keys: 10 windows each, 25 rows per window. */
    CHECK_EQ_INT(s.n, 40);
    CHECK(strstr(s.last, "\"n\":25") != NULL);
    int64_t fired = 0;
    CHECK_EQ_INT(rill_query_counter(db, "q_1", "windows_fired", &fired), 0);
    CHECK_EQ_INT(fired, 40);
    rill_close(db);
    rm_dir(d);
}

/* Threads of this process (the test itself is single-threaded). */
static int threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

TEST(test_in_memory)
{
    int before = threads();
    struct rill_options o = {0};
    o.memory_bytes = 8u << 20;
    o.partition_bytes = 64u << 10;
    struct rill *db;
    CHECK_EQ_INT(rill_open(NULL, &o, &db), 0);
    CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), 0);
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE STREAM hot AS SELECT id, v FROM r "
                           "WHERE v > 10;",
                           NULL, NULL),
                 0);
    struct rill_sub *sub;
    struct seen s = {0, ""};
    CHECK_EQ_INT(rill_subscribe(db, "hot", RILL_FROM_END, on_rec, &s, &sub), 0);
    char json[128];
    for (int i = 0; i < 100; i++) {
        int n =
            snprintf(json, sizeof json, "{\"id\":\"k%d\",\"v\":%d,\"ts\":%d}",
                     i % 4, i % 20, 1000 + i);
        CHECK_EQ_INT(rill_push(db, "r", json + 7, 2, json, (size_t)n, 1000 + i),
                     0);
    }
    /* The queries run inside rill_poll, in this thread. */
    CHECK_EQ_INT(rill_poll(db, 0), 45);
    CHECK_EQ_INT(s.n, 45);
    CHECK_EQ_INT(threads(), before);
    /* Over the budget: a stream that does not fit is refused. */
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE STREAM big (id STRING) WITH (topic = 'big', "
                           "format = 'json', partitions = 200);",
                           NULL, NULL),
                 RILL_ETOOLARGE);
    /* A ring keeps the newest records: 64 KiB of 100-byte records. */
    char pad[101];
    memset(pad, 'x', 100);
    pad[100] = 0;
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(json, sizeof json,
                         "{\"id\":\"k0\",\"v\":1,\"p\":\"%.60s\"}", pad);
        CHECK_EQ_INT(rill_push(db, "r", "k0", 2, json, (size_t)n, 2000 + i), 0);
    }
    CHECK(rill_poll(db, 0) >= 0);
    struct rill_sub *all;
    struct seen a = {0, ""};
    CHECK_EQ_INT(rill_subscribe(db, "r", RILL_FROM_BEGINNING, on_rec, &a, &all),
                 0);
    while (rill_poll(db, 0) > 0)
        ;
    CHECK(a.n > 100 && a.n < 5000); /* the oldest were dropped */
    /* ... and the query that had not read them counts them: never a
     * silent gap. */
    int64_t skipped = 0;
    CHECK_EQ_INT(rill_query_counter(db, "q_1", "records_skipped", &skipped), 0);
    CHECK(skipped > 0 && skipped < 5000);
    CHECK_EQ_INT(threads(), before);
    rill_close(db);
}

TEST(test_in_memory_windows)
{
    struct rill_options o = {0};
    o.until_idle = 1;
    struct rill *db;
    CHECK_EQ_INT(rill_open(NULL, &o, &db), 0);
    CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), 0);
    char json[128];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(json, sizeof json,
                         "{\"id\":\"k%d\",\"v\":1,\"ts\":%d}", i % 4, i * 100);
        CHECK_EQ_INT(rill_push(db, "r", json + 7, 2, json, (size_t)n, i * 100),
                     0);
    }
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE TABLE w AS SELECT id, window_start, "
                           "COUNT(*) AS n FROM TABLE(TUMBLE(TABLE r, "
                           "DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
                           "GROUP BY id, window_start, window_end;",
                           NULL, NULL),
                 0);
    CHECK_EQ_INT(rill_wait(db), 0);
    struct rill_sub *sub;
    struct seen s = {0, ""};
    CHECK_EQ_INT(rill_subscribe(db, "w", RILL_FROM_BEGINNING, on_rec, &s, &sub),
                 0);
    while (rill_poll(db, 0) > 0)
        ;
    CHECK_EQ_INT(s.n, 40); /* the same windows as on a data directory */
    /* The state a query holds is a counter too. */
    int64_t sb = -1;
    CHECK_EQ_INT(rill_query_counter(db, "q_1", "state_bytes", &sb), 0);
    CHECK(sb > 0);
    CHECK(strstr(s.last, "\"n\":25") != NULL);
    rill_close(db);
}

TEST(test_push_row)
{
    struct rill_options o = {0};
    struct rill *db;
    CHECK_EQ_INT(rill_open(NULL, &o, &db), 0);
    CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), 0);
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE STREAM hot AS SELECT id, v, ts FROM r "
                           "WHERE v > 10;",
                           NULL, NULL),
                 0);
    struct rill_sub *sub, *raw;
    struct seen s = {0, ""}, in = {0, ""};
    CHECK_EQ_INT(rill_subscribe(db, "hot", RILL_FROM_END, on_rec, &s, &sub), 0);
    CHECK_EQ_INT(rill_subscribe(db, "r", RILL_FROM_END, on_rec, &in, &raw), 0);
    struct rill_value row[3];
    row[0].type = RILL_STRING;
    row[0].v.s.p = "m\"1";
    row[0].v.s.n = 3;
    row[1].type = RILL_DOUBLE;
    row[1].v.d = 12.5;
    row[2].type = RILL_TIMESTAMP;
    row[2].v.i = 1767225600123;
    CHECK_EQ_INT(rill_push_row(db, "r", row, 3), 0);
    row[1].type = RILL_INT; /* an INT for a DOUBLE column */
    row[1].v.i = 3;
    CHECK_EQ_INT(rill_push_row(db, "r", row, 3), 0);
    CHECK(rill_poll(db, 0) >= 1);
    CHECK_EQ_INT(in.n, 2);
    CHECK_EQ_INT(s.n, 1);
    CHECK(strstr(s.last, "\"id\":\"m\\\"1\"") != NULL);
    CHECK(strstr(s.last, "\"v\":12.5") != NULL);
    CHECK(strstr(s.last, "2026-01-01T00:00:00.123Z") != NULL);
    /* Refusals name what is wrong; nothing is pushed. */
    CHECK_EQ_INT(rill_push_row(db, "r", row, 2), RILL_EINVAL);
    CHECK(strstr(rill_errmsg(db), "3 columns") != NULL);
    row[1].type = RILL_STRING;
    CHECK_EQ_INT(rill_push_row(db, "r", row, 3), RILL_EINVAL);
    CHECK(strstr(rill_errmsg(db), "r.v") != NULL);
    CHECK_EQ_INT(rill_push_row(db, "nowhere", row, 3), RILL_ENOTFOUND);
    CHECK_EQ_INT(rill_poll(db, 0), 0);
    CHECK_EQ_INT(in.n, 2);
    rill_close(db);
}

/* Virtual clock: processing time is the pushed records' timestamps and
 * moves on only with rill_advance, so a quiet stream's last windows fire at
 * the same point on every run. */
TEST(test_virtual_clock)
{
    struct rill_options o = {0};
    o.virtual_clock = 1;
    struct rill *db;
    CHECK_EQ_INT(rill_open(NULL, &o, &db), 0);
    CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), 0);
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE TABLE w AS SELECT id, window_start, "
                           "COUNT(*) AS n FROM TABLE(TUMBLE(TABLE r, "
                           "DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
                           "GROUP BY id, window_start, window_end;",
                           NULL, NULL),
                 0);
    struct rill_sub *sub;
    struct seen s = {0, ""};
    CHECK_EQ_INT(rill_subscribe(db, "w", RILL_FROM_BEGINNING, on_rec, &s, &sub),
                 0);
    char json[128];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(json, sizeof json,
                         "{\"id\":\"k%d\",\"v\":1,\"ts\":%d}", i % 4, i * 100);
        CHECK_EQ_INT(rill_push(db, "r", json + 7, 2, json, (size_t)n, i * 100),
                     0);
    }
    /* The watermark is 9.9 s - 1 s: the window [0, 10 s) stays open. */
    CHECK_EQ_INT(rill_poll(db, 0), 0);
    /* 29 s later the inputs are not idle yet (timeout 30 s)... */
    CHECK_EQ_INT(rill_advance(db, 9900 + 29000), 0);
    CHECK_EQ_INT(rill_poll(db, 0), 0);
    CHECK_EQ_INT(s.n, 0);
    /* ... 31 s later they are, and the watermark follows the clock. */
    CHECK_EQ_INT(rill_advance(db, 9900 + 31000), 0);
    CHECK_EQ_INT(rill_poll(db, 0), 4);
    CHECK(strstr(s.last, "\"n\":25") != NULL);
    /* Time never goes back; the wall clock is not used. */
    CHECK_EQ_INT(rill_advance(db, 0), 0);
    CHECK_EQ_INT(rill_poll(db, 0), 0);
    rill_close(db);

    /* Only in memory, only with the option. */
    CHECK_EQ_INT(rill_open(NULL, NULL, &db), 0);
    CHECK_EQ_INT(rill_advance(db, 1000), RILL_EINVAL);
    CHECK(strstr(rill_errmsg(db), "virtual_clock") != NULL);
    rill_close(db);
    const char *d = fresh_dir();
    CHECK_EQ_INT(rill_open(d, &o, &db), RILL_EINVAL);
    CHECK(strstr(rill_errmsg(db), "in-memory") != NULL);
    rill_close(db);
    rm_dir(d);
}

/* Operator state counts against the in-memory budget: a query whose
 * windows would take more than the rings leave is stopped with an error
 * naming it, the engine goes on. */
TEST(test_state_budget)
{
    struct rill_options o = {0};
    o.memory_bytes = 3u << 20;
    o.partition_bytes = 256u << 10;
    struct rill *db;
    CHECK_EQ_INT(rill_open(NULL, &o, &db), 0);
    CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), 0);
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE TABLE per_key AS SELECT id, window_start, "
                           "COUNT(*) AS n FROM TABLE(TUMBLE(TABLE r, "
                           "DESCRIPTOR(ts), INTERVAL '1' HOUR)) "
                           "GROUP BY id, window_start, window_end;",
                           NULL, NULL),
                 0);
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE STREAM hot AS SELECT id FROM r WHERE v > 5;",
                           NULL, NULL),
                 0);
    char json[128], key[32];
    int rc = 0, i;
    for (i = 0; i < 400000 && rc >= 0; i++) {
        int kn = snprintf(key, sizeof key, "key-%d", i);
        int n =
            snprintf(json, sizeof json, "{\"id\":\"%s\",\"v\":%d,\"ts\":%d}",
                     key, i % 10, 1000 + i);
        CHECK_EQ_INT(
            rill_push(db, "r", key, (size_t)kn, json, (size_t)n, 1000 + i), 0);
        if (i % 1000 == 999)
            rc = rill_poll(db, 0);
    }
    CHECK_EQ_INT(rc, RILL_ETOOLARGE);
    CHECK(i < 400000);
    CHECK(strstr(rill_errmsg(db), "query q_1 stopped") != NULL);
    CHECK(strstr(rill_errmsg(db), "memory budget") != NULL);
    /* Reported once; the other query goes on. */
    CHECK(rill_poll(db, 0) >= 0);
    int64_t in = 0;
    CHECK_EQ_INT(rill_query_counter(db, "q_2", "rows_in", &in), 0);
    CHECK(in >= i - 1000);
    rill_close(db);

    /* A query whose reading buffers do not fit is refused when created,
     * never left reading nothing. */
    o.memory_bytes = 300u << 10;
    o.partition_bytes = 64u << 10;
    CHECK_EQ_INT(rill_open(NULL, &o, &db), 0);
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE STREAM s (id STRING, v DOUBLE) WITH (topic "
                           "= 's', format = 'json', partitions = 1);",
                           NULL, NULL),
                 0);
    CHECK_EQ_INT(
        rill_exec(db, "CREATE STREAM t AS SELECT id FROM s;", NULL, NULL),
        RILL_ETOOLARGE);
    CHECK(strstr(rill_errmsg(db), "memory budget") != NULL);
    rill_close(db);
}

/* Engines open and close without a leak (the sanitizer build runs this
 * with LeakSanitizer). */
TEST(test_many_engines)
{
    for (int i = 0; i < 10000; i++) {
        struct rill_options o = {0};
        o.memory_bytes = 1u << 20;
        o.partition_bytes = 64u << 10;
        struct rill *db;
        CHECK_EQ_INT(rill_open(NULL, &o, &db), 0);
        if (i % 10 == 0) {
            CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), 0);
            CHECK_EQ_INT(rill_exec(db,
                                   "CREATE STREAM hot AS SELECT id FROM r "
                                   "WHERE v > 1;",
                                   NULL, NULL),
                         0);
            const char *j = "{\"id\":\"k\",\"v\":2,\"ts\":1}";
            CHECK_EQ_INT(rill_push(db, "r", "k", 1, j, strlen(j), 1), 0);
            CHECK(rill_poll(db, 0) >= 0);
        }
        rill_close(db);
    }
    for (int i = 0; i < 50; i++) {
        const char *d = fresh_dir();
        struct rill *db;
        CHECK_EQ_INT(rill_open(d, NULL, &db), 0);
        CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), 0);
        rill_close(db);
        rm_dir(d);
    }
}

/* Pulling rows instead of callbacks. */
TEST(test_pull)
{
    struct rill_options o = {0};
    struct rill *db;
    CHECK_EQ_INT(rill_open(NULL, &o, &db), 0);
    CHECK_EQ_INT(rill_exec(db, stream, NULL, NULL), 0);
    CHECK_EQ_INT(rill_exec(db,
                           "CREATE STREAM hot AS SELECT id, v FROM r "
                           "WHERE v > 10;",
                           NULL, NULL),
                 0);
    struct rill_sub *sub;
    CHECK_EQ_INT(rill_subscribe(db, "hot", RILL_FROM_END, NULL, NULL, &sub), 0);
    struct rill_record rec;
    CHECK_EQ_INT(rill_sub_next(sub, &rec, 0), 0); /* nothing yet */
    char json[128];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(json, sizeof json, "{\"id\":\"k%d\",\"v\":%d}", i % 4,
                         i % 20);
        CHECK_EQ_INT(rill_push(db, "r", json + 7, 2, json, (size_t)n, 1000 + i),
                     0);
    }
    /* rill_poll leaves a pulled subscription alone. */
    CHECK_EQ_INT(rill_poll(db, 0), 0);
    int got = 0, above = 0;
    int64_t last = -1;
    while (rill_sub_next(sub, &rec, 0) == 1) {
        got++;
        above += strstr((const char *)rec.value, "\"v\":1") != NULL;
        CHECK(rec.offset > last || rec.partition != 0);
        if (rec.partition == 0)
            last = rec.offset;
    }
    CHECK_EQ_INT(got, 45);
    CHECK(above == 45); /* v is 11..19 */
    CHECK_EQ_INT(rill_sub_next(sub, &rec, 0), 0);
    CHECK_EQ_INT(rill_sub_next(NULL, &rec, 0), RILL_EINVAL);
    rill_unsubscribe(sub);
    rill_close(db);
}

TEST(test_version)
{
    CHECK_EQ_STR(rill_version(), RILL_VERSION);
}

int main(void)
{
    RUN(test_errors);
    RUN(test_virtual_clock);
    RUN(test_state_budget);
    RUN(test_many_engines);
    RUN(test_pull);
    RUN(test_push_query_subscribe);
    RUN(test_until_idle_windows);
    RUN(test_in_memory);
    RUN(test_in_memory_windows);
    RUN(test_push_row);
    RUN(test_version);
    return harness_summary("test_rill");
}
