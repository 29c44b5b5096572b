#!/usr/bin/env bash
# demo.sh RILL_BINARY - the smart-factory demo behind `make demo`.
#
# Starts `rill serve` on a free loopback port with a data directory under
# build/demo-data (falling back to the embedded log, then to a file, while
# those pieces are still being built), runs the factory simulation in real
# time into topic `readings` (2,000 sensors x 10 readings/s, faults and
# network effects on, ground truth in truth.jsonl), and prints a live summary
# every second; its first line is the URL of the live dashboard (rill serve
# --http-listen; DEMO_HTTP_PORT picks the port). Ctrl-C stops everything
# cleanly (children killed by pid and waited for). DEMO_SECONDS=N bounds
# the run (CI); DEMO_DATA=DIR moves the data; DEMO_SEED and
# DEMO_FAULTS_PER_MIN shape the run; DEMO_ARGS adds other flags to
# `rill simulate`.
#
# With rill serve, start_sql runs examples/factory.sql inside it (`rill run
# --data` over the server's SQL socket, docs/broker.md). Each second the
# summary asks the server for the queries' counters (DESCRIBE id FORMAT JSON over the SQL
# socket): windows closed (final rows of sensor_stats_10s), the watermark of
# that query (shown as how far it trails the wall clock) and the alerts
# written. A Kafka consumer (start_alert_reader, confluent-kafka) reads
# topic `alerts` as the alerts arrive and measures each one's latency: the
# time it is read minus the reading's event time `ts` (so it includes the
# simulated network delay and device clock skew), p50/max over the last
# second in the live lines, p50/p99/max over the run in the final line.
#
# Detection scoring (scripts/demo_score.py): a second consumer reads every
# alert topic of examples/factory.sql (the streams whose name says which
# fault kind they detect: *stuck*, *vibration*, *bearing*, *heartbeat*, and
# the threshold alerts) and folds their rows into episodes; each summary
# scores them against the simulator's ground truth (truth.jsonl): per fault
# kind detected, missed, false alarms and the delay from the fault's onset
# to the alert read from its topic, and the final lines per kind and rule.
#
# MQTT (docs/mqtt.md): rill serve also listens for MQTT, maps
# factory/<sensor_id> to topic `readings` (key = sensor id), and pushes the
# rows of `alerts` to MQTT subscribers; `mosquitto_sub -t alerts` counts
# them beside the Kafka reader (last line). The simulator publishes over
# MQTT (QoS 1; the end-offsets column then comes from the alerts reader,
# which asks rill for the end offsets of `readings`); DEMO_FEED=kafka makes
# it produce with the Kafka protocol instead.
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

SERVE_PID= SIM_PID= SQL_PID= ALERT_PID= SCORE_PID= MQTT_SUB_PID= SQLSOCK= STOPPING=0
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
    # Producer first (it flushes what is in flight), then the engine, the
    # alerts reader, then the broker; each by its pid, each waited for.
    for pid in $SIM_PID $SQL_PID $ALERT_PID $SCORE_PID $MQTT_SUB_PID $SERVE_PID; do
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
}
on_interrupt() { echo; echo "demo: stopping (Ctrl-C)"; stop_all; summary final; mqtt_final; exit 0; }
trap on_interrupt INT TERM
trap stop_all EXIT

free_port() { $PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

# --- 1. the broker (or the embedded log) ----------------------------------
MODE=
PORT=$(free_port)
HTTP_PORT=${DEMO_HTTP_PORT:-$(free_port)}
MQTT_PORT=$(free_port)
$BG "$RILL" serve --data "$DATA/log" --listen "127.0.0.1:$PORT" \
    --http-listen "127.0.0.1:$HTTP_PORT" \
    --set num.partitions=$PARTITIONS --set auto.create.topics.enable=true \
    --mqtt-listen "127.0.0.1:$MQTT_PORT" \
    --set "mqtt.map.factory=factory/+sensor_id -> readings key=sensor_id" \
    >"$DATA/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 50); do
    kill -0 $SERVE_PID 2>/dev/null || break
    # Every listener: the Kafka port accepts (its socket is bound first)
    # before the MQTT and HTTP listeners exist.
    if port_open "$PORT" && port_open "$MQTT_PORT" && port_open "$HTTP_PORT"; then
        MODE=serve; break
    fi
    sleep 0.1
done
if [ "$MODE" = serve ]; then
    # The first line: where to watch it (docs/http.md).
    echo "dashboard: http://127.0.0.1:$HTTP_PORT/?chart=machine_stats_10s&field=max_vibration_g&key=machine_id&alerts=alerts"
else
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
if [ "$MODE" = serve ] && [ "${DEMO_FEED:-mqtt}" = mqtt ]; then
    # The MQTT listener may come up after the Kafka one (a loaded machine).
    for _ in $(seq 1 50); do port_open "$MQTT_PORT" && break; sleep 0.1; done
    start_sim --topic factory --mqtt "127.0.0.1:$MQTT_PORT" &&
        WHERE="MQTT factory/<sensor_id> into rill serve on 127.0.0.1:$MQTT_PORT"
elif [ "$MODE" = serve ]; then
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
        # sensor_stats_10s, stuck_sensors, vibration_anomalies,
        # temperature_anomalies (kcat -b 127.0.0.1:$PORT -C -t alerts).
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

# --- 3b. the alerts reader --------------------------------------------------
# A consumer of topic `alerts` (from its end) that stamps each alert as it
# is read: latency = read time - the reading's event time. Every second it
# rewrites $DATA/alerts.json (atomically) with the count and the latencies
# of the last interval and of the whole run. SIGTERM ends it.
start_alert_reader() {
    [ "$MODE" = serve ] && [ -n "$SQLSOCK" ] || return 0
    # The output path is an argument so the process is findable by it.
    BOOTSTRAP="127.0.0.1:$PORT" PARTS=$PARTITIONS $BG $PY - "$DATA/alerts.json" >"$DATA/alerts.log" 2>&1 <<'PYEOF' &
import json, os, signal, sys, time
from datetime import datetime
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
out = sys.argv[1]
def write(doc):
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f)
    os.replace(out + ".tmp", out)
try:
    from confluent_kafka import Consumer, TopicPartition, OFFSET_END
except Exception as e:
    write({"error": "confluent-kafka: %s" % e})
    sys.exit(0)
def event_ms(v):
    ts = v.get("ts")
    if isinstance(ts, (int, float)):
        return float(ts)
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000.0
def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100.0))]
c = Consumer({"bootstrap.servers": os.environ["BOOTSTRAP"], "group.id": "rill-demo-alerts",
              "enable.auto.commit": False, "fetch.wait.max.ms": 100})
c.assign([TopicPartition("alerts", 0, OFFSET_END)])
total, window, run = 0, [], []
last = time.time()
while not stop:
    m = c.poll(0.1)
    now = time.time() * 1000.0
    if m is not None and not m.error():
        try:
            window.append(now - event_ms(json.loads(m.value())))
            total += 1
        except Exception:
            pass
    if time.time() - last >= 1.0 or stop:
        run.extend(window)
        del run[:-100000]  # bounded: the last 100,000 alerts
        # The end offsets of `readings` (what the simulator reports itself
        # when it speaks Kafka; over MQTT it has no offsets to report).
        ends = []
        for p in range(int(os.environ.get("PARTS", "6"))):
            try:
                ends.append(c.get_watermark_offsets(TopicPartition("readings", p), timeout=0.3, cached=False)[1])
            except Exception:
                break
        write({"alerts": total, "n": len(window), "p50_ms": pct(window, 50), "max_ms": max(window) if window else None,
               "run_p50_ms": pct(run, 50), "run_p99_ms": pct(run, 99), "run_max_ms": max(run) if run else None,
               "end_offsets": ends})
        window, last = [], time.time()
c.close()
PYEOF
    ALERT_PID=$!
}
start_alert_reader

# --- 3b'. the detection scorer's reader ------------------------------------
# The output streams of factory.sql that are rules (demo_score.py rule_of),
# read from their start; one line per alert episode in episodes.jsonl.
start_score_reader() {
    [ "$MODE" = serve ] && [ -n "$SQLSOCK" ] || return 0
    local topics
    topics=$(sed -nE 's/^CREATE (STREAM|TABLE) ([A-Za-z_0-9]+) AS.*/\2/p' "$ROOT/examples/factory.sql" |
        $PY -c 'import sys; sys.path.insert(0, sys.argv[1]); import demo_score as d
print(" ".join(t for t in sys.stdin.read().split() if d.rule_of(t, {})))' "$ROOT/scripts")
    [ -n "$topics" ] || return 0
    # shellcheck disable=SC2086
    $BG $PY "$ROOT/scripts/demo_score.py" read "$DATA/episodes.jsonl" "127.0.0.1:$PORT" $topics \
        >"$DATA/score.log" 2>&1 &
    SCORE_PID=$!
}
start_score_reader

# --- 3c. alerts pushed over MQTT --------------------------------------------
start_mqtt_alerts() {
    [ "$MODE" = serve ] && [ -n "$SQLSOCK" ] && command -v mosquitto_sub >/dev/null || return 0
    $BG mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t alerts -q 1 -i rill-demo-alerts \
        >"$DATA/alerts.mqtt" 2>"$DATA/alerts.mqtt.log" &
    MQTT_SUB_PID=$!
}
start_mqtt_alerts
mqtt_final() {
    [ -f "$DATA/alerts.mqtt" ] || return 0
    echo "final: alerts pushed over MQTT to mosquitto_sub -p $MQTT_PORT -t alerts: $(wc -l <"$DATA/alerts.mqtt")"
}

# --- 4. the live summary ----------------------------------------------------
summary() {
    STATUS="$DATA/status.json" TRUTH="$DATA/truth.jsonl" SQLOUT="$DATA/sql.out" SQLSOCK="$SQLSOCK" \
    ALERTS="$DATA/alerts.json" QSTATE="$DATA/queries.json" \
    EPISODES="$DATA/episodes.jsonl" SCRIPTS="$ROOT/scripts" \
    FINAL="${1:-}" START="$START" $PY - 2>/dev/null <<'PYEOF'
import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)
import json, os, sys, time
sys.path.insert(0, os.environ["SCRIPTS"])
import demo_score
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
offs = st.get("end_offsets") or (load(os.environ["ALERTS"]) or {}).get("end_offsets") or []
parts = " ".join("p%d=%d" % (i, o) for i, o in enumerate(offs)) or "-"
# Counters of the queries, asked of rill serve over its SQL socket
# (docs/broker.md: u32 length, type, payload): alerts = rows written by the
# query whose sink is `alerts`; windows closed = the "windows fired"
# counters of every windowed query summed (sensor_stats_10s keeps its
# windows open 120 s for late readings, machine_stats_10s closes one every
# 10 s); the watermark = sensor_stats_10s's. Kept in QSTATE for the final
# line (the server is gone by then); "-" without them.
q = load(os.environ["QSTATE"]) or {}
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
        sinks = {}
        for l in ask(s, "SHOW QUERIES;").splitlines():
            f = l.split()
            if len(f) > 4 and f[0].startswith("q_"):
                sinks[f[0]] = next((x for x in f if x in ("alerts", "sensor_stats_10s")), "")
        windows = None
        qlag = None
        for qid, sink in sinks.items():
            # DESCRIBE id FORMAT JSON: the query as one JSON object
            # (docs/sql.md), counters present while it runs here.
            c = json.loads(ask(s, "DESCRIBE %s FORMAT JSON;" % qid) or "{}")
            if isinstance(c.get("windows_fired"), int):
                windows = (windows or 0) + c["windows_fired"]
            if c.get("stages"):
                qlag = (qlag or 0) + sum(st["lag"] for st in c["stages"])
            if sink == "alerts" and "rows_out" in c:
                q["alerts"] = c["rows_out"]
            if sink == "sensor_stats_10s" and isinstance(c.get("watermark"), int):
                q["watermark_ms"] = c["watermark"]
                q["at_ms"] = time.time() * 1000
        if windows is not None: q["windows"] = windows
        if qlag is not None: q["qlag"] = qlag
        s.close()
        with open(os.environ["QSTATE"] + ".tmp", "w") as f: json.dump(q, f)
        os.replace(os.environ["QSTATE"] + ".tmp", os.environ["QSTATE"])
    except Exception:
        pass
al = load(os.environ["ALERTS"]) or {}
# Detection against the ground truth (demo_score.py): per kind b/s/d/r.
truth = demo_score.load_truth(os.environ["TRUTH"])
eps = demo_score.load_episodes(os.environ["EPISODES"])
sc = demo_score.score(truth, eps, time.time() * 1000.0, bool(os.environ.get("FINAL")))
KS = ("bearing", "stuck", "dropout", "reconnect")
def per(field):
    return "/".join(str(sc[k][field]) for k in KS)
def dsec(k):
    v = sc[k]["delay_p50_ms"]
    return "-" if v is None else "%.1f" % (v / 1000.0)
def num(v): return "-" if v is None else "{:,}".format(v)
def ms(v): return "-" if v is None else ("%.0f" % v if v >= 10 else "%.1f" % v)
wm = q.get("watermark_ms")
lag = "-" if wm is None else "%.1fs" % ((q.get("at_ms", time.time() * 1000) - wm) / 1000.0)
el = time.time() - float(os.environ["START"])
if os.environ.get("FINAL"):
    print("final: %d events, faults injected: bearing %d, stuck %d, dropout %d, reconnect %d; "
          "late %d, duplicates %d, burst %d" % (st.get("events", 0), faults["bearing"], faults["stuck"],
          faults["dropout"], faults["reconnect"], st.get("late", 0), st.get("duplicates", 0), st.get("burst", 0)))
    wmt = "-" if wm is None else time.strftime("%H:%M:%S", time.gmtime(wm / 1000.0)) + ".%03dZ" % (wm % 1000)
    if al.get("run_p50_ms") is None:
        lat = "none read" if "error" not in al else al["error"]
    else:
        lat = "p50 %s ms, p99 %s ms, max %s ms over %s alerts" % (ms(al.get("run_p50_ms")),
              ms(al.get("run_p99_ms")), ms(al.get("run_max_ms")), num(al.get("alerts")))
    print("final: windows closed %s, watermark %s (%s behind the clock), alerts %s, "
          "alert latency (event time -> read from topic alerts) %s"
          % (num(q.get("windows")), wmt, lag, num(q.get("alerts")), lat))
    # Per fault kind, then per rule: injected / detected / missed / false
    # alarms, precision, recall, delay from the onset to the alert read.
    for k in KS:
        print("final: detection " + demo_score.fmt_kind(k, sc[k]))
    for topic, r in sc["rules"].items():
        print("final: detection rule " + demo_score.fmt_kind(topic, r))
else:
    lat = "-" if not al.get("n") else "%s/%s" % (ms(al.get("p50_ms")), ms(al.get("max_ms")))
    # The widths match the header printed below (COLS).
    print("%5.0fs %9s %11s %6d %5d %13s %9d %7s %8s %7s %7s %11s %9s %9s %9s %15s  %s" % (el,
          "{:,}".format(int(st.get("events_per_s", 0))), "{:,}".format(st.get("events", 0)),
          st.get("late", 0), st.get("duplicates", 0), "%d/%d/%d/%d" % (faults["bearing"], faults["stuck"],
          faults["dropout"], faults["reconnect"]), st.get("in_flight", 0), num(q.get("qlag")),
          num(q.get("windows")), lag,
          num(q.get("alerts")), lat, per("detected"), per("missed"), per("false_alarms"),
          "/".join(dsec(k) for k in KS), parts))
PYEOF
}

START=$(date +%s.%N)
echo "rill factory demo: 2,000 sensors on 500 machines, 20,000 readings/s -> topic 'readings' ($WHERE)"
LIMIT=; [ "$DEMO_SECONDS" -gt 0 ] 2>/dev/null && LIMIT=" (or after $DEMO_SECONDS s)"
echo "data: $DATA   truth: $DATA/truth.jsonl   stop: Ctrl-C$LIMIT"
COLS="%6s %9s %11s %6s %5s %13s %9s %7s %8s %7s %7s %11s %9s %9s %9s %15s  %s\n"
# shellcheck disable=SC2059
printf "$COLS" time events/s total late dup faults in-flight queries windows watermark alerts "alert ms" detected missed false "delay p50 s" "end offsets"
# shellcheck disable=SC2059
printf "$COLS" "" "" "" "" "" b/s/d/r "" lag closed lag "" p50/max b/s/d/r b/s/d/r b/s/d/r b/s/d/r "" | sed 's/ *$//'
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
mqtt_final
exit 0
