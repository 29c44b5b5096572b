#!/usr/bin/env bash
# test_sql_over_repartition.sh - OVER partitioned by a column that is not
# the stream's key: a 3-partition stream keyed by sensor, OVER (PARTITION
# BY machine ...) goes through a repartition topic by machine (EXPLAIN says
# so), and every row's frame equals a recount in Python (each machine's
# rows in event-time order, across the partitions its sensors sit in); with
# no PARTITION BY at all, every row goes to one task. A persistent query
# writes the same rows to its topic.
source "$(dirname "$0")/lib.sh"

D=$TMP/data
cat >"$TMP/setup.sql" <<'EOF'
CREATE STREAM readings (sensor STRING, machine STRING, value INT,
  ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor', partitions = 3);
EOF
"$RILL" run "$TMP/setup.sql" --data "$D" >/dev/null || fail "setup"
# 4 machines, 3 sensors each (spread over the partitions by key), one
# reading a second per sensor, distinct event times per machine.
/usr/bin/python3 - "$TMP" <<'EOF'
import json, random, sys
rng = random.Random(7)
rows = []
for t in range(40):
    for m in range(4):
        for s in range(3):
            rows.append({"sensor": "s%d-%d" % (m, s), "machine": "m%d" % m,
                         "value": rng.randint(0, 100),
                         "ts": 1764000000000 + t * 1000 + s * 10 + m})
with open(sys.argv[1] + "/in.txt", "w") as f:
    for r in rows:
        f.write("%s|%s\n" % (r["sensor"], json.dumps(r)))
def frames(key):
    out, hist = [], {}
    for r in sorted(rows, key=lambda r: r["ts"]):
        h = hist.setdefault(key(r), [])
        h.append(r["value"])
        w = h[-3:]
        out.append(json.dumps({"machine": r["machine"], "ts": r["ts"],
                               "s": sum(w), "n": len(w)}))
    return sorted(out)
with open(sys.argv[1] + "/want_machine.txt", "w") as f:
    f.write("\n".join(frames(lambda r: r["machine"])) + "\n")
with open(sys.argv[1] + "/want_all.txt", "w") as f:
    f.write("\n".join(frames(lambda r: 0)) + "\n")
EOF
"$RILL" produce readings --key-separator '|' --data "$D" --quiet <"$TMP/in.txt" >/dev/null ||
  fail "produce"

# normalize: the ts as epoch ms, lines sorted (keys interleave in any order)
norm() {
  /usr/bin/python3 -c '
import json, sys
from datetime import datetime, timezone
out = []
for l in sys.stdin:
    l = l.strip()
    if not l.startswith("{"):
        continue
    o = json.loads(l)
    t = datetime.strptime(o["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    o["ts"] = int(round(t.timestamp() * 1000))
    out.append(json.dumps({"machine": o["machine"], "ts": o["ts"], "s": o["s"], "n": o["n"]}))
print("\n".join(sorted(out)))'
}

Q="SELECT machine, ts, SUM(value) OVER w AS s, COUNT(*) OVER w AS n
FROM readings
WINDOW w AS (PARTITION BY machine ORDER BY ts
             ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)"
echo "EXPLAIN $Q;" >"$TMP/explain.sql"
out=$("$RILL" run "$TMP/explain.sql" --data "$D") || fail "explain"
grep -q "^repartition: by machine to topic" <<<"$out" || fail "no repartition: $out"
grep -q "^stage 1: 3 tasks" <<<"$out" || fail "no stage 1: $out"
grep -q "^over aggregate: PARTITION BY machine" <<<"$out" || fail "explain: $out"
ok "EXPLAIN: repartitioned by machine, then the OVER operator"

echo "$Q;" >"$TMP/q.sql"
out=$(timeout 60 "$RILL" run "$TMP/q.sql" --data "$D" --until-idle) || fail "run"
norm <<<"$out" >"$TMP/got.txt"
[ "$(wc -l <"$TMP/got.txt")" = 480 ] || fail "expected 480 rows, got $(wc -l <"$TMP/got.txt")"
diff "$TMP/want_machine.txt" "$TMP/got.txt" >"$TMP/diff.txt" ||
  fail "frames differ from the recount: $(head -20 "$TMP/diff.txt")"
ok "480 rows, each frame (the machine's last 3 readings) equals the recount"

# No PARTITION BY: one frame over every row, one stage-1 task.
Q2="SELECT machine, ts, SUM(value) OVER w AS s, COUNT(*) OVER w AS n
FROM readings
WINDOW w AS (ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)"
echo "EXPLAIN $Q2;" >"$TMP/explain2.sql"
out=$("$RILL" run "$TMP/explain2.sql" --data "$D") || fail "explain 2"
grep -q "^repartition: every row (no PARTITION BY: one task) to topic .* (1 partition" <<<"$out" ||
  fail "explain 2: $out"
echo "$Q2;" >"$TMP/q2.sql"
out=$(timeout 60 "$RILL" run "$TMP/q2.sql" --data "$D" --until-idle) || fail "run 2"
norm <<<"$out" >"$TMP/got2.txt"
diff "$TMP/want_all.txt" "$TMP/got2.txt" >"$TMP/diff2.txt" ||
  fail "global frames differ: $(head -20 "$TMP/diff2.txt")"
ok "no PARTITION BY: one task, every frame equals the recount"

# Persistent: the same rows in the query's topic.
printf "CREATE STREAM framed AS %s;\n" "$Q" >"$TMP/p.sql"
timeout 60 "$RILL" run "$TMP/p.sql" --data "$D" --until-idle >/dev/null || fail "persistent"
out=$("$RILL" consume framed --data "$D") || fail "consume"
norm <<<"$out" >"$TMP/got3.txt"
diff "$TMP/want_machine.txt" "$TMP/got3.txt" >"$TMP/diff3.txt" ||
  fail "persistent rows differ: $(head -20 "$TMP/diff3.txt")"
ok "persistent query: the same 480 rows in topic framed"
echo "PASS test_sql_over_repartition"
