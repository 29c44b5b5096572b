/* test_sql_over.c - OVER aggregations through the planner: EXPLAIN of
 * inline and named windows, ROWS / RANGE / UNBOUNDED frames, the anomaly
 * functions, the outer query that filters OVER results, EMIT LATE INTO,
 * and every refusal with its line and column. Their output on the log is
 * covered by the golden cases tests/golden/over_*.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness.h"
#include "base/buf.h"
#include "log/logdir.h"
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
    "WITH (topic = 'readings', format = 'json', partitions = 2, "
    "key = 'sensor_id');\n"
    "CREATE STREAM nokey (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3), "
    "WATERMARK FOR ts AS ts) WITH (format = 'json', partitions = 2);\n"
    "CREATE STREAM notime (sensor_id STRING, value DOUBLE) "
    "WITH (format = 'json', partitions = 1);\n";

static void env_open(struct env *e, bool until_idle)
{
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/rill-over-XXXXXX");
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

#define W                                                                      \
    "(PARTITION BY sensor_id ORDER BY ts ROWS BETWEEN 9 PRECEDING AND "        \
    "CURRENT ROW)"

static const struct {
    const char *sql;
    const char *want; /* substring of the plan, or "ERR ..." exactly */
} cases[] = {
    {"EXPLAIN SELECT sensor_id, AVG(value) OVER " W " AS a FROM readings",
     "over aggregate: PARTITION BY sensor_id ORDER BY event time; each row "
     "once the watermark passes it\n"
     "  key check: a record whose Kafka key is not its sensor_id, or that "
     "sits in another partition than murmur2(key) picks, is not computed: "
     "to topic readings.dlq\n"
     "  over 0: (AVG value (over (partition-by sensor_id) (order-by (ts asc)) "
     "(rows 9))), ROWS 9 PRECEDING\n"
     "  late rows (ts <= watermark): counted\n"
     "project: sensor_id STRING = sensor_id, a DOUBLE = AVG(value) OVER"},
    {"EXPLAIN SELECT ZSCORE(value) OVER w AS z, CUSUM(value, 0.5, -1) OVER w "
     "FROM readings WINDOW w AS (PARTITION BY sensor_id ORDER BY ts RANGE "
     "BETWEEN INTERVAL '30' SECOND PRECEDING AND CURRENT ROW)",
     "ERR line 1, column 43: CUSUM: k must be >= 0 and h > 0"},
    {"EXPLAIN SELECT z FROM (SELECT sensor_id, ZSCORE(value) OVER w AS z "
     "FROM readings WINDOW w AS (PARTITION BY sensor_id ORDER BY ts RANGE "
     "BETWEEN INTERVAL '30' SECOND PRECEDING AND CURRENT ROW)) WHERE z > 4",
     "  over 0: (ZSCORE value (over w)), RANGE 30000 ms PRECEDING\n"
     "  late rows (ts <= watermark): counted\n"
     "filter (outer WHERE): (> z 4)\n"
     "project: z DOUBLE = z\n"},
    {"EXPLAIN SELECT EWMA(value, 0.2) OVER (PARTITION BY sensor_id ORDER BY "
     "ts) AS e FROM readings EMIT LATE INTO late_over",
     "  over 0: (EWMA value 0.2 (over (partition-by sensor_id) (order-by "
     "(ts asc)))), every row of the key\n"
     "  late rows: to late_over (topic late_over, created if missing), "
     "counted\n"},
    {"EXPLAIN SELECT *, COUNT(*) OVER (PARTITION BY sensor_id ORDER BY ts "
     "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c FROM readings",
     "project: sensor_id STRING = sensor_id, kind STRING = kind, value "
     "DOUBLE = value, n INT = n, ts TIMESTAMP(3) = ts, c BIGINT = "},
    /* errors, with their positions */
    {"EXPLAIN SELECT AVG(value) OVER w FROM readings",
     "ERR line 1, column 16: unknown window 'w' (define it with WINDOW w AS "
     "(...))"},
    {"EXPLAIN SELECT AVG(value) OVER (PARTITION BY sensor_id ORDER BY ts) "
     "FROM readings",
     "ERR line 1, column 16: AVG OVER needs a frame: ROWS BETWEEN n "
     "PRECEDING, RANGE BETWEEN INTERVAL ... PRECEDING or ROWS BETWEEN "
     "UNBOUNDED PRECEDING (AND CURRENT ROW)"},
    {"EXPLAIN SELECT AVG(value) OVER (PARTITION BY sensor_id ORDER BY n "
     "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM readings",
     "ERR line 1, column 65: OVER is ordered by event time: ORDER BY ts "
     "(ascending)"},
    {"EXPLAIN SELECT AVG(value) OVER (PARTITION BY sensor_id ORDER BY ts "
     "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), MAX(value) OVER "
     "(PARTITION BY kind, sensor_id ORDER BY ts ROWS BETWEEN 2 PRECEDING AND "
     "CURRENT ROW) FROM readings",
     "ERR line 1, column 111: every OVER window of a query must have the same "
     "PARTITION BY (here: sensor_id)"},
    {"EXPLAIN SELECT AVG(value) OVER (PARTITION BY sensor_id ORDER BY ts "
     "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM nokey",
     /* not keyed by sensor_id: repartitioned by it */
     "repartition: by sensor_id to topic select-repartition (2 partitions, "
     "binary rows, record timestamp = event time, a watermark marker from "
     "every stage-0 task)\nstage 1: 2 tasks, one per partition of topic "
     "select-repartition; watermark = min over the stage-0 tasks' "
     "markers\nover aggregate: PARTITION BY sensor_id"},
    {"EXPLAIN SELECT AVG(value) OVER (PARTITION BY sensor_id ORDER BY value "
     "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM notime",
     "ERR line 1, column 65: OVER is ordered by event time: ORDER BY the "
     "stream's WATERMARK column, and this stream declares none"},
    {"EXPLAIN SELECT sensor_id FROM readings WHERE AVG(value) OVER (PARTITION "
     "BY sensor_id ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) > 1",
     "ERR line 1, column 46: OVER is allowed in the SELECT list only"},
    {"EXPLAIN SELECT MAD_SCORE(value) OVER (PARTITION BY sensor_id ORDER BY "
     "ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM readings",
     "ERR line 1, column 16: MAD_SCORE needs a bounded frame (ROWS BETWEEN n "
     "PRECEDING or RANGE BETWEEN INTERVAL ... PRECEDING)"},
    {"EXPLAIN SELECT AVG(kind) OVER (PARTITION BY sensor_id ORDER BY ts ROWS "
     "BETWEEN 2 PRECEDING AND CURRENT ROW) FROM readings",
     "ERR line 1, column 16: AVG over OVER needs a number"},
    {"EXPLAIN SELECT EWMA(value, n) OVER (PARTITION BY sensor_id ORDER BY ts) "
     "FROM readings",
     "ERR line 1, column 28: the parameters of EWMA must be number "
     "literals"},
    {"EXPLAIN SELECT sensor_id, COUNT(*) OVER (PARTITION BY sensor_id ORDER "
     "BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM readings GROUP BY "
     "sensor_id",
     "ERR line 1, column 9: OVER cannot be combined with GROUP BY or a "
     "window table function in one query"},
    {"EXPLAIN SELECT COUNT(*) OVER (PARTITION BY sensor_id ORDER BY ts ROWS "
     "BETWEEN 2 PRECEDING AND CURRENT ROW) FROM readings ALLOWED LATENESS "
     "INTERVAL '5' SECOND",
     "ERR line 1, column 139: ALLOWED LATENESS does not apply to OVER: a "
     "row is computed once the watermark passes it, and rows after that are "
     "late (EMIT LATE INTO keeps them)"},
    {"EXPLAIN SELECT c, COUNT(*) FROM (SELECT COUNT(*) OVER (PARTITION BY "
     "sensor_id ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS c "
     "FROM readings) GROUP BY c",
     "ERR line 1, column 9: a query over an OVER subquery may only filter "
     "(WHERE) and project its rows"},
    {"EXPLAIN SELECT COUNT(*) OVER w FROM readings WINDOW w AS (PARTITION BY "
     "sensor_id ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), w AS "
     "(ORDER BY ts)",
     "ERR line 1, column 137: window 'w' defined twice"},
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

int main(void)
{
    RUN(explain_table);
    return harness_summary("test_sql_over");
}
