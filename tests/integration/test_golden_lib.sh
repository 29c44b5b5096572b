#!/usr/bin/env bash
# test_golden_lib.sh - every golden case of the SQL engine (tests/golden/)
# through librill's push API, with the same expected output as `rill run`:
# golden_lib.c (an in-memory engine on the virtual clock, the input pushed
# record by record) is built against the tree's rill.h and librill.so, and
# test_golden.sh runs it in place of `rill run` (GOLDEN_LIB).
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$(dirname "$RILL")" && pwd)
[ -f "$build/librill.so" ] || fail "no $build/librill.so"
cc -std=c11 -Wall -Wextra -Werror -O1 -I "$root/include" -o "$TMP/golden_lib" \
  "$root/tests/integration/golden_lib.c" -L "$build" -lrill -Wl,-rpath,"$build" ||
  fail "cannot build golden_lib.c against librill"
GOLDEN_LIB=$TMP/golden_lib bash "$root/tests/integration/test_golden.sh" "$@" || fail "golden cases through librill"
echo "PASS test_golden_lib"
