#!/usr/bin/env bash
# bench/query_engine.sh - the engine figures of docs/planner.md ("Figures"):
# factory readings (rill simulate, 6 partitions, keyed by sensor_id) through
# `rill run q.sql --until-idle` with a CREATE TABLE ... AS TUMBLE 10 s
# COUNT/AVG/MIN/MAX, GROUP BY sensor_id (co-partitioned: 6 tasks) and GROUP
# BY machine_id (6 + 6 tasks through the repartition topic). CPU is the
# user + sys seconds of `rill run` (/usr/bin/time); one line per run.
#   RILL=build/release/rill bash bench/query_engine.sh
#   RILL_B=/other/rill: runs A B A B ... with the other binary beside it
#   RUNS=n (3), DURATION=s of simulated time (120: 2.4M readings),
#   RILL_WORKERS=n as for rill run.
#   MODES="EXACTLY_ONCE AT_LEAST_ONCE": runs each guarantee in turn
#   ('execution.checkpointing.mode', docs/checkpoints.md), A B A B ...
#   PER_KEY_B=1: the B runs read the stream with 'watermark.per-key' =
#   'true' (with RILL_B unset, the same binary: the cost of per-key
#   watermarks, A B A B).
set -euo pipefail
A=${RILL:-build/release/rill}
B=${RILL_B:-}
PER_KEY_B=${PER_KEY_B:-}
[ -n "$PER_KEY_B" ] && [ -z "$B" ] && B=$A
RUNS=${RUNS:-3}
MODES=${MODES:-}
DURATION=${DURATION:-120}
TMP=$(mktemp -d /tmp/rill-bench-q.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

"$A" simulate --scenario factory --virtual-clock --duration "$DURATION" \
  --topic readings --partitions 6 --data "$TMP/base" >/dev/null 2>&1
n=$("$A" topics describe readings --data "$TMP/base" | sed -n 's/.*HighWatermark: \([0-9]*\).*/\1/p' | awk '{s += $1} END {print s}')
cat >"$TMP/setup.sql" <<'EOF'
CREATE STREAM readings (
    sensor_id STRING, machine_id STRING, kind STRING, value DOUBLE,
    unit STRING, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 6);
EOF
sed "s/partitions = 6);/partitions = 6, 'watermark.per-key' = 'true');/" \
  "$TMP/setup.sql" >"$TMP/setup_pk.sql"
cp -r "$TMP/base" "$TMP/base_pk"
"$A" run "$TMP/setup.sql" --data "$TMP/base" >/dev/null
"$A" run "$TMP/setup_pk.sql" --data "$TMP/base_pk" >/dev/null
for key in sensor_id machine_id; do
  : >"$TMP/q_$key.sql"
  for m in $MODES; do
    echo "SET 'execution.checkpointing.mode' = '$m';" >"$TMP/q_${key}_$m.sql"
  done
  cat >>"$TMP/q_$key.sql" <<EOF
CREATE TABLE stats AS
SELECT $key, window_start, window_end, COUNT(*) AS n, AVG(value) AS a,
       MIN(value) AS lo, MAX(value) AS hi
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY $key, window_start, window_end;
EOF
  for m in $MODES; do cat "$TMP/q_$key.sql" >>"$TMP/q_${key}_$m.sql"; done
done

run_one() { # binary label key [mode] [base directory]
  rm -rf "$TMP/d"
  cp -r "$TMP/${5:-base}" "$TMP/d"
  q="$TMP/q_$3.sql"
  [ -n "${4:-}" ] && q="$TMP/q_$3_$4.sql"
  /usr/bin/time -f '%U %S %e' -o "$TMP/t" "$1" run "$q" --data "$TMP/d" --until-idle >/dev/null
  read -r u s e <"$TMP/t"
  cpu=$(echo "$u + $s" | bc)
  rows=$("$1" consume stats --data "$TMP/d" --format '%o\n' | wc -l)
  pk=off
  [ "${5:-base}" = base_pk ] && pk=on
  echo "query_engine group_by=$3 binary=$2${4:+ mode=$4} per_key=$pk records=$n cpu_s=$cpu wall_s=$e records_per_cpu_s=$(echo "$n / $cpu" | bc) out_rows=$rows"
}

for key in sensor_id machine_id; do
  for i in $(seq 1 "$RUNS"); do
    if [ -n "$MODES" ]; then
      for m in $MODES; do run_one "$A" A "$key" "$m"; done
      continue
    fi
    run_one "$A" A "$key"
    [ -n "$B" ] && run_one "$B" B "$key" "" "$([ -n "$PER_KEY_B" ] && echo base_pk || echo base)"
  done
done
