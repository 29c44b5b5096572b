#!/usr/bin/env bash
# test_sql_match.sh - MATCH_RECOGNIZE through the real binary: errors that
# name line and column (unknown variable, NEXT, a quantifier on nothing, a
# pattern that matches no rows, ORDER BY not the event time...), the
# bearing pattern over a 3-partition stream keyed by sensor (repartitioned
# by machine, as EXPLAIN says), and the per-key partial-match limit that
# stops a runaway query with a clear error. (Matching itself: the golden
# cases match_* and the oracle test_sql_match_oracle.py.)
source "$(dirname "$0")/lib.sh"

# expect_error BODY ORDER_BY MESSAGE: the query fails with MESSAGE.
NCASE=0
expect_error() {
  NCASE=$((NCASE + 1))
  local d=$TMP/e$NCASE out
  mkdir -p "$d"
  "$RILL" topics create ev --partitions 1 --data "$d" >/dev/null || fail "topic"
  printf "CREATE STREAM ev (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (topic='ev', format='json');\nSELECT * FROM ev MATCH_RECOGNIZE (\n  PARTITION BY k ORDER BY %s\n  %s);\n" \
    "$2" "$1" >"$d/q.sql"
  if out=$(timeout 20 "$RILL" run "$d/q.sql" --data "$d" --until-idle 2>&1); then
    fail "accepted: $1"
  fi
  grep -qF -- "$3" <<<"$out" || fail "for '$1' expected '$3', got: $out"
  ok "refused: $1 -> $3"
}

expect_error "PATTERN (A B) DEFINE A AS Z.v > 1" ts "q.sql:4:29: unknown pattern variable 'Z'"
expect_error "MEASURES Q.v AS w PATTERN (A)" ts "q.sql:4:12: unknown pattern variable 'Q'"
expect_error "PATTERN (A B) DEFINE A AS NEXT(v) > 1" ts "q.sql:4:29: NEXT is not supported in streaming mode"
expect_error "PATTERN (* A)" ts "q.sql:4:12: a quantifier on nothing"
expect_error "PATTERN (A | +)" ts "q.sql:4:16: a quantifier on nothing"
expect_error "PATTERN (A | )" ts "q.sql:4:16: expected a pattern variable, found ')'"
expect_error "PATTERN (A) DEFINE B AS v > 1" ts "q.sql:4:29: DEFINE B: the variable is not in the PATTERN"
expect_error "PATTERN (A* B?)" ts "q.sql:4:12: the pattern can match no rows at all"
expect_error "PATTERN (A{3,2})" ts "q.sql:4:17: quantifier maximum below its minimum"
expect_error "PATTERN (A) DEFINE A AS v" ts "q.sql:4:27: DEFINE A must be BOOLEAN, not INT"
expect_error "PATTERN (A) DEFINE A AS CLASSIFIER() = 'A'" ts "q.sql:4:27: CLASSIFIER() is for MEASURES, not DEFINE"
expect_error "PATTERN (A) DEFINE A AS AVG(A.k) > 1" ts "q.sql:4:27: AVG cannot be computed over this column"
expect_error "PATTERN (A) DEFINE A AS vv > 1" ts "q.sql:4:27: unknown column 'vv' in ev"
expect_error "PATTERN (A{5000})" ts "the pattern is too large"
expect_error "PATTERN (A)" v "q.sql:3:27: MATCH_RECOGNIZE must ORDER BY the event-time column ts"
expect_error "ONE ROW PER MATCH WITH TIMEOUT ROWS PATTERN (A)" ts "WITH TIMEOUT ROWS needs WITHIN"

# The bearing pattern over a stream keyed by sensor: rows of one machine
# sit in several partitions, so the plan repartitions by machine.
D=$TMP/data
cat >"$TMP/setup.sql" <<'EOF'
CREATE STREAM readings (sensor STRING, machine STRING, kind STRING,
  value DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor', partitions = 3);
EOF
"$RILL" run "$TMP/setup.sql" --data "$D" >/dev/null || fail "setup"
cat >"$TMP/in.txt" <<'EOF'
v1|{"sensor":"v1","machine":"m1","kind":"vib","value":3.0,"ts":"2026-11-24T08:00:01.000Z"}
t1|{"sensor":"t1","machine":"m1","kind":"temp","value":45,"ts":"2026-11-24T08:00:02.000Z"}
v2|{"sensor":"v2","machine":"m2","kind":"vib","value":0.5,"ts":"2026-11-24T08:00:02.000Z"}
t1|{"sensor":"t1","machine":"m1","kind":"temp","value":58,"ts":"2026-11-24T08:00:05.000Z"}
t2|{"sensor":"t2","machine":"m2","kind":"temp","value":70,"ts":"2026-11-24T08:00:06.000Z"}
v1|{"sensor":"v1","machine":"m1","kind":"vib","value":0.4,"ts":"2026-11-24T08:00:09.000Z"}
v2|{"sensor":"v2","machine":"m2","kind":"vib","value":0.5,"ts":"2026-11-24T08:00:09.000Z"}
t2|{"sensor":"t2","machine":"m2","kind":"temp","value":70,"ts":"2026-11-24T08:00:09.000Z"}
t1|{"sensor":"t1","machine":"m1","kind":"temp","value":70,"ts":"2026-11-24T08:00:09.000Z"}
EOF
"$RILL" produce readings --key-separator '|' --data "$D" --quiet <"$TMP/in.txt" >/dev/null ||
  fail "produce"
Q="SELECT * FROM readings MATCH_RECOGNIZE (
  PARTITION BY machine ORDER BY ts
  MEASURES V.ts AS spike, LAST(T.ts) AS rise,
           LAST(T.value) - FIRST(T0.value) AS delta
  PATTERN (V X*? T0 X*? T) WITHIN INTERVAL '60' SECOND
  DEFINE V AS kind = 'vib' AND value > 2, T0 AS kind = 'temp',
         T AS kind = 'temp' AND value >= FIRST(T0.value) + 10)"
echo "EXPLAIN $Q;" >"$TMP/explain.sql"
out=$("$RILL" run "$TMP/explain.sql" --data "$D") || fail "explain"
grep -q "^repartition: by machine" <<<"$out" || fail "no repartition: $out"
grep -q "^match_recognize: PARTITION BY machine" <<<"$out" || fail "explain: $out"
ok "EXPLAIN: repartitioned by machine, then the pattern operator"
echo "$Q;" >"$TMP/q.sql"
out=$(timeout 30 "$RILL" run "$TMP/q.sql" --data "$D" --until-idle) || fail "run"
want='{"machine":"m1","spike":"2026-11-24T08:00:01.000Z","rise":"2026-11-24T08:00:05.000Z","delta":13.0}'
[ "$out" = "$want" ] || fail "bearing match: got $out"
ok "bearing pattern across partitions: one match on m1 (m2 has no spike)"

# A pattern whose partial matches never end: A+ B with every row an A
# (each row starts an attempt that stays open).
"$RILL" topics create many --partitions 1 --data "$D" >/dev/null || fail "topic many"
/usr/bin/python3 -c 'import json
for i in range(200): print(json.dumps({"k": "x", "ts": 1764000000000 + i * 1000}))' |
  "$RILL" produce many --data "$D" --quiet >/dev/null || fail "produce many"
cat >"$TMP/limit.sql" <<'EOF'
CREATE STREAM many (k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH (topic = 'many', format = 'json');
SET 'match.max-partial-matches' = '50';
SELECT * FROM many MATCH_RECOGNIZE (
  ORDER BY ts MEASURES COUNT(*) AS n PATTERN (A+ B)
  DEFINE A AS TRUE, B AS FALSE);
EOF
if out=$(timeout 30 "$RILL" run "$TMP/limit.sql" --data "$D" --until-idle 2>&1); then
  fail "the limit did not stop the query: $out"
fi
grep -q "more than 50 partial matches for one key" <<<"$out" || fail "limit message: $out"
ok "partial-match limit: the query stops with a clear error"
echo "PASS test_sql_match"
