#!/usr/bin/env bash
# test_mqtt_demo.sh - `make demo` with DEMO_FEED=mqtt: the factory publishes
# over MQTT into rill serve, the SQL pipeline runs on it, and the alerts it
# writes are pushed to an MQTT subscriber (mosquitto_sub) as well as read
# by the Kafka consumer: both see them.
set -u
ROOT=${RILL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
RILL=${RILL:-$ROOT/build/rill}
TMP=$(mktemp -d /tmp/rill-mqtt-demo.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$TMP/demo.out
DEMO_FEED=mqtt DEMO_FAULTS_PER_MIN=40 DEMO_SECONDS=20 DEMO_DATA=$TMP/data \
    timeout 120 bash "$ROOT/scripts/demo.sh" "$RILL" >"$out" 2>&1 || fail "demo exited non-zero: $(tail -5 "$out")"
grep -q "MQTT factory/<sensor_id> into rill serve" "$out" || fail "the factory did not publish over MQTT: $(head -3 "$out")"
events=$(sed -nE 's/^final: ([0-9]+) events.*/\1/p' "$out")
[ "${events:-0}" -gt 100000 ] || fail "too few events over MQTT: ${events:-none}"
echo "ok: $events readings published over MQTT"
kafka=$(sed -nE 's/^final: windows closed .*, alerts ([0-9,]+), .*/\1/p' "$out" | tr -d ,)
mqtt=$(sed -nE 's/^final: alerts pushed over MQTT .*: ([0-9]+)$/\1/p' "$out")
[ "${kafka:-0}" -gt 0 ] || fail "no alerts written: $(tail -3 "$out")"
[ -n "$mqtt" ] && [ "$mqtt" -gt 0 ] || fail "no alert pushed over MQTT: $(tail -3 "$out")"
# The subscriber stops before the broker, so it may miss the very last.
[ $((mqtt * 10)) -ge $((kafka * 9)) ] || fail "MQTT got $mqtt of $kafka alerts"
echo "ok: $mqtt of $kafka alerts pushed over MQTT"
head -1 "$TMP/data/alerts.mqtt" | grep -q '"reason"' || fail "MQTT alerts are not the query's rows: $(head -1 "$TMP/data/alerts.mqtt")"
echo "ok: MQTT alerts are the query's JSON rows"
