/* test_parser.c - table-driven tests of the SQL parser (layer: sql).
 *
 * Three tables: expressions and statements with their expected AST printed
 * as S-expressions (precedence made explicit), and inputs with their exact
 * error message (line, column, what was expected). Then scripts (statement
 * positions and source text), nesting limits, and positions on several
 * lines and after multi-byte characters.
 */
#include "base/arena.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/sql_parse.h"

#include "../../harness.h"

#include <stdlib.h>
#include <unistd.h>

struct case_ok {
    const char *input;
    const char *expected;
};

struct case_err {
    const char *input;
    const char *message;
};

static const struct case_ok expr_cases[] = {
    {"1 + 2 * 3", "(+ 1 (* 2 3))"},
    {"(1 + 2) * 3", "(* (+ 1 2) 3)"},
    {"1 - 2 - 3", "(- (- 1 2) 3)"},
    {"8 / 4 / 2", "(/ (/ 8 4) 2)"},
    {"7 % 3 * 2", "(* (% 7 3) 2)"},
    {"-a * b", "(* (- a) b)"},
    {"- - 5", "(- (- 5))"},
    {"+x", "(+ x)"},
    {"a || b || c", "(|| (|| a b) c)"},
    {"a || b + c", "(|| a (+ b c))"},
    {"a + b || c", "(|| (+ a b) c)"},
    {"a = b AND c < d OR e >= f", "(OR (AND (= a b) (< c d)) (>= e f))"},
    {"a OR b AND c", "(OR a (AND b c))"},
    {"NOT a AND b", "(AND (NOT a) b)"},
    {"NOT NOT a", "(NOT (NOT a))"},
    {"NOT a = b", "(NOT (= a b))"},
    {"a <> b", "(<> a b)"},
    {"a != b", "(<> a b)"},
    {"a <= b", "(<= a b)"},
    {"a > b", "(> a b)"},
    {"a IS NULL", "(is-null a)"},
    {"a IS NOT NULL", "(is-not-null a)"},
    {"a + 1 IS NULL", "(is-null (+ a 1))"},
    {"a IN (1, 2, 3)", "(in a 1 2 3)"},
    {"a NOT IN ('x')", "(not-in a 'x')"},
    {"a IN (SELECT id FROM t)", "(in a (select (items id) (from (table t))))"},
    {"a BETWEEN 1 AND 10", "(between a 1 10)"},
    {"a NOT BETWEEN b - 1 AND b + 1 AND c",
     "(AND (not-between a (- b 1) (+ b 1)) c)"},
    {"a BETWEEN 1 AND 2 OR d", "(OR (between a 1 2) d)"},
    {"s LIKE 'a%'", "(like s 'a%')"},
    {"s NOT LIKE 'a\\_%' ESCAPE '\\'", "(not-like s 'a\\_%' '\\')"},
    {"x = 1 = TRUE", "(= (= x 1) TRUE)"},
    {"CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'zero' END",
     "(case (when (> a 0) 'pos') (when (< a 0) 'neg') (else 'zero'))"},
    {"CASE kind WHEN 'temp' THEN 1 WHEN 'hum' THEN 2 END",
     "(case kind (when 'temp' 1) (when 'hum' 2))"},
    {"CAST(v AS DOUBLE)", "(cast v DOUBLE)"},
    {"CAST(s AS VARCHAR(10))", "(cast s VARCHAR(10))"},
    {"CAST(ts AS TIMESTAMP_LTZ(3))", "(cast ts TIMESTAMP_LTZ(3))"},
    {"CAST(x AS ROW<a INT, b ROW<c STRING>>)",
     "(cast x ROW<a INT, b ROW<c STRING>>)"},
    {"CAST(x AS TIMESTAMP(3) WITH LOCAL TIME ZONE)",
     "(cast x TIMESTAMP_LTZ(3))"},
    {"COUNT(*)", "(COUNT *)"},
    {"count(DISTINCT sensor_id)", "(COUNT distinct sensor_id)"},
    {"SUM(v) FILTER (WHERE v > 0)", "(SUM v (filter (> v 0)))"},
    {"f()", "(F)"},
    {"coalesce(a, b, 0)", "(COALESCE a b 0)"},
    {"CURRENT_WATERMARK(ts)", "(CURRENT_WATERMARK ts)"},
    {"APPROX_PERCENTILE(value, 0.95)", "(APPROX_PERCENTILE value 0.95)"},
    {"t.a.b", "t.a.b"},
    {"`select`", "select"},
    {"\"Mixed Case\"", "`Mixed Case`"},
    {"'it''s'", "'it''s'"},
    {"''", "''"},
    {"TRUE", "TRUE"},
    {"false", "FALSE"},
    {"NULL", "NULL"},
    {"42", "42"},
    {"9223372036854775807", "9223372036854775807"},
    {"9223372036854775808", "9223372036854775808"},
    {"1.50", "1.50"},
    {".5", ".5"},
    {"1e3", "1e3"},
    {"2.5E-2", "2.5E-2"},
    {"INTERVAL '5' SECOND", "(interval 5000)"},
    {"INTERVAL '10' MINUTES", "(interval 600000)"},
    {"INTERVAL '2' HOUR", "(interval 7200000)"},
    {"INTERVAL '1' DAY", "(interval 86400000)"},
    {"INTERVAL '250' MILLISECOND", "(interval 250)"},
    {"INTERVAL '-5' SECOND", "(interval -5000)"},
    {"INTERVAL '1.5' SECOND", "(interval 1500)"},
    {"INTERVAL '1:30' MINUTE TO SECOND", "(interval 90000)"},
    {"INTERVAL '1 02:03:04.5' DAY TO SECOND", "(interval 93784500)"},
    {"INTERVAL '2:30' HOUR TO MINUTE", "(interval 9000000)"},
    {"INTERVAL 5 SECOND", "(interval 5000)"},
    {"TIMESTAMP '2026-11-24 07:30:00.000'", "(timestamp 1795505400000)"},
    {"TIMESTAMP '1970-01-01T00:00:01Z'", "(timestamp 1000)"},
    {"TIMESTAMP '2024-02-29'", "(timestamp 1709164800000)"},
    {"ts - INTERVAL '5' SECOND", "(- ts (interval 5000))"},
    {"ts > CURRENT_WATERMARK(ts)", "(> ts (CURRENT_WATERMARK ts))"},
    {"(SELECT MAX(v) FROM t)",
     "(subquery (select (items (MAX v)) (from (table t))))"},
    {"a * (b + c) / d", "(/ (* a (+ b c)) d)"},
    {"LEFT(s, 2)", "(LEFT s 2)"},
};

static const struct case_ok stmt_cases[] = {
    {"CREATE STREAM readings (sensor_id STRING, machine_id STRING, kind "
     "STRING, value DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL "
     "'5' SECOND) WITH (topic = 'readings', format = 'json', key = "
     "'sensor_id', partitions = 8)",
     "(create-stream readings (columns (sensor_id STRING) (machine_id STRING) "
     "(kind STRING) (value DOUBLE) (ts TIMESTAMP(3))) (watermark ts (- ts "
     "(interval 5000))) (with ('topic' 'readings') ('format' 'json') ('key' "
     "'sensor_id') ('partitions' '8')))"},
    {"CREATE STREAM IF NOT EXISTS s (id INT NOT NULL, v DOUBLE FROM "
     "'payload.v', name VARCHAR(32) NULL, amount DECIMAL(10, 2), on_off "
     "BOOLEAN, big BIGINT, f FLOAT, d DECIMAL, t TIMESTAMP, l "
     "TIMESTAMP_LTZ(3), nested ROW<a INT, b STRING>) WITH ('format' = 'senml', "
     "'watermark.idle-timeout' = '30 s')",
     "(create-stream s if-not-exists (columns (id INT not-null) (v DOUBLE "
     "(from 'payload.v')) (name VARCHAR(32)) (amount DECIMAL(10,2)) (on_off "
     "BOOLEAN) (big BIGINT) (f FLOAT) (d DECIMAL(10,0)) (t TIMESTAMP(3)) (l "
     "TIMESTAMP_LTZ(3)) (nested ROW<a INT, b STRING>)) (with ('format' "
     "'senml') ('watermark.idle-timeout' '30 s')))"},
    {"CREATE STREAM k (ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', v "
     "DOUBLE, v2 AS v * 2)",
     "(create-stream k (columns (ts TIMESTAMP_LTZ(3) metadata (from "
     "'timestamp')) (v DOUBLE) (v2 (as (* v 2)))))"},
    {"CREATE TABLE totals (k STRING, n BIGINT) WITH (topic = 'totals')",
     "(create-table totals (columns (k STRING) (n BIGINT)) (with ('topic' "
     "'totals')))"},
    {"CREATE STREAM alerts AS SELECT sensor_id, value FROM readings WHERE "
     "value > 80.0",
     "(create-stream-as alerts (select (items sensor_id value) (from (table "
     "readings)) (where (> value 80.0))))"},
    {"CREATE STREAM alerts WITH (topic = 'alerts-out', format = 'json') AS "
     "SELECT * FROM readings WHERE kind = 'temp' AND value > 80",
     "(create-stream-as alerts (with ('topic' 'alerts-out') ('format' 'json')) "
     "(select (items *) (from (table readings)) (where (AND (= kind 'temp') (> "
     "value 80)))))"},
    {"CREATE TABLE per_sensor AS SELECT sensor_id, COUNT(*) AS n FROM readings "
     "GROUP BY sensor_id",
     "(create-table-as per_sensor (select (items sensor_id (as (COUNT *) n)) "
     "(from (table readings)) (group-by sensor_id)))"},
    {"CREATE TABLE stats_10s AS SELECT sensor_id, window_start, window_end, "
     "AVG(value) AS avg_v, MIN(value) AS min_v, MAX(value) AS max_v, COUNT(*) "
     "AS n FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' "
     "SECOND)) GROUP BY sensor_id, window_start, window_end EMIT FINAL",
     "(create-table-as stats_10s (select (items sensor_id window_start "
     "window_end (as (AVG value) avg_v) (as (MIN value) min_v) (as (MAX value) "
     "max_v) (as (COUNT *) n)) (from (TUMBLE readings (timecol ts) (size "
     "(interval 10000)))) (group-by sensor_id window_start window_end) (emit "
     "final)))"},
    {"INSERT INTO alerts SELECT sensor_id, value FROM readings WHERE value > "
     "90",
     "(insert alerts (select (items sensor_id value) (from (table readings)) "
     "(where (> value 90))))"},
    {"SELECT * FROM readings LIMIT 5",
     "(select (items *) (from (table readings)) (limit 5))"},
    {"SELECT DISTINCT machine_id FROM readings",
     "(select distinct (items machine_id) (from (table readings)))"},
    {"SELECT r.*, m.name FROM readings AS r LEFT JOIN machines m ON "
     "r.machine_id = m.id",
     "(select (items r.* m.name) (from (join left (as (table readings) r) (as "
     "(table machines) m) (= r.machine_id m.id))))"},
    {"SELECT a.id FROM a INNER JOIN b ON a.id = b.id AND b.ts BETWEEN a.ts - "
     "INTERVAL '1' MINUTE AND a.ts",
     "(select (items a.id) (from (join inner (table a) (table b) (AND (= a.id "
     "b.id) (between b.ts (- a.ts (interval 60000)) a.ts)))))"},
    {"SELECT r.v FROM readings r JOIN machines FOR SYSTEM_TIME AS OF r.ts AS "
     "m ON r.k = m.k",
     "(select (items r.v) (from (join inner (as (table readings) r) (as "
     "(table machines (as-of r.ts)) m) (= r.k m.k))))"},
    {"SELECT * FROM a RIGHT OUTER JOIN b ON a.k = b.k FULL JOIN c ON b.k = c.k "
     "CROSS JOIN d",
     "(select (items *) (from (join cross (join full (join right (table a) "
     "(table b) (= a.k b.k)) (table c) (= b.k c.k)) (table d))))"},
    {"SELECT x FROM (SELECT value * 2 AS x FROM readings) AS sub WHERE x > 1",
     "(select (items x) (from (as (select (items (as (* value 2) x)) (from "
     "(table readings))) sub)) (where (> x 1)))"},
    {"SELECT x FROM (SELECT 1 AS x) t",
     "(select (items x) (from (as (select (items (as 1 x))) t)))"},
    {"SELECT * FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '1' "
     "MINUTE, INTERVAL '10' SECOND)) w",
     "(select (items *) (from (as (TUMBLE readings (timecol ts) (size "
     "(interval 60000)) (offset (interval 10000))) w)))"},
    {"SELECT * FROM TABLE(HOP(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' "
     "SECOND, INTERVAL '1' MINUTE))",
     "(select (items *) (from (HOP readings (timecol ts) (slide (interval "
     "10000)) (size (interval 60000)))))"},
    {"SELECT * FROM TABLE(CUMULATE(TABLE readings, DESCRIPTOR(ts), INTERVAL "
     "'1' MINUTE, INTERVAL '1' HOUR))",
     "(select (items *) (from (CUMULATE readings (timecol ts) (step (interval "
     "60000)) (size (interval 3600000)))))"},
    {"SELECT * FROM TABLE(SESSION(TABLE readings PARTITION BY sensor_id, "
     "DESCRIPTOR(ts), INTERVAL '2' MINUTE))",
     "(select (items *) (from (SESSION readings (partition-by sensor_id) "
     "(timecol ts) (gap (interval 120000)))))"},
    {"SELECT * FROM TABLE(SESSION(TABLE readings PARTITION BY (sensor_id, "
     "machine_id), DESCRIPTOR(ts), INTERVAL '2' MINUTE))",
     "(select (items *) (from (SESSION readings (partition-by sensor_id "
     "machine_id) (timecol ts) (gap (interval 120000)))))"},
    {"SELECT * FROM TABLE(TUMBLE(DATA => TABLE readings, TIMECOL => "
     "DESCRIPTOR(ts), SIZE => INTERVAL '10' SECOND, `OFFSET` => INTERVAL '1' "
     "SECOND))",
     "(select (items *) (from (TUMBLE readings (timecol ts) (size (interval "
     "10000)) (offset (interval 1000)))))"},
    {"SELECT * FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), STEP => INTERVAL "
     "'1' MINUTE, SIZE => INTERVAL '1' HOUR))",
     "(select (items *) (from (CUMULATE t (timecol ts) (step (interval 60000)) "
     "(size (interval 3600000)))))"},
    {"SELECT sensor_id, COUNT(*) FROM readings GROUP BY sensor_id HAVING "
     "COUNT(*) > 10 ORDER BY sensor_id DESC, 2 EMIT CHANGES LIMIT 100",
     "(select (items sensor_id (COUNT *)) (from (table readings)) (group-by "
     "sensor_id) (having (> (COUNT *) 10)) (order-by (sensor_id desc) (2 asc)) "
     "(emit changes) (limit 100))"},
    {"SELECT COUNT(*) FROM TABLE(TUMBLE(TABLE r, DESCRIPTOR(ts), INTERVAL '10' "
     "SECOND)) GROUP BY window_start, window_end ALLOWED LATENESS INTERVAL "
     "'30' SECOND EMIT LATE INTO late_r EMIT FINAL",
     "(select (items (COUNT *)) (from (TUMBLE r (timecol ts) (size (interval "
     "10000)))) (group-by window_start window_end) (emit final) (lateness "
     "(interval 30000)) (late-into late_r))"},
    {"SELECT COUNT(*) FROM r GROUP BY window_start EMIT LATE INTO late_r",
     "(select (items (COUNT *)) (from (table r)) (group-by window_start) "
     "(late-into late_r))"},
    {"SELECT 1", "(select (items 1))"},
    {"select lower(kind) k, value AS v from readings where value is not null "
     "and kind in ('temp', 'hum')",
     "(select (items (as (LOWER kind) k) (as value v)) (from (table readings)) "
     "(where (AND (is-not-null value) (in kind 'temp' 'hum'))))"},
    {"SELECT * FROM readings MATCH_RECOGNIZE (PARTITION BY device_id ORDER BY "
     "ts MEASURES FIRST(V.ts) AS spike_at, LAST(T.ts) AS rise_at, LAST(T.val) "
     "AS temp_c ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW PATTERN (V "
     "X*? T) WITHIN INTERVAL '60' SECOND DEFINE V AS V.metric = 'vibration' "
     "AND V.val > 8.0, T AS T.metric = 'temperature' AND T.val > 70.0) AS m",
     "(select (items *) (from (as (match-recognize (table readings) "
     "(partition-by device_id) (order-by (ts asc)) (measures (as (FIRST V.ts) "
     "spike_at) (as (LAST T.ts) rise_at) (as (LAST T.val) temp_c)) (skip "
     "past-last-row) (pattern V X*? T) (within (interval 60000)) (define (V "
     "(AND (= V.metric 'vibration') (> V.val 8.0))) (T (AND (= T.metric "
     "'temperature') (> T.val 70.0))))) m)))"},
    {"SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts MEASURES A.v AS v ALL ROWS "
     "PER MATCH AFTER MATCH SKIP TO NEXT ROW PATTERN ((A | B)+ C{2} D{1,3}? "
     "E{2,}) DEFINE A AS A.v > 0)",
     "(select (items *) (from (match-recognize (table t) (order-by (ts asc)) "
     "(measures (as A.v v)) (rows all) (skip to-next-row) (pattern (A | B)+ "
     "C{2} D{1,3}? E{2,}) (define (A (> A.v 0))))))"},
    {"SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts MEASURES A.v AS v ONE ROW "
     "PER MATCH WITH TIMEOUT ROWS AFTER MATCH SKIP TO FIRST B PATTERN (A B?\?) "
     "DEFINE B AS B.v < 0)",
     "(select (items *) (from (match-recognize (table t) (order-by (ts asc)) "
     "(measures (as A.v v)) (rows one-with-timeout) (skip to-first B) (pattern "
     "A B?\?) (define (B (< B.v 0))))))"},
    {"SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts MEASURES A.v AS v AFTER "
     "MATCH SKIP TO LAST A PATTERN (A B) DEFINE A AS TRUE)",
     "(select (items *) (from (match-recognize (table t) (order-by (ts asc)) "
     "(measures (as A.v v)) (skip to-last A) (pattern A B) (define (A "
     "TRUE)))))"},
    {"DROP STREAM readings", "(drop STREAM readings)"},
    {"DROP TABLE IF EXISTS stats_10s", "(drop TABLE stats_10s if-exists)"},
    {"DROP QUERY q_3", "(drop QUERY q_3)"},
    {"SHOW STREAMS", "(show STREAMS)"},
    {"SHOW TABLES", "(show TABLES)"},
    {"SHOW QUERIES", "(show QUERIES)"},
    {"show topics", "(show TOPICS)"},
    {"DESCRIBE readings", "(describe readings)"},
    {"DESCRIBE q_1 FORMAT JSON", "(describe q_1 json)"},
    {"EXPLAIN WATERMARK q_1", "(explain-watermark q_1)"},
    {"EXPLAIN WATERMARK FOR q_2", "(explain-watermark q_2)"},
    {"STOP QUERY q_1", "(stop-query q_1)"},
    {"resume query q_1", "(resume-query q_1)"},
    {"EXPLAIN SELECT sensor_id, AVG(value) FROM readings GROUP BY sensor_id",
     "(explain (select (items sensor_id (AVG value)) (from (table readings)) "
     "(group-by sensor_id)))"},
    {"EXPLAIN CREATE TABLE t AS SELECT k, COUNT(*) FROM s GROUP BY k",
     "(explain (create-table-as t (select (items k (COUNT *)) (from (table s)) "
     "(group-by k))))"},
    {"EXPLAIN INSERT INTO a SELECT * FROM b",
     "(explain (insert a (select (items *) (from (table b)))))"},
    {"SET 'scan.startup.mode' = 'latest-offset'",
     "(set 'scan.startup.mode' 'latest-offset')"},
    {"SET 'parallelism' = 4", "(set 'parallelism' '4')"},
    {"SELECT `from`, \"Weird \"\"q\"\"\", `a``b` FROM `my stream`",
     "(select (items from `Weird \"q\"` `a``b`) (from (table `my stream`)))"},
    {"SELECT 1 -- trailing comment", "(select (items 1))"},
    {"/* leading */ SELECT /*+ OPTIONS('k'='v') */ 2", "(select (items 2))"},
    {"SELECT CURRENT_WATERMARK(ts) AS wm FROM r WHERE CURRENT_WATERMARK(ts) IS "
     "NULL OR ts > CURRENT_WATERMARK(ts)",
     "(select (items (as (CURRENT_WATERMARK ts) wm)) (from (table r)) (where "
     "(OR (is-null (CURRENT_WATERMARK ts)) (> ts (CURRENT_WATERMARK ts)))))"},
    {"SELECT COUNT(DISTINCT sensor_id) FILTER (WHERE value > 0) AS n FROM r",
     "(select (items (as (COUNT distinct sensor_id (filter (> value 0))) n)) "
     "(from (table r)))"},
    {"SELECT AVG(v) OVER (PARTITION BY device_id ORDER BY ts RANGE BETWEEN "
     "INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW) AS avg_1m FROM r",
     "(select (items (as (AVG v (over (partition-by device_id) (order-by (ts "
     "asc)) (range (interval 60000)))) avg_1m)) (from (table r)))"},
    {"SELECT SUM(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 9 PRECEDING "
     "AND CURRENT ROW), COUNT(*) OVER (ORDER BY ts ROWS UNBOUNDED PRECEDING), "
     "MAX(v) OVER () FROM r",
     "(select (items (SUM v (over (partition-by k) (order-by (ts asc)) (rows "
     "9))) (COUNT * (over (order-by (ts asc)) (rows unbounded))) (MAX v "
     "(over))) (from (table r)))"},
    {"SELECT EXTRACT(HOUR FROM ts), TRY_CAST(s AS INT) FROM r",
     "(select (items (EXTRACT 'HOUR' ts) (try-cast s INT)) (from (table r)))"},
    {"SELECT r.v, m.name FROM readings r, machines m WHERE r.machine_id = m.id",
     "(select (items r.v m.name) (from (join cross (as (table readings) r) (as "
     "(table machines) m))) (where (= r.machine_id m.id)))"},
    {"SELECT * FROM t, TABLE(TUMBLE(TABLE u, DESCRIPTOR(ts), INTERVAL '1' "
     "SECOND)) w, (SELECT 1) s",
     "(select (items *) (from (join cross (join cross (table t) (as (TUMBLE u "
     "(timecol ts) (size (interval 1000))) w)) (as (select (items 1)) s))))"},
};

static const struct case_err err_cases[] = {
    {"SET table.exec.source.idle-timeout = '10 s'",
     "line 1, column 27: expected '=' after the SET key, found '-'"},
    {"SELEC 1", "line 1, column 1: expected a statement (SELECT, CREATE, "
                "INSERT, DROP, SHOW, DESCRIBE, EXPLAIN, SET, STOP QUERY or "
                "RESUME QUERY), found 'SELEC'"},
    {"DESCRIBE q_1 FORMAT XML",
     "line 1, column 21: expected JSON after FORMAT, found 'XML'"},
    {"EXPLAIN WATERMARK", "line 1, column 18: expected a query id after "
                          "EXPLAIN WATERMARK (SHOW QUERIES lists them), found "
                          "end of input"},
    {"STOP QUERY", "line 1, column 11: expected a query id (SHOW QUERIES "
                   "lists them), found end of input"},
    {"SELECT", "line 1, column 7: expected an expression, found end of input"},
    {"SELECT 1 +",
     "line 1, column 11: expected an expression, found end of input"},
    {"SELECT a FROM t WHERE",
     "line 1, column 22: expected an expression, found end of input"},
    {"SELECT (1 + 2", "line 1, column 14: expected ')', found end of input"},
    {"SELECT a FROM t GROUP a",
     "line 1, column 23: expected BY after GROUP, found 'a'"},
    {"CREATE STREAM s (a INT, b)",
     "line 1, column 26: expected a type (STRING, VARCHAR(n), BOOLEAN, INT, "
     "BIGINT, DOUBLE, DECIMAL(p, s), TIMESTAMP(3), ...), found ')'"},
    {"CREATE STREAM s (a INT", "line 1, column 23: expected ',' or ')' after "
                               "the column definition, found end of input"},
    {"CREATE STREAM s (a FOO)",
     "line 1, column 20: expected a type (STRING, VARCHAR(n), BOOLEAN, INT, "
     "BIGINT, DOUBLE, DECIMAL(p, s), TIMESTAMP(3), ...), found 'FOO'"},
    {"CREATE STREAM s (a VARCHAR(0))",
     "line 1, column 28: a length must be between 1 and 1073741824"},
    {"CREATE STREAM s (a DECIMAL(10, 11))",
     "line 1, column 32: a scale must be between 0 and 10"},
    {"CREATE STREAM s (a INT) WITH (topic 'x')",
     "line 1, column 37: expected '=' after the option name, found string 'x'"},
    {"CREATE STREAM s (a INT) WITH ('topic' = )",
     "line 1, column 41: expected an option value, e.g. 'readings', found ')'"},
    {"CREATE STREAM s", "line 1, column 16: expected '(' column list, WITH "
                        "(...) or AS SELECT ..., found end of input"},
    {"CREATE VIEW v AS SELECT 1",
     "line 1, column 8: expected STREAM or TABLE after CREATE, found 'VIEW'"},
    {"CREATE STREAM s (ts TIMESTAMP(3), WATERMARK FOR ts AS ts, WATERMARK FOR "
     "ts AS ts)",
     "line 1, column 59: only one WATERMARK per stream"},
    {"CREATE STREAM s WITH (topic = 'x') SELECT 1",
     "line 1, column 36: expected AS SELECT ..., found 'SELECT'"},
    {"SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts)))",
     "line 1, column 51: TUMBLE needs its SIZE argument (an INTERVAL)"},
    {"SELECT * FROM TABLE(TUMBLE(TABLE t, ts, INTERVAL '1' SECOND))",
     "line 1, column 37: expected DESCRIPTOR(time column) as the second "
     "argument, found 'ts'"},
    {"SELECT * FROM TABLE(TUMBLE(t, DESCRIPTOR(ts), INTERVAL '1' SECOND))",
     "line 1, column 28: expected TABLE before the input name, e.g. TABLE "
     "readings, found 't'"},
    {"SELECT * FROM TABLE(SLIDE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND))",
     "line 1, column 21: expected a window function (TUMBLE, HOP, CUMULATE or "
     "SESSION), found 'SLIDE'"},
    {"SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND, "
     "INTERVAL '1' SECOND, 3))",
     "line 1, column 95: too many arguments to TUMBLE"},
    {"SELECT * FROM TABLE(TUMBLE(DATA => TABLE t, GAP => INTERVAL '1' SECOND))",
     "line 1, column 45: TUMBLE has no argument named GAP"},
    {"SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), SIZE => INTERVAL '1' "
     "SECOND, SIZE => INTERVAL '2' SECOND))",
     "line 1, column 82: TUMBLE argument SIZE given twice"},
    {"SELECT INTERVAL '5' WEEK",
     "line 1, column 21: expected a time unit (DAY, HOUR, MINUTE, SECOND or "
     "MILLISECOND), found 'WEEK'"},
    {"SELECT INTERVAL 'abc' SECOND",
     "line 1, column 17: invalid interval value 'abc' for SECOND"},
    {"SELECT INTERVAL '1:30' SECOND TO MINUTE",
     "line 1, column 34: expected a smaller unit after TO (HOUR, MINUTE or "
     "SECOND), found 'MINUTE'"},
    {"SELECT TIMESTAMP '2026-13-01 00:00:00'",
     "line 1, column 18: invalid TIMESTAMP literal '2026-13-01 00:00:00', "
     "expected 'YYYY-MM-DD HH:MM:SS[.fff]'"},
    {"SELECT TIMESTAMP '2023-02-29'",
     "line 1, column 18: invalid TIMESTAMP literal '2023-02-29', expected "
     "'YYYY-MM-DD HH:MM:SS[.fff]'"},
    {"SELECT a FROM t LIMIT x",
     "line 1, column 23: expected a row count after LIMIT, found 'x'"},
    {"SELECT a FROM t LIMIT 99999999999999999999",
     "line 1, column 23: LIMIT too large"},
    {"SELECT a FROM t EMIT SOMETIMES",
     "line 1, column 22: expected CHANGES, FINAL or LATE INTO after EMIT, "
     "found 'SOMETIMES'"},
    {"SELECT a FROM t EMIT FINAL EMIT CHANGES",
     "line 1, column 28: EMIT given twice"},
    {"SELECT a FROM t ALLOWED LATENESS 5",
     "line 1, column 34: expected an INTERVAL after ALLOWED LATENESS, found "
     "'5'"},
    {"SELECT a FROM t JOIN u", "line 1, column 23: expected ON after the "
                               "joined stream, found end of input"},
    {"SELECT a FROM t LEFT u ON 1",
     "line 1, column 22: expected JOIN, found 'u'"},
    {"SELECT CASE END",
     "line 1, column 13: expected an expression, found 'END'"},
    {"SELECT CASE WHEN 1 THEN 2", "line 1, column 26: expected WHEN, ELSE or "
                                  "END in CASE, found end of input"},
    {"SELECT CAST(a DOUBLE)",
     "line 1, column 15: expected AS in CAST(value AS type), found 'DOUBLE'"},
    {"SELECT a IS 5",
     "line 1, column 13: expected NULL after IS or IS NOT, found '5'"},
    {"SELECT a NOT 5",
     "line 1, column 10: expected "
     "',', FROM, WHERE, GROUP BY, HAVING, ORDER BY, EMIT, ALLOWED LATENESS, "
     "LIMIT or the end of the statement, found 'NOT'"},
    {"SELECT 1; SELECT 2 SELECT 3",
     "line 1, column 20: expected "
     "',', FROM, WHERE, GROUP BY, HAVING, ORDER BY, EMIT, ALLOWED LATENESS, "
     "LIMIT or the end of the statement, found 'SELECT'"},
    {"SELECT 'abc", "line 1, column 8: unterminated string literal"},
    {"SELECT \"abc", "line 1, column 8: unterminated quoted identifier"},
    {"SELECT 1 /* never closed", "line 1, column 10: unterminated comment"},
    {"SELECT 1e",
     "line 1, column 8: malformed number: exponent without digits"},
    {"SELECT 12abc",
     "line 1, column 8: malformed number: letters right after digits"},
    {"SELECT a ! b",
     "line 1, column 10: unexpected character '!' (did you mean '!=' or NOT?)"},
    {"SELECT ``", "line 1, column 8: empty quoted identifier"},
    {"DROP VIEW x", "line 1, column 6: expected STREAM, TABLE or QUERY after "
                    "DROP, found 'VIEW'"},
    {"DROP STREAM IF x",
     "line 1, column 16: expected EXISTS after IF, found 'x'"},
    {"SHOW STREAM", "line 1, column 6: expected STREAMS, TABLES, QUERIES or "
                    "TOPICS after SHOW, found 'STREAM'"},
    {"DESCRIBE", "line 1, column 9: expected a stream, table or query name "
                 "after DESCRIBE, found end of input"},
    {"EXPLAIN DROP STREAM x", "line 1, column 9: expected SELECT, INSERT or "
                              "CREATE ... AS after EXPLAIN, found 'DROP'"},
    {"EXPLAIN SHOW STREAMS", "line 1, column 9: expected SELECT, INSERT or "
                             "CREATE ... AS after EXPLAIN, found 'SHOW'"},
    {"SET 'k' 'v'",
     "line 1, column 9: expected '=' after the SET key, found string 'v'"},
    {"INSERT t SELECT 1",
     "line 1, column 8: expected INTO after INSERT, found 't'"},
    {"INSERT INTO t VALUES (1)", "line 1, column 15: expected SELECT after "
                                 "INSERT INTO name, found 'VALUES'"},
    {"SELECT * FROM t MATCH_RECOGNIZE (PATTERN ())",
     "line 1, column 43: expected a pattern variable, found ')'"},
    {"SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A{3,1}))",
     "line 1, column 48: quantifier maximum below its minimum"},
    {"SELECT * FROM t MATCH_RECOGNIZE (DEFINE A AS 1)",
     "line 1, column 34: expected PATTERN (...) in MATCH_RECOGNIZE, found "
     "'DEFINE'"},
    {"SELECT a b c FROM t",
     "line 1, column 12: expected "
     "',', FROM, WHERE, GROUP BY, HAVING, ORDER BY, EMIT, ALLOWED LATENESS, "
     "LIMIT or the end of the statement, found 'c'"},
    {"SELECT a FROM t WHERE a = 'x' AND",
     "line 1, column 34: expected an expression, found end of input"},
    {"SELECT EXTRACT(FORTNIGHT FROM ts)",
     "line 1, column 16: expected a unit in EXTRACT (YEAR, MONTH, DAY, HOUR, "
     "MINUTE, SECOND, ...), found 'FORTNIGHT'"},
    {"SELECT SUM(v) OVER (ORDER BY ts ROWS BETWEEN 9 PRECEDING AND 3 "
     "FOLLOWING) FROM r",
     "line 1, column 62: expected CURRENT ROW as the frame's end, found '3'"},
    {"SELECT INTERVAL '999999999999' DAY",
     "line 1, column 17: invalid interval value '999999999999' for DAY"},
    {"SELECT * FROM t WHER x > 1",
     "line 1, column 22: expected JOIN, WHERE, GROUP BY, HAVING, ORDER BY, "
     "EMIT, ALLOWED LATENESS, LIMIT or the end of the statement, found 'x'"},
    {"SELECT a FROM t LIMIT 3 x",
     "line 1, column 25: expected the end of the statement, found 'x'"},
    {"SELECT a FROM t GROUP BY a EMIT FINAL x",
     "line 1, column 39: expected EMIT, ALLOWED LATENESS, LIMIT or the end of "
     "the statement, found 'x'"},
    {"SELECT 1 UNION SELECT 2",
     "line 1, column 10: UNION without ALL (distinct rows) is not supported: "
     "write UNION ALL"},
    {"SELECT 1 UNION ALL",
     "line 1, column 19: expected SELECT after UNION ALL, found end of input"},
    {"SELECT a FROM t ORDER BY a b",
     "line 1, column 28: expected EMIT, ALLOWED LATENESS, LIMIT or the end of "
     "the statement, found 'b'"},
    {"SELECT a FROM t WHERE a > 1 x",
     "line 1, column 29: expected GROUP BY, HAVING, ORDER BY, EMIT, ALLOWED "
     "LATENESS, LIMIT or the end of the statement, found 'x'"},
};
static int check_table_ok(const struct case_ok *cases, size_t n, bool expr)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        struct arena a;
        arena_init(&a, 0);
        struct sql_error err;
        char *got = NULL;
        int rc;
        if (expr) {
            struct sql_expr *e;
            rc = sql_parse_expr(cases[i].input, strlen(cases[i].input), &a, &e,
                                &err);
            if (rc == 0)
                got = sql_ast_format_expr(e);
        } else {
            struct sql_stmt *s;
            rc = sql_parse_stmt(cases[i].input, strlen(cases[i].input), &a, &s,
                                &err);
            if (rc == 0)
                got = sql_ast_format_stmt(s);
        }
        if (rc != 0) {
            fprintf(stderr, "  input:    %s\n  error:    %s\n", cases[i].input,
                    err.message);
            bad++;
        } else if (strcmp(got, cases[i].expected) != 0) {
            fprintf(stderr, "  input:    %s\n  expected: %s\n  got:      %s\n",
                    cases[i].input, cases[i].expected, got);
            bad++;
        }
        mem_free(got);
        arena_fini(&a);
    }
    return bad;
}

TEST(expressions)
{
    CHECK_EQ_INT(check_table_ok(expr_cases,
                                sizeof expr_cases / sizeof expr_cases[0], true),
                 0);
}

TEST(statements)
{
    CHECK_EQ_INT(check_table_ok(stmt_cases,
                                sizeof stmt_cases / sizeof stmt_cases[0],
                                false),
                 0);
}

TEST(errors)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        struct arena a;
        arena_init(&a, 0);
        struct sql_script sc;
        struct sql_error err;
        int rc = sql_parse_script(err_cases[i].input,
                                  strlen(err_cases[i].input), &a, &sc, &err);
        if (rc != ERR_PARSE || strcmp(err.message, err_cases[i].message)) {
            fprintf(stderr, "  input:    %s\n  expected: %s\n  got:      %s\n",
                    err_cases[i].input, err_cases[i].message,
                    rc ? err.message : "(no error)");
            bad++;
        }
        CHECK(sc.nstmts == 0);
        arena_fini(&a);
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(script_positions)
{
    const char *text = "-- the factory\n"
                       "CREATE STREAM r (v DOUBLE);\n"
                       "\n"
                       "  SELECT v\n"
                       "  FROM r ;;\n"
                       "SHOW STREAMS";
    struct arena a;
    arena_init(&a, 0);
    struct sql_script sc;
    struct sql_error err;
    CHECK_EQ_INT(sql_parse_script(text, strlen(text), &a, &sc, &err), 0);
    CHECK_EQ_INT(sc.nstmts, 3);
    if (sc.nstmts == 3) {
        CHECK_EQ_INT(sc.stmts[0]->pos.line, 2);
        CHECK_EQ_INT(sc.stmts[0]->pos.column, 1);
        CHECK_EQ_STR(sc.stmts[0]->text, "CREATE STREAM r (v DOUBLE)");
        CHECK_EQ_INT(sc.stmts[1]->pos.line, 4);
        CHECK_EQ_INT(sc.stmts[1]->pos.column, 3);
        CHECK_EQ_INT(sc.stmts[1]->pos.offset, 46);
        CHECK_EQ_STR(sc.stmts[1]->text, "SELECT v\n  FROM r");
        CHECK_EQ_INT(sc.stmts[1]->text_len, 17);
        CHECK_EQ_INT(sc.stmts[2]->kind, SQL_STMT_SHOW);
        CHECK_EQ_STR(sc.stmts[2]->text, "SHOW STREAMS");
    }
    /* Empty scripts are fine. */
    CHECK_EQ_INT(sql_parse_script(" ;; -- nothing\n", 15, &a, &sc, &err), 0);
    CHECK_EQ_INT(sc.nstmts, 0);
    /* Exactly one statement for sql_parse_stmt. */
    struct sql_stmt *s;
    CHECK_EQ_INT(sql_parse_stmt("SELECT 1;", 9, &a, &s, &err), 0);
    CHECK(s != NULL);
    CHECK_EQ_INT(sql_parse_stmt("SELECT 1; SELECT 2", 18, &a, &s, &err),
                 ERR_PARSE);
    CHECK_EQ_STR(err.message, "line 1, column 11: expected exactly one "
                              "statement, found 2");
    CHECK_EQ_INT(sql_parse_stmt("", 0, &a, &s, &err), ERR_PARSE);
    arena_fini(&a);
}

TEST(error_positions)
{
    const struct case_err cases[] = {
        {"CREATE STREAM r (\n  id INT,\n  v DOUBLE\n  WATERMARK FOR ts AS "
         "ts\n)",
         "line 4, column 3: expected ',' or ')' after the column definition, "
         "found 'WATERMARK'"},
        {"SELECT 'été',\n       ñ + FROM r",
         "line 2, column 12: expected an expression, found 'FROM'"},
        {"SELECT 1;\nSELECT\t'x\n",
         "line 2, column 8: unterminated string literal"},
        {"SELECT /* a\n long comment */ 1 +",
         "line 2, column 21: expected an expression, found end of input"},
        {"SELECT '0123456789012345678901234567890123456789xyz' 'b'",
         "line 1, column 54: expected ',', FROM, WHERE, GROUP BY, HAVING, "
         "ORDER BY, EMIT, ALLOWED LATENESS, LIMIT or the end of the "
         "statement, found string 'b'"},
        {"SELECT a FROM t WHERE x = "
         "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
         "'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'",
         "line 1, column 76: expected GROUP BY, HAVING, ORDER BY, EMIT, "
         "ALLOWED LATENESS, LIMIT or the end of the statement, found string "
         "'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb..."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena a;
        arena_init(&a, 0);
        struct sql_script sc;
        struct sql_error err;
        CHECK_EQ_INT(sql_parse_script(cases[i].input, strlen(cases[i].input),
                                      &a, &sc, &err),
                     ERR_PARSE);
        CHECK_EQ_STR(err.message, cases[i].message);
        arena_fini(&a);
    }
}

/* Builds prefix + n * rep + suffix. */
static char *repeat(const char *prefix, const char *rep, size_t n,
                    const char *suffix)
{
    size_t len = strlen(prefix) + n * strlen(rep) + strlen(suffix);
    char *s = mem_alloc(len + 1);
    strcpy(s, prefix);
    char *p = s + strlen(prefix);
    for (size_t i = 0; i < n; i++) {
        strcpy(p, rep);
        p += strlen(rep);
    }
    strcpy(p, suffix);
    return s;
}

static int parse_text(const char *text, struct sql_error *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct sql_script sc;
    int rc = sql_parse_script(text, strlen(text), &a, &sc, err);
    if (rc == 0 && sc.nstmts) {
        char *s = sql_ast_format_stmt(sc.stmts[0]);
        mem_free(s);
    }
    arena_fini(&a);
    return rc;
}

TEST(nesting_limits)
{
    struct sql_error err;
    char *s;
    /* Within the limit: fine. */
    s = repeat("SELECT ", "(", 100, "1");
    char *t = repeat(s, ")", 100, "");
    CHECK_EQ_INT(parse_text(t, &err), 0);
    mem_free(s);
    mem_free(t);
    /* Deep parentheses, NOT chains, minus chains, subqueries, ROW types
     * and pattern groups all stop at the nesting limit, without a crash. */
    const char *const deep[][3] = {
        {"SELECT ", "(", "1"},
        {"SELECT ", "NOT ", "1"},
        {"SELECT ", "- ", "1"},
        {"SELECT * FROM ", "(SELECT * FROM ", "t"},
        {"CREATE STREAM s (a ", "ROW<a ", "INT"},
        {"SELECT * FROM t MATCH_RECOGNIZE (PATTERN ", "(", "A"},
        {"SELECT ", "CASE WHEN ", "1"},
        {"SELECT ", "f(", "1"},
    };
    for (size_t i = 0; i < sizeof deep / sizeof deep[0]; i++) {
        s = repeat(deep[i][0], deep[i][1], 100000, deep[i][2]);
        CHECK_EQ_INT(parse_text(s, &err), ERR_PARSE);
        CHECK(strstr(err.message, "nesting too deep") != NULL);
        mem_free(s);
    }
    /* Long left-deep chains are bounded by the tree height limit. */
    s = repeat("SELECT 1", " + 1", 5000, "");
    CHECK_EQ_INT(parse_text(s, &err), ERR_PARSE);
    CHECK(strstr(err.message, "expression too complex") != NULL);
    mem_free(s);
    s = repeat("SELECT 1", " + 1", 900, "");
    CHECK_EQ_INT(parse_text(s, &err), 0);
    mem_free(s);
    /* Wide flat lists are fine. */
    s = repeat("SELECT a FROM t WHERE a IN (0", ", 1", 20000, ")");
    CHECK_EQ_INT(parse_text(s, &err), 0);
    mem_free(s);
    s = repeat("SELECT * FROM t", " JOIN u ON TRUE", 65, "");
    CHECK_EQ_INT(parse_text(s, &err), ERR_PARSE);
    CHECK(strstr(err.message, "too many joins") != NULL);
    mem_free(s);
}

TEST(ast_fields)
{
    struct arena a;
    arena_init(&a, 0);
    struct sql_stmt *s;
    struct sql_error err;
    const char *text =
        "CREATE STREAM r (id STRING NOT NULL, v DOUBLE FROM 'p.v', "
        "ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) "
        "WITH ('topic' = 'readings', partitions = 8)";
    CHECK_EQ_INT(sql_parse_stmt(text, strlen(text), &a, &s, &err), 0);
    CHECK_EQ_INT(s->kind, SQL_STMT_CREATE_STREAM);
    CHECK_EQ_STR(s->name, "r");
    CHECK_EQ_INT(s->ncolumns, 3);
    CHECK(s->columns[0].not_null);
    CHECK_EQ_INT(s->columns[0].type->kind, SQL_TYPE_STRING);
    CHECK_EQ_STR(s->columns[1].path, "p.v");
    CHECK_EQ_INT(s->columns[2].type->kind, SQL_TYPE_TIMESTAMP);
    CHECK_EQ_INT(s->columns[2].type->precision, 3);
    CHECK_EQ_STR(s->watermark_column, "ts");
    CHECK_EQ_STR(s->watermark_text, "ts - INTERVAL '5' SECOND");
    CHECK_EQ_INT(s->watermark->kind, SQL_EXPR_BINARY);
    CHECK_EQ_INT(s->watermark->right->ival, 5000);
    CHECK_EQ_INT(s->watermark->right->unit, SQL_UNIT_SECOND);
    CHECK_EQ_INT(s->noptions, 2);
    CHECK_EQ_STR(s->options[1].key, "partitions");
    CHECK_EQ_STR(s->options[1].value, "8");

    text = "SELECT k, COUNT(*) FROM TABLE(HOP(TABLE r, DESCRIPTOR(ts), "
           "INTERVAL '5' SECOND, INTERVAL '1' MINUTE)) GROUP BY k, "
           "window_start, window_end ALLOWED LATENESS INTERVAL '1' MINUTE "
           "EMIT LATE INTO late LIMIT 3";
    CHECK_EQ_INT(sql_parse_stmt(text, strlen(text), &a, &s, &err), 0);
    const struct sql_select *q = s->query;
    CHECK_EQ_INT(q->from->kind, SQL_FROM_WINDOW);
    CHECK_EQ_INT(q->from->window->kind, SQL_WINDOW_HOP);
    CHECK_EQ_STR(q->from->window->table, "r");
    CHECK_EQ_STR(q->from->window->timecol, "ts");
    CHECK_EQ_INT(q->from->window->slide->ival, 5000);
    CHECK_EQ_INT(q->from->window->size->ival, 60000);
    CHECK_EQ_INT(q->ngroup_by, 3);
    CHECK_EQ_INT(q->emit, SQL_EMIT_DEFAULT);
    CHECK_EQ_INT(q->allowed_lateness->ival, 60000);
    CHECK_EQ_STR(q->late_into, "late");
    CHECK_EQ_INT(q->limit, 3);
    CHECK(q->items[1].expr->star);
    CHECK_EQ_STR(q->items[0].text, "k");
    CHECK_EQ_STR(q->items[1].text, "COUNT(*)");

    text = "SELECT *, t.*, a  +  1 AS b, /* c */ f(x, 'y') FROM t";
    CHECK_EQ_INT(sql_parse_stmt(text, strlen(text), &a, &s, &err), 0);
    q = s->query;
    CHECK_EQ_INT(q->nitems, 4);
    CHECK_EQ_STR(q->items[0].text, "*");
    CHECK_EQ_STR(q->items[1].text, "t.*");
    CHECK_EQ_STR(q->items[2].text, "a  +  1");
    CHECK_EQ_STR(q->items[2].alias, "b");
    CHECK_EQ_STR(q->items[3].text, "f(x, 'y')");
    /* Positions point at the token. */
    CHECK_EQ_INT(q->items[1].expr->pos.column, 11);
    arena_fini(&a);
}

/* Input that is not NUL-terminated is never read past its length. */
TEST(unterminated_buffer)
{
    const char full[] = "SELECT 12345 FROM t LIMIT 7";
    size_t n = strlen("SELECT 12345 FROM t LIMIT 7");
    char *copy = mem_alloc(n);
    memcpy(copy, full, n);
    struct arena a;
    arena_init(&a, 0);
    struct sql_stmt *s;
    struct sql_error err;
    CHECK_EQ_INT(sql_parse_stmt(copy, n, &a, &s, &err), 0);
    CHECK_EQ_INT(s->query->limit, 7);
    CHECK_EQ_INT(sql_parse_stmt(copy, 9, &a, &s, &err), 0);
    CHECK_EQ_INT(s->query->items[0].expr->ival, 12);
    arena_fini(&a);
    mem_free(copy);
}

/* Opens `rel` (a path from the repository root) from the current
 * directory, or else from a parent of this binary's directory. */
static FILE *open_repo_file(const char *rel)
{
    FILE *f = fopen(rel, "rb");
    char dir[4096];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (f || n <= 0)
        return f;
    dir[n] = '\0';
    for (int up = 0; up < 6 && !f; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        f = fopen(path, "rb");
    }
    return f;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = open_repo_file(path);
    if (!f)
        return NULL;
    char *text = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 65536;
            text = mem_realloc(text, cap);
        }
        size_t got = fread(text + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return text;
}

/* Every ```sql block of the reference and the example pipeline parse, so
 * the documentation cannot drift from the parser. */
TEST(docs_examples)
{
    size_t len;
    char *doc = read_file("docs/sql.md", &len);
    if (!doc) {
        fprintf(stderr, "  docs/sql.md not found\n");
        CHECK(doc != NULL);
        return;
    }
    int blocks = 0;
    const char *p = doc, *end = doc + len;
    for (;;) {
        const char *open = memmem(p, (size_t)(end - p), "```sql\n", 7);
        if (!open)
            break;
        open += 7;
        const char *close = memmem(open, (size_t)(end - open), "```", 3);
        if (!close)
            break;
        struct arena a;
        arena_init(&a, 0);
        struct sql_script sc;
        struct sql_error err;
        int rc = sql_parse_script(open, (size_t)(close - open), &a, &sc, &err);
        if (rc != 0)
            fprintf(stderr, "  docs/sql.md example %d: %s\n", blocks + 1,
                    err.message);
        CHECK_EQ_INT(rc, 0);
        CHECK(sc.nstmts >= 1);
        arena_fini(&a);
        blocks++;
        p = close + 3;
    }
    CHECK(blocks >= 8);
    mem_free(doc);

    char *factory = read_file("examples/factory.sql", &len);
    CHECK(factory != NULL);
    if (factory) {
        struct arena a;
        arena_init(&a, 0);
        struct sql_script sc;
        struct sql_error err;
        CHECK_EQ_INT(sql_parse_script(factory, len, &a, &sc, &err), 0);
        CHECK(sc.nstmts >= 4);
        arena_fini(&a);
        mem_free(factory);
    }
}

int main(void)
{
    RUN(expressions);
    RUN(statements);
    RUN(errors);
    RUN(script_positions);
    RUN(error_positions);
    RUN(nesting_limits);
    RUN(ast_fields);
    RUN(unterminated_buffer);
    RUN(docs_examples);
    return harness_summary("test_parser");
}
