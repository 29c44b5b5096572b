"""test_http_rates.py - per-operator rates computed by the server: while
records are ingested at a steady pace (about 400 per second), DESCRIBE ...
FORMAT JSON (GET /queries/{id}) reports each operator's rows in and out
per second, each stage's rows in per second, and the query's records, rows
in and rows out per second, within
a factor of the pace; /metrics carries the same figures as gauges (checked
by promtool); once the input stops, the rates fall to 0 within the window
(about 5 s). GET /topics and /metrics count the records and bytes Kafka
fetches served per topic and partition (the dashboard's fetch rate).
"""
import http.client
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, wait_port  # noqa: E402

SETUP = """
CREATE STREAM readings (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (topic = 'readings', format = 'json', partitions = 1);
CREATE STREAM hot AS SELECT sensor_id, value, ts FROM readings WHERE value > 50;
"""


def req(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def query(port):
    st, data = req(port, "GET", "/queries/q_1")
    check(st == 200, "GET /queries/q_1: %s" % data[:300])
    return json.loads(data)


def main():
    hp = free_port()
    srv = Server(extra=["--http-listen", "127.0.0.1:%d" % hp])
    srv.start()
    try:
        wait_port(hp, 10, srv.proc)
        st, data = req(hp, "POST", "/sql", SETUP)
        check(st == 200, "setup: %s" % data)
        q = query(hp)
        check("rows_in_per_s" in q and all("rows_in_per_s" in o for o in q["operators"]),
              "rates are in the query object from the start (null until known): %s" % q)

        # ~400 records/s for 7 s: 40 every 0.1 s, one value in four above 50
        t0 = 1764000000000
        n = 0
        start = time.time()
        while time.time() - start < 7.0:
            rows = [{"sensor_id": "s%d" % (i % 7), "value": 80 if i % 4 == 0 else 10,
                     "ts": t0 + (n + i) * 10} for i in range(40)]
            n += 40
            st, data = req(hp, "POST", "/topics/readings?key=none",
                           "\n".join(json.dumps(r) for r in rows),
                           {"Content-Type": "application/x-ndjson"})
            check(st == 200, "ingest: %s" % data)
            time.sleep(max(0, start + n / 400.0 - time.time()))
        pace = n / (time.time() - start)
        q = query(hp)
        ops = {o["name"]: o for o in q["operators"]}
        print("pace %.0f/s; query %s/s in, %s/s out; operators %s" %
              (pace, q["rows_in_per_s"], q["rows_out_per_s"],
               [(o["name"], o["rows_in_per_s"], o["rows_out_per_s"]) for o in q["operators"]]))
        check(q["rate_span_ms"] is not None and 3000 <= q["rate_span_ms"] <= 7000,
              "rates span about 5 s: %s" % q["rate_span_ms"])
        check(pace / 2.5 < q["records_in_per_s"] < pace * 2.5 and
              pace / 2.5 < q["rows_in_per_s"] < pace * 2.5,
              "the query's input rate follows the pace %.0f/s: %s" % (pace, q["rows_in_per_s"]))
        check(pace / 2.5 < q["stages"][0]["rows_in_per_s"] < pace * 2.5,
              "the input stage's rate: %s" % q["stages"])
        f = ops.get("filter")
        check(f and pace / 2.5 < f["rows_in_per_s"] < pace * 2.5 and
              pace / 10 < f["rows_out_per_s"] < pace / 1.6,
              "the filter's rates: all in, a quarter out: %s" % f)
        check(pace / 10 < q["rows_out_per_s"] < pace / 1.6,
              "the query writes a quarter: %s" % q["rows_out_per_s"])

        st, body = req(hp, "GET", "/metrics")
        m = body.decode()
        g = re.search(r'rill_query_operator_rows_in_per_second\{query="q_1",stage="0",operator="\d+",'
                      r'name="filter"\} ([0-9.]+)', m)
        check(g and float(g.group(1)) > pace / 2.5, "operator rate gauge in /metrics:\n%s" %
              "\n".join(l for l in m.splitlines() if "per_second" in l))
        check(re.search(r'rill_query_operator_rows_out_per_second\{query="q_1",.*name="filter"\} [0-9.]+', m)
              and re.search(r'rill_query_rows_in_per_second\{query="q_1"\} [1-9]', m)
              and re.search(r'rill_query_records_in_per_second\{query="q_1"\} [1-9]', m)
              and re.search(r'rill_query_rows_out_per_second\{query="q_1"\} [1-9]', m),
              "query rate gauges in /metrics")
        p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
        check(p.returncode == 0, "promtool check metrics: %s" % (p.stdout + p.stderr).decode()[-2000:])

        # input stops: rates fall to 0 within the window
        deadline = time.time() + 15
        while time.time() < deadline:
            q = query(hp)
            if q["rows_in_per_s"] == 0 and all(o["rows_in_per_s"] == 0 for o in q["operators"]):
                break
            time.sleep(0.5)
        check(q["rows_in_per_s"] == 0 and all(o["rows_in_per_s"] == 0 for o in q["operators"]),
              "rates fall to 0 once the input stops: %s" % q)

        # fetch counts per topic: a Kafka consumer reads readings whole
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "rates-reader",
                      "enable.auto.commit": False})
        c.assign([TopicPartition("readings", 0, 0)])
        got, deadline = 0, time.time() + 20
        while got < n and time.time() < deadline:
            for m in c.consume(1000, 1.0):
                if not m.error():
                    got += 1
        c.close()
        st, data = req(hp, "GET", "/topics")
        t = [t for t in json.loads(data) if t["name"] == "readings"][0]
        check(got == n and t["fetched_records"] >= n and t["fetched_bytes"] > 0 and t["appended_records"] == n,
              "GET /topics counts what Kafka fetches served: %s (consumed %d)" % (t, got))
        st, body = req(hp, "GET", "/metrics")
        g = re.search(r'rill_log_fetched_records_total\{topic="readings",partition="0"\} (\d+)', body.decode())
        check(g and int(g.group(1)) >= n, "rill_log_fetched_records_total in /metrics")
        print("test_http_rates: ok")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
