#!/usr/bin/env bash
# broker_produce.sh - G2/G2b: librdkafka producer (linger.ms=5, 200 B values,
# 8 partitions) against `rill serve` (acks=1 with the periodic group commit,
# then fsync before every ack), side by side with redis-server Streams
# (redis-benchmark XADD pipelined, appendfsync everysec, then always), and one
# consumer reading everything back from the beginning. Bounded: SECONDS per
# run (default 10). Prints one line per figure; the machine is shared, so
# figures are indicative.
#   RILL=build/release/rill RILL_BUILD=build/release bash bench/broker_produce.sh
#   PRODUCERS=2 adds a run with two producer processes (the broker's ceiling).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
RILL=${RILL:-$root/build/release/rill}
BUILD=${RILL_BUILD:-$(dirname "$RILL")}
CLIENT=$BUILD/bench/broker_produce
SECONDS_RUN=${SECONDS_RUN:-10}
tmp=$(mktemp -d /tmp/rill-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
[ -x "$RILL" ] && [ -x "$CLIENT" ] || { echo "broker_produce: build $RILL and $CLIENT first (make RELEASE=1)" >&2; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for i in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# utime+stime of a pid, in seconds.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$1/stat"; }

rill_run() { # name extra-args...
    local name=$1; shift
    local port; port=$(free_port)
    "$RILL" serve --data "$tmp/$name" --listen "127.0.0.1:$port" --set num.partitions=8 "$@" \
        >"$tmp/$name.log" 2>&1 &
    local pid=$!; pids+=("$pid")
    wait_port "$port" || { echo "broker_produce: rill did not start" >&2; cat "$tmp/$name.log" >&2; return 1; }
    # Create the topic (and warm up) with a short run, then measure.
    "$CLIENT" produce "127.0.0.1:$port" bench 0.3 200 1 >/dev/null
    local c0; c0=$(cpu_s "$pid")
    local out; out=$("$CLIENT" produce "127.0.0.1:$port" bench "$SECONDS_RUN" 200 "${ACKS:-1}")
    local c1; c1=$(cpu_s "$pid")
    local acked wall; acked=$(sed -E 's/.*acked=([0-9]+).*/\1/' <<<"$out"); wall=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$out")
    awk -v n="$name" -v a="$acked" -v w="$wall" -v c0="$c0" -v c1="$c1" \
        'BEGIN{printf "%s records_per_s=%.0f broker_cpu_s=%.2f wall_s=%.2f broker_cores=%.2f record_bytes=200\n", n, a/w, c1-c0, w, (c1-c0)/w}'
    if [ "$name" = broker_produce_acks1 ]; then
        local c2; c2=$(cpu_s "$pid")
        local cout; cout=$("$CLIENT" consume "127.0.0.1:$port" bench 8 "$((SECONDS_RUN * 3))")
        local c3; c3=$(cpu_s "$pid")
        local n w; n=$(sed -E 's/records=([0-9]+).*/\1/' <<<"$cout"); w=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$cout")
        awk -v n="$n" -v w="$w" -v c="$(awk -v a="$c2" -v b="$c3" 'BEGIN{print b-a}')" \
            'BEGIN{printf "broker_consume records_per_s=%.0f records=%d broker_cpu_s=%.2f wall_s=%.2f\n", n/w, n, c, w}'
    fi
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
}

redis_run() { # fsync-mode
    command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || { echo "redis_xadd_$1 skipped=no-redis"; return 0; }
    local port; port=$(free_port)
    mkdir -p "$tmp/redis-$1"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/redis-$1" --appendonly yes \
        --appendfsync "$1" --save '' --daemonize no >"$tmp/redis-$1.log" 2>&1 &
    local pid=$!; pids+=("$pid")
    wait_port "$port" || { echo "redis did not start" >&2; return 1; }
    local value; value=$(head -c 200 /dev/zero | tr '\0' v)
    # Bounded by time; the records stored are counted with XLEN afterwards.
    local c0; c0=$(cpu_s "$pid")
    local t0; t0=$(date +%s.%N)
    timeout "$SECONDS_RUN" redis-benchmark -p "$port" -c 8 -P 32 -n 100000000 -q XADD bench '*' v "$value" >/dev/null 2>&1
    local t1; t1=$(date +%s.%N)
    local c1; c1=$(cpu_s "$pid")
    local n; n=$(redis-cli -p "$port" XLEN bench)
    awk -v m="$1" -v n="${n:-0}" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" \
        'BEGIN{printf "redis_xadd_%s records_per_s=%.0f server_cpu_s=%.2f wall_s=%.2f server_cores=%.2f record_bytes=200\n", m, n/(t1-t0), c1-c0, t1-t0, (c1-c0)/(t1-t0)}'
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
}

# PRODUCERS=2: also run two producer processes at once against one broker
# (acks=1), to show the broker's own ceiling when one client is the limit.
rill_two() {
    local port; port=$(free_port)
    "$RILL" serve --data "$tmp/two" --listen "127.0.0.1:$port" --set num.partitions=8 \
        >"$tmp/two.log" 2>&1 &
    local pid=$!; pids+=("$pid")
    wait_port "$port" || { echo "broker_produce: rill did not start" >&2; return 1; }
    "$CLIENT" produce "127.0.0.1:$port" bench 0.3 200 1 >/dev/null
    local c0; c0=$(cpu_s "$pid")
    "$CLIENT" produce "127.0.0.1:$port" bench "$SECONDS_RUN" 200 1 >"$tmp/two.1" &
    local a=$!
    "$CLIENT" produce "127.0.0.1:$port" bench "$SECONDS_RUN" 200 1 >"$tmp/two.2" &
    local b=$!
    wait "$a" "$b"
    local c1; c1=$(cpu_s "$pid")
    cat "$tmp/two.1" "$tmp/two.2" | sed -E 's/acked=([0-9]+).*wall_s=([0-9.]+).*/\1 \2/' |
        awk -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN{print b-a}')" \
            '{r += $1 / $2; if ($2 > w) w = $2} END{printf "broker_produce_acks1_2producers records_per_s=%.0f broker_cpu_s=%.2f wall_s=%.2f broker_cores=%.2f record_bytes=200\n", r, c, w, c / w}'
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
}

rill_run broker_produce_acks1
[ "${PRODUCERS:-1}" = 2 ] && rill_two
redis_run everysec
ACKS=-1 rill_run broker_produce_fsync_per_ack --set rill.fsync.every.ack=true
redis_run always
