#!/usr/bin/env bash
# mqtt_vs_mosquitto.sh - G11: MQTT publish into `rill serve` (writing the
# log to disk) beside `mosquitto` (in memory), same client, same payload.
#   - throughput: mosquitto_pub -l sending N lines of 200 B at QoS 0 and at
#     QoS 1 (chunks under 65,535 lines: mosquitto_pub stops early beyond),
#     messages per wall second and per CPU second of the broker process;
#     rill with PUBACK after the append (log fsync'ed by the group commit
#     every log.flush.interval.ms) and with mqtt.fsync.ack=true (PUBACK
#     after the fsync); at the end rill's log is counted, so every message
#     is known to be in it;
#   - latency: build/.../bench/mqtt_latency, open loop at RATE msg/s (20K),
#     publish -> subscriber p50 / p99 at QoS 0 and QoS 1.
# Runs are interleaved A B A B ... RUNS times (default 5) and medians are
# printed, one line per figure. Broker on CPU 0, clients on CPU 1 (taskset).
# mosquitto runs in memory (persistence false) with set_tcp_nodelay true
# (its default, false, adds Nagle delays to the latency figures).
#   RILL=build/release/rill bash bench/mqtt_vs_mosquitto.sh
#   N=200000 RUNS=5 RATE=20000 LAT_SECONDS=5 ...
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
RILL=${RILL:-$root/build/release/rill}
BUILD=${RILL_BUILD:-$(dirname "$RILL")}
LAT=$BUILD/bench/mqtt_latency
N=${N:-200000}
RUNS=${RUNS:-5}
RATE=${RATE:-20000}
LAT_SECONDS=${LAT_SECONDS:-5}
CHUNK=60000
tmp=$(mktemp -d /tmp/rill-mqtt-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
for t in "$RILL" "$LAT" mosquitto mosquitto_pub kcat; do
    command -v "$t" >/dev/null || [ -x "$t" ] || { echo "mqtt_vs_mosquitto: $t missing (make RELEASE=1; scripts/deps.sh)" >&2; exit 1; }
done
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for i in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$1/stat"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# 200 B lines (199 characters + newline is what mosquitto_pub sends as 199 B;
# use 200 visible bytes).
payload=$(head -c 200 /dev/zero | tr '\0' 'p')
for i in $(seq 1 $CHUNK); do echo "$payload"; done > "$tmp/lines"

start_broker() { # kind name -> sets bpid bport kport
    bport=$(free_port)
    if [ "$1" = mosquitto ]; then
        printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n' \
            "$bport" > "$tmp/mosq.conf"
        taskset -c 0 mosquitto -c "$tmp/mosq.conf" >"$tmp/mosq.log" 2>&1 &
    else
        kport=$(free_port)
        rm -rf "$tmp/data"
        taskset -c 0 "$RILL" serve --data "$tmp/data" --listen "127.0.0.1:$kport" \
            --mqtt-listen "127.0.0.1:$bport" "${@:2}" >"$tmp/rill.log" 2>&1 &
    fi
    bpid=$!
    pids+=("$bpid")
    wait_port "$bport" || { echo "broker did not start" >&2; cat "$tmp"/*.log >&2; exit 1; }
}

stop_broker() {
    kill "$bpid" 2>/dev/null; wait "$bpid" 2>/dev/null
    pids=("${pids[@]/$bpid}")
}

# Publishes N lines at QoS $1; prints "rate_wall rate_cpu".
pub_run() {
    local qos=$1 left=$N c0 c1 t0 t1
    c0=$(cpu_s "$bpid"); t0=$(date +%s.%N)
    while [ "$left" -gt 0 ]; do
        local n=$(( left < CHUNK ? left : CHUNK ))
        head -n "$n" "$tmp/lines" | taskset -c 1 mosquitto_pub -h 127.0.0.1 -p "$bport" \
            -t bench/tp -q "$qos" -l || { echo "mosquitto_pub failed" >&2; exit 1; }
        left=$(( left - n ))
    done
    t1=$(date +%s.%N); c1=$(cpu_s "$bpid")
    awk -v n="$N" -v w="$(echo "$t1 - $t0" | bc -l)" -v c="$(echo "$c1 - $c0" | bc -l)" \
        'BEGIN {printf "%.0f %.0f\n", n / w, (c > 0 ? n / c : 0)}'
}

rill_count() { # records in the default topic
    timeout 60 kcat -b "127.0.0.1:$kport" -C -t mqtt -e -q -f '.\n' | wc -l
}

declare -A W C
for run in $(seq 1 "$RUNS"); do
    for kind in rill rill_fsync mosquitto; do
        for qos in 0 1; do
            case $kind in
                mosquitto) start_broker mosquitto;;
                rill) start_broker rill;;
                rill_fsync) start_broker rill --set mqtt.fsync.ack=true;;
            esac
            read -r w c < <(pub_run "$qos")
            if [ "$kind" != mosquitto ]; then
                sleep 0.3
                got=$(rill_count)
                [ "$got" -eq "$N" ] || echo "warning: $kind qos $qos: $got of $N records in the log" >&2
            fi
            W[$kind.$qos]+="$w "; C[$kind.$qos]+="$c "
            stop_broker
        done
    done
    for kind in rill mosquitto; do
        for qos in 0 1; do
            start_broker "$kind"
            line=$(taskset -c 1 "$LAT" "$bport" "$RATE" "$LAT_SECONDS" "$qos")
            p50=$(sed -E 's/.*p50_us=([0-9-]+).*/\1/' <<<"$line")
            p99=$(sed -E 's/.*p99_us=([0-9-]+).*/\1/' <<<"$line")
            W[lat50.$kind.$qos]+="$p50 "; W[lat99.$kind.$qos]+="$p99 "
            stop_broker
        done
    done
done

echo "# N=$N messages of 200 B, RUNS=$RUNS (medians), broker on CPU 0, clients on CPU 1"
for kind in rill rill_fsync mosquitto; do
    for qos in 0 1; do
        w=$(tr ' ' '\n' <<<"${W[$kind.$qos]}" | grep . | median)
        c=$(tr ' ' '\n' <<<"${C[$kind.$qos]}" | grep . | median)
        echo "mqtt_publish broker=$kind qos=$qos msgs_per_s=$w msgs_per_cpu_s=$c"
    done
done
for kind in rill mosquitto; do
    for qos in 0 1; do
        p50=$(tr ' ' '\n' <<<"${W[lat50.$kind.$qos]}" | grep . | median)
        p99=$(tr ' ' '\n' <<<"${W[lat99.$kind.$qos]}" | grep . | median)
        echo "mqtt_latency broker=$kind qos=$qos rate=$RATE p50_us=$p50 p99_us=$p99"
    done
done
