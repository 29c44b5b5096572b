"""test_http_queries.py - seeing and steering a running query: EXPLAIN
WATERMARK over SQL and HTTP (the input partition that holds the watermark
back, and why: no data yet, then the oldest event time; the lateness of late
rows), DESCRIBE with ISO-8601 watermarks, DESCRIBE ... FORMAT JSON behind
GET /queries/{id} (per-operator rows and state, samples of late rows and
dead letters), per-operator metrics
checked by promtool, and STOP QUERY / RESUME QUERY over SQL and REST: a
stopped query reads nothing, keeps its place, and goes on after RESUME
without writing a window twice.
"""
import http.client
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import RILL, Server, check, free_port, wait_port  # noqa: E402

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

SETUP = """
CREATE STREAM readings (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (topic = 'readings', format = 'json', partitions = 2);
CREATE TABLE counts AS
  SELECT sensor_id, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY sensor_id, window_start, window_end;
"""


def req(port, method, path, body=None, headers=None, timeout=20):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type") or "", data


def jreq(port, method, path, body=None, headers=None):
    st, _, data = req(port, method, path, body, headers)
    return st, json.loads(data)


def sql(port, text):
    return jreq(port, "POST", "/sql", text)


def ingest(port, part, rows):
    body = "\n".join(json.dumps(r) for r in rows)
    st, r = jreq(port, "POST", "/topics/readings?key=none&partition=%d" % part, body,
                 {"Content-Type": "application/x-ndjson"})
    check(st == 200 and r["records"] == len(rows), "ingest into partition %d: %s" % (part, r))


def wait_query(port, cond, what, timeout=15):
    deadline = time.time() + timeout
    q = None
    while time.time() < deadline:
        st, q = jreq(port, "GET", "/queries/q_1")
        if st == 200 and cond(q):
            return q
        time.sleep(0.2)
    check(False, "%s: %s" % (what, q))


def sink_records(port):
    st, t = jreq(port, "GET", "/topics/counts")
    return sum(p["end_offset"] - p["start_offset"] for p in t["partitions"])


def main():
    hp = free_port()
    srv = Server(extra=["--http-listen", "127.0.0.1:%d" % hp])
    srv.start()
    try:
        wait_port(hp, 10, srv.proc)
        st, r = sql(hp, SETUP)
        check(st == 200 and r["ok"], "a windowed query q_1: %s" % r)
        t0 = 1764000000000
        ingest(hp, 0, [{"sensor_id": "a", "value": 1, "ts": t0 + i * 1000} for i in range(25)])
        q = wait_query(hp, lambda q: q.get("rows_in", 0) >= 25, "q_1 read partition 0")

        # --- partition 1 has no data: it holds the watermark at none
        st, r = sql(hp, "EXPLAIN WATERMARK q_1;")
        text = r["results"][0]["text"] if st == 200 and r["ok"] else ""
        check("QUERY q_1 watermark: none" in text and
              "held back by: readings partition 1: no data yet" in text and
              "<- holds it back" in text,
              "EXPLAIN WATERMARK names the empty partition:\n%s" % text)
        st, q = jreq(hp, "GET", "/queries/q_1")
        ex = q["watermark_explain"]
        ins = [i for i in ex["inputs"] if i["stage"] == 0]
        check(q["watermark"] is None and ex["holder"] == {"topic": "readings", "partition": 1, "gap_ms": None}
              and ex["delay_ms"] == 1000 and len(ins) == 2 and ins[0]["watermark"] == t0 + 23000
              and ISO.fullmatch(ins[0]["watermark_iso"]) and ins[1]["watermark"] is None and ins[1]["holds_back"]
              and [i["topic"] for i in ex["inputs"] if i["stage"] == 1] == ["q_1-repartition"] * 2,
              "GET /queries/q_1 explains it too: %s" % ex)

        # --- partition 1 behind partition 0: its event time holds it back
        ingest(hp, 1, [{"sensor_id": "b", "value": 2, "ts": t0 + i * 1000} for i in range(12)])
        q = wait_query(hp, lambda q: q.get("rows_in", 0) >= 37 and q.get("watermark") == t0 + 10000,
                       "the watermark follows partition 1")
        ex = q["watermark_explain"]
        check(ex["holder"]["partition"] == 1 and ex["holder"]["gap_ms"] == 13000 and
              "oldest" in ex["reason"] and q["watermark_iso"] == "2025-11-24T16:00:10.000Z",
              "partition 1 holds it back by 13 s: %s" % ex)
        st, ct, body = req(hp, "GET", "/queries/q_1/watermark")
        text = body.decode()
        check(st == 200 and ct.startswith("text/plain") and
              "held back by: readings partition 1: its newest event time is the oldest" in text and
              "(13.0 s behind the next slowest partition)" in text and "2025-11-24T16:00:10.000Z" in text,
              "GET /queries/q_1/watermark is EXPLAIN WATERMARK:\n%s" % text)
        p = subprocess.run([RILL, "queries", "watermark", "q_1", "--data", srv.data],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 0 and "held back by: readings partition 1" in p.stdout,
              "rill queries watermark q_1: %s %s" % (p.stdout, p.stderr))
        st, r = sql(hp, "DESCRIBE q_1;")
        check(st == 200 and "watermark: 2025-11-24T16:00:10.000Z (" in r["results"][0]["text"],
              "DESCRIBE prints the watermark in ISO-8601: %s" % r)
        ops = q["operators"]
        names = [(o["stage"], o["name"]) for o in ops]
        win = [o for o in ops if o["name"] == "window_agg"]
        check((0, "sink") in names and win and win[0]["stage"] == 1 and win[0]["rows_in"] == 37 and
              win[0]["state_entries"] >= 1 and win[0]["state_bytes"] > 0 and
              [s["stage"] for s in q["stages"]] == ["input", "repartition"],
              "per-operator rows and state: %s" % ops)

        # --- late rows and how late they were
        ingest(hp, 1, [{"sensor_id": "b", "value": 2, "ts": t0 + 24000}])
        wait_query(hp, lambda q: q.get("watermark") == t0 + 23000, "the watermark moves to 23 s")
        ingest(hp, 0, [{"sensor_id": "a", "value": 9, "ts": t0 + 1000}])
        q = wait_query(hp, lambda q: q.get("late_rows", 0) == 1, "a late row is counted")
        lat = {b["le_ms"]: b["rows"] for b in q["watermark_explain"]["lateness"]}
        check(lat[60000] == 1 and sum(lat.values()) == 1 and q["watermark_explain"]["max_lateness_ms"] == 22000,
              "its lateness (22 s) is in the <= 1 min bucket: %s" % q["watermark_explain"])
        st, ct, body = req(hp, "GET", "/queries/q_1/watermark")
        check("late rows: 1 (how late, behind the watermark: <= 1 min: 1; the latest 22.0 s)" in body.decode(),
              "EXPLAIN WATERMARK shows the lateness histogram:\n%s" % body.decode())
        ls = q["late_samples"]
        check(len(ls) == 1 and ls[0]["event_time"] == "2025-11-24T16:00:01.000Z" and ls[0]["lateness_ms"] == 22000
              and ls[0]["partition"] == 0 and ls[0]["row"]["sensor_id"] == "a",
              "the late row is sampled: %s" % ls)
        # --- a dead letter, sampled with its reason
        st, r = jreq(hp, "POST", "/topics/readings?key=none&partition=0",
                     json.dumps({"sensor_id": "a", "value": "not a number", "ts": t0 + 24000}),
                     {"Content-Type": "application/x-ndjson"})
        q = wait_query(hp, lambda q: q.get("dead_letters", 0) == 1, "a dead letter is counted")
        ds = q["dead_letter_samples"]
        check(len(ds) == 1 and ds[0]["partition"] == 0 and ds[0]["reason"] and
              "not a number" in ds[0]["value"],
              "the dead letter is sampled with its reason: %s" % ds)

        # --- metrics: per-operator families, valid for promtool
        st, ct, body = req(hp, "GET", "/metrics")
        m = body.decode()
        check(re.search(r'rill_query_operator_rows_in_total\{query="q_1",stage="1",operator="\d+",'
                        r'name="window_agg"\} 39', m) and
              re.search(r'rill_query_operator_state_bytes\{query="q_1",stage="1",.*name="window_agg"\} [1-9]', m) and
              'rill_query_late_rows_partition_total{query="q_1",partition="0"} 1' in m and
              'rill_query_lag_records{query="q_1",stage="repartition"} 0' in m,
              "per-operator metrics:\n%s" % "\n".join(l for l in m.splitlines() if "q_1" in l))
        check(re.search(r'rill_query_checkpoint_duration_seconds\{query="q_1"\} 0\.0*[1-9]', m) and
              re.search(r'rill_query_checkpoint_bytes\{query="q_1"\} [1-9]', m),
              "checkpoint duration and size (exactly-once):\n%s" %
              "\n".join(l for l in m.splitlines() if "checkpoint" in l))
        p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
        check(p.returncode == 0, "promtool check metrics: %s" % (p.stdout + p.stderr).decode()[-2000:])

        # --- STOP QUERY / RESUME QUERY
        wait_query(hp, lambda q: q["stages"][1]["lag"] == 0, "stage 1 caught up")
        st, r = jreq(hp, "POST", "/queries/q_1/stop")
        check(st == 200 and r["stopped"] == "q_1", "POST /queries/q_1/stop: %s" % r)
        # Counted after the stop: an exactly-once query appends what it
        # held since its last checkpoint when it stops (docs/checkpoints.md).
        out_before = sink_records(hp)
        st, q = jreq(hp, "GET", "/queries/q_1")
        check(q["state"] == "STOPPED" and q["running"] is False and "rows_in" not in q,
              "a stopped query is kept, not running: %s" % q)
        st, r = sql(hp, "EXPLAIN WATERMARK q_1;")
        check(st == 400 and "does not run" in r["error"]["message"], "no watermark while stopped: %s" % r)
        st, r = sql(hp, "STOP QUERY q_1;")
        check(st == 200 and "already stopped" in r["results"][0]["text"], "stopping again says so")
        ingest(hp, 0, [{"sensor_id": "a", "value": 1, "ts": t0 + 25000 + i * 1000} for i in range(20)])
        ingest(hp, 1, [{"sensor_id": "b", "value": 1, "ts": t0 + 25000 + i * 1000} for i in range(20)])
        time.sleep(1.0)
        check(sink_records(hp) == out_before, "a stopped query writes nothing")
        st, r = jreq(hp, "GET", "/queries/q_1/stop")
        check(st == 405, "GET on stop: 405")
        st, r = jreq(hp, "POST", "/queries/q_9/stop")
        check(st == 404, "stopping an unknown query: 404")
        st, r = jreq(hp, "POST", "/queries/q_1/resume")
        check(st == 200 and r["resumed"] == "q_1", "POST /queries/q_1/resume: %s" % r)
        st, r = jreq(hp, "POST", "/queries/q_1/resume")
        check(st == 200 and "already running" in r["text"], "resuming a running query says so")
        q = wait_query(hp, lambda q: q.get("running") and q.get("watermark") == t0 + 43000 and
                       q["stages"][0]["lag"] == 0 and q["stages"][1]["lag"] == 0,
                       "the resumed query read on to 43 s")
        time.sleep(0.5)
        # windows [0,10) [10,20) [20,30) [30,40) close for a and b: 8 rows, each once
        rows = []
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "hq", "log_level": 2})
        st, t = jreq(hp, "GET", "/topics/counts")
        c.assign([TopicPartition("counts", p["partition"], 0) for p in t["partitions"]])
        want = sink_records(hp)
        deadline = time.time() + 10
        while time.time() < deadline and len(rows) < want:
            msg = c.poll(0.2)
            if msg is not None and not msg.error():
                rows.append(json.loads(msg.value()))
        c.close()
        keys = [(r["sensor_id"], r["window_start"]) for r in rows]
        check(len(keys) == len(set(keys)) and len(keys) == 8 and out_before < 8,
              "after RESUME every window is written once (%d before the stop): %s" % (out_before, sorted(keys)))
    finally:
        rc = srv.stop()
    check(rc == 0, "rill serve exits 0")
    print("ok: test_http_queries")


if __name__ == "__main__":
    main()
