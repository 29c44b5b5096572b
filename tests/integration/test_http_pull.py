"""test_http_pull.py - pull queries over HTTP: POST /query with a SELECT on
a table answers what the table's topic holds now and ends (ksqlDB's pull
query; 'scan.bounded.mode' = 'latest-offset' underneath), with a WHERE
applied; the same SELECT on a stream stays a push query (it is still open
after 2 s) unless ?mode=pull, which ends it too; ?mode=push keeps a table's
SELECT open; in `rill sql` terms, SET 'scan.bounded.mode' works in a
session and a bad value is refused.
"""
import http.client
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, wait_port  # noqa: E402

SETUP = """
CREATE STREAM readings (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '0' SECOND)
  WITH (topic = 'readings', format = 'json', partitions = 2, key = 'sensor_id');
CREATE TABLE totals AS
  SELECT sensor_id, COUNT(*) AS n, SUM(value) AS total FROM readings GROUP BY sensor_id;
"""


def req(port, method, path, body=None, headers=None, timeout=20):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def rows(data):
    return [json.loads(l) for l in data.decode().splitlines() if l.strip()]


def still_open(port, path, sql, wait=2.0):
    """True when the response is still streaming after `wait` seconds."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=wait)
    c.request("POST", path, body=sql)
    r = c.getresponse()
    try:
        r.read()
        return False
    except (socket.timeout, TimeoutError):
        return True
    finally:
        c.close()


def main():
    hp = free_port()
    srv = Server(extra=["--http-listen", "127.0.0.1:%d" % hp])
    srv.start()
    try:
        wait_port(hp, 10, srv.proc)
        st, data = req(hp, "POST", "/sql", SETUP)
        check(st == 200, "setup: %s" % data)
        t0 = 1764000000000
        body = "\n".join(json.dumps({"sensor_id": "s%d" % (i % 3), "value": i, "ts": t0 + i}) for i in range(30))
        st, data = req(hp, "POST", "/topics/readings", body, {"Content-Type": "application/x-ndjson"})
        check(st == 200, "ingest: %s" % data)
        # the table's query has written its changes
        deadline = time.time() + 15
        while time.time() < deadline:
            st, data = req(hp, "GET", "/queries/q_1")
            if json.loads(data).get("rows_in", 0) >= 30:
                break
            time.sleep(0.2)
        time.sleep(0.5)

        t = time.time()
        st, data = req(hp, "POST", "/query", "SELECT sensor_id, n, total FROM totals")
        got = rows(data)
        last = {}
        for r in got:
            last[r["sensor_id"]] = r
        check(st == 200 and time.time() - t < 10 and len(got) >= 3 and
              last == {"s0": {"sensor_id": "s0", "n": 10, "total": 135.0},
                       "s1": {"sensor_id": "s1", "n": 10, "total": 145.0},
                       "s2": {"sensor_id": "s2", "n": 10, "total": 155.0}},
              "a pull query on the table answers and ends: %s" % got[-6:])
        st, data = req(hp, "POST", "/query", "SELECT sensor_id, n FROM totals WHERE sensor_id = 's1' AND n = 10")
        check(st == 200 and rows(data) == [{"sensor_id": "s1", "n": 10}],
              "with a WHERE: %s" % data)
        check(still_open(hp, "/query", "SELECT sensor_id FROM readings"),
              "a SELECT on a stream is a push query: still open after 2 s")
        st, data = req(hp, "POST", "/query?mode=pull", "SELECT sensor_id, value FROM readings")
        check(st == 200 and len(rows(data)) == 30, "?mode=pull ends a stream's SELECT: %d rows" % len(rows(data)))
        check(still_open(hp, "/query?mode=push", "SELECT sensor_id FROM totals"),
              "?mode=push keeps a table's SELECT open")
        st, data = req(hp, "POST", "/sql", "SET 'scan.bounded.mode' = 'sometimes';")
        check(st == 400 and b"'scan.bounded.mode'" in data, "a bad value is refused: %s" % data)
        print("test_http_pull: ok")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
