#!/usr/bin/env bash
# bench/run.sh BUILD - runs every benchmark once and prints one line per figure.
# Benchmarks are C programs (bench/<name>.c -> BUILD/bench/<name>) or scripts
# (bench/<name>.sh, given RILL=BUILD/rill). BENCH_ONLY=name runs one of them.
# Figures on a shared machine drift: compare runs made side by side (A B A B).
set -u
build=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
export RILL="$root/$build/rill" RILL_BUILD="$root/$build"
for b in "$root/$build"/bench/*; do
    [ -x "$b" ] || continue
    n=$(basename "$b"); [ -n "${BENCH_ONLY:-}" ] && [ "$n" != "$BENCH_ONLY" ] && continue
    "$b" || echo "$n FAILED rc=$?"
done
for s in "$root"/bench/*.sh; do
    [ -f "$s" ] || continue
    n=$(basename "$s" .sh); [ -n "${BENCH_ONLY:-}" ] && [ "$n" != "$BENCH_ONLY" ] && continue
    [ "$n" = run ] && continue
    bash "$s" || echo "$n FAILED rc=$?"
done
