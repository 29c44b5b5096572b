#!/usr/bin/env bash
# log_clean.sh - the log cleaner (compacted topics, docs/log.md): its own
# throughput in-process (bench/log_clean.c), then whether produce
# throughput suffers while it cleans: `rill serve` with a compacted topic
# of CLEAN_RECORDS keyed 200 B records (KEYS keys, 16 MiB segments) left
# dirty, and the librdkafka producer of broker_produce.sh (linger.ms=5,
# 200 B values, 8 partitions, acks=1) on another topic for SECONDS_RUN
# seconds, A B A B: A with log.cleaner.enable=false, B with the cleaner on
# (log.cleaner.backoff.ms=500, the default 64 MiB/s I/O bound, or
# CLEANER_IO bytes/s), so B's producer runs while the cleaner works. Prints one line per run; the
# machine is shared, so figures are indicative.
#   make RELEASE=1 BUILD=build/release build/release/rill \
#        build/release/bench/broker_produce build/release/bench/log_clean
#   RILL=build/release/rill bash bench/log_clean.sh
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
RILL=${RILL:-$root/build/release/rill}
BUILD=${RILL_BUILD:-$(dirname "$RILL")}
CLIENT=$BUILD/bench/broker_produce
CLEAN=$BUILD/bench/log_clean
SECONDS_RUN=${SECONDS_RUN:-10}
CLEAN_RECORDS=${CLEAN_RECORDS:-1000000}
KEYS=${KEYS:-100000}
ROUNDS=${ROUNDS:-2}
tmp=$(mktemp -d /tmp/rill-bench-clean.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
[ -x "$RILL" ] && [ -x "$CLIENT" ] && [ -x "$CLEAN" ] || { echo "log_clean: build $RILL, $CLIENT and $CLEAN first (make RELEASE=1)" >&2; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for i in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$1/stat"; }

"$CLEAN" "$CLEAN_RECORDS" "$KEYS"

# The dirty compacted topic, written once offline, copied for every run.
"$RILL" topics create kv --data "$tmp/template" --config cleanup.policy=compact \
    --config segment.bytes=16777216 >/dev/null
awk -v n="$CLEAN_RECORDS" -v k="$KEYS" 'BEGIN{v=sprintf("%200s",""); gsub(/ /,"v",v); for(i=0;i<n;i++) printf "key-%d:%s\n", i%k, v}' |
    "$RILL" produce kv --data "$tmp/template" --key-separator : --quiet >/dev/null
# Close the last segment: one more record in a new one.
"$RILL" topics alter kv --data "$tmp/template" --segment-bytes 1024 >/dev/null
echo "key-0:last" | "$RILL" produce kv --data "$tmp/template" --key-separator : --quiet >/dev/null
dirty_mb=$(du -sm "$tmp/template/kv-0" | cut -f1)

run() { # name cleaner(true|false)
    local name=$1 on=$2
    rm -rf "$tmp/run"; cp -r "$tmp/template" "$tmp/run"
    local port; port=$(free_port)
    "$RILL" serve --data "$tmp/run" --listen "127.0.0.1:$port" --set num.partitions=8 \
        --set log.cleaner.enable="$on" --set log.cleaner.backoff.ms=500 \
        ${CLEANER_IO:+--set log.cleaner.io.max.bytes.per.second=$CLEANER_IO} >"$tmp/run.log" 2>&1 &
    local pid=$!; pids+=("$pid")
    wait_port "$port" || { echo "log_clean: rill did not start" >&2; cat "$tmp/run.log" >&2; return 1; }
    "$CLIENT" produce "127.0.0.1:$port" bench 0.3 200 1 >/dev/null
    local c0; c0=$(cpu_s "$pid")
    local out; out=$("$CLIENT" produce "127.0.0.1:$port" bench "$SECONDS_RUN" 200 1)
    local c1; c1=$(cpu_s "$pid")
    local after; after=$(du -sm "$tmp/run/kv-0" | cut -f1)
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
    local passes; passes=$(grep -c "cleaned up to" "$tmp/run.log")
    local acked wall; acked=$(sed -E 's/.*acked=([0-9]+).*/\1/' <<<"$out"); wall=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$out")
    awk -v n="$name" -v a="$acked" -v w="$wall" -v c0="$c0" -v c1="$c1" -v d="$dirty_mb" -v af="$after" -v ps="$passes" \
        'BEGIN{printf "%s records_per_s=%.0f broker_cores=%.2f wall_s=%.2f compacted_topic_mb=%d->%d cleaner_passes_done=%d\n", n, a/w, (c1-c0)/w, w, d, af, ps}'
}

for r in $(seq 1 "$ROUNDS"); do
    run produce_cleaner_off false
    run produce_while_cleaning true
done
