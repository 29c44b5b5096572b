#!/usr/bin/env bash
# tests/run.sh - runs every test and prints one closing line "N passed, N failed".
#   tests/run.sh BUILD [SAN_BUILD]     unit tests (both builds), fuzz-corpus
#                                      replays (both builds), integration tests
#   --unit-only / --integration-only   restrict to one kind
# Each unit binary counts its own tests; each fuzz replay and each integration
# script counts as one test. Every test runs with a timeout.
set -u
mode=all
case "${1:-}" in --unit-only) mode=unit; shift;; --integration-only) mode=integ; shift;; esac
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=(build)
root=$(cd "$(dirname "$0")/.." && pwd)
passed=0; failed=0; failures=()
log=$(mktemp -d /tmp/rill-tests.XXXXXX)

count_unit() { # binary, label
    local out rc
    out=$(timeout 300 "$1" 2>"$log/err") ; rc=$?
    local line; line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -1)
    if [ -n "$line" ]; then
        local p f
        p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$f" -ne 0 ] || [ $rc -ne 0 ]; then
            [ "$f" -eq 0 ] && failed=$((failed + 1))
            failures+=("$2"); sed 's/^/    /' "$log/err" | tail -30
        fi
        echo "  $2: $p passed, $f failed"
    else
        failed=$((failed + 1)); failures+=("$2 (crashed, rc=$rc)")
        echo "  $2: crashed (rc=$rc)"; sed 's/^/    /' "$log/err" | tail -30
    fi
}

if [ $mode != integ ]; then
    for b in "${builds[@]}"; do
        echo "== unit tests ($b)"
        for t in $(find "$b/tests" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
            count_unit "$t" "$(basename "$t")@$b"
        done
        echo "== fuzz corpus replays ($b)"
        for r in $(find "$b/fuzz" -type f -name '*_replay' 2>/dev/null | sort); do
            name=$(basename "$r" _replay)
            corpus="$root/fuzz/corpus/${name#fuzz_}"
            if [ ! -d "$corpus" ]; then
                failed=$((failed + 1)); failures+=("$name: no corpus at $corpus"); continue
            fi
            if timeout 600 "$r" "$corpus" >"$log/out" 2>&1; then
                passed=$((passed + 1)); echo "  $name@$b: $(tail -1 "$log/out")"
            else
                failed=$((failed + 1)); failures+=("$name@$b"); tail -30 "$log/out" | sed 's/^/    /'
            fi
        done
    done
fi

if [ $mode != unit ]; then
    echo "== integration tests"
    export RILL="$root/${builds[0]}/rill"
    case "${builds[0]}" in /*) export RILL="${builds[0]}/rill";; esac
    export RILL_ROOT="$root"
    for t in $(ls "$root"/tests/integration/test_* 2>/dev/null | sort); do
        name=$(basename "$t")
        case "$t" in
            *.py) cmd=(/usr/bin/python3 "$t");;
            *.sh) cmd=(bash "$t");;
            *) continue;;
        esac
        start=$(date +%s)
        if timeout 600 "${cmd[@]}" >"$log/$name.out" 2>&1; then
            passed=$((passed + 1)); echo "  $name: ok ($(( $(date +%s) - start ))s)"
        else
            failed=$((failed + 1)); failures+=("$name")
            echo "  $name: FAILED ($(( $(date +%s) - start ))s)"; tail -40 "$log/$name.out" | sed 's/^/    /'
        fi
    done
fi

if [ ${#failures[@]} -gt 0 ]; then
    echo "failures:"; printf '  %s\n' "${failures[@]}"
fi
rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
