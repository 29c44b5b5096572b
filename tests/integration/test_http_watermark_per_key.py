"""test_http_watermark_per_key.py - per-key watermarks ('watermark.per-key')
in a running server, over HTTP: ten sensors over two partitions (records
keyed by sensor_id, so each sensor stays in its murmur2 partition), one of
them in each partition with a clock an hour ahead. A windowed count per sensor over a
stream with the option loses no row (late_rows 0) and fires each sensor's
windows on its own watermark; the same query over a stream of the same
topic without the option makes the others' rows late. Then another sensor
uploads an old backlog: EXPLAIN WATERMARK (SQL, GET /queries/{id}/watermark
and the JSON's watermark_explain) names that key as holding its partition's
floor, its backlog is not late either, and the others' windows go on
firing. Creating a per-key stream
without a key is refused with the reason.
"""
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, wait_port  # noqa: E402

SETUP = """
CREATE STREAM readings (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '0' SECOND)
  WITH (topic = 'readings', format = 'json', partitions = 2, key = 'sensor_id',
        'watermark.per-key' = 'true');
CREATE STREAM readings_plain (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '0' SECOND)
  WITH (topic = 'readings', format = 'json', partitions = 2, key = 'sensor_id');
CREATE TABLE counts AS
  SELECT sensor_id, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY sensor_id, window_start, window_end;
CREATE TABLE counts_plain AS
  SELECT sensor_id, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE readings_plain, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY sensor_id, window_start, window_end;
"""

T0 = 1764000000000
HOUR = 3600 * 1000


def req(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def jreq(port, method, path, body=None, headers=None):
    st, data = req(port, method, path, body, headers)
    return st, json.loads(data)


def ingest(port, rows):
    body = "\n".join(json.dumps(r) for r in rows)
    st, r = jreq(port, "POST", "/topics/readings", body, {"Content-Type": "application/x-ndjson"})
    check(st == 200 and r["records"] == len(rows), "keyed ingest: %s" % r)


def wait_query(port, qid, cond, what, timeout=15):
    deadline = time.time() + timeout
    q = None
    while time.time() < deadline:
        st, q = jreq(port, "GET", "/queries/" + qid)
        if st == 200 and cond(q):
            return q
        time.sleep(0.2)
    check(False, "%s: %s" % (what, json.dumps(q)[:3000]))


def main():
    hp = free_port()
    srv = Server(extra=["--http-listen", "127.0.0.1:%d" % hp])
    srv.start()
    try:
        wait_port(hp, 10, srv.proc)
        st, r = jreq(hp, "POST", "/sql",
                     "CREATE STREAM bad (sensor_id STRING, ts TIMESTAMP(3), "
                     "WATERMARK FOR ts AS ts) WITH (topic = 'bad', 'watermark.per-key' = 'true');")
        check(st == 400 and "'watermark.per-key' needs the stream's key" in r["error"]["message"],
              "per-key without a key is refused: %s" % r)
        st, r = jreq(hp, "POST", "/sql", SETUP)
        check(st == 200 and r["ok"], "setup: %s" % r)
        st, r = jreq(hp, "POST", "/sql", "EXPLAIN SELECT sensor_id, window_start, COUNT(*) AS n "
                     "FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) "
                     "GROUP BY sensor_id, window_start, window_end;")
        text = r["results"][0]["text"] if st == 200 else str(r)
        check("per-key watermarks ('watermark.per-key')" in text and "windows fire per key" in text,
              "EXPLAIN shows the per-key plan:\n%s" % text)

        # 10 sensors, one row each per second of event time for 25 s. The
        # first second's rows go one by one, to learn each sensor's
        # partition; from then on one sensor in each partition has a clock
        # an hour ahead (its rows come first in each second).
        part = {}
        for s in range(10):
            body = json.dumps({"sensor_id": "s%d" % s, "value": s, "ts": T0 + s * 10})
            st, r = jreq(hp, "POST", "/topics/readings", body, {"Content-Type": "application/x-ndjson"})
            check(st == 200 and len(r["partitions"]) == 1, "keyed ingest: %s" % r)
            part["s%d" % s] = int(list(r["partitions"])[0])
        skewed = {min(k for k in part if part[k] == p) for p in set(part.values())}
        normal = sorted(k for k in part if k not in skewed)
        check(len(skewed) == 2, "sensors in both partitions: %s" % part)
        backfill = normal[0]

        def second(sec, skip=()):
            rows = []
            for s in range(10):
                k = "s%d" % s
                if k in skip:
                    continue
                rows.append({"sensor_id": k, "value": s,
                             "ts": T0 + sec * 1000 + s * 10 + (HOUR if k in skewed else 0)})
            rows.sort(key=lambda r: r["sensor_id"] not in skewed)
            ingest(hp, rows)

        for sec in range(1, 25):
            second(sec)
        q = wait_query(hp, "q_1", lambda q: q.get("rows_in", 0) >= 250, "q_1 read all 250 rows")
        q = wait_query(hp, "q_1", lambda q: q.get("windows_fired", 0) >= 2 * len(normal) + 2,
                       "per key: each sensor fires [00,10) and [10,20) on its own clock")
        check(q["late_rows"] == 0 and q["watermark_explain"]["per_key"] is True,
              "per key: the skewed clocks make no other row late: %s" %
              {k: q[k] for k in ("late_rows", "windows_fired")})
        p = wait_query(hp, "q_2", lambda q: q.get("rows_in", 0) >= 250, "q_2 read all 250 rows")
        check(p["late_rows"] >= 100 and p["watermark_explain"]["per_key"] is False,
              "without the option the skewed clocks make the others late: %s" % p["late_rows"])

        # a normal sensor goes offline at 25 s while the others go on to
        # 45 s; it holds its partition's floor at 24 s, but the others'
        # [20,30) and [30,40) windows fire on their own clocks. Then it
        # uploads its backlog (25 s to 39 s): none of it is late.
        before = q["windows_fired"]
        for sec in range(25, 45):
            second(sec, skip=(backfill,))
        n = int(backfill[1:])
        back = [{"sensor_id": backfill, "value": -1, "ts": T0 + sec * 1000 + n * 10} for sec in range(25, 40)]
        ingest(hp, back)
        q = wait_query(hp, "q_1", lambda q: q.get("rows_in", 0) >= 250 + 15 + 180,
                       "q_1 read the backlog and the rest")
        q = wait_query(hp, "q_1", lambda q: q["windows_fired"] >= before + 1 + 2 * (len(normal) - 1),
                       "the others' windows fire although s3 holds the floor back")
        ex = q["watermark_explain"]
        h = ex["holder"]
        check(q["late_rows"] == 0, "the backlog is not late: %s" % q["late_rows"])
        check(h and h["key"] == backfill and h["key_watermark"] == T0 + 39000 + n * 10 and
              "backfilling" in ex["reason"],
              "EXPLAIN names the backfilling key holding the floor: %s" % json.dumps(ex)[:2000])
        ins = [i for i in ex["inputs"] if i["stage"] == 0]
        check(sum(i["keys"] for i in ins) == 10 and all(i["holder_key"] for i in ins),
              "each partition counts its keys and names its floor's key: %s" % ins)
        st, body = req(hp, "GET", "/queries/q_1/watermark")
        text = body.decode()
        check(st == 200 and "per-key watermarks: on (10 keys)" in text and
              ("key '%s' (of its" % backfill) in text and "held back by: readings partition %d" % h["partition"] in text,
              "GET /queries/q_1/watermark:\n%s" % text)
        st, r = jreq(hp, "POST", "/sql", "EXPLAIN WATERMARK q_2;")
        check("per-key watermarks: off" in r["results"][0]["text"], "q_2 is per partition")
        print(text)
        print("test_http_watermark_per_key: ok")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
