#!/usr/bin/env bash
# test_sql_insert_twice.sh - a script run again must not start its INSERT
# INTO a second time (every row would be written twice): the same
# statement, whatever its spacing, is refused with the running query named,
# and nothing is written twice; a different INSERT into the same stream
# runs (merging streams is what INSERT INTO is for).
source "$(dirname "$0")/lib.sh"

D=$TMP/data
cat >"$TMP/setup.sql" <<'EOF2'
CREATE STREAM a (id STRING, v INT) WITH (topic = 'a', format = 'json');
CREATE STREAM b (id STRING, v INT) WITH (topic = 'b', format = 'json');
EOF2
cat >"$TMP/insert.sql" <<'EOF2'
INSERT INTO b SELECT id, v FROM a WHERE v > 0;
EOF2
printf 'INSERT   INTO b\n  SELECT id, v FROM a WHERE v > 0 ;\n' >"$TMP/insert2.sql"
cat >"$TMP/other.sql" <<'EOF2'
INSERT INTO b SELECT id, v FROM a WHERE v < 0;
EOF2
"$RILL" run "$TMP/setup.sql" --data "$D" >/dev/null || fail "setup"
for i in 1 2 3 -4 5; do echo "{\"id\":\"k$i\",\"v\":$i}"; done | "$RILL" produce a --data "$D" >/dev/null || fail produce
out=$("$RILL" run "$TMP/insert.sql" --data "$D" --until-idle) || fail "first INSERT: $out"
{ echo "$out" || true; } | grep -q "started query q_1: INSERT INTO b" || fail "q_1 not started: $out"
n=$("$RILL" consume b --data "$D" --from beginning | wc -l)
[ "$n" -eq 4 ] || fail "b holds $n rows after the first run, not 4"
ok "the INSERT wrote the 4 positive rows"

out=$("$RILL" run "$TMP/insert2.sql" --data "$D" --until-idle 2>&1) && fail "the same INSERT ran again: $out"
{ echo "$out" || true; } | grep -q "insert2.sql:1:1: the same INSERT INTO b already runs as q_1" || fail "message: $out"
n=$("$RILL" consume b --data "$D" --from beginning | wc -l)
[ "$n" -eq 4 ] || fail "b holds $n rows after the refused run, not 4"
ok "the same INSERT again (other spacing) is refused with its position and q_1 named; nothing written twice"

out=$("$RILL" run "$TMP/other.sql" --data "$D" --until-idle 2>&1) || fail "a different INSERT: $out"
{ echo "$out" || true; } | grep -q "started query q_2: INSERT INTO b" || fail "q_2 not started: $out"
n=$("$RILL" consume b --data "$D" --from beginning | wc -l)
[ "$n" -eq 5 ] || fail "b holds $n rows, not 5 (4 + the negative one)"
ok "a different INSERT into the same stream runs"
