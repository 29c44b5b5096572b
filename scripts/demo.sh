#!/usr/bin/env bash
# demo.sh RILL_BINARY - the smart-factory demo behind `make demo`.
#
# Starts `rill serve` on a free loopback port with a data directory under
# build/demo-data (falling back to the embedded log, then to a file, while
# those pieces are still being built), runs the factory simulation in real
# time into topic `readings` (2,000 sensors x 10 readings/s, faults and
# network effects on, ground truth in truth.jsonl), and prints a live summary
# every second. Ctrl-C stops everything cleanly (children killed by pid and
# waited for). DEMO_SECONDS=N bounds the run (CI); DEMO_DATA=DIR moves the
# data; DEMO_SEED and DEMO_FAULTS_PER_MIN shape the run; DEMO_ARGS adds other
# flags to `rill simulate`.
#
# With rill serve, start_sql runs examples/factory.sql inside it (`rill run
# --data` over the server's SQL socket, docs/broker.md) and the summary's
# alerts column is the rows written by the alerts query, asked of the server
# each second.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RILL=${1:-$ROOT/build/rill}
case "$RILL" in /*) ;; *) RILL=$ROOT/$RILL ;; esac
DATA=${DEMO_DATA:-$ROOT/build/demo-data}
DEMO_SECONDS=${DEMO_SECONDS:-0}
PY=/usr/bin/python3
PARTITIONS=6

[ -x "$RILL" ] || { echo "demo: $RILL is not built (make RELEASE=1 BUILD=build/release build/release/rill)" >&2; exit 1; }
rm -rf "$DATA" && mkdir -p "$DATA/log" || exit 1

SERVE_PID= SIM_PID= SQL_PID= SQLSOCK= STOPPING=0
# Ctrl-C in a terminal signals the whole foreground process group. The
# children run in their own session (setsid execs in place, so $! is still
# their pid) and only this script stops them, in order: if the broker got
# the SIGINT too, the simulator would wait for it in vain while flushing.
BG=
command -v setsid >/dev/null && BG=setsid
START=$(date +%s.%N)
stop_all() {
    [ $STOPPING -eq 1 ] && return
    STOPPING=1
    # Producer first (it flushes what is in flight), then the engine, then
    # the broker; each by its pid, each waited for.
    for pid in $SIM_PID $SQL_PID $SERVE_PID; do
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
}
on_interrupt() { echo; echo "demo: stopping (Ctrl-C)"; stop_all; summary final; exit 0; }
trap on_interrupt INT TERM
trap stop_all EXIT

free_port() { $PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

# --- 1. the broker (or the embedded log) ----------------------------------
MODE=
PORT=$(free_port)
$BG "$RILL" serve --data "$DATA/log" --listen "127.0.0.1:$PORT" \
    --set num.partitions=$PARTITIONS --set auto.create.topics.enable=true \
    >"$DATA/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 50); do
    kill -0 $SERVE_PID 2>/dev/null || break
    if port_open "$PORT"; then MODE=serve; break; fi
    sleep 0.1
done
if [ "$MODE" != serve ]; then
    kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null; SERVE_PID=
    echo "demo: rill serve is not available yet ($(tail -1 "$DATA/serve.log" 2>/dev/null)); using the embedded log"
fi

# --- 2. the factory ---------------------------------------------------------
# Faults a little more often than the factory default (2/min), so they show
# up within the first minute; DEMO_FAULTS_PER_MIN changes it.
FPM=${DEMO_FAULTS_PER_MIN:-4}
SIM_ARGS=(simulate --scenario factory --truth "$DATA/truth.jsonl"
          --status "$DATA/status.json" --seed "${DEMO_SEED:-1}"
          --bearing-per-min "$FPM" --stuck-per-min "$FPM" --dropout-per-min "$FPM")
[ "$DEMO_SECONDS" -gt 0 ] 2>/dev/null && SIM_ARGS+=(--duration "$DEMO_SECONDS")
# shellcheck disable=SC2206
[ -n "${DEMO_ARGS:-}" ] && SIM_ARGS+=($DEMO_ARGS)
start_sim() {
    $BG "$RILL" "${SIM_ARGS[@]}" "$@" >"$DATA/simulate.out" 2>"$DATA/simulate.log" &
    SIM_PID=$!
    sleep 0.5
    kill -0 $SIM_PID 2>/dev/null || { wait $SIM_PID; [ $? -eq 0 ]; }
}
WHERE=
if [ "$MODE" = serve ]; then
    start_sim --topic readings --bootstrap "127.0.0.1:$PORT" && WHERE="rill serve on 127.0.0.1:$PORT"
fi
if [ -z "$WHERE" ]; then
    start_sim --topic readings --data "$DATA/log" --partitions $PARTITIONS &&
        { MODE=embedded; WHERE="embedded log in $DATA/log"; }
fi
if [ -z "$WHERE" ]; then
    echo "demo: local topics not available yet ($(tail -1 "$DATA/simulate.log")); writing $DATA/readings.jsonl"
    start_sim --output "$DATA/readings.jsonl" || { echo "demo: rill simulate failed:"; cat "$DATA/simulate.log"; exit 1; }
    MODE=file; WHERE="file $DATA/readings.jsonl"
fi

# --- 3. the SQL pipeline (hook) ---------------------------------------------
start_sql() {
    # examples/factory.sql: per-sensor 10 s statistics, threshold alerts,
    # later the bearing-failure pattern. Runs once `rill run` exists. A data
    # directory has one writer: with the embedded log, the simulator holds
    # it, so the SQL engine must then run in that process or behind
    # `rill serve` (the serve mode above is the intended path).
    local help; help=$("$RILL" run --help 2>&1)
    if [ "$MODE" = serve ] && grep -q 'runs on DIR' <<<"$help"; then
        # rill serve runs SQL itself: `rill run --data` sends the script
        # over $DATA/log/rill.sock and returns; the queries run inside the
        # server (stopped with it) and write topics alerts,
        # sensor_stats_10s, stuck_sensors (kcat -b 127.0.0.1:$PORT -C -t alerts).
        if "$RILL" run "$ROOT/examples/factory.sql" --data "$DATA/log" >"$DATA/sql.out" 2>"$DATA/sql.log"; then
            SQLSOCK="$DATA/log/rill.sock"
            echo "demo: examples/factory.sql runs inside rill serve ($(grep -c 'started query' "$DATA/sql.out") queries; echo 'SHOW QUERIES;' | rill sql --data $DATA/log)"
        else
            echo "demo: examples/factory.sql failed: $(tail -1 "$DATA/sql.log")"
        fi
    elif [ "$MODE" = serve ] && grep -q -- '--bootstrap' <<<"$help"; then
        $BG "$RILL" run "$ROOT/examples/factory.sql" --bootstrap "127.0.0.1:$PORT" >"$DATA/sql.out" 2>"$DATA/sql.log" &
        SQL_PID=$!
        sleep 0.5
        if kill -0 "$SQL_PID" 2>/dev/null; then
            echo "demo: running examples/factory.sql (pid $SQL_PID)"
        else
            echo "demo: examples/factory.sql stopped: $(tail -1 "$DATA/sql.log")"
            SQL_PID=
        fi
    elif grep -q '^usage: rill run' <<<"$help"; then
        echo "demo: 'rill run' reads only its own data directory so far (no --bootstrap to read rill serve); examples/factory.sql shows the pipeline it will run"
    else
        echo "demo: SQL engine not in this build yet; examples/factory.sql shows the pipeline it will run"
    fi
}
[ "$MODE" != file ] && start_sql

# --- 4. the live summary ----------------------------------------------------
summary() {
    STATUS="$DATA/status.json" TRUTH="$DATA/truth.jsonl" SQLOUT="$DATA/sql.out" SQLSOCK="$SQLSOCK" \
    FINAL="${1:-}" START="$START" $PY - 2>/dev/null <<'PYEOF'
import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)
import json, os, time
def load(p):
    try:
        with open(p) as f: return json.load(f)
    except Exception: return None
st = load(os.environ["STATUS"]) or {}
faults = {"bearing": 0, "stuck": 0, "dropout": 0, "reconnect": 0}
try:
    with open(os.environ["TRUTH"]) as f:
        for line in f:
            try: faults[json.loads(line)["fault"]] += 1
            except Exception: pass
except OSError: pass
offs = st.get("end_offsets") or []
parts = " ".join("p%d=%d" % (i, o) for i, o in enumerate(offs)) or "-"
# Alerts: rows written by the query whose sink is `alerts`, asked of
# rill serve over its SQL socket (docs/broker.md: u32 length, type, payload);
# "-" without it.
sql = "-"
def ask(sock, text):
    import struct
    body = b"Q" + text.encode()
    sock.sendall(struct.pack(">I", len(body)) + body)
    buf, out = b"", b""
    while True:
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
            chunk = sock.recv(65536)
            if not chunk: return out.decode(errors="replace")
            buf += chunk
        n = struct.unpack(">I", buf[:4])[0]
        kind, payload, buf = buf[4:5], buf[5:4 + n], buf[4 + n:]
        if kind == b"Z": return out.decode(errors="replace")
        if kind in (b"T", b"R"): out += payload
if os.environ.get("SQLSOCK"):
    try:
        import socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(0.5)
        s.connect(os.environ["SQLSOCK"])
        qid = next((l.split()[0] for l in ask(s, "SHOW QUERIES;").splitlines()
                    if len(l.split()) > 4 and " alerts " in " %s " % l), None)
        if qid:
            for l in ask(s, "DESCRIBE %s;" % qid).splitlines():
                if l.startswith("rows out:"): sql = "{:,}".format(int(l.split()[-1]))
        s.close()
    except Exception:
        pass
el = time.time() - float(os.environ["START"])
if os.environ.get("FINAL"):
    print("final: %d events, faults injected: bearing %d, stuck %d, dropout %d, reconnect %d; "
          "late %d, duplicates %d, burst %d" % (st.get("events", 0), faults["bearing"], faults["stuck"],
          faults["dropout"], faults["reconnect"], st.get("late", 0), st.get("duplicates", 0), st.get("burst", 0)))
else:
    print("%5.0fs %9s %11s %6d %5d %4d/%d/%d/%d %9d  %-7s %s" % (el,
          "{:,}".format(int(st.get("events_per_s", 0))), "{:,}".format(st.get("events", 0)),
          st.get("late", 0), st.get("duplicates", 0), faults["bearing"], faults["stuck"],
          faults["dropout"], faults["reconnect"], st.get("in_flight", 0), sql, parts))
PYEOF
}

START=$(date +%s.%N)
echo "rill factory demo: 2,000 sensors on 500 machines, 20,000 readings/s -> topic 'readings' ($WHERE)"
LIMIT=; [ "$DEMO_SECONDS" -gt 0 ] 2>/dev/null && LIMIT=" (or after $DEMO_SECONDS s)"
echo "data: $DATA   truth: $DATA/truth.jsonl   stop: Ctrl-C$LIMIT"
echo " time  events/s       total   late   dup  faults b/s/d/r  in-flight  alerts  end offsets"
while :; do
    sleep 1
    summary
    if ! kill -0 "$SIM_PID" 2>/dev/null; then
        wait "$SIM_PID"; rc=$?
        [ $rc -ne 0 ] && { echo "demo: rill simulate exited with $rc:"; tail -5 "$DATA/simulate.log"; }
        break
    fi
done
SIM_PID=
stop_all
summary final
exit 0
