#!/usr/bin/env bash
# test_sql_query.sh - queries run by the real binary: a stream, JSON lines
# produced into it (one malformed), then with `rill run --until-idle`: a
# filter SELECT, a TUMBLE and a SESSION aggregate with exact (hand-computed)
# rows, the malformed record in readings.dlq with its reason, LIMIT ending a
# SELECT by itself, 'latest-offset' skipping history, CREATE STREAM/TABLE
# ... AS writing topics readable with `rill consume` (record key = GROUP BY
# key), EXPLAIN, a persistent query that keeps running until SIGTERM, and
# restarts that do not write output twice.
source "$(dirname "$0")/lib.sh"

D=$TMP/data
cat >"$TMP/setup.sql" <<'EOF'
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 2);
EOF
"$RILL" run "$TMP/setup.sql" --data "$D" >/dev/null || fail "setup"

cat >"$TMP/in.txt" <<'EOF'
s1|{"sensor_id":"s1","value":3.0,"ts":"2026-11-24T08:00:01.000Z"}
s1|{"sensor_id":"s1","value":7.0,"ts":"2026-11-24T08:00:04.000Z"}
s2|{"sensor_id":"s2","value":9.5,"ts":"2026-11-24T08:00:05.000Z"}
s1|this is not json
s1|{"sensor_id":"s1","value":6.0,"ts":"2026-11-24T08:00:12.000Z"}
s2|{"sensor_id":"s2","value":1.0,"ts":"2026-11-24T08:00:30.000Z"}
EOF
"$RILL" produce readings --file "$TMP/in.txt" --key-separator '|' --data "$D" >/dev/null ||
  fail "produce"

# A filter query: rows with value > 5 (order across partitions may vary).
cat >"$TMP/filter.sql" <<'EOF'
SELECT sensor_id, value, ts FROM readings WHERE value > 5;
EOF
out=$(timeout 30 "$RILL" run "$TMP/filter.sql" --data "$D" --until-idle) || fail "filter run: $?"
want='{"sensor_id":"s1","value":6.0,"ts":"2026-11-24T08:00:12.000Z"}
{"sensor_id":"s1","value":7.0,"ts":"2026-11-24T08:00:04.000Z"}
{"sensor_id":"s2","value":9.5,"ts":"2026-11-24T08:00:05.000Z"}'
[ "$(echo "$out" | sort)" = "$want" ] || fail "filter rows: $out"
ok "SELECT ... WHERE value > 5: exactly the 3 matching rows"

# TUMBLE 10 s: s1 [0,10) = {3, 7}, s1 [10,20) = {6}, s2 [0,10) = {9.5},
# s2 [30,40) = {1}; the last windows fire at the end of the data.
cat >"$TMP/tumble.sql" <<'EOF'
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, AVG(value) AS avg_v,
       MIN(value) AS min_v, MAX(value) AS max_v
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end;
EOF
out=$(timeout 30 "$RILL" run "$TMP/tumble.sql" --data "$D" --until-idle) || fail "tumble run: $?"
want='{"sensor_id":"s1","window_start":"2026-11-24T08:00:00.000Z","window_end":"2026-11-24T08:00:10.000Z","n":2,"avg_v":5.0,"min_v":3.0,"max_v":7.0}
{"sensor_id":"s1","window_start":"2026-11-24T08:00:10.000Z","window_end":"2026-11-24T08:00:20.000Z","n":1,"avg_v":6.0,"min_v":6.0,"max_v":6.0}
{"sensor_id":"s2","window_start":"2026-11-24T08:00:00.000Z","window_end":"2026-11-24T08:00:10.000Z","n":1,"avg_v":9.5,"min_v":9.5,"max_v":9.5}
{"sensor_id":"s2","window_start":"2026-11-24T08:00:30.000Z","window_end":"2026-11-24T08:00:40.000Z","n":1,"avg_v":1.0,"min_v":1.0,"max_v":1.0}'
[ "$(echo "$out" | sort)" = "$want" ] || fail "tumble rows: $out"
ok "TUMBLE 10 s: COUNT/AVG/MIN/MAX per sensor and window, exact"

# SESSION with a 5 s gap: s1 {1 s, 4 s} then {12 s}; s2 {5 s}, {30 s}.
cat >"$TMP/session.sql" <<'EOF'
SELECT sensor_id, window_start, window_end, COUNT(*) AS n
FROM TABLE(SESSION(TABLE readings PARTITION BY sensor_id, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY sensor_id, window_start, window_end;
EOF
out=$(timeout 30 "$RILL" run "$TMP/session.sql" --data "$D" --until-idle) || fail "session run: $?"
want='{"sensor_id":"s1","window_start":"2026-11-24T08:00:01.000Z","window_end":"2026-11-24T08:00:09.000Z","n":2}
{"sensor_id":"s1","window_start":"2026-11-24T08:00:12.000Z","window_end":"2026-11-24T08:00:17.000Z","n":1}
{"sensor_id":"s2","window_start":"2026-11-24T08:00:05.000Z","window_end":"2026-11-24T08:00:10.000Z","n":1}
{"sensor_id":"s2","window_start":"2026-11-24T08:00:30.000Z","window_end":"2026-11-24T08:00:35.000Z","n":1}'
[ "$(echo "$out" | sort)" = "$want" ] || fail "session rows: $out"
ok "SESSION 5 s gap: sessions per sensor, exact"

# The malformed record: a SELECT has no side effects (no readings.dlq),
# it says on stderr where the record is and why.
err=$(timeout 30 "$RILL" run "$TMP/filter.sql" --data "$D" --until-idle 2>&1 >/dev/null) || fail "filter rerun"
{ echo "$err" || true; } | grep -q '1 record(s) of readings did not decode.*partition [01] offset [0-9]*: .*at byte 0' ||
  fail "SELECT's dead-letter report: $err"
"$RILL" topics list --data "$D" | grep -q 'readings\.dlq' && fail "a SELECT created readings.dlq"
ok "a SELECT reports the malformed record and writes no dead letter"

# LIMIT ends a SELECT by itself (no --until-idle).
cat >"$TMP/limit.sql" <<'EOF'
SELECT sensor_id FROM readings WHERE sensor_id = 's1' LIMIT 2;
EOF
out=$(timeout 20 "$RILL" run "$TMP/limit.sql" --data "$D") || fail "limit run: $?"
[ "$out" = '{"sensor_id":"s1"}
{"sensor_id":"s1"}' ] || fail "limit: $out"
ok "LIMIT 2 ends the query with 2 rows"

# latest-offset: history is skipped.
cat >"$TMP/latest.sql" <<'EOF'
SET 'scan.startup.mode' = 'latest-offset';
SELECT sensor_id FROM readings;
EOF
out=$(timeout 20 "$RILL" run "$TMP/latest.sql" --data "$D" --until-idle) || fail "latest run: $?"
[ "$out" = "set 'scan.startup.mode' = 'latest-offset'" ] || fail "latest-offset: $out"
ok "'scan.startup.mode' = 'latest-offset' reads no history"

# Errors name line and column.
cat >"$TMP/bad.sql" <<'EOF'
SELECT sensor_id
FROM readings WHERE sensor_id > 5;
EOF
set +e
timeout 20 "$RILL" run "$TMP/bad.sql" --data "$D" --until-idle 2>"$TMP/bad.err"
rc=$?
set -e
[ $rc = 1 ] || fail "bad query exit $rc"
grep -qx "$TMP/bad.sql:2:31: cannot compare these types (STRING > INT)" "$TMP/bad.err" ||
  fail "type error: $(cat "$TMP/bad.err")"
ok "type error at FILE:2:31"

# EXPLAIN.
out=$(echo "EXPLAIN SELECT sensor_id, window_start, window_end, MAX(value) AS m FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY sensor_id, window_start, window_end;" |
  "$RILL" sql --data "$D") || fail "explain"
{ echo "$out" || true; } | grep -q '^window aggregate: TUMBLE(size 10000 ms)$' || fail "explain: $out"
{ echo "$out" || true; } | grep -q 'watermark per partition = max(ts) - 5000 ms' || fail "explain wm: $out"
ok "EXPLAIN shows the window operator and the watermark source"

# Persistent queries, bounded: topics alerts and stats, then rill consume.
cat >"$TMP/persist.sql" <<'EOF'
CREATE STREAM alerts AS SELECT sensor_id, value FROM readings WHERE value > 5;
CREATE TABLE stats AS
  SELECT sensor_id, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY sensor_id, window_start, window_end;
EOF
out=$(timeout 30 "$RILL" run "$TMP/persist.sql" --data "$D" --until-idle) || fail "persist run: $?"
{ echo "$out" || true; } | grep -q '^created stream alerts (topic alerts, 1 partition), started query q_1$' ||
  fail "create alerts: $out"
out=$("$RILL" consume alerts --data "$D" | sort)
[ "$out" = '{"sensor_id":"s1","value":6.0}
{"sensor_id":"s1","value":7.0}
{"sensor_id":"s2","value":9.5}' ] || fail "alerts topic: $out"
out=$("$RILL" consume stats --data "$D" --format '%k %s\n' | sort)
[ "$out" = 's1 {"sensor_id":"s1","window_start":"2026-11-24T08:00:00.000Z","n":2}
s1 {"sensor_id":"s1","window_start":"2026-11-24T08:00:10.000Z","n":1}
s2 {"sensor_id":"s2","window_start":"2026-11-24T08:00:00.000Z","n":1}
s2 {"sensor_id":"s2","window_start":"2026-11-24T08:00:30.000Z","n":1}' ] || fail "stats topic: $out"
ok "CREATE STREAM/TABLE ... AS write JSON rows (key = GROUP BY key), rill consume reads them"

# The malformed record: in readings.dlq, once per persistent query that
# read it, with its reason and origin.
dlq=$("$RILL" consume readings.dlq --data "$D")
{ echo "$dlq" || true; } | grep -q '^{"reason":"[^"]*at byte 0","query":"q_1","topic":"readings","partition":[01],"offset":[0-9]*,"value":"this is not json","value_bytes":16,"truncated":false}$' ||
  fail "dlq: $dlq"
[ "$(echo "$dlq" | wc -l)" = 2 ] || fail "one dead letter per query that read it: $dlq"
ok "malformed record in readings.dlq with reason, partition, offset, value"

# Unbounded: rill run keeps the queries running until SIGTERM (the
# catalog's queries q_1, q_2 restart too).
cat >"$TMP/forever.sql" <<'EOF'
CREATE STREAM big AS SELECT sensor_id, value FROM readings WHERE value > 8;
EOF
"$RILL" run "$TMP/forever.sql" --data "$D" >"$TMP/forever.out" 2>&1 &
pid=$!
PIDS+=($pid)
sleep 3 # time to start, read the 6 records and write (generous under load)
kill -0 $pid 2>/dev/null || fail "rill run exited early: $(cat "$TMP/forever.out")"
kill -TERM $pid
for i in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "rill run ignores SIGTERM"
wait $pid || fail "rill run exit $? after SIGTERM"
out=$("$RILL" consume big --data "$D")
[ "$out" = '{"sensor_id":"s2","value":9.5}' ] || fail "big topic: $out"
ok "rill run keeps a persistent query running until SIGTERM"

# The restarts above resumed q_1 and q_2 from their progress records:
# nothing written twice.
[ "$("$RILL" consume alerts --data "$D" | wc -l)" = 3 ] || fail "alerts after restarts: $("$RILL" consume alerts --data "$D")"
[ "$("$RILL" consume stats --data "$D" | wc -l)" = 4 ] || fail "stats after restarts: $("$RILL" consume stats --data "$D")"
ok "restarted queries go on from their progress (no duplicate output)"

echo "PASS test_sql_query"
