#!/usr/bin/env bash
# test_sql_replay.sh - replay equals live (issue "never silently wrong",
# item 2): the same records, read as one big batch by `rill run
# --until-idle` on the wall clock, give the same CURRENT_WATERMARK values,
# windows and late rows as record-by-record processing (the golden case
# current_watermark, whose records are one batch each), because each row
# sees the watermark advanced over the records before it in its partition.
# Also: quiet inputs close their windows ('watermark.idle-advance').
source "$(dirname "$0")/lib.sh"

D=$TMP/data
cat >"$TMP/setup.sql" <<'EOF'
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json');
CREATE STREAM late_rows (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3))
  WITH (topic = 'late_rows', format = 'json');
EOF
"$RILL" run "$TMP/setup.sql" --data "$D" >/dev/null || fail "setup"

# One `rill produce` call: the four records land in one record batch.
cat >"$TMP/in.txt" <<'EOF'
{"sensor_id":"a","value":5,"ts":"2026-11-24T08:00:05.000Z"}
{"sensor_id":"a","value":4,"ts":"2026-11-24T08:00:04.000Z"}
{"sensor_id":"a","value":9,"ts":"2026-11-24T08:00:09.000Z"}
{"sensor_id":"a","value":6,"ts":"2026-11-24T08:00:06.000Z"}
EOF
"$RILL" produce readings --file "$TMP/in.txt" --data "$D" >/dev/null || fail "produce"
batches=$("$RILL" log dump "$D/readings-0" | grep -c 'baseOffset' || true)
[ "$batches" = 1 ] || fail "expected the input as one record batch, got $batches"

cat >"$TMP/wm.sql" <<'EOF'
SELECT ts, CURRENT_WATERMARK(ts) AS wm, ts <= CURRENT_WATERMARK(ts) AS late
FROM readings;
EOF
out=$(timeout 30 "$RILL" run "$TMP/wm.sql" --data "$D" --until-idle) || fail "wm run"
want=$(tail -n +2 "$(dirname "$0")/../golden/current_watermark/expected.txt")
[ "$out" = "$want" ] || fail "CURRENT_WATERMARK on replay differs from live:
$out
--- want
$want"
ok "CURRENT_WATERMARK record by record inside one batch"

# A 5 s tumbling window: ts 9 moves the watermark to 7 s, which closes
# [0 s, 5 s) before ts 4.5 arrives: it is late, never counted in it.
cat >"$TMP/in2.txt" <<'EOF'
{"sensor_id":"b","value":1,"ts":"2026-11-24T08:01:01.000Z"}
{"sensor_id":"b","value":2,"ts":"2026-11-24T08:01:03.000Z"}
{"sensor_id":"b","value":3,"ts":"2026-11-24T08:01:09.000Z"}
{"sensor_id":"b","value":4,"ts":"2026-11-24T08:01:04.500Z"}
{"sensor_id":"b","value":5,"ts":"2026-11-24T08:01:08.000Z"}
EOF
"$RILL" produce readings --file "$TMP/in2.txt" --data "$D" >/dev/null || fail "produce 2"
cat >"$TMP/win.sql" <<'EOF'
SELECT window_start, COUNT(*) AS n, SUM(value) AS s
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND))
WHERE sensor_id = 'b'
GROUP BY window_start, window_end
EMIT LATE INTO late_rows;
EOF
out=$(timeout 30 "$RILL" run "$TMP/win.sql" --data "$D" --until-idle) || fail "window run"
want='{"window_start":"2026-11-24T08:01:00.000Z","n":2,"s":3.0}
{"window_start":"2026-11-24T08:01:05.000Z","n":2,"s":8.0}'
[ "$out" = "$want" ] || fail "windows on replay:
$out
--- want
$want"
late=$("$RILL" consume late_rows --from beginning --data "$D" --format '%s\n' 2>/dev/null || true)
{ echo "$late" || true; } | grep -q '"value":4' || fail "the late row is not in late_rows: $late"
ok "a row behind the watermark inside one batch is late, as live"
