#!/usr/bin/env bash
# test_sql_keycheck.sh - a declared key that the records do not follow is
# never trusted silently: a stream WITH (key = 'sensor_id', partitions = 3)
# fed with records that have no key (round robin) and with a record whose
# key sits in the wrong partition. The co-partitioned window query (GROUP
# BY sensor_id) must not aggregate those records in their partition (that
# gave two "final" rows for one window and key): they go to readings.dlq
# with the reason; keyed records are counted; EXPLAIN says so.
source "$(dirname "$0")/lib.sh"

D=$TMP/data
cat >"$TMP/setup.sql" <<'EOF'
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 3);
EOF
"$RILL" run "$TMP/setup.sql" --data "$D" >/dev/null || fail "setup"

# Keyed correctly: s1 x2, s2 x1 (placed by murmur2).
cat >"$TMP/keyed.txt" <<'EOF'
s1|{"sensor_id":"s1","value":1,"ts":"2026-11-24T08:00:01.000Z"}
s1|{"sensor_id":"s1","value":2,"ts":"2026-11-24T08:00:02.000Z"}
s2|{"sensor_id":"s2","value":3,"ts":"2026-11-24T08:00:03.000Z"}
EOF
"$RILL" produce readings --file "$TMP/keyed.txt" --key-separator '|' --data "$D" >/dev/null || fail "produce keyed"
# No key at all, one record per partition (as kcat without -K spreads them).
for p in 0 1 2; do
  printf '{"sensor_id":"s1","value":10,"ts":"2026-11-24T08:00:04.000Z"}\n' |
    "$RILL" produce readings --partition $p --data "$D" >/dev/null || fail "produce unkeyed"
done
# A key whose bytes differ from the column.
printf 'S1|{"sensor_id":"s1","value":20,"ts":"2026-11-24T08:00:05.000Z"}\n' |
  "$RILL" produce readings --key-separator '|' --data "$D" >/dev/null || fail "produce odd key"
# The right key in a partition murmur2 does not give it.
home=$("$RILL" consume readings --data "$D" --format '%k %p\n' | awk '$1=="s1"{print $2; exit}')
wrong=$(( (home + 1) % 3 ))
printf 's1|{"sensor_id":"s1","value":30,"ts":"2026-11-24T08:00:06.000Z"}\n' |
  "$RILL" produce readings --key-separator '|' --partition $wrong --data "$D" >/dev/null || fail "produce wrong partition"
# Something to close the window, keyed right.
printf 's2|{"sensor_id":"s2","value":0,"ts":"2026-11-24T08:00:30.000Z"}\n' |
  "$RILL" produce readings --key-separator '|' --data "$D" >/dev/null || fail "produce closer"

cat >"$TMP/q.sql" <<'EOF'
EXPLAIN CREATE STREAM stats AS
SELECT sensor_id, window_start, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end;
CREATE STREAM stats AS
SELECT sensor_id, window_start, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end;
EOF
out=$(timeout 60 "$RILL" run "$TMP/q.sql" --data "$D" --until-idle) || fail "run: $out"
{ echo "$out" || true; } | grep -q "key check: a record whose Kafka key is not its sensor_id" || fail "EXPLAIN: $out"
rows=$("$RILL" consume stats --data "$D" --format '%s\n' | grep '08:00:00' | sort)
want='{"sensor_id":"s1","window_start":"2026-11-24T08:00:00.000Z","n":2,"total":3.0}
{"sensor_id":"s2","window_start":"2026-11-24T08:00:00.000Z","n":1,"total":3.0}'
[ "$rows" = "$want" ] || fail "window rows (one per key, keyed records only):
$rows"
dlq=$("$RILL" consume readings.dlq --data "$D")
[ "$({ echo "$dlq" || true; } | grep -c 'record has no key')" = 3 ] || fail "unkeyed in dlq: $dlq"
[ "$({ echo "$dlq" || true; } | grep -c 'record key differs from its')" = 1 ] || fail "odd key in dlq: $dlq"
[ "$({ echo "$dlq" || true; } | grep -c "record key belongs in partition $home")" = 1 ] || fail "wrong partition in dlq: $dlq"
ok "records that do not follow the declared key are not aggregated per partition: in readings.dlq with the reason"
