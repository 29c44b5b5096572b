#!/usr/bin/env bash
# test_simulate_demo.sh - `make demo`'s script, bounded: it must run the
# factory for DEMO_SECONDS, print a summary line per second with growing
# totals, per-partition end offsets, windows closed, the watermark's lag and
# the alerts with their latency, end with final lines carrying them, stop
# on its own or on SIGTERM, and leave no process behind.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

out=$TMP/demo.out
# Faults once a second (seed 1 starts a bearing spike in the first
# seconds), so threshold alerts come within the run.
DEMO_SECONDS=5 DEMO_FAULTS_PER_MIN=60 DEMO_DATA=$TMP/demo bash "$ROOT/scripts/demo.sh" "$RILL" >"$out" 2>&1 || fail "demo exited non-zero: $(tail -5 "$out")"
grep -q '^final: ' "$out" || fail "no final summary: $(cat "$out")"
head -1 "$out" | grep -qE '^dashboard: http://127\.0\.0\.1:[0-9]+/' || fail "the first line is not the dashboard's URL: $(head -1 "$out")"
events=$(sed -nE 's/^final: ([0-9]+) events.*/\1/p' "$out")
[ "${events:-0}" -ge 60000 ] || fail "5 s at 20,000/s gave only ${events:-0} events"
lines=$(grep -cE '^ +[0-9]+s ' "$out")
[ "$lines" -ge 3 ] || fail "expected per-second lines, got $lines"
grep -qE 'p0=[0-9]+' "$out" || grep -q 'file ' "$out" || fail "no per-partition end offsets"
[ -s "$TMP/demo/status.json" ] || fail "no status file"
ok "bounded demo: $events events, $lines summary lines"

# The columns: ... in-flight, windows closed, watermark lag, alerts, alert
# latency p50/max, end offsets.
grep -qE 'in-flight +queries +windows +watermark +alerts +alert ms' "$out" || fail "no windows/watermark/alert latency header: $(head -5 "$out")"
# A live line with a windows count, a watermark lag in seconds, alerts > 0
# and a latency p50/max in ms.
grep -qE '^ +[0-9]+s .* [0-9,]+ +[0-9]+\.[0-9]s +[1-9][0-9,]* +[0-9.]+/[0-9.]+ +[0-9]+/[0-9]+/[0-9]+/[0-9]+ .*  p0=' "$out" ||
    fail "no live line with windows closed, watermark lag, alerts and their latency: $(grep -E '^ +[0-9]+s ' "$out" | tail -3)"
final2=$(grep '^final: windows closed' "$out")
[[ "$final2" =~ windows\ closed\ [0-9,]+,\ watermark\ [0-9:.]+Z\ \(([0-9.]+)s\ behind ]] ||
    fail "no final windows closed / watermark: $final2"
[[ "$final2" =~ alerts\ ([0-9,]+),\ alert\ latency.*p50\ ([0-9.]+)\ ms,\ p99\ ([0-9.]+)\ ms,\ max\ ([0-9.]+)\ ms ]] ||
    fail "no final alert latency: $final2"
nalerts=${BASH_REMATCH[1]//,/}
p50=${BASH_REMATCH[2]}
[ "$nalerts" -gt 0 ] || fail "no alerts in 5 s with a fault a second"
# Event time to read: at least 0, at most a few seconds (the simulator
# delays readings up to 200 ms; a late one up to 2 minutes, hence p50).
awk -v v="$p50" 'BEGIN { exit !(v >= 0 && v < 5000) }' || fail "alert latency p50 $p50 ms is implausible"
ok "the summary shows windows closed, the watermark and $nalerts alerts with latency (p50 $p50 ms)"

# Detection scoring against the ground truth: a final line per fault kind
# with injected / detected / missed / false alarms, precision, recall and
# the delay; with a fault a second, bearing spikes are detected within 5 s.
for k in bearing stuck dropout reconnect; do
    grep -qE "^final: detection $k: injected [0-9]+, detected [0-9]+, missed [0-9]+.*, false alarms [0-9]+, precision [-0-9.]+, recall [-0-9.]+, delay p50 [-0-9.]+ s, max [-0-9.]+ s" "$out" ||
        fail "no final detection line for $k: $(grep '^final: detection' "$out")"
done
bearing=$(grep '^final: detection bearing:' "$out")
[[ "$bearing" =~ detected\ ([0-9]+),.*delay\ p50\ ([0-9.]+)\ s ]] || fail "no bearing detected in 5 s: $bearing"
[ "${BASH_REMATCH[1]}" -gt 0 ] || fail "no bearing detected: $bearing"
awk -v v="${BASH_REMATCH[2]}" 'BEGIN { exit !(v < 5) }' || fail "bearing detection delay ${BASH_REMATCH[2]} s: $bearing"
grep -q '^final: detection rule vibration_anomalies' "$out" || fail "no per-rule line for vibration_anomalies: $(grep '^final: detection' "$out")"
ok "the final lines score the detections: $bearing"

# SIGTERM (what Ctrl-C does to the script) stops it cleanly, children too.
DEMO_DATA=$TMP/demo2 bash "$ROOT/scripts/demo.sh" "$RILL" >"$TMP/demo2.out" 2>&1 &
pid=$!
PIDS+=("$pid")
sleep 3
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "demo still running 10 s after SIGTERM"
grep -q '^final: ' "$TMP/demo2.out" || fail "no final summary after SIGTERM: $(cat "$TMP/demo2.out")"
if pgrep -f -- "--status $TMP/demo2/status.json" >/dev/null; then
    fail "rill simulate left running after the demo stopped"
fi
ok "SIGTERM stops the demo and its children"

# Ctrl-C in a terminal signals the whole foreground process group (script,
# broker, simulator, the summary helper): the demo must still stop in order
# and at once, print its final line and no Python traceback.
/usr/bin/python3 - "$ROOT/scripts/demo.sh" "$RILL" "$TMP/demo3" >"$TMP/demo3.out" 2>&1 <<'PYEOF' || fail "Ctrl-C: $(tail -5 "$TMP/demo3.out")"
import os, pty, sys, time
script, rill, data = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.environ["DEMO_DATA"] = data
    os.execvp("bash", ["bash", script, rill])
out, t = b"", time.time()
def read(until):
    global out
    while time.time() < until:
        try:
            d = os.read(fd, 65536)
        except OSError:
            return
        if not d:
            return
        out += d
read(time.time() + 4)
os.write(fd, b"\x03")
t1 = time.time()
read(t1 + 15)
done, st = 0, 0
while not done and time.time() < t1 + 15:
    done, st = os.waitpid(pid, os.WNOHANG)
    time.sleep(0.05)
if not done:
    os.kill(pid, 9); os.waitpid(pid, 0)
text = out.decode(errors="replace")
print(text[-600:])
assert done and os.WEXITSTATUS(st) == 0, "demo did not exit 0 after Ctrl-C"
assert time.time() - t1 < 8, "Ctrl-C took %.1f s" % (time.time() - t1)
assert "final: " in text, "no final line"
assert "Traceback" not in text, "a traceback on Ctrl-C"
PYEOF
if pgrep -f -- "$TMP/demo3" >/dev/null; then
    fail "a process left running after Ctrl-C"
fi
ok "Ctrl-C in a terminal stops the demo at once, in order, without a traceback"
