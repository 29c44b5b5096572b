#!/usr/bin/env bash
# test_sql_tasks.sh - a query runs as tasks, one per input partition, on
# worker threads (RILL_WORKERS=2): 4,000 keyed readings over 4 partitions;
# a TUMBLE per kind (not the record key: the plan repartitions through
# q_1-repartition and a second stage of 4 tasks aggregates it) and a
# TUMBLE per sensor (the record key: no repartition) must both equal a
# recount in Python; the repartition topic holds exactly the rows (its
# watermark markers are control batches no consumer sees); EXPLAIN shows
# both stages; DROP QUERY deletes the repartition topic.
source "$(dirname "$0")/lib.sh"

D=$TMP/data
cat >"$TMP/setup.sql" <<'SQL'
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 4);
SQL
"$RILL" run "$TMP/setup.sql" --data "$D" >/dev/null || fail "setup"

# 40 sensors, 4 kinds, 100 readings each, 1 s apart with up to 3 s of
# disorder (less than the 5 s watermark delay: nothing is late).
/usr/bin/python3 - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
random.seed(7)
base = 1767225600000  # 2026-01-01T00:00:00Z
kinds = ["vibration", "temperature", "current", "acoustic"]
rows = []
for s in range(40):
    for i in range(100):
        ts = base + i * 1000 + random.randint(0, 3000)
        rows.append((f"s{s}", kinds[s % 4], round(random.uniform(0, 100), 2), ts))
rows.sort(key=lambda r: r[3] - random.randint(0, 2500))  # mild disorder
with open(f"{tmp}/in.txt", "w") as f:
    for s, k, v, ts in rows:
        f.write(s + "|" + json.dumps({"sensor_id": s, "kind": k, "value": v, "ts": ts},
                                     separators=(",", ":")) + "\n")
def agg(key):
    out = {}
    for r in rows:
        w = (r[3] - base) // 10000
        a = out.setdefault((key(r), w), [0, 0.0])
        a[0] += 1
        a[1] += r[2]
    return out
def fmt(d):
    return "\n".join(f"{k} {w} {n} {s:.2f}" for (k, w), (n, s) in sorted(d.items()))
open(f"{tmp}/want_kind.txt", "w").write(fmt(agg(lambda r: r[1])) + "\n")
open(f"{tmp}/want_sensor.txt", "w").write(fmt(agg(lambda r: r[0])) + "\n")
PY
"$RILL" produce readings --file "$TMP/in.txt" --key-separator '|' --data "$D" >/dev/null ||
  fail "produce"

cat >"$TMP/q.sql" <<'SQL'
CREATE TABLE by_kind AS
  SELECT kind, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY kind, window_start, window_end;
CREATE TABLE by_sensor AS
  SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY sensor_id, window_start, window_end;
SQL
RILL_WORKERS=2 timeout 60 "$RILL" run "$TMP/q.sql" --data "$D" --until-idle >"$TMP/run.out" ||
  fail "run: $(cat "$TMP/run.out")"

# "key win n total" lines from a table topic.
recount() {
  "$RILL" consume "$1" --data "$D" | /usr/bin/python3 -c '
import json, sys
base = 1767225600000
from datetime import datetime, timezone
out = []
for l in sys.stdin:
    r = json.loads(l)
    k = r.get("kind") or r.get("sensor_id")
    ws = datetime.strptime(r["window_start"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    w = (int(ws.timestamp() * 1000) - base) // 10000
    out.append((k, w, r["n"], r["total"]))
for k, w, n, t in sorted(out):
    print(f"{k} {w} {n} {t:.2f}")
'
}
recount by_kind >"$TMP/got_kind.txt"
diff "$TMP/want_kind.txt" "$TMP/got_kind.txt" >"$TMP/diff" || fail "by_kind differs: $(head -20 "$TMP/diff")"
ok "GROUP BY kind through the repartition topic: $(wc -l <"$TMP/got_kind.txt") windows equal the recount"
recount by_sensor >"$TMP/got_sensor.txt"
diff "$TMP/want_sensor.txt" "$TMP/got_sensor.txt" >"$TMP/diff" || fail "by_sensor differs: $(head -20 "$TMP/diff")"
ok "GROUP BY sensor_id (the record key, no repartition): $(wc -l <"$TMP/got_sensor.txt") windows equal the recount"

out=$("$RILL" topics describe q_1-repartition --data "$D") || fail "no repartition topic"
{ echo "$out" || true; } | grep -q 'Partitions: 4' || fail "repartition topic partitions: $out"
# Blocks of binary rows (row_binary.h: version 1, schema id, row count
# at bytes 5-6); markers are control batches consumers never see.
n=$("$RILL" consume q_1-repartition --data "$D" --format '%S %s\n' | /usr/bin/python3 -c '
import sys
rest = sys.stdin.buffer.read()
rows = blocks = 0
while rest:
    sp = rest.index(b" ")
    size = int(rest[:sp])
    v = rest[sp + 1:sp + 1 + size]
    rest = rest[sp + 2 + size:]
    if len(v) < 7 or v[0] != 1:
        print("bad record", v[:8]); sys.exit(0)
    rows += v[5] | v[6] << 8
    blocks += 1
print(rows)')
[ "$n" = 4000 ] || fail "repartition topic has $n rows, want 4000 (markers must stay invisible)"
ok "q_1-repartition: 4 partitions, exactly the 4,000 rows to consumers"
if "$RILL" topics describe q_2-repartition --data "$D" >/dev/null 2>&1; then
  fail "the co-partitioned query made a repartition topic"
fi
ok "the co-partitioned query has no repartition topic"

out=$(printf '%s\n' "EXPLAIN SELECT kind, window_start, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY kind, window_start, window_end;" |
  "$RILL" sql --data "$D") || fail "explain"
{ echo "$out" || true; } | grep -q '^stage 0: 4 tasks, one per partition of topic readings$' || fail "explain stage 0: $out"
{ echo "$out" || true; } | grep -q '^stage 1: 4 tasks, one per partition of topic select-repartition' || fail "explain stage 1: $out"
ok "EXPLAIN shows stage 0, the repartition and stage 1"

# Restart: more readings (t = 120..129 s), the catalog's queries resume
# (`rill run` of a script that starts nothing); stage 0 goes on from its
# recorded offsets, stage 1 rebuilds from the repartition topic. The new
# windows must be complete (nothing from the first run may close them),
# and a window from the first run is not written twice unless it was
# still open when that run's input ended (at least once, docs/planner.md).
# (The `rill sql` runs above were read-only: they started no query.)
/usr/bin/python3 - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
random.seed(8)
base = 1767225600000
kinds = ["vibration", "temperature", "current", "acoustic"]
rows = []
for s in range(40):
    for i in range(120, 130):
        rows.append((f"s{s}", kinds[s % 4], round(random.uniform(0, 100), 2), base + i * 1000))
with open(f"{tmp}/in2.txt", "w") as f:
    for s, k, v, ts in rows:
        f.write(s + "|" + json.dumps({"sensor_id": s, "kind": k, "value": v, "ts": ts},
                                     separators=(",", ":")) + "\n")
out = {}
for r in rows:
    a = out.setdefault((r[1], (r[3] - base) // 10000), [0, 0.0])
    a[0] += 1
    a[1] += r[2]
with open(f"{tmp}/want_kind2.txt", "w") as f:
    for (k, w), (n, t) in sorted(out.items()):
        f.write(f"{k} {w} {n} {t:.2f}\n")
PY
cp "$D/_queries/q_1.progress" "$TMP/progress1"
"$RILL" produce readings --file "$TMP/in2.txt" --key-separator '|' --data "$D" >/dev/null ||
  fail "produce more"
echo "SHOW QUERIES;" >"$TMP/resume.sql"
RILL_WORKERS=2 timeout 60 "$RILL" run "$TMP/resume.sql" --data "$D" --until-idle >"$TMP/run2.out" ||
  fail "resume: $(cat "$TMP/run2.out")"
recount by_kind >"$TMP/got_kind_all.txt"
awk '$2 == 12' "$TMP/got_kind_all.txt" >"$TMP/got_kind2.txt"
diff "$TMP/want_kind2.txt" "$TMP/got_kind2.txt" >"$TMP/diff" ||
  fail "windows after the restart differ: $(head -20 "$TMP/diff")"
n0=$(grep -c '^vibration 0 ' "$TMP/got_kind_all.txt" || true)
[ "$n0" = 1 ] || fail "window 0 of vibration written $n0 times: $(grep '^vibration' "$TMP/got_kind_all.txt" | head -20; cat "$TMP/progress1")"
ok "restart: stage 0 resumed, stage 1 rebuilt; new windows complete, old ones not repeated"

printf 'DROP QUERY q_1;\n' | "$RILL" sql --data "$D" >"$TMP/drop.out" 2>&1 || fail "drop: $(cat "$TMP/drop.out")"
if "$RILL" topics describe q_1-repartition --data "$D" >/dev/null 2>&1; then
  fail "DROP QUERY left q_1-repartition: $(cat "$TMP/drop.out")"
fi
ok "DROP QUERY q_1 deletes q_1-repartition"
echo "PASS test_sql_tasks"
