#!/usr/bin/env python3
"""test_demo_score.py - the demo's detection scoring (scripts/demo_score.py)
on a hand-made ground truth and alert rows: which topics are rules and of
what kind, episodes, detected / missed / pending faults, false alarms,
precision, recall and delays from each rule's onset, per kind and per rule;
then the same through `demo_score.py offline` as a user runs it."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import demo_score as d  # noqa: E402

T0 = 1764000000000


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


truth = [
    {"fault": "bearing", "machine_id": "m-1", "sensor_id": "s-4", "kind": "vibration",
     "start_ms": T0 + 10000, "end_ms": T0 + 100000, "spike_end_ms": T0 + 15000,
     "temperature_sensor_id": "s-5", "temperature_start_ms": T0 + 40000,
     "temperature_end_ms": T0 + 100000},
    {"fault": "bearing", "machine_id": "m-2", "sensor_id": "s-8", "kind": "vibration",
     "start_ms": T0 + 20000, "end_ms": T0 + 110000, "spike_end_ms": T0 + 25000,
     "temperature_sensor_id": "s-9", "temperature_start_ms": T0 + 50000,
     "temperature_end_ms": T0 + 110000},
    {"fault": "stuck", "machine_id": "m-3", "sensor_id": "s-12", "kind": "current",
     "start_ms": T0 + 30000, "end_ms": T0 + 50000},
    {"fault": "stuck", "machine_id": "m-3", "sensor_id": "s-13", "kind": "acoustic",
     "start_ms": T0 + 60000, "end_ms": T0 + 80000},
    # starts 5 s before the end of the data: pending, not missed
    {"fault": "stuck", "machine_id": "m-4", "sensor_id": "s-16", "kind": "vibration",
     "start_ms": T0 + 195000, "end_ms": T0 + 230000},
    {"fault": "dropout", "machine_id": "m-5", "sensor_id": "s-20", "kind": "vibration",
     "start_ms": T0 + 30000, "end_ms": T0 + 45000},
    {"fault": "reconnect", "machine_id": "m-6", "start_ms": T0 + 70000, "end_ms": T0 + 80000},
]

# Which topics are rules, of which kind, measured from which onset.
check(d.rule_of("stuck_sensors", {}) == ("stuck", "start_ms"), "stuck_sensors")
check(d.rule_of("vibration_anomalies", {}) == ("bearing", "start_ms"), "vibration")
check(d.rule_of("temperature_anomalies", {}) == ("bearing", "temperature_start_ms"), "temperature")
check(d.rule_of("bearing_alerts", {}) == ("bearing", "temperature_start_ms"), "bearing pattern")
check(d.rule_of("missing_heartbeats", {})[0] == "dropout", "heartbeat")
check(d.rule_of("alerts", {"reason": "temperature above 70 C"}) == ("bearing", "temperature_start_ms"), "alerts temperature")
check(d.rule_of("alerts", {"reason": "vibration above 2 g"}) == ("bearing", "start_ms"), "alerts vibration")
check(d.rule_of("sensor_stats_10s", {}) is None, "statistics are not rules")
check(d.rule_of("odd_name", {"fault": "stuck"}) == ("stuck", "start_ms"), "a fault column")

rows = [
    # vibration spike of m-1 at +0.5 s, repeated (one episode)
    ("vibration_anomalies", {"sensor_id": "s-4", "machine_id": "m-1", "ts": T0 + 10500}),
    ("vibration_anomalies", {"sensor_id": "s-4", "machine_id": "m-1", "ts": T0 + 11500}),
    # temperature rise of m-2, 2.5 s after it starts
    ("temperature_anomalies", {"sensor_id": "s-9", "machine_id": "m-2", "ts": T0 + 52500}),
    # a false alarm: no fault on s-30
    ("vibration_anomalies", {"sensor_id": "s-30", "machine_id": "m-7", "ts": T0 + 90000}),
    # stuck s-12 detected after 2 s; s-13 never
    ("stuck_sensors", {"sensor_id": "s-12", "machine_id": "m-3", "ts": T0 + 32000}),
    # a stuck alert on the wrong sensor of m-3, outside any window: false
    ("stuck_sensors", {"sensor_id": "s-14", "machine_id": "m-3", "ts": T0 + 150000}),
    # heartbeat rule: the reconnect of m-6 (a machine-level alert)
    ("missing_heartbeats", {"machine_id": "m-6", "ts": T0 + 73000}),
    # ... and a per-sensor heartbeat rule naming one of m-6's sensors: the
    # machine-level fault explains it (not a false alarm)
    ("silent_sensors", {"sensor_id": "s-24", "machine_id": "m-6", "ts": T0 + 74000}),
    # statistics rows are ignored
    ("sensor_stats_10s", {"sensor_id": "s-4", "ts": T0 + 1000}),
    # the end of the data
    ("alerts", {"sensor_id": "s-99", "machine_id": "m-99", "reason": "nothing", "ts": T0 + 200000}),
]
eps = d.Episodes()
for topic, row in rows:
    eps.add(topic, row, row["ts"])
check(len([e for e in eps.out if e["topic"] == "vibration_anomalies"]) == 2,
      "alerts 1 s apart are one episode: %s" % eps.out)
res = d.score(truth, eps.out, T0 + 200000, final=True)

b = res["bearing"]
check((b["injected"], b["detected"], b["missed"], b["false_alarms"]) == (2, 2, 0, 2),
      "bearing: %s" % b)
# the `alerts` row names no fault: a false alarm too (3 matching of 5)
check(abs(b["precision"] - 2 / 4) < 1e-9 and b["recall"] == 1.0, "bearing ratios: %s" % b)
# m-1 from its spike (0.5 s), m-2 from its temperature rise (2.5 s)
check((b["delay_p50_ms"], b["delay_max_ms"]) == (2500, 2500), "bearing delays: %s" % b)
s = res["stuck"]
check((s["injected"], s["detected"], s["missed"], s["pending"], s["false_alarms"]) == (3, 1, 1, 1, 1),
      "stuck: %s" % s)
check(s["recall"] == 0.5 and s["precision"] == 0.5 and s["delay_p50_ms"] == 2000, "stuck ratios: %s" % s)
dr = res["dropout"]
check((dr["injected"], dr["detected"], dr["missed"], dr["false_alarms"]) == (1, 0, 1, 0),
      "dropout (the heartbeat alert was the reconnect): %s" % dr)
r = res["reconnect"]
check((r["injected"], r["detected"], r["delay_p50_ms"]) == (1, 1, 3000), "reconnect: %s" % r)
per = res["rules"]
check(per["vibration_anomalies"]["detected"] == 1 and per["vibration_anomalies"]["delay_p50_ms"] == 500,
      "per rule vibration: %s" % per["vibration_anomalies"])
check(per["temperature_anomalies"]["detected"] == 1 and per["temperature_anomalies"]["delay_p50_ms"] == 2500,
      "per rule temperature: %s" % per["temperature_anomalies"])
check("sensor_stats_10s" not in per, "statistics scored as a rule")
check(per["silent_sensors"]["false_alarms"] == 0 and per["silent_sensors"]["episodes"] == 1,
      "a sensor's heartbeat alert during its machine's reconnect: %s" % per["silent_sensors"])
print("ok: scoring per kind and per rule")

# Live (not final): a fault whose window is still open is pending.
live = d.score(truth, eps.out, T0 + 55000, final=False)
check(live["stuck"]["pending"] == 2 and live["stuck"]["missed"] == 0, "live pending: %s" % live["stuck"])
print("ok: live scoring keeps open faults pending")

# The command line, offline, on files as `rill consume` writes them.
with tempfile.TemporaryDirectory() as tmp:
    tp = os.path.join(tmp, "truth.jsonl")
    with open(tp, "w") as f:
        for x in truth:
            f.write(json.dumps(x) + "\n")
    args = []
    for topic in sorted({t for t, _ in rows}):
        p = os.path.join(tmp, topic + ".jsonl")
        with open(p, "w") as f:
            for t, row in rows:
                if t == topic:
                    row = dict(row, ts=row["ts"])
                    f.write(json.dumps(row) + "\n")
        args.append("%s=%s" % (topic, p))
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo_score.py"), "offline", tp] + args,
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, "offline exit %d: %s" % (out.returncode, out.stderr))
    check("stuck: injected 3, detected 1, missed 1, pending 1, false alarms 1, precision 0.50, recall 0.50, "
          "delay p50 2.0 s, max 2.0 s (rules: stuck_sensors)" in out.stdout, "offline output: " + out.stdout)
    check("rule temperature_anomalies: injected 2, detected 1" in out.stdout, "offline per rule: " + out.stdout)
print("ok: demo_score.py offline")
