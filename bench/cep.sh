#!/usr/bin/env bash
# bench/cep.sh - G9: the bearing-failure MATCH_RECOGNIZE (bench/cep.c:
# 2,000 sensors on 500 machines, JSON from the embedded log, faults
# injected and every match checked) beside window_agg (bench/window_agg.c:
# the same kind of readings through a TUMBLE aggregate), run A B A B ... on
# the same machine, then the medians, one line each. Throughput is per core
# (user+sys CPU of the timed phase); the machine is shared, so figures are
# indicative.
#   RILL_BUILD=build/release bash bench/cep.sh   (RUNS=n, 5 by default;
#   EVENTS=n per run, 4,000,000 by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RILL_BUILD:-$root/build/release}
RUNS=${RUNS:-5}
EVENTS=${EVENTS:-4000000}
cep=() win=() mem=() found=""
for i in $(seq 1 "$RUNS"); do
    line=$("$build/bench/cep" "$EVENTS")
    echo "$line"
    cep+=("$(sed -n 's/.*events_per_s_per_core=\([0-9]*\).*/\1/p' <<<"$line")")
    mem+=("$(sed -n 's/.*state_bytes_per_key_max=\([0-9]*\).*/\1/p' <<<"$line")")
    found=$(sed -n 's/.* found=\([0-9]*\).* check=\([a-zA-Z]*\).*/\1 \2/p' <<<"$line")
    line=$("$build/bench/window_agg" "$EVENTS" | grep '^window_agg events')
    echo "$line"
    win+=("$(sed -n 's/.*events_per_s_per_core=\([0-9]*\).*/\1/p' <<<"$line")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "cep_median events_per_s_per_core=$(median "${cep[@]}") window_agg_median events_per_s_per_core=$(median "${win[@]}") state_bytes_per_key_max=$(median "${mem[@]}") runs=$RUNS events=$EVENTS last_run_found_check=\"$found\" machine=shared"
