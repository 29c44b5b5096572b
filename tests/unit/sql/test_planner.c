/* test_planner.c - the planner through EXPLAIN: a table of SQL statements
 * with the plan text they must produce (whole, or lines it must contain)
 * or the exact error with line and column; and a transient SELECT run
 * over rows appended to the log (query_run.c) with exact output lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../harness.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "log/logdir.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "sql/catalog.h"
#include "sql/query_run.h"
#include "sql/sql_exec.h"

struct env {
    char dir[64];
    struct logdir *ld;
    struct catalog *cat;
    struct query_run *qr;
    struct sql_exec *ex;
    struct buf rows; /* SELECT output */
};

static int emit(void *arg, const char *line, size_t len)
{
    struct buf *b = arg;
    buf_put(b, line, len);
    buf_put_str(b, "\n");
    return 0;
}

static const char setup_sql[] =
    "CREATE STREAM readings (sensor_id STRING, kind STRING, value DOUBLE, "
    "n INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) "
    "WITH (topic = 'readings', format = 'json', partitions = 2);\n"
    "CREATE STREAM late_rows (sensor_id STRING, kind STRING, value DOUBLE, "
    "n INT, ts TIMESTAMP(3)) WITH (format = 'json');\n";

static void env_open(struct env *e, bool until_idle)
{
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/rill-planner-XXXXXX");
    if (!mkdtemp(e->dir)) {
        perror("mkdtemp");
        exit(1);
    }
    struct logdir_options lo;
    logdir_options_init(&lo);
    lo.no_flusher = true;
    if (logdir_open(e->dir, &lo, &e->ld) ||
        catalog_open(e->dir, &e->cat, NULL, 0)) {
        fprintf(stderr, "cannot open %s\n", e->dir);
        exit(1);
    }
    struct query_run_options qo = {.until_idle = until_idle, .idle_ms = 50};
    query_run_create(&qo, &e->qr);
    buf_init(&e->rows);
    struct sql_exec_options o = {.catalog = e->cat,
                                 .logdir = e->ld,
                                 .engine = &query_run_engine,
                                 .engine_ctx = e->qr,
                                 .emit = emit,
                                 .emit_arg = &e->rows};
    sql_exec_create(&o, &e->ex);
    struct buf out;
    struct sql_exec_error err;
    buf_init(&out);
    if (sql_exec_script(e->ex, setup_sql, strlen(setup_sql), &out, &err)) {
        fprintf(stderr, "setup: %s\n", err.message);
        exit(1);
    }
    buf_fini(&out);
}

static void env_close(struct env *e)
{
    sql_exec_destroy(e->ex);
    query_run_destroy(e->qr);
    catalog_close(e->cat);
    logdir_close(e->ld);
    buf_fini(&e->rows);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "rm failed\n");
}

/* Runs sql; returns the output text or "ERR <message>" (static buffer). */
static const char *run(struct env *e, const char *sql)
{
    static char res[8192];
    struct buf out;
    struct sql_exec_error err;
    buf_init(&out);
    if (sql_exec_script(e->ex, sql, strlen(sql), &out, &err))
        snprintf(res, sizeof res, "ERR %s", err.message);
    else
        snprintf(res, sizeof res, "%.*s", (int)out.len, (char *)out.data);
    buf_fini(&out);
    return res;
}

/* ---- EXPLAIN: whole text ---- */

TEST(explain_filter_project_whole)
{
    struct env e;
    env_open(&e, false);
    const char *got =
        run(&e, "EXPLAIN SELECT sensor_id, value * 2 AS v2 FROM readings "
                "WHERE value > 5 AND kind = 'temp' LIMIT 3;");
    CHECK_EQ_STR(
        got,
        "query: transient SELECT (rows to the terminal)\n"
        "2 tasks, one per partition of topic readings\n"
        "source: readings (topic readings, 2 partitions, format json, from "
        "the earliest offset)\n"
        "  event time: ts; watermark per partition = max(ts) - 5000 ms; "
        "query watermark = min over partitions (idle after 30000 ms)\n"
        "  every partition idle: the query watermark follows processing "
        "time - delay (watermark.idle-advance)\n"
        "  bad records: to topic readings.dlq, counted\n"
        "filter: (AND (> value 5) (= kind 'temp'))\n"
        "project: sensor_id STRING = sensor_id, v2 DOUBLE = value * 2\n"
        "sink: terminal, one JSON object per row, LIMIT 3\n");
    env_close(&e);
}

/* ---- EXPLAIN: lines it must contain, or the exact error ---- */

static const struct {
    const char *sql;
    const char *want; /* substring of the plan, or "ERR ..." exactly */
} cases[] = {
    {"EXPLAIN SELECT sensor_id, window_start, window_end, COUNT(*), "
     "AVG(value), MIN(value), MAX(value) FROM TABLE(TUMBLE(TABLE readings, "
     "DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY sensor_id, "
     "window_start, window_end",
     "window aggregate: TUMBLE(size 10000 ms)\n"
     "  keys: sensor_id, window_start, window_end (repartitioned)\n"
     "  aggregate 0: (COUNT *)\n"
     "  aggregate 1: (AVG value)\n"
     "  aggregate 2: (MIN value)\n"
     "  aggregate 3: (MAX value)\n"
     "  emit: FINAL (when the watermark passes window end); allowed "
     "lateness 0 ms\n"},
    /* readings has no key: rows of one sensor may be in both partitions */
    {"EXPLAIN SELECT sensor_id, window_start, window_end, COUNT(*) FROM "
     "TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
     "GROUP BY sensor_id, window_start, window_end",
     "stage 0: 2 tasks, one per partition of topic readings\n"},
    {"EXPLAIN SELECT sensor_id, window_start, window_end, COUNT(*) FROM "
     "TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
     "GROUP BY sensor_id, window_start, window_end",
     "repartition: by sensor_id to topic select-repartition (2 partitions, "
     "binary rows, record timestamp = event time, a watermark marker from "
     "every stage-0 task)\nstage 1: 2 tasks, one per partition of topic "
     "select-repartition; watermark = min over the stage-0 tasks' "
     "markers\n"},
    {"EXPLAIN SELECT sensor_id, window_start, window_end, COUNT(*) AS c "
     "FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' "
     "SECOND)) GROUP BY sensor_id, window_start, window_end",
     "project: sensor_id STRING = sensor_id, window_start TIMESTAMP(3) = "
     "window_start, window_end TIMESTAMP(3) = window_end, c BIGINT = "
     "COUNT(*)\n"},
    {"EXPLAIN SELECT kind, window_start, window_end, SUM(value) AS s FROM "
     "TABLE(HOP(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND, "
     "INTERVAL '1' MINUTE)) GROUP BY kind, window_start, window_end "
     "EMIT CHANGES",
     "window aggregate: HOP(slide 5000 ms, size 60000 ms)\n"
     "  keys: kind, window_start, window_end"},
    {"EXPLAIN SELECT kind, window_start, window_end, SUM(value) AS s FROM "
     "TABLE(HOP(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND, "
     "INTERVAL '1' MINUTE)) GROUP BY kind, window_start, window_end "
     "EMIT CHANGES",
     "emit: CHANGES (after each batch)"},
    {"EXPLAIN SELECT sensor_id, window_start, window_end, MAX(value) AS m "
     "FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '1' "
     "MINUTE)) GROUP BY sensor_id, window_start, window_end ALLOWED "
     "LATENESS INTERVAL '30' SECOND EMIT LATE INTO late_rows",
     "allowed lateness 30000 ms\n"
     "  late rows: to late_rows (topic late_rows), counted\n"},
    {"EXPLAIN SELECT sensor_id, window_start, window_end, COUNT(*) AS c "
     "FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' "
     "SECOND)) GROUP BY sensor_id, window_start, window_end HAVING "
     "COUNT(*) > 2",
     "filter (HAVING): (> (COUNT *) 2)\n"},
    {"EXPLAIN SELECT kind, COUNT(*) AS c FROM readings GROUP BY kind",
     "window aggregate: none (an updating GROUP BY)\n  keys: kind "},
    {"EXPLAIN CREATE STREAM hot AS SELECT sensor_id, value FROM readings "
     "WHERE value > 50",
     "query: persistent, writes hot\n"},
    {"EXPLAIN SELECT UPPER(kind) AS k, CASE WHEN value > 1 THEN 'hi' ELSE "
     "'lo' END AS level, CAST(n AS DOUBLE) / 2 AS half FROM readings WHERE "
     "kind IN ('a', 'b') AND value BETWEEN 1 AND 2 AND kind LIKE 't%' AND "
     "n IS NOT NULL",
     "project: k STRING = UPPER(kind), level STRING = CASE WHEN value > 1 "
     "THEN 'hi' ELSE 'lo' END, half DOUBLE = CAST(n AS DOUBLE) / 2\n"},
    {"EXPLAIN INSERT INTO late_rows SELECT sensor_id, n AS value FROM "
     "readings",
     "sink: late_rows (JSON rows, no record key)\n"},
    {"SET 'scan.startup.mode' = 'latest-offset';\nEXPLAIN SELECT * FROM "
     "readings",
     "from the latest offset)"},
    {"EXPLAIN SELECT kind, SUM(value * 2) AS s, MAX(value * 2) AS m FROM "
     "readings GROUP BY kind",
     "project (computed keys, aggregate arguments): input columns, $arg0 = "
     "(* value 2)\n"
     "project (to the repartition topic): kind, $arg0\n"
     "repartition: by kind to topic"},
    {"EXPLAIN SELECT sensor_id, AVG(UPPER(kind)) FROM readings GROUP BY "
     "sensor_id",
     "ERR line 1, column 31: AVG needs a number, but the argument is STRING"},
    {"EXPLAIN SELECT sensor_id, window_start, window_end FROM TABLE(TUMBLE("
     "TABLE readings, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) WHERE "
     "window_end > ts",
     "project (window columns): input columns, window_start, window_end of "
     "TUMBLE(size 60000 ms)\nfilter: (> window_end ts)\n"},
    {"EXPLAIN SELECT sensor_id, CURRENT_WATERMARK(ts) AS wm FROM readings",
     "wm TIMESTAMP(3) = CURRENT_WATERMARK(ts)"},
    {"EXPLAIN CREATE STREAM k1 WITH (key = 'sensor_id', partitions = 4) AS "
     "SELECT sensor_id, value FROM readings",
     "sink: k1 (JSON rows, record key sensor_id)\n"},
    {"EXPLAIN CREATE TABLE k2 AS SELECT kind, sensor_id, COUNT(*) AS c FROM "
     "readings GROUP BY sensor_id, kind",
     "sink: k2 (JSON rows, record key sensor_id+kind)\n"},
    {"EXPLAIN SELECT UPPER(kind) AS k, COUNT(*) AS c FROM readings GROUP BY "
     "UPPER(kind)",
     "$arg0 = (UPPER kind)\nproject (to the repartition topic): $arg0\n"
     "repartition: by (UPPER kind) to topic select-repartition"},
    {"EXPLAIN SELECT UPPER(kind) AS k, COUNT(*) AS c FROM readings GROUP BY "
     "UPPER(kind)",
     "window aggregate: none (an updating GROUP BY)\n"
     "  keys: (UPPER kind) (repartitioned)\n"},
    /* global aggregates (no GROUP BY key): every row to one final task */
    {"EXPLAIN SELECT COUNT(*) AS n FROM readings",
     "project (to the repartition topic): $row\n"
     "repartition: every row (no GROUP BY key: a global aggregate, one "
     "final task) to topic select-repartition (1 partition, binary rows, "
     "record timestamp = event time, a watermark marker from every stage-0 "
     "task)\nstage 1: 1 task, one per partition of topic "
     "select-repartition;"},
    {"EXPLAIN SELECT COUNT(*) AS n, AVG(value) AS a FROM readings",
     "project (to the repartition topic): value\n"},
    {"EXPLAIN SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE "
     "readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY "
     "window_start, window_end",
     "window aggregate: TUMBLE(size 10000 ms)\n"
     "  keys: window_start, window_end (repartitioned)\n"},
    {"EXPLAIN SELECT MAX(value) AS m FROM readings HAVING COUNT(*) > 1",
     "filter (HAVING): (> (COUNT *) 1)\n"},
    /* each error keeps its own message (a global aggregate's used to be
     * "cannot plan the repartition") */
    {"EXPLAIN SELECT sensor_id, COUNT(*) AS n FROM readings",
     "ERR line 1, column 16: column 'sensor_id' must appear in GROUP BY or "
     "be used in an aggregate function"},
    {"EXPLAIN SELECT window_start, kind, COUNT(*) AS n FROM TABLE(TUMBLE("
     "TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY "
     "window_start, window_end",
     "ERR line 1, column 30: column 'kind' must appear in GROUP BY or be "
     "used in an aggregate function"},
    /* CAST to DECIMAL(p, s): a DOUBLE rounded to s places */
    {"EXPLAIN SELECT CAST(value AS DECIMAL(10, 2)) AS v FROM readings",
     "project: v DOUBLE = CAST(value AS DECIMAL(10, 2))\n"},
    {"EXPLAIN SELECT sensor_id,\n  CAST(value AS DECIMAL(38, 2)) AS v FROM "
     "readings",
     "ERR line 2, column 3: CAST to DECIMAL(38,2): a precision above 15 is "
     "not supported (rill computes DECIMAL as DOUBLE, exact to 15 digits; "
     "CAST to DOUBLE, or ROUND(x, s))"},
    {"EXPLAIN SELECT CAST(ts AS DECIMAL(10, 2)) AS v FROM readings",
     "ERR line 1, column 16: cannot CAST this type to DECIMAL"},
    /* errors name line and column */
    {"EXPLAIN SELECT kind, COUNT(*) AS c FROM readings GROUP BY UPPER(kind)",
     "ERR line 1, column 16: column 'kind' must appear in GROUP BY or be "
     "used in an aggregate function"},
    {"EXPLAIN CREATE STREAM k3 WITH (key = 'nope') AS SELECT sensor_id FROM "
     "readings",
     "ERR line 1, column 9: key 'nope' is not an output column"},
    {"EXPLAIN SELECT * FROM TABLE(HOP(TABLE readings, DESCRIPTOR(ts), "
     "INTERVAL '5' SECOND, INTERVAL '10' SECOND))",
     "ERR line 1, column 23: HOP without GROUP BY is not supported yet "
     "(TUMBLE is)"},
    {"EXPLAIN INSERT INTO late_rows SELECT sensor_id, value * 2 AS v FROM "
     "readings",
     "ERR line 1, column 55: late_rows has no column 'v' (name the output "
     "columns like its columns)"},
    {"EXPLAIN INSERT INTO late_rows SELECT sensor_id, kind AS value FROM "
     "readings",
     "ERR line 1, column 49: 'value' is STRING but late_rows.value is "
     "DOUBLE"},
    {"EXPLAIN SELECT sensor_id FROM readings\nWHERE kind > 5",
     "ERR line 2, column 12: cannot compare these types (STRING > INT)"},
    {"EXPLAIN SELECT sensor_id, value + kind AS x FROM readings",
     "ERR line 1, column 33: arithmetic needs numeric operands (DOUBLE + "
     "STRING)"},
    {"EXPLAIN SELECT sensor_id FROM readings WHERE value",
     "ERR line 1, column 46: the condition must be BOOLEAN, not DOUBLE"},
    {"EXPLAIN SELECT sensor_id, value FROM TABLE(TUMBLE(TABLE readings, "
     "DESCRIPTOR(ts), INTERVAL '10' SECOND))\nGROUP BY sensor_id, "
     "window_start, window_end",
     "ERR line 1, column 27: column 'value' must appear in GROUP BY or be "
     "used in an aggregate function"},
    {"EXPLAIN SELECT sensor_id, AVG(kind) FROM readings GROUP BY sensor_id",
     "ERR line 1, column 31: AVG needs a number, but 'kind' is STRING"},
    {"EXPLAIN SELECT sensor_id, COUNT(*) AS c FROM TABLE(TUMBLE(TABLE "
     "readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY sensor_id",
     "ERR line 1, column 46: a window table function needs GROUP BY "
     "window_start, window_end"},
    {"EXPLAIN SELECT AVG(value) FROM readings WHERE n = 1 ORDER BY n",
     "ERR line 1, column 62: ORDER BY is not supported on streams yet"},
    {"EXPLAIN SELECT NOSUCH(value) FROM readings",
     "ERR line 1, column 16: unknown or unsupported function NOSUCH"},
    {"EXPLAIN SELECT value FROM readings WHERE AVG(value) > 1",
     "ERR line 1, column 42: aggregate functions need GROUP BY (or a window "
     "table function with GROUP BY window_start, window_end)"},
};

TEST(explain_table)
{
    struct env e;
    env_open(&e, false);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = run(&e, cases[i].sql);
        bool ok = !strncmp(cases[i].want, "ERR ", 4)
                      ? !strcmp(got, cases[i].want)
                      : strstr(got, "query: ") != NULL &&
                            strstr(got, cases[i].want) != NULL;
        if (!ok)
            fprintf(stderr, "  case %zu: %s\n  want: %s\n  got:  %s\n", i,
                    cases[i].sql, cases[i].want, got);
        CHECK(ok);
    }
    env_close(&e);
}

/* ---- running: rows appended to the log, a bounded SELECT ---- */

static void produce(struct env *e, int part, const char *const *values, int n)
{
    struct record_batch_builder b;
    struct buf out;
    record_batch_builder_init(&b, 0);
    buf_init(&out);
    for (int i = 0; i < n; i++) {
        struct slice v = slice_make(values[i], strlen(values[i]));
        record_batch_builder_add(&b, NULL, &v, 1000 + i, NULL, 0);
    }
    record_batch_builder_finish(&b, &out);
    CHECK_EQ_INT(partition_append(logdir_partition(e->ld, "readings", part),
                                  out.data, out.len, NULL),
                 0);
    buf_fini(&out);
    record_batch_builder_fini(&b);
}

TEST(run_select_filter_tumble_dlq)
{
    struct env e;
    env_open(&e, true);
    static const char *const p0[] = {
        "{\"sensor_id\":\"a\",\"value\":1.5,\"ts\":1000}",
        "{\"sensor_id\":\"a\",\"value\":7,\"ts\":4000}",
        "{broken",
        "{\"sensor_id\":\"a\",\"value\":3,\"ts\":12000}",
    };
    static const char *const p1[] = {
        "{\"sensor_id\":\"b\",\"value\":9,\"ts\":2000}",
        "{\"sensor_id\":\"b\",\"value\":10,\"ts\":25000}",
    };
    produce(&e, 0, p0, 4);
    produce(&e, 1, p1, 2);
    const char *got = run(&e, "SELECT sensor_id, value FROM readings WHERE "
                              "value > 5;");
    CHECK_EQ_STR(got, "");
    buf_put(&e.rows, "", 1);
    CHECK_EQ_STR((char *)e.rows.data, "{\"sensor_id\":\"a\",\"value\":7.0}\n"
                                      "{\"sensor_id\":\"b\",\"value\":9.0}\n"
                                      "{\"sensor_id\":\"b\",\"value\":10.0}\n");
    buf_reset(&e.rows);
    run(&e, "SELECT sensor_id, value FROM readings LIMIT 2;");
    buf_put(&e.rows, "", 1);
    CHECK_EQ_STR((char *)e.rows.data, "{\"sensor_id\":\"a\",\"value\":1.5}\n"
                                      "{\"sensor_id\":\"a\",\"value\":7.0}\n");
    buf_reset(&e.rows);
    run(&e, "SELECT sensor_id, window_start, COUNT(*) AS c, MAX(value) AS m "
            "FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL "
            "'10' SECOND)) GROUP BY sensor_id, window_start, window_end;");
    buf_put(&e.rows, "", 1);
    const char *w = (char *)e.rows.data;
    CHECK(strstr(w, "{\"sensor_id\":\"a\",\"window_start\":\"1970-01-01T00:"
                    "00:00.000Z\",\"c\":2,\"m\":7.0}\n"));
    CHECK(strstr(w, "{\"sensor_id\":\"b\",\"window_start\":\"1970-01-01T00:"
                    "00:00.000Z\",\"c\":1,\"m\":9.0}\n"));
    CHECK(strstr(w, "{\"sensor_id\":\"a\",\"window_start\":\"1970-01-01T00:"
                    "00:10.000Z\",\"c\":1,\"m\":3.0}\n"));
    CHECK(strstr(w, "{\"sensor_id\":\"b\",\"window_start\":\"1970-01-01T00:"
                    "00:20.000Z\",\"c\":1,\"m\":10.0}\n"));
    int lines = 0;
    for (const char *p = w; *p; p++)
        lines += *p == '\n';
    CHECK_EQ_INT(lines, 4);
    /* A SELECT has no side effects: the broken record is reported, not
     * written to readings.dlq. */
    CHECK(logdir_partition(e.ld, "readings.dlq", 0) == NULL);
    env_close(&e);
}

static int64_t topic_end(struct env *e, const char *topic)
{
    struct partition *p = logdir_partition(e->ld, topic, 0);
    return p ? partition_high_watermark(p) : -1;
}

static bool wait_end(struct env *e, const char *topic, int64_t n)
{
    for (int i = 0; i < 500; i++) {
        if (topic_end(e, topic) >= n)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* A persistent windowed query on its thread: a window fires when the
 * watermark (min over both partitions) passes it; a row arriving after
 * that goes to EMIT LATE INTO's stream and is counted per partition. */
TEST(persistent_late_rows)
{
    struct env e;
    env_open(&e, false);
    static const char *const p0[] = {
        "{\"sensor_id\":\"a\",\"value\":1,\"ts\":1000}",
        "{\"sensor_id\":\"a\",\"value\":2,\"ts\":30000}",
    };
    static const char *const p1[] = {
        "{\"sensor_id\":\"b\",\"value\":1,\"ts\":40000}",
    };
    static const char *const late[] = {
        "{\"sensor_id\":\"a\",\"value\":5,\"ts\":2000}",
    };
    produce(&e, 0, p0, 2);
    produce(&e, 1, p1, 1);
    const char *got =
        run(&e, "CREATE STREAM w AS SELECT sensor_id, window_start, COUNT(*) "
                "AS c FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), "
                "INTERVAL '10' SECOND)) GROUP BY sensor_id, window_start, "
                "window_end EMIT LATE INTO late_rows;");
    CHECK_EQ_STR(got, "created stream w (topic w, 1 partition), started "
                      "query q_1\n");
    CHECK(wait_end(&e, "w", 1)); /* a [0, 10 s) fired at watermark 25 s */
    CHECK_EQ_INT(topic_end(&e, "late_rows"), 0);
    produce(&e, 0, late, 1);
    CHECK(wait_end(&e, "late_rows", 1));
    /* The query's watermark is the minimum over its tasks, which take the
     * markers on their own threads, and a task publishes its counters
     * after the push that wrote the late row: give them a moment. */
    for (int i = 0; i < 500; i++) {
        got = run(&e, "DESCRIBE q_1;");
        if (strstr(got, "watermark: 1970-01-01T00:00:25.000Z (") &&
            strstr(got, "late rows partition 0: 1\n"))
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!strstr(got, "watermark: 1970-01-01T00:00:25.000Z ("))
        fprintf(stderr, "  DESCRIBE q_1:\n%s", got);
    CHECK(strstr(got, "late rows: 1\n") != NULL);
    CHECK(strstr(got, "late rows partition 0: 1\n") != NULL);
    CHECK(strstr(got, "watermark: 1970-01-01T00:00:25.000Z (") != NULL);
    CHECK_EQ_INT(topic_end(&e, "w"), 1); /* b's window is still open */
    env_close(&e);
}

int main(void)
{
    RUN(explain_filter_project_whole);
    RUN(explain_table);
    RUN(run_select_filter_tumble_dlq);
    RUN(persistent_late_rows);
    return harness_summary("test_planner");
}
