"""test_http_api.py - `rill serve --http-listen`: health, SQL scripts with
errors at line and column, push queries as NDJSON and SSE that end when the
client leaves, topics (list, describe, create, NDJSON/CSV/SenML ingest read
back by a Kafka consumer), queries and groups as JSON, keep-alive, bad
requests closing only their own connection, /metrics checked by promtool
and against what the test did, and SIGTERM with a push open.
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, wait_port  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

SETUP = """
CREATE STREAM readings (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (topic = 'readings', format = 'json', partitions = 2);
CREATE STREAM hot AS SELECT sensor_id, value FROM readings WHERE value > 50;
"""


def req(port, method, path, body=None, headers=None, timeout=20):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type") or "", data


def jreq(port, method, path, body=None, headers=None):
    st, ct, data = req(port, method, path, body, headers)
    return st, json.loads(data)


def metrics(port):
    st, ct, data = req(port, "GET", "/metrics")
    check(st == 200 and ct.startswith("text/plain; version=0.0.4"), "GET /metrics: %d %s" % (st, ct))
    return data.decode()


def sample(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def raw(port, payload, timeout=5):
    """Sends raw bytes; returns everything the server sends until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(payload)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return out, False
        if not chunk:
            s.close()
            return out, True
        out += chunk


def push_rows(port, sql, want, sse=False, timeout=15):
    """Opens POST /query, reads `want` rows, then leaves (closes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    path = "/query?format=sse" if sse else "/query"
    s.sendall(("POST %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s"
               % (path, len(sql), sql)).encode())
    buf = b""
    deadline = time.time() + timeout
    rows = []
    while time.time() < deadline and len(rows) < want:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        if b"\r\n\r\n" not in buf:
            continue
        head, body = buf.split(b"\r\n\r\n", 1)
        if sse:
            rows = [json.loads(l[6:]) for l in body.decode().split("\n") if l.startswith("data: ")]
        else:
            rows = [json.loads(l) for l in body.decode().split("\n") if l.strip()]
    s.close()
    return buf.split(b"\r\n", 1)[0].decode(), rows


def main():
    hp = free_port()
    srv = Server(extra=["--http-listen", "127.0.0.1:%d" % hp])
    srv.start()
    try:
        wait_port(hp, 10, srv.proc)
        # The line is logged just after the listener opens: wait for it.
        line = "http: API, dashboard and /metrics on http://127.0.0.1:%d/" % hp
        deadline = time.time() + 10
        while line not in srv.output() and time.time() < deadline:
            time.sleep(0.05)
        check(line in srv.output(), "rill serve logs the dashboard URL")
        check(jreq(hp, "GET", "/healthz") == (200, {"status": "ok"}), "GET /healthz")
        check(jreq(hp, "GET", "/readyz") == (200, {"status": "ready"}), "GET /readyz")
        st, _, _ = req(hp, "GET", "/nope")
        check(st == 404, "unknown path: 404")
        st, _, _ = req(hp, "DELETE", "/healthz")
        check(st == 405, "wrong method: 405")

        # --- SQL scripts
        st, r = jreq(hp, "POST", "/sql", SETUP, {"Content-Type": "text/plain"})
        check(st == 200 and r["ok"] and r["statements"] == 2 and
              "started query q_1" in r["results"][1]["text"], "POST /sql runs a script: %s" % r)
        st, r = jreq(hp, "POST", "/sql", json.dumps({"sql": "SHOW STREAMS;"}),
                     {"Content-Type": "application/json"})
        check(st == 200 and "readings" in r["results"][0]["text"], "POST /sql with a JSON body")
        st, r = jreq(hp, "POST", "/sql", "SHOW STREAMS;\nSELEC x;")
        check(st == 400 and not r["ok"] and r["error"]["line"] == 2 and r["error"]["column"] == 1
              and "SELEC" in r["error"]["message"], "parse error at line 2, column 1: %s" % r)
        st, r = jreq(hp, "POST", "/sql", "CREATE STREAM x AS\n  SELECT vaule FROM readings;")
        check(st == 400 and r["error"]["line"] == 2 and r["error"]["column"] == 10
              and "vaule" in r["error"]["message"], "unknown column at line 2, column 10: %s" % r)
        st, r = jreq(hp, "POST", "/sql", "SELECT * FROM readings;")
        check(st == 422 and "/query" in r["error"], "a SELECT on /sql is sent to /query")
        st, r = jreq(hp, "POST", "/sql", '{"sq": 1}', {"Content-Type": "application/json"})
        check(st == 400, "JSON body without a sql field: 400")
        for bad in ('{"a":[\0', '{"sql":"a\\\0"}', '{"sql":', '[1]'):
            st, r = jreq(hp, "POST", "/sql", bad, {"Content-Type": "application/json"})
            check(st == 400, "malformed JSON body %r: 400" % bad)

        # --- topics
        st, r = jreq(hp, "PUT", "/topics/t3", '{"partitions": 3}')
        check(st == 201 and r["partitions"] == 3, "PUT /topics/t3 creates 3 partitions")
        st, r = jreq(hp, "PUT", "/topics/t3")
        check(st == 409, "creating it again: 409")
        st, r = jreq(hp, "PUT", "/topics/bad%20name")
        check(st == 400, "invalid topic name: 400")
        st, r = jreq(hp, "GET", "/topics")
        names = [t["name"] for t in r]
        check(st == 200 and {"readings", "hot", "t3"} <= set(names), "GET /topics: %s" % names)
        st, r = jreq(hp, "GET", "/topics/t3")
        check(st == 200 and len(r["partitions"]) == 3 and r["config"]["partitions"] == 3,
              "GET /topics/t3 describes 3 partitions")
        st, r = jreq(hp, "GET", "/topics/absent")
        check(st == 404, "unknown topic: 404")

        now = int(time.time() * 1000)
        lines = [{"sensor_id": "s%d" % i, "value": v, "ts": now + i}
                 for i, v in enumerate([70.0, 10.0, 90.5])]
        body = "\n".join(json.dumps(x) for x in lines) + "\n"
        st, r = jreq(hp, "POST", "/topics/readings?partition=1&acks=all", body,
                     {"Content-Type": "application/x-ndjson"})
        check(st == 200 and r == {"records": 3, "partition": 1, "base_offset": 0},
              "NDJSON ingest, acks=all: %s" % r)
        st, r = jreq(hp, "POST", "/topics/readings?partition=1", '{"a":1}\nnot json\n',
                     {"Content-Type": "application/x-ndjson"})
        check(st == 400 and r["line"] == 2, "a bad NDJSON line is refused with its line: %s" % r)
        st, r = jreq(hp, "GET", "/topics/readings")
        check(r["partitions"][1]["end_offset"] == 3, "the refused body appended nothing")
        st, r = jreq(hp, "POST", "/topics/t3?partition=2&header=true", "id,v\n1,2\n3,4\n",
                     {"Content-Type": "text/csv"})
        check(st == 200 and r["records"] == 2, "CSV ingest skips the header line: %s" % r)
        senml = '[{"bn":"dev1/","n":"temp","u":"Cel","v":21.5}]'
        st, r = jreq(hp, "POST", "/topics/t3?partition=0", senml,
                     {"Content-Type": "application/senml+json"})
        check(st == 200 and r["records"] == 1, "SenML ingest: one pack, one record")
        st, r = jreq(hp, "POST", "/topics/t3", "x", {"Content-Type": "image/png"})
        check(st == 415, "unknown body type: 415")
        st, r = jreq(hp, "POST", "/topics/absent", "{}", {"Content-Type": "application/x-ndjson"})
        check(st == 404, "ingest into an unknown topic: 404")

        # A keyed stream: ingest keys records by its key column and puts
        # them in murmur2's partition, so a co-partitioned query takes them
        # (it sends a record without its key to the dead-letter topic).
        st, r = jreq(hp, "POST", "/sql", """
CREATE STREAM kr (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (topic = 'kr', format = 'json', key = 'sensor_id', partitions = 3);
CREATE TABLE kr_counts AS SELECT sensor_id, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE kr, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY sensor_id, window_start, window_end;""")
        check(st == 200 and "q_2" in r["results"][1]["text"], "a keyed stream and a co-partitioned query q_2")
        kbody = "\n".join(json.dumps({"sensor_id": "k%d" % i, "value": i, "ts": now + i}) for i in range(12))
        st, r = jreq(hp, "POST", "/topics/kr", kbody, {"Content-Type": "application/x-ndjson"})
        check(st == 200 and r["key"] == "sensor_id" and r["records"] == 12 and
              sum(r["partitions"].values()) == 12 and len(r["partitions"]) > 1,
              "keyed ingest spreads records by key: %s" % r)
        st, r = jreq(hp, "POST", "/topics/kr", '{"sensor_id":"k1","value":1,"ts":1}\n{"value":2,"ts":2}',
                     {"Content-Type": "application/x-ndjson"})
        check(st == 400 and r["line"] == 2 and "sensor_id" in r["error"], "a line without the key field: 400: %s" % r)
        st, r = jreq(hp, "POST", "/topics/kr?partition=0", kbody, {"Content-Type": "application/x-ndjson"})
        check(st == 400, "a partition for a keyed stream: 400")
        deadline = time.time() + 15
        while time.time() < deadline:
            st, q = jreq(hp, "GET", "/queries/q_2")
            if q.get("rows_in", 0) >= 12:
                break
            time.sleep(0.2)
        check(q["rows_in"] == 12 and q["dead_letters"] == 0 and q["sql"].endswith("GROUP BY sensor_id, window_start, window_end")
              and "\n  FROM TABLE" in q["sql"],
              "the co-partitioned query took every keyed record: %s" % q)
        st, r = jreq(hp, "POST", "/topics/kr?key=none&partition=0", kbody.split("\n")[0],
                     {"Content-Type": "application/x-ndjson"})
        check(st == 200 and r["partition"] == 0, "key=none sends records without a key")
        deadline = time.time() + 15
        while time.time() < deadline:
            st, q = jreq(hp, "GET", "/queries/q_2")
            if q.get("dead_letters", 0) >= 1:
                break
            time.sleep(0.2)
        check(q["dead_letters"] == 1, "... which the query sends to its dead-letter topic")

        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "http-test",
                      "enable.auto.commit": False, "log_level": 2})
        c.assign([TopicPartition("readings", 1, 0)])
        got = []
        deadline = time.time() + 15
        while time.time() < deadline and len(got) < 3:
            m = c.poll(0.2)
            if m is not None and not m.error():
                got.append(json.loads(m.value()))
        check(got == lines, "a Kafka consumer reads the ingested records")
        c.commit(offsets=[TopicPartition("readings", 1, 1)], asynchronous=False)
        c.close()
        p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0, "log_level": 2})
        p.produce("readings", value=json.dumps({"sensor_id": "k", "value": 99.0, "ts": now + 9}),
                  partition=0)
        check(p.flush(10) == 0, "produced one reading through Kafka")

        # --- queries and groups
        deadline = time.time() + 15
        q = None
        while time.time() < deadline:
            st, q = jreq(hp, "GET", "/queries/q_1")
            if st == 200 and q.get("rows_in", 0) >= 4:
                break
            time.sleep(0.2)
        check(q["id"] == "q_1" and q["rows_in"] == 4 and q["rows_out"] == 3 and
              q["stages"][0]["stage"] == "input" and "late_rows" in q,
              "GET /queries/q_1 has the run-time counters: %s" % q)
        st, r = jreq(hp, "GET", "/queries")
        check(st == 200 and [x["id"] for x in r] == ["q_1", "q_2"], "GET /queries lists q_1 and q_2")
        st, r = jreq(hp, "GET", "/queries/q_99")
        check(st == 404, "unknown query: 404")
        st, r = jreq(hp, "GET", "/groups")
        g = [x for x in r if x["group"] == "http-test"]
        check(g and g[0]["lag"] == 2 and g[0]["partitions"][0]["committed"] == 1,
              "GET /groups: lag 2 behind the end: %s" % r)

        # --- push queries
        status, rows = push_rows(hp, "SELECT sensor_id, value FROM hot", 3)
        check(status == "HTTP/1.1 200 OK" and sorted(r["value"] for r in rows) == [70.0, 90.5, 99.0],
              "POST /query streams NDJSON rows: %s" % rows)
        status, rows = push_rows(hp, "SELECT sensor_id FROM hot WHERE value > 80", 2, sse=True)
        check(sorted(r["sensor_id"] for r in rows) == ["k", "s2"], "POST /query?format=sse streams events")
        st, r = jreq(hp, "POST", "/query", "SELECT nope FROM hot")
        check(st == 400 and r["error"]["column"] == 8, "a push query that does not plan: 400 with column")
        st, r = jreq(hp, "POST", "/query", "SHOW TOPICS")
        check(st == 422, "/query takes only a SELECT")
        st, _, data = req(hp, "POST", "/query", "SELECT sensor_id FROM hot LIMIT 2")
        check(st == 200 and len(data.decode().strip().split("\n")) == 2, "a push query with LIMIT ends")
        # The SQL server has 64 sessions: pushes whose clients left must
        # free theirs, or the 65th would be refused.
        t0 = time.time()
        for i in range(70):
            status, rows = push_rows(hp, "SELECT sensor_id FROM hot", 1)
            if not rows:
                break
        check(i == 69 and rows, "70 pushes opened and left in turn (%.1fs; last %d: %s %s)"
              % (time.time() - t0, i, status, rows))

        # A keep-alive connection: a statement, then a push on the same
        # connection, then the client leaves; 45 times. The push must end
        # each time (else the 41st would be refused: 40 at most).
        for i in range(45):
            s = socket.create_connection(("127.0.0.1", hp), timeout=10)
            sql = "SELECT * FROM hot"
            # Pipelined: the push is read as soon as the statement is answered.
            s.sendall(b"POST /sql HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\n\r\nSHOW STREAMS;" +
                      ("POST /query HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s"
                       % (len(sql), sql)).encode())
            got = b""
            while got.count(b"HTTP/1.1 ") < 2:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            s.close()
            got = got[got.find(b"HTTP/1.1 ", 1):]
            if not got.startswith(b"HTTP/1.1 200"):
                break
        check(i == 44 and got.startswith(b"HTTP/1.1 200"),
              "statement then push on one keep-alive connection, 45 times: %d %r" % (i, got[:40]))
        deadline = time.time() + 15
        while time.time() < deadline:
            open_pushes = sample(metrics(hp), "rill_http_push_queries")
            if open_pushes == 0:
                break
            time.sleep(0.2)
        check(open_pushes == 0, "every push ended once its client left (rill_http_push_queries %s)" % open_pushes)

        # At most 40 pushes at once: the SQL server's other sessions stay
        # free for statements, scrapes and the CLI.
        held = []
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", hp), timeout=10)
            sql = "SELECT * FROM hot"
            s.sendall(("POST /query HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s"
                       % (len(sql), sql)).encode())
            held.append(s)
        heads = [s.recv(100) for s in held]
        check(all(h.startswith(b"HTTP/1.1 200") for h in heads), "40 pushes open at once")
        st, r = jreq(hp, "POST", "/query", "SELECT * FROM hot")
        check(st == 503 and "too many" in r["error"], "the 41st push: 503")
        st, r = jreq(hp, "POST", "/sql", "SHOW STREAMS;")
        check(st == 200 and r["ok"], "statements still run beside 40 pushes")
        for s in held:
            s.close()
        deadline = time.time() + 30  # 40 sessions end one by one; slow on a loaded machine
        while time.time() < deadline:
            status, rows = push_rows(hp, "SELECT sensor_id FROM hot", 1)
            if rows:
                break
            time.sleep(0.1)
        check(status == "HTTP/1.1 200 OK" and rows, "pushes open again once those clients left")

        # --- keep-alive, bad requests
        conn = http.client.HTTPConnection("127.0.0.1", hp, timeout=10)
        conn.request("GET", "/healthz")
        r1 = conn.getresponse()
        r1.read()
        sock1 = conn.sock
        for path in ("/readyz", "/topics", "/groups"):
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            check(r.status == 200 and conn.sock is sock1, "keep-alive: %s on the same connection" % path)
        out, closed = raw(hp, b"GARBAGE\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 400") and closed, "a malformed request: 400, then closed")
        out, closed = raw(hp, b"POST /sql HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 413") and closed, "a body over the limit: 413, closed")
        out, closed = raw(hp, b"POST /sql HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 501") and closed, "chunked bodies: 501, closed")
        out, closed = raw(hp, b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 70000 + b"\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 431") and closed, "a head over 16 KiB: 431, closed")
        # A head that trickles in and never ends (slowloris): 408 after 10 s.
        s = socket.create_connection(("127.0.0.1", hp), timeout=20)
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
        t0 = time.time()
        out = b""
        while time.time() - t0 < 16:
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
            s.settimeout(1.5)
            try:
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
            except socket.timeout:
                pass
        s.close()
        check(out.startswith(b"HTTP/1.1 408") and 9 < time.time() - t0 < 16,
              "a head still incomplete after 10 s: 408 (%.1fs)" % (time.time() - t0))
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        check(r.status == 200 and r.read() == b'{"status":"ok"}\n' and conn.sock is sock1,
              "the other client's connection still works")
        conn.close()

        # --- metrics
        text = metrics(hp)
        pc = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                            text=True, timeout=30)
        check(pc.returncode == 0, "promtool check metrics: %s%s" % (pc.stdout, pc.stderr))
        check((sample(text, 'rill_broker_requests_total{api="Produce"}') or 0) >= 1,
              "broker requests counted per API")
        check((sample(text, 'rill_broker_request_duration_seconds_count{api="Produce"}') or 0) >= 1,
              "Produce latency histogram")
        check(sample(text, "rill_http_ingest_records_total") == 19, "19 records ingested over HTTP")
        check(sample(text, "rill_http_bad_requests_total") == 5, "5 bad HTTP requests counted")
        check((sample(text, "rill_log_appends_total") or 0) >= 4, "log appends counted")
        check((sample(text, "rill_log_fsync_duration_seconds_count") or 0) >= 1, "fsync latency observed")
        check(sample(text, 'rill_group_lag{group="http-test",topic="readings",partition="1"}') == 2,
              "group lag per partition")
        check(sample(text, 'rill_query_rows_out_total{query="q_1"}') == 3, "query rows out")
        check(sample(text, 'rill_query_lag_records{query="q_1",stage="input"}') == 0, "query lag per stage")
        check(sample(text, 'rill_log_end_offset{topic="readings",partition="1"}') == 3, "end offsets")
        check(sample(text, "rill_broker_connections") is not None, "open connections gauge")

        # --- steering: DROP QUERY through DELETE /queries/{id}
        st, r = jreq(hp, "POST", "/sql", "CREATE STREAM cold AS SELECT sensor_id FROM readings WHERE value < 20;")
        check(st == 200 and "q_3" in r["results"][0]["text"], "a third query q_3")
        st, r = jreq(hp, "DELETE", "/queries/q_3")
        check(st == 200 and r["dropped"] == "q_3", "DELETE /queries/q_3 drops it: %s" % r)
        st, r = jreq(hp, "GET", "/queries")
        check([q["id"] for q in r] == ["q_1", "q_2"], "q_1 and q_2 are left")
        st, r = jreq(hp, "DELETE", "/queries/q_3")
        check(st == 404, "dropping it again: 404")

        # --- SIGTERM with a push open
        s = socket.create_connection(("127.0.0.1", hp), timeout=10)
        sql = "SELECT * FROM hot"
        s.sendall(("POST /query HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (len(sql), sql)).encode())
        check(s.recv(100).startswith(b"HTTP/1.1 200"), "a push is open")
        t0 = time.time()
        rc = srv.stop()
        check(rc == 0 and time.time() - t0 < 10, "SIGTERM with a push open: exit %s in %.1fs" % (rc, time.time() - t0))
        s.close()
    finally:
        srv.stop()
        srv.tmp.cleanup()


if __name__ == "__main__":
    main()
