#!/usr/bin/env bash
# test_simulate_demo.sh - `make demo`'s script, bounded: it must run the
# factory for DEMO_SECONDS, print a summary line per second with growing
# totals and per-partition end offsets, stop on its own or on SIGTERM, and
# leave no process behind.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

out=$TMP/demo.out
DEMO_SECONDS=3 DEMO_DATA=$TMP/demo bash "$ROOT/scripts/demo.sh" "$RILL" >"$out" 2>&1 || fail "demo exited non-zero: $(tail -5 "$out")"
grep -q '^final: ' "$out" || fail "no final summary: $(cat "$out")"
events=$(sed -nE 's/^final: ([0-9]+) events.*/\1/p' "$out")
[ "${events:-0}" -ge 40000 ] || fail "3 s at 20,000/s gave only ${events:-0} events"
lines=$(grep -cE '^ +[0-9]+s ' "$out")
[ "$lines" -ge 2 ] || fail "expected per-second lines, got $lines"
grep -qE 'p0=[0-9]+' "$out" || grep -q 'file ' "$out" || fail "no per-partition end offsets"
[ -s "$TMP/demo/status.json" ] || fail "no status file"
ok "bounded demo: $events events, $lines summary lines"

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
