/* test_sql_subq.c - subqueries in FROM, SELECT DISTINCT, deduplication
 * and Top-N through the planner: EXPLAIN of each plan (key check,
 * repartition, the rank operator, the outer query over a subquery,
 * cascaded windows) and every refusal with its line and column. Their
 * output on the log: golden cases tests/golden/dedup_*, topn_updates,
 * window_topn, distinct_ttl, cascade_windows, subquery_tvf, and the oracle
 * test tests/integration/test_sql_rank_oracle.py.
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
    "CREATE STREAM one (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3), "
    "WATERMARK FOR ts AS ts) WITH (format = 'json', partitions = 1);\n";

static void env_open(struct env *e, bool until_idle)
{
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/rill-subq-XXXXXX");
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

#define DEDUP(dir, from)                                                       \
    "SELECT sensor_id, value FROM (SELECT *, ROW_NUMBER() OVER (PARTITION "    \
    "BY sensor_id ORDER BY ts " dir ") AS rn FROM " from ") WHERE rn = 1"

static const struct {
    const char *sql;
    const char *want; /* substring of the plan, or "ERR ..." exactly */
} cases[] = {
    /* plans */
    {"EXPLAIN " DEDUP("", "readings"),
     "deduplicate: per sensor_id the row with the least ts, emitted once "
     "the watermark passes it (insert-only; an earlier row after that is "
     "late); state kept for every key (no 'table.exec.state.ttl')\n"
     "  key check: a record whose Kafka key is not its sensor_id, or that "
     "sits in another partition than murmur2(key) picks, is not ranked: to "
     "topic readings.dlq\n  -> rows to the outer query\n"
     "then, over the subquery's rows (same tasks):\n"
     "project: sensor_id STRING = sensor_id, value DOUBLE = value\n"},
    {"EXPLAIN " DEDUP("DESC", "nokey"),
     "repartition: by sensor_id to topic select-repartition (2 partitions"},
    {"EXPLAIN " DEDUP("DESC", "one"),
     "deduplicate: per sensor_id the row with the greatest ts, emitted as "
     "it arrives (upserts keyed by sensor_id)"},
    {"EXPLAIN SELECT * FROM (SELECT sensor_id, value, ts, ROW_NUMBER() OVER "
     "(PARTITION BY sensor_id ORDER BY value DESC, ts) AS rn FROM nokey) "
     "WHERE rn <= 3",
     "top-n: per sensor_id the first 3 by value DESC, ts; a row entering at "
     "rank r re-emits ranks r..3 (upserts keyed by sensor_id, rn)"},
    {"EXPLAIN SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "
     "window_start, window_end ORDER BY total DESC) AS rn FROM (SELECT "
     "window_start, window_end, sensor_id, SUM(value) AS total FROM "
     "TABLE(TUMBLE(TABLE one, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY "
     "window_start, window_end, sensor_id)) WHERE rn BETWEEN 1 AND 5",
     "window top-n: per window_start, window_end the first 5 by total DESC, "
     "emitted when the watermark passes window_end - 1"},
    {"SET 'table.exec.state.ttl' = '1 h'; EXPLAIN SELECT DISTINCT kind FROM "
     "readings",
     "repartition: by kind to topic select-repartition (2 partitions"},
    {"SET 'table.exec.state.ttl' = '1 h'; EXPLAIN SELECT DISTINCT kind FROM "
     "readings",
     "distinct: each row the first time its value is seen (1 column; "
     "insert-only); state of a key kept 3600000 ms of event time after its "
     "newest row ('table.exec.state.ttl')"},
    {"EXPLAIN SELECT window_start, SUM(s) FROM TABLE(TUMBLE(TABLE (SELECT "
     "sensor_id, window_time AS wt, SUM(value) AS s FROM TABLE(TUMBLE(TABLE "
     "one, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY sensor_id, "
     "window_start, window_end, window_time), DESCRIPTOR(wt), INTERVAL '1' "
     "MINUTE)) GROUP BY window_start, window_end",
     "project: sensor_id STRING = sensor_id, wt TIMESTAMP(3) = window_time, "
     "s DOUBLE = SUM(value)\n  -> rows to the outer query\n"
     "then, over the subquery's rows (same tasks):\n"
     "window aggregate: TUMBLE(size 60000 ms)\n"},
    {"EXPLAIN SELECT sensor_id, COUNT(*) AS n FROM (SELECT * FROM readings "
     "WHERE value > 2) GROUP BY sensor_id",
     "keys: sensor_id (includes the input's key sensor_id: no repartition"},
    {"EXPLAIN SELECT sensor_id, value FROM readings WHERE value > 1 UNION "
     "ALL SELECT sensor_id, value * 2 FROM nokey",
     "filter: each row with its branch's WHERE\n"
     "project: sensor_id STRING = the column 1 of each row's branch, value "
     "DOUBLE = the column 2 of each row's branch\n"
     "union all: 2 branches (readings, nokey), read by the same tasks, each "
     "row tagged with its branch; watermark = min over every partition of "
     "every branch, delay 5000 ms\n"},
    {"EXPLAIN SELECT kind, COUNT(*) AS c FROM (SELECT kind, ts FROM readings "
     "UNION ALL SELECT sensor_id, ts FROM nokey) GROUP BY kind",
     "then, over the subquery's rows (same tasks):\n"
     "project (to the repartition topic): kind\n"
     "repartition: by kind to topic select-repartition (2 partitions"},
    /* refusals, with their positions */
    {"EXPLAIN SELECT sensor_id FROM readings UNION SELECT sensor_id FROM "
     "nokey",
     "ERR line 1, column 40: UNION without ALL (distinct rows) is not "
     "supported: write UNION ALL"},
    {"EXPLAIN SELECT sensor_id, value FROM readings UNION ALL SELECT "
     "sensor_id FROM nokey",
     "ERR line 1, column 57: UNION ALL branch 2 has 1 columns, the first 2"},
    {"EXPLAIN SELECT sensor_id, value FROM readings UNION ALL SELECT value, "
     "sensor_id FROM nokey",
     "ERR line 1, column 57: UNION ALL column 1 ('sensor_id') is DOUBLE in "
     "branch 2 but STRING in another"},
    {"EXPLAIN SELECT sensor_id, COUNT(*) FROM readings GROUP BY sensor_id "
     "UNION ALL SELECT sensor_id, 1 FROM nokey",
     "ERR line 1, column 9: UNION ALL branch 1 may only filter and project "
     "its stream (aggregate, rank or order the union in an outer query: "
     "SELECT ... FROM (... UNION ALL ...))"},
    {"EXPLAIN SELECT sensor_id FROM readings UNION ALL SELECT sensor_id FROM "
     "(SELECT * FROM nokey)",
     "ERR line 1, column 72: a UNION ALL branch reads a stream (FROM name): "
     "subqueries, windows and joins in a branch are not supported yet (put "
     "them around the union)"},
    {"EXPLAIN SELECT sensor_id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION "
     "BY sensor_id ORDER BY ts) AS rn FROM readings)",
     "ERR line 1, column 9: ROW_NUMBER() needs a filter on rn in the outer "
     "WHERE (rn = 1: deduplication; rn <= N: Top-N): a rank over an "
     "unbounded stream is not computed otherwise"},
    {"EXPLAIN SELECT sensor_id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION "
     "BY sensor_id ORDER BY ts) AS rn FROM readings) WHERE rn = 2",
     "ERR line 1, column 127: rn = 2: only rn = 1 (deduplication) or rn <= "
     "N (Top-N) is supported"},
    {"EXPLAIN SELECT sensor_id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION "
     "BY sensor_id ORDER BY ts) AS rn FROM readings) WHERE rn > 2",
     "ERR line 1, column 127: a filter on rn must bound it from above (rn = "
     "1, rn <= N, rn < N)"},
    {"EXPLAIN SELECT sensor_id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION "
     "BY sensor_id ORDER BY ts) FROM readings) WHERE rn = 1",
     "ERR line 1, column 42: name the row number (ROW_NUMBER() OVER (...) AS "
     "rn) to filter on it"},
    {"EXPLAIN SELECT value FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "
     "sensor_id ORDER BY value) AS rn FROM readings) WHERE rn <= 2",
     "ERR line 1, column 9: keep 'sensor_id' in the SELECT list: Top-N emits "
     "updates, keyed by sensor_id, rn"},
    {"EXPLAIN SELECT sensor_id, COUNT(*) FROM (SELECT *, ROW_NUMBER() OVER "
     "(PARTITION BY sensor_id ORDER BY ts DESC) AS rn FROM readings) WHERE rn "
     "= 1 GROUP BY sensor_id",
     "ERR line 1, column 9: an aggregate over updating rows (deduplication "
     "keeping the last row) is not supported: it would need retractions"},
    {"EXPLAIN SELECT COUNT(*) FROM (SELECT sensor_id, COUNT(*) AS c FROM "
     "readings GROUP BY sensor_id)",
     "ERR line 1, column 30: an aggregate over updating rows (an aggregate "
     "without a window, deduplication keeping the last row, Top-N) is not "
     "supported: it would need retractions"},
    {"EXPLAIN SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE (SELECT "
     "sensor_id, value, ts FROM readings), DESCRIPTOR(value), INTERVAL '1' "
     "MINUTE)) GROUP BY window_start, window_end",
     "ERR line 1, column 44: DESCRIPTOR(value) must name a TIMESTAMP column, "
     "not DOUBLE"},
    {"EXPLAIN SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE (SELECT "
     "sensor_id, ts, ts + INTERVAL '1' SECOND AS t2 FROM readings), "
     "DESCRIPTOR(t2), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end",
     "ERR line 1, column 44: DESCRIPTOR(t2) must be the subquery's "
     "event-time column (ts) (a window over another time is not supported "
     "yet)"},
    {"EXPLAIN SELECT * FROM (SELECT * FROM readings LIMIT 3)",
     "ERR line 1, column 24: LIMIT in a subquery is not supported (put it on "
     "the outer query)"},
    {"EXPLAIN SELECT AVG(value) OVER (PARTITION BY sensor_id ORDER BY ts ROWS "
     "BETWEEN 2 PRECEDING AND CURRENT ROW) FROM (SELECT * FROM readings)",
     "ERR line 1, column 9: OVER over a subquery is not supported yet"},
    {"EXPLAIN SELECT * FROM (SELECT sensor_id, value, ROW_NUMBER() OVER "
     "(PARTITION BY sensor_id ORDER BY value DESC) AS rn FROM readings) WHERE "
     "rn <= 3 EMIT LATE INTO x",
     "ERR line 1, column 9: EMIT LATE INTO: this Top-N has no late rows (it "
     "takes every row)"},
    {"EXPLAIN SELECT * FROM (SELECT sensor_id, COUNT(*) AS c, ROW_NUMBER() "
     "OVER (PARTITION BY sensor_id ORDER BY ts) AS rn FROM readings GROUP BY "
     "sensor_id) WHERE rn = 1",
     "ERR line 1, column 57: ROW_NUMBER() over GROUP BY in the same SELECT: "
     "put the aggregate in a subquery, FROM (SELECT ... GROUP BY ...)"},
    {"EXPLAIN SELECT DISTINCT kind, COUNT(*) FROM readings GROUP BY kind",
     "ERR line 1, column 9: SELECT DISTINCT with GROUP BY is not supported "
     "(the groups are distinct already)"},
    {"EXPLAIN SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "
     "sensor_id ORDER BY ts) AS rn FROM readings) WHERE rn = 1 + 0",
     "ERR line 1, column 119: ROW_NUMBER() needs a filter on rn in the outer "
     "WHERE (rn = 1: deduplication; rn <= N: Top-N): a rank over an "
     "unbounded stream is not computed otherwise"},
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
    return harness_summary("test_sql_subq");
}
