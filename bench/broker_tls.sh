#!/usr/bin/env bash
# broker_tls.sh - produce throughput over TLS and SASL_SSL beside
# plaintext: the same librdkafka producer as broker_produce.sh (linger.ms=5,
# 200 B values, 8 partitions, acks=1) against `rill serve` on a
# PLAINTEXT://, an SSL:// and a SASL_SSL:// listener (a throwaway CA and
# certificate made with openssl; SCRAM-SHA-512 with a user made by `rill
# users`, a super user so ACLs pass), RUNS times each, A B C A B C. One line
# per run; the machine is shared.
#   RILL=build/release/rill RILL_BUILD=build/release bash bench/broker_tls.sh
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
RILL=${RILL:-$root/build/release/rill}
BUILD=${RILL_BUILD:-$(dirname "$RILL")}
CLIENT=$BUILD/bench/broker_produce
SECONDS_RUN=${SECONDS_RUN:-5}
RUNS=${RUNS:-3}
tmp=$(mktemp -d /tmp/rill-tls-bench.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
[ -x "$RILL" ] && [ -x "$CLIENT" ] || { echo "broker_tls: build $RILL and $CLIENT first" >&2; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$1/stat"; }
(cd "$tmp" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bench-ca -keyout ca.key -out ca.pem &&
    echo "subjectAltName=IP:127.0.0.1" >san.cnf &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
        -out server.pem -extfile san.cnf) >/dev/null 2>&1 || { echo "broker_tls: openssl failed" >&2; exit 1; }

run() { # name scheme
    local port; port=$(free_port)
    rm -rf "$tmp/data"
    mkdir -p "$tmp/data"
    echo bench-pw | "$RILL" users add bench --data "$tmp/data" >/dev/null
    "$RILL" serve --data "$tmp/data" --listen "$2127.0.0.1:$port" --set num.partitions=8 \
        --set ssl.keystore.location="$tmp/server.pem" --set ssl.key.location="$tmp/server.key" \
        --set super.users=User:bench --set auto.create.topics.enable=true \
        >"$tmp/$1.log" 2>&1 &
    pid=$!
    for i in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
    local conf=""
    [ "$2" = "SSL://" ] && conf="security.protocol=ssl,ssl.ca.location=$tmp/ca.pem"
    [ "$2" = "SASL_SSL://" ] && conf="security.protocol=sasl_ssl,ssl.ca.location=$tmp/ca.pem,sasl.mechanisms=SCRAM-SHA-512,sasl.username=bench,sasl.password=bench-pw"
    BENCH_KAFKA_CONF=$conf "$CLIENT" produce "127.0.0.1:$port" bench 0.3 200 1 >/dev/null
    local c0; c0=$(cpu_s "$pid")
    local out; out=$(BENCH_KAFKA_CONF=$conf "$CLIENT" produce "127.0.0.1:$port" bench "$SECONDS_RUN" 200 1)
    local c1; c1=$(cpu_s "$pid")
    local acked wall; acked=$(sed -E 's/.*acked=([0-9]+).*/\1/' <<<"$out"); wall=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$out")
    awk -v n="$1" -v a="$acked" -v w="$wall" -v c0="$c0" -v c1="$c1" \
        'BEGIN{printf "%s records_per_s=%.0f broker_cpu_s=%.2f wall_s=%.2f records_per_broker_cpu_s=%.0f record_bytes=200\n", n, a/w, c1-c0, w, a/(c1-c0)}'
    kill -TERM "$pid"; wait "$pid" 2>/dev/null; pid=
}

for r in $(seq 1 "$RUNS"); do
    run broker_produce_plaintext ""
    run broker_produce_tls "SSL://"
    run broker_produce_sasl_ssl "SASL_SSL://"
done
