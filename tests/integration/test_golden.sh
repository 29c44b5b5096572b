#!/usr/bin/env bash
# test_golden.sh - golden tests of the SQL engine: for each case folder in
# tests/golden/ (input.txt, query.sql, expected.txt), a fresh data
# directory, the input produced record by record with virtual arrival
# times, `rill run query.sql --until-idle` on the virtual clock
# (RILL_VIRTUAL_CLOCK=1), and its output compared exactly with
# expected.txt (a diff on failure). Cases listed in tests/golden/KNOWN_FAIL
# are run and reported but do not fail the run. Format and how to add a
# case: docs/testing.md. Usage: test_golden.sh [CASE...]
# With GOLDEN_LIB=PROGRAM (test_golden_lib.sh), each case runs through
# librill instead: PROGRAM CASE_DIR prints what the `rill run` path prints.
source "$(dirname "$0")/lib.sh"

GOLDEN=$(cd "$(dirname "$0")/../golden" && pwd)
# One binary for the whole run, even if build/rill is relinked meanwhile.
cp "$RILL" "$TMP/rill" || fail "cannot copy $RILL"
RILL=$TMP/rill
BASE_MS=1000000000000 # virtual arrival time of the first input line

# produce_input CASE_DIR DATA_DIR: one `rill produce` per record, so each
# record is its own batch with its own arrival stamp (--timestamp).
produce_input() {
  local dir=$1 data=$2 topic="" parts=1 now=$BASE_MS line p json n=0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
    '' | '#'*) continue ;;
    topic\ *)
      read -r _ topic parts <<<"$line"
      # a topic named again: the records that follow go to it
      [ -d "$data/$topic-0" ] ||
        "$RILL" topics create "$topic" --partitions "${parts:-1}" --data "$data" >/dev/null ||
        return 1
      continue
      ;;
    wait\ *)
      now=$((now + ${line#wait } * 1000))
      continue
      ;;
    esac
    [ -n "$topic" ] || { echo "input.txt: a record before any 'topic' line" >&2; return 1; }
    p=${line%%$'\t'*}
    json=${line#*$'\t'}
    [ "$p" != "$line" ] || { echo "input.txt: no TAB in: $line" >&2; return 1; }
    now=$((now + 1000))
    printf '%s\n' "$json" | "$RILL" produce "$topic" --partition "$p" --timestamp "$now" \
      --data "$data" --quiet >/dev/null || return 1
    n=$((n + 1))
  done <"$dir/input.txt"
}

# run_case CASE_DIR OUT_FILE: the query's stdout, then each topic named by
# a `-- consume: TOPIC` line of query.sql, after a `--- TOPIC` line.
run_case() {
  local dir=$1 out=$2 data t rc=0
  if [ -n "${GOLDEN_LIB:-}" ]; then
    timeout 60 "$GOLDEN_LIB" "$dir" >"$out" 2>"$out.err" || rc=$?
    [ $rc = 0 ] || { echo "(golden_lib failed: exit $rc)"; cat "$out.err"; } >>"$out"
    return 0
  fi
  data=$TMP/$(basename "$1")
  rm -rf "$data"
  produce_input "$dir" "$data" || { echo "(input failed)" >"$out"; return 0; }
  RILL_VIRTUAL_CLOCK=1 timeout 30 "$RILL" run "$dir/query.sql" --data "$data" \
    --until-idle >"$out" 2>"$out.err" || rc=$?
  if [ $rc != 0 ]; then
    { echo "(rill run failed: exit $rc)"; cat "$out.err"; } >>"$out"
    return 0
  fi
  for t in $(sed -n 's/^-- consume: *\([^ ]*\).*/\1/p' "$dir/query.sql"); do
    echo "--- $t" >>"$out"
    "$RILL" consume "$t" --data "$data" >>"$out" 2>&1 || echo "(consume $t failed)" >>"$out"
  done
}

# normalize < FILE: the order of keys within one window is unspecified, so
# each run of consecutive lines with the same window_start and window_end
# is sorted (stably) by the line's first column; other lines stay as they
# are.
normalize() {
  /usr/bin/python3 -c '
import re, sys
def win(l):
    m = re.findall(r"\"window_(?:start|end)\":\"[^\"]*\"", l)
    return tuple(m) if m else None
def first(l):
    m = re.match(r"\{\"[^\"]*\":(\"(?:[^\"\\]|\\.)*\"|[^,}]*)", l)
    return m.group(1) if m else ""
out, grp, gk = [], [], None
for l in sys.stdin.read().splitlines():
    k = win(l)
    if k is None or k != gk:
        out += sorted(grp, key=first)
        grp = []
    gk = k
    (out if k is None else grp).append(l)
out += sorted(grp, key=first)
sys.stdout.write("".join(x + "\n" for x in out))
'
}

known_fail() { grep -qx "$1\([[:space:]].*\)\{0,1\}" "$GOLDEN/KNOWN_FAIL" 2>/dev/null; }

cases=("$@")
if [ ${#cases[@]} = 0 ]; then
  for d in "$GOLDEN"/*/; do cases+=("$(basename "$d")"); done
fi
[ ${#cases[@]} -gt 0 ] || fail "no cases in $GOLDEN"

failed=0 passed=0 kf=0
for c in "${cases[@]}"; do
  dir=$GOLDEN/$c
  for f in input.txt query.sql expected.txt; do
    [ -f "$dir/$f" ] || fail "$c: needs input.txt, query.sql and expected.txt"
  done
  run_case "$dir" "$TMP/$c.out"
  normalize <"$dir/expected.txt" >"$TMP/$c.want"
  normalize <"$TMP/$c.out" >"$TMP/$c.got"
  if diff -u --label "$c/expected.txt" --label "$c (actual)" "$TMP/$c.want" "$TMP/$c.got" >"$TMP/$c.diff"; then
    if known_fail "$c"; then
      echo "ok: $c (listed in KNOWN_FAIL but passes now: remove it from tests/golden/KNOWN_FAIL)"
    else
      ok "$c"
    fi
    passed=$((passed + 1))
  elif known_fail "$c"; then
    echo "KNOWN_FAIL: $c ($(grep "^${c}[[:space:]]" "$GOLDEN/KNOWN_FAIL" | cut -f2- | head -1))"
    sed 's/^/    /' "$TMP/$c.diff"
    kf=$((kf + 1))
  else
    echo "FAIL: $c: expected.txt vs actual output:" >&2
    cat "$TMP/$c.diff" >&2
    failed=$((failed + 1))
  fi
done
echo "golden${GOLDEN_LIB:+ (through librill)}: $passed passed, $failed failed, $kf known failures"
[ $failed = 0 ] || exit 1
echo "PASS test_golden"
