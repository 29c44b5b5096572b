/* test_sql_exec.c - the statement executor: a table of statements with the
 * exact output or error (line, column, message) each gives, run against a
 * temporary data directory; persistent queries with a fake engine; restart
 * (catalog reopened, queries resumed); failed statements change nothing. */
#include "../../harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "log/logdir.h"
#include "sql/catalog.h"
#include "sql/sql_exec.h"

static int64_t fixed_now(void)
{
    return 1764000000123; /* 2025-11-24T16:00:00.123Z */
}

/* ---- a fake engine: output columns = the select items, all STRING ---- */

struct fake {
    int started, stopped, resumed;
    bool refuse;
    char last_id[32];
};

static int fake_start(void *ctx, struct sql_query_start *q,
                      struct sql_exec_error *err)
{
    struct fake *f = ctx;
    if (f->refuse) {
        snprintf(err->message, sizeof err->message, "refused");
        return ERR_INVALID;
    }
    for (size_t i = 0; i < q->select->nitems; i++) {
        const struct sql_select_item *it = &q->select->items[i];
        const char *name =
            it->alias ? it->alias : it->expr->parts[it->expr->nparts - 1];
        schema_add(&q->out_schema, name, SCHEMA_STRING, true, NULL);
    }
    f->started++;
    f->resumed += q->resume;
    snprintf(f->last_id, sizeof f->last_id, "%s", q->id ? q->id : "");
    return 0;
}

static int fake_stop(void *ctx, const char *id)
{
    struct fake *f = ctx;
    (void)id;
    f->stopped++;
    return 0;
}

static int fake_explain(void *ctx, struct sql_query_start *q, struct buf *out,
                        struct sql_exec_error *err)
{
    (void)ctx;
    (void)err;
    buf_printf(out, "plan of %zu items\n", q->select->nitems);
    return 0;
}

static int fake_stats(void *ctx, const char *id, struct buf *out)
{
    (void)ctx;
    buf_printf(out, "late rows: 0 (%s)\n", id);
    return 0;
}

static const struct sql_engine_ops fake_ops = {
    .start_query = fake_start,
    .stop_query = fake_stop,
    .run_select = fake_start,
    .explain = fake_explain,
    .query_stats = fake_stats,
};

/* ---- an environment: data directory, catalog, executor ---- */

struct env {
    char dir[64];
    struct logdir *ld;
    struct catalog *cat;
    struct sql_exec *ex;
    struct fake fake;
};

static void env_start(struct env *e, bool fake)
{
    struct logdir_options lo;
    logdir_options_init(&lo);
    lo.no_flusher = true;
    if (logdir_open(e->dir, &lo, &e->ld) ||
        catalog_open(e->dir, &e->cat, NULL, 0)) {
        fprintf(stderr, "cannot open %s\n", e->dir);
        exit(1);
    }
    struct sql_exec_options o = {.catalog = e->cat,
                                 .logdir = e->ld,
                                 .engine = fake ? &fake_ops : NULL,
                                 .engine_ctx = &e->fake,
                                 .now_ms = fixed_now};
    sql_exec_create(&o, &e->ex);
}

static void env_stop(struct env *e)
{
    sql_exec_destroy(e->ex);
    catalog_close(e->cat);
    logdir_close(e->ld);
}

static void env_open(struct env *e, bool fake)
{
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/rill-sqlexec-XXXXXX");
    if (!mkdtemp(e->dir)) {
        perror("mkdtemp");
        exit(1);
    }
    env_start(e, fake);
}

static void env_close(struct env *e)
{
    env_stop(e);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "rm failed\n");
}

/* Runs text; returns the output, or the error message prefixed "ERR ". */
static char *run(struct env *e, const char *text)
{
    struct buf out;
    buf_init(&out);
    struct sql_exec_error err;
    int rc = sql_exec_script(e->ex, text, strlen(text), &out, &err);
    if (rc) {
        buf_reset(&out);
        buf_printf(&out, "ERR %s", err.message);
    }
    buf_put_u8(&out, '\0');
    char *s = mem_strdup((const char *)out.data);
    buf_fini(&out);
    return s;
}

static const char setup[] =
    "CREATE STREAM readings (sensor_id STRING, machine_id STRING, kind "
    "VARCHAR(16), value DOUBLE FROM 'payload.v', ts TIMESTAMP(3), "
    "WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (topic = "
    "'readings', format = 'json', key = 'sensor_id', partitions = 4);\n"
    "CREATE STREAM Machines (machine_id STRING NOT NULL, site STRING) "
    "WITH (partitions = 2);";

static const struct {
    const char *sql;
    const char *want; /* exact output, or "ERR <message>" */
} cases[] = {
    /* catalog statements */
    {"SHOW STREAMS",
     "name      topic     format  partitions  key        watermark\n"
     "Machines  Machines  json    2           -          -\n"
     "readings  readings  json    4           sensor_id  ts - INTERVAL '5' "
     "SECOND\n"
     "(2 streams)\n"},
    {"SHOW TABLES",
     "name  topic  format  partitions  key  watermark\n(0 tables)\n"},
    {"SHOW QUERIES", "id  state  kind  sink  inputs  created\n(0 queries)\n"},
    {"SHOW TOPICS", "topic     partitions\nMachines  2\nreadings  4\n"
                    "(2 topics)\n"},
    {"describe MACHINES", "STREAM Machines\n"
                          "column      type    nullable  path\n"
                          "machine_id  STRING  NOT NULL  machine_id\n"
                          "site        STRING  yes       site\n"
                          "time column: (none: the Kafka record timestamp)\n"
                          "watermark:   (none)\n"
                          "format:      json\n"
                          "key:         (none)\n"
                          "options:     partitions = '2'\n"
                          "created:     2025-11-24T16:00:00.123Z\n"
                          "topic:       Machines (2 partitions)\n"
                          "partition  start offset  end offset\n"
                          "0          0             0\n"
                          "1          0             0\n"},
    {"SET 'scan.startup.mode' = 'latest-offset'",
     "set 'scan.startup.mode' = 'latest-offset'\n"},
    {"SET 'watermark.idle-timeout' = '2 min'",
     "set 'watermark.idle-timeout' = '2 min'\n"},
    {"CREATE STREAM IF NOT EXISTS readings (a INT)",
     "stream readings already exists (skipped)\n"},
    {"CREATE STREAM s (a INT, ts TIMESTAMP) WITH (format = 'csv', "
     "'csv.delimiter' = ';')",
     "created stream s (topic s created with 1 partition)\n"},
    {"CREATE TABLE t (k STRING, n BIGINT) WITH (key = 'K', partitions = 3)",
     "created table t (topic t created with 3 partitions)\n"},
    {"CREATE STREAM r2 (a INT) WITH (topic = 'readings', partitions = 9)",
     "created stream r2 (topic readings exists with 4 partitions; "
     "partitions = 9 ignored)\n"},
    {"CREATE STREAM sm (name STRING, value DOUBLE, ts TIMESTAMP(3)) WITH "
     "(format = 'senml')",
     "created stream sm (topic sm created with 1 partition)\n"},
    {"DROP STREAM IF EXISTS nope", "stream nope does not exist (skipped)\n"},
    {"DROP STREAM machines", "dropped stream Machines (topic Machines kept)\n"},
    {"DROP QUERY IF EXISTS q_4", "query q_4 does not exist (skipped)\n"},

    /* CREATE errors */
    {"CREATE STREAM readings (a INT)",
     "ERR line 1, column 15: stream 'readings' already exists"},
    {"CREATE STREAM x (a INT,\n  A STRING)",
     "ERR line 2, column 3: duplicate column 'A' (names are "
     "case-insensitive)"},
    {"CREATE STREAM x (a INT, WATERMARK FOR a AS a)",
     "ERR line 1, column 25: WATERMARK FOR 'a': the column is INT; it must "
     "be TIMESTAMP(3)"},
    {"CREATE STREAM x (a INT, WATERMARK FOR b AS b)",
     "ERR line 1, column 25: WATERMARK FOR 'b': no such column"},
    {"CREATE STREAM x (ts TIMESTAMP, WATERMARK FOR ts AS ts + INTERVAL '1' "
     "SECOND)",
     "ERR line 1, column 52: expected the watermark as 'ts' or 'ts - "
     "INTERVAL ...' (bounded out-of-orderness)"},
    {"CREATE STREAM x (a INT) WITH (format = 'xml')",
     "ERR line 1, column 40: invalid value 'xml' for option 'format': "
     "expected 'json', 'csv', 'senml', 'senml-cbor', 'influx' or 'sparkplug'"},
    {"CREATE STREAM x (a INT) WITH (fromat = 'json')",
     "ERR line 1, column 31: unknown option 'fromat' in WITH (known: topic, "
     "format, key, partitions, 'watermark.idle-timeout', "
     "'watermark.idle-advance', 'watermark.per-key', "
     "'scan.startup.mode', 'csv.delimiter')"},
    {"CREATE STREAM x (a INT) WITH (partitions = 'many')",
     "ERR line 1, column 44: invalid value 'many' for option 'partitions': "
     "expected an integer 1..100000"},
    {"CREATE STREAM x (a INT) WITH ('watermark.idle-timeout' = 'soon')",
     "ERR line 1, column 58: invalid value 'soon' for option "
     "'watermark.idle-timeout': expected a duration like '30 s'"},
    {"CREATE STREAM x (a INT) WITH (key = 'b')",
     "ERR line 1, column 37: key 'b' is not a column of x"},
    {"CREATE STREAM x (a INT) WITH ('csv.delimiter' = ';')",
     "ERR line 1, column 31: option 'csv.delimiter' needs format = 'csv'"},
    {"CREATE STREAM x (a DECIMAL(10, 2))",
     "ERR line 1, column 18: column 'a': type DECIMAL is not supported yet "
     "(parsed; runtime in progress); use STRING, BOOLEAN, INT, BIGINT, "
     "DOUBLE or TIMESTAMP(3)"},
    {"CREATE STREAM x (t TIMESTAMP(6))",
     "ERR line 1, column 18: column 't': TIMESTAMP(6) is not supported: "
     "rill keeps milliseconds, use TIMESTAMP(3)"},
    {"CREATE STREAM `a b` (a INT)",
     "ERR line 1, column 15: 'a b' is not a valid topic name (1-249 of "
     "[a-zA-Z0-9._-]): add WITH (topic = '...')"},
    {"CREATE STREAM sm (foo INT) WITH (format = 'senml')",
     "ERR line 1, column 43: format 'senml' cannot fill these columns: "
     "SenML columns are name STRING, unit STRING, value DOUBLE, "
     "string_value STRING, bool_value BOOLEAN, data_value STRING, sum "
     "DOUBLE, ts TIMESTAMP(3), update_time DOUBLE (docs/formats.md)"},
    {"CREATE TABLE t2 (a INT)",
     "ERR line 1, column 14: a table needs its key: add PRIMARY KEY "
     "(column) NOT ENFORCED or WITH (key = 'column') (later rows for a key "
     "replace earlier ones)"},
    {"CREATE TABLE t3 (a INT, PRIMARY KEY (a)) WITH (key = 'b')",
     "ERR line 1, column 25: PRIMARY KEY (a) and WITH (key = 'b') differ: "
     "give one"},
    {"CREATE STREAM x (a INT) WITH (topic = 'x', TOPIC = 'y')",
     "ERR line 1, column 44: option 'TOPIC' is given twice"},

    /* DROP, DESCRIBE, SET errors */
    {"DROP STREAM nope", "ERR line 1, column 13: unknown stream 'nope'"},
    {"DROP TABLE readings",
     "ERR line 1, column 12: 'readings' is a stream: use DROP STREAM"},
    {"DROP QUERY q_9",
     "ERR line 1, column 12: unknown query 'q_9' (SHOW QUERIES lists them)"},
    {"DESCRIBE nope",
     "ERR line 1, column 10: unknown stream, table or query 'nope' (SHOW "
     "STREAMS, SHOW TABLES and SHOW QUERIES list them)"},
    {"SET 'scan.startup.mode' = 'middle'",
     "ERR line 1, column 27: invalid value 'middle' for "
     "'scan.startup.mode': expected 'earliest-offset' or 'latest-offset'"},
    {"SET 'pipeline.name' = 'x'",
     "ERR line 1, column 5: unknown setting 'pipeline.name' (known: "
     "'scan.startup.mode', 'scan.bounded.mode', 'watermark.idle-timeout', "
     "'watermark.idle-advance', 'table.exec.state.ttl', "
     "'match.max-partial-matches', 'match.max-rows', "
     "'execution.checkpointing.interval', "
     "'execution.checkpointing.mode')"},

    /* queries: names checked, then the engine (none: not implemented) */
    {"SELECT sensor_id FROM readings",
     "ERR line 1, column 1: query execution is not implemented yet"},
    {"SELECT sensor_id, vaule FROM readings",
     "ERR line 1, column 19: unknown column 'vaule' (not in readings)"},
    {"SELECT\n  kind,\n  AVG(valeu)\nFROM readings\nGROUP BY kind",
     "ERR line 3, column 7: unknown column 'valeu' (not in readings)"},
    {"SELECT * FROM readngs",
     "ERR line 1, column 15: unknown stream or table 'readngs' (SHOW "
     "STREAMS lists them)"},
    {"SELECT r.value FROM readings r JOIN machines m ON r.machine_id = "
     "m.machineid",
     "ERR line 1, column 66: unknown column 'machineid' in m"},
    {"SELECT z.value FROM readings r",
     "ERR line 1, column 8: unknown stream, alias or column 'z'"},
    {"SELECT r.value, m.site FROM readings r JOIN machines m ON "
     "r.machine_id = m.machine_id WHERE m.site = 'x'",
     "ERR line 1, column 1: query execution is not implemented yet"},
    {"SELECT kind AS k, COUNT(*) AS n FROM readings GROUP BY k HAVING n > 1",
     "ERR line 1, column 1: query execution is not implemented yet"},
    {"SELECT sensor_id, window_start, AVG(value) FROM TABLE(TUMBLE(TABLE "
     "readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY sensor_id, "
     "window_start, window_end",
     "ERR line 1, column 1: query execution is not implemented yet"},
    {"SELECT * FROM TABLE(HOP(TABLE readings, DESCRIPTOR(kind), INTERVAL "
     "'1' SECOND, INTERVAL '1' MINUTE))",
     "ERR line 1, column 15: HOP: DESCRIPTOR(kind) must be a TIMESTAMP(3) "
     "column, not STRING"},
    {"SELECT * FROM TABLE(SESSION(TABLE readings PARTITION BY machin, "
     "DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
     "ERR line 1, column 57: unknown column 'machin' (not in readings)"},
    {"SELECT x FROM (SELECT * FROM readings) s",
     "ERR line 1, column 1: query execution is not implemented yet"},
    {"SELECT EXTRACT(HOUR FROM ts), CAST(value AS INT) FROM readings WHERE "
     "kind IN ('a', 'b') AND value BETWEEN 1 AND 2",
     "ERR line 1, column 1: query execution is not implemented yet"},
    {"SELECT 1 + x", "ERR line 1, column 12: unknown column 'x' (the query "
                     "has no FROM)"},
    {"EXPLAIN SELECT nope FROM readings",
     "ERR line 1, column 16: unknown column 'nope' (not in readings)"},
    {"EXPLAIN SELECT * FROM readings",
     "ERR line 1, column 9: query execution is not implemented yet"},
    {"INSERT INTO nope SELECT * FROM readings",
     "ERR line 1, column 13: INSERT INTO unknown stream 'nope' (create it "
     "first)"},
    {"CREATE STREAM alerts AS SELECT sensor_id FROM readings",
     "ERR line 1, column 1: query execution is not implemented yet"},
    {"CREATE STREAM readings AS SELECT sensor_id FROM readings",
     "ERR line 1, column 15: stream 'readings' already exists"},
    {"CREATE STREAM a2 WITH (format = 'csv') AS SELECT sensor_id FROM "
     "readings",
     "ERR line 1, column 33: format 'csv' cannot be written: query output "
     "is 'json'"},
    {"CREATE STREAM a3 WITH ('scan.startup.mode' = 'latest-offset') AS "
     "SELECT sensor_id FROM readings",
     "ERR line 1, column 24: option 'scan.startup.mode' does not apply to "
     "CREATE ... AS SELECT"},
    /* a parse error comes from the parser, with its position */
    {"SELECT FROM", "ERR line 1, column 8: "},
};

TEST(statement_table)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct env e;
        env_open(&e, false);
        char *s = run(&e, setup);
        CHECK_EQ_STR(s, "created stream readings (topic readings created "
                        "with 4 partitions)\ncreated stream Machines (topic "
                        "Machines created with 2 partitions)\n");
        mem_free(s);
        s = run(&e, cases[i].sql);
        bool prefix = !strcmp(cases[i].want, "ERR line 1, column 8: ");
        bool ok = prefix ? !strncmp(s, cases[i].want, strlen(cases[i].want))
                         : !strcmp(s, cases[i].want);
        if (!ok)
            fprintf(stderr, "  case %zu: %s\n  got:  %s\n  want: %s\n", i,
                    cases[i].sql, s, cases[i].want);
        CHECK(ok);
        /* A failed statement leaves the catalog and the topics as they
         * were. */
        if (!strncmp(cases[i].want, "ERR", 3)) {
            CHECK_EQ_INT(catalog_relation_count(e.cat), 2);
            CHECK_EQ_INT(catalog_query_count(e.cat), 0);
            char **names;
            size_t n;
            logdir_topic_list(e.ld, &names, &n);
            CHECK_EQ_INT(n, 2);
            logdir_names_free(names, n);
        }
        mem_free(s);
        env_close(&e);
    }
}

TEST(restart_keeps_the_catalog)
{
    struct env e;
    env_open(&e, false);
    char *s = run(&e, setup);
    mem_free(s);
    env_stop(&e);
    env_start(&e, false);
    s = run(&e, "SHOW STREAMS; DESCRIBE readings");
    CHECK(strstr(s, "(2 streams)") != NULL);
    CHECK(strstr(s, "value       DOUBLE        yes       payload.v") != NULL);
    CHECK(strstr(s, "watermark:   ts - INTERVAL '5' SECOND (delay 5000 ms)") !=
          NULL);
    CHECK(strstr(s, "topic:       readings (4 partitions)") != NULL);
    CHECK(strstr(s, "3          0             0") != NULL);
    mem_free(s);
    s = run(&e, "CREATE STREAM readings (a INT)");
    CHECK_EQ_STR(s, "ERR line 1, column 15: stream 'readings' already exists");
    mem_free(s);
    env_close(&e);
}

TEST(persistent_queries_with_an_engine)
{
    struct env e;
    env_open(&e, true);
    char *s = run(&e, setup);
    mem_free(s);
    s = run(&e, "SET 'scan.startup.mode' = 'latest-offset';\n"
                "CREATE STREAM alerts WITH (partitions = 3) AS\n"
                "SELECT sensor_id, value AS v FROM readings WHERE value > 1");
    CHECK_EQ_STR(s, "set 'scan.startup.mode' = 'latest-offset'\n"
                    "created stream alerts (topic alerts, 3 partitions), "
                    "started query q_1\n");
    mem_free(s);
    CHECK_EQ_INT(e.fake.started, 1);
    CHECK_EQ_STR(e.fake.last_id, "q_1");
    CHECK_EQ_INT(logdir_topic_partitions(e.ld, "alerts"), 3);
    const struct catalog_relation *r = catalog_relation_find(e.cat, "alerts");
    CHECK(r && r->schema.ncolumns == 2 && r->query_id &&
          !strcmp(r->query_id, "q_1"));
    const struct catalog_query *q = catalog_query_find(e.cat, "q_1");
    CHECK(q && q->ninputs == 1 && !strcmp(q->inputs[0], "readings"));
    CHECK(q && q->nsettings == 1 &&
          !strcmp(q->settings[0].value, "latest-offset"));
    CHECK(q && !strcmp(q->sql, "CREATE STREAM alerts WITH (partitions = 3) "
                               "AS\nSELECT sensor_id, value AS v FROM "
                               "readings WHERE value > 1"));

    s = run(&e, "INSERT INTO alerts SELECT sensor_id, value FROM readings");
    CHECK_EQ_STR(s, "started query q_2: INSERT INTO alerts\n");
    mem_free(s);
    s = run(&e, "INSERT INTO alerts SELECT sensor_id FROM alerts");
    CHECK_EQ_STR(s, "ERR line 1, column 13: the query reads and writes "
                    "'alerts'");
    mem_free(s);
    /* Internal topics may be read, never written by a query. */
    s = run(&e, "CREATE STREAM offsets (k STRING) WITH (topic = "
                "'__consumer_offsets')");
    mem_free(s);
    s = run(&e, "INSERT INTO offsets SELECT sensor_id AS k FROM readings");
    CHECK_EQ_STR(s, "ERR line 1, column 13: '__consumer_offsets' is an "
                    "internal topic: rill writes it alone");
    mem_free(s);
    s = run(&e, "CREATE STREAM x WITH (topic = '__x') AS SELECT sensor_id "
                "FROM readings");
    CHECK_EQ_STR(s, "ERR line 1, column 15: '__x' is an internal topic: rill "
                    "writes it alone");
    mem_free(s);
    s = run(&e, "DROP STREAM readings");
    CHECK_EQ_STR(s, "ERR line 1, column 13: stream 'readings' is used by "
                    "running query q_1: DROP QUERY q_1 first");
    mem_free(s);
    s = run(&e, "EXPLAIN SELECT kind FROM readings");
    CHECK_EQ_STR(s, "plan of 1 items\n");
    mem_free(s);
    s = run(&e, "SHOW QUERIES");
    CHECK(strstr(s, "q_1  RUNNING  CREATE STREAM AS  alerts  readings  "
                    "2025-11-24T16:00:00.123Z\n") != NULL);
    CHECK(strstr(s, "(2 queries)\n") != NULL);
    mem_free(s);
    s = run(&e, "DESCRIBE q_2");
    CHECK(strstr(s, "QUERY q_2\nstate:    RUNNING\nkind:     INSERT INTO\n"
                    "sink:     alerts\ninputs:   readings\n") != NULL);
    CHECK(strstr(s, "late rows: 0 (q_2)\n") != NULL);
    mem_free(s);
    s = run(&e, "DESCRIBE alerts");
    CHECK(strstr(s, "written by:  query q_1\n") != NULL);
    CHECK(strstr(s, "queries:     q_1 (writes, RUNNING), q_2 (writes, "
                    "RUNNING)\n") != NULL);
    mem_free(s);

    /* Restart: both queries resume. */
    env_stop(&e);
    memset(&e.fake, 0, sizeof e.fake);
    env_start(&e, true);
    struct buf out;
    buf_init(&out);
    CHECK_EQ_INT(sql_exec_resume(e.ex, &out), 2);
    buf_put_u8(&out, '\0');
    CHECK_EQ_STR((const char *)out.data,
                 "query q_1 started\nquery q_2 started\n");
    buf_fini(&out);
    CHECK_EQ_INT(e.fake.resumed, 2);

    s = run(&e, "DROP QUERY q_1; DROP QUERY Q_2; DROP STREAM readings");
    CHECK_EQ_STR(s, "dropped query q_1\ndropped query q_2\n"
                    "dropped stream readings (topic readings kept)\n");
    mem_free(s);
    CHECK_EQ_INT(e.fake.stopped, 2);

    /* A key that is not an output column: refused after the engine
     * reported the columns; the query is stopped and its topic removed. */
    s = run(&e, "CREATE STREAM keyed WITH (key = 'machine_id') AS SELECT "
                "site FROM machines");
    CHECK_EQ_STR(s, "ERR line 1, column 33: key 'machine_id' is not a "
                    "column of the query's output");
    mem_free(s);
    CHECK_EQ_INT(e.fake.stopped, 3);
    CHECK_EQ_INT(logdir_topic_partitions(e.ld, "keyed"), ERR_NOT_FOUND);
    CHECK(catalog_relation_find(e.cat, "keyed") == NULL);
    s = run(&e, "CREATE STREAM keyed WITH (key = 'SITE') AS SELECT site FROM "
                "machines");
    CHECK_EQ_STR(s, "created stream keyed (topic keyed, 1 partition), started "
                    "query q_3\n");
    mem_free(s);
    CHECK_EQ_STR(catalog_relation_find(e.cat, "keyed")->key, "site");

    /* The engine refuses: the topic it would have written is removed. */
    e.fake.refuse = true;
    s = run(&e, "CREATE TABLE counts WITH (key = 'site') AS SELECT site, "
                "COUNT(*) AS n FROM machines GROUP BY site");
    CHECK_EQ_STR(s, "ERR refused");
    mem_free(s);
    CHECK_EQ_INT(logdir_topic_partitions(e.ld, "counts"), ERR_NOT_FOUND);
    CHECK(catalog_relation_find(e.cat, "counts") == NULL);
    e.fake.refuse = false;
    s = run(&e, "CREATE TABLE counts WITH (key = 'site') AS SELECT site, "
                "COUNT(*) AS n FROM machines GROUP BY site");
    CHECK_EQ_STR(s, "created table counts (topic counts, 1 partition), "
                    "started query q_4\n");
    mem_free(s);
    env_close(&e);
}

TEST(resume_with_the_stub_engine)
{
    struct env e;
    env_open(&e, true);
    char *s = run(&e, setup);
    mem_free(s);
    s = run(&e, "CREATE STREAM alerts AS SELECT sensor_id FROM readings");
    mem_free(s);
    env_stop(&e);
    env_start(&e, false);
    struct buf out;
    buf_init(&out);
    CHECK_EQ_INT(sql_exec_resume(e.ex, &out), 0);
    buf_put_u8(&out, '\0');
    CHECK_EQ_STR((const char *)out.data,
                 "query q_1 not started: query execution is not "
                 "implemented yet\n");
    buf_fini(&out);
    /* Still RUNNING (the desired state): a later engine starts it. */
    CHECK(catalog_query_find(e.cat, "q_1")->state == CATALOG_QUERY_RUNNING);
    env_close(&e);
}

TEST(durations_and_tables)
{
    int64_t ms = -1;
    CHECK_EQ_INT(sql_exec_parse_duration("500 ms", &ms), 0);
    CHECK_EQ_INT(ms, 500);
    CHECK_EQ_INT(sql_exec_parse_duration("30 s", &ms), 0);
    CHECK_EQ_INT(ms, 30000);
    CHECK_EQ_INT(sql_exec_parse_duration("2 min", &ms), 0);
    CHECK_EQ_INT(ms, 120000);
    CHECK_EQ_INT(sql_exec_parse_duration("1h", &ms), 0);
    CHECK_EQ_INT(ms, 3600000);
    CHECK_EQ_INT(sql_exec_parse_duration("0", &ms), 0);
    CHECK_EQ_INT(ms, 0);
    CHECK_EQ_INT(sql_exec_parse_duration("30", &ms), ERR_INVALID);
    CHECK_EQ_INT(sql_exec_parse_duration("-1 s", &ms), ERR_INVALID);
    CHECK_EQ_INT(sql_exec_parse_duration("5 weeks", &ms), ERR_INVALID);
    CHECK_EQ_INT(sql_exec_parse_duration("99999999999999999 d", &ms),
                 ERR_INVALID);
    const char *cells[] = {"a", "bb", "ccc", "dddd", "e", ""};
    struct buf b;
    buf_init(&b);
    sql_exec_format_table(&b, cells, 2, 3);
    buf_put_u8(&b, '\0');
    CHECK_EQ_STR((const char *)b.data, "a     bb  ccc\ndddd  e\n");
    buf_fini(&b);
}

int main(void)
{
    RUN(statement_table);
    RUN(restart_keeps_the_catalog);
    RUN(persistent_queries_with_an_engine);
    RUN(resume_with_the_stub_engine);
    RUN(durations_and_tables);
    return harness_summary("test_sql_exec");
}
