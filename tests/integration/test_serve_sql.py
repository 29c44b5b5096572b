"""test_serve_sql.py - `rill serve` runs SQL: statements from `rill run` /
`rill sql` / `rill queries` reach it over <data>/rill.sock, its persistent
queries write topics that Kafka consumers read promptly, a transient
SELECT streams rows, errors carry line/column, a restart resumes the
query without duplicates, and SIGTERM removes the socket.
"""
import json
import os
import socket
import stat
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

SETUP = """
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id');
CREATE STREAM alerts AS SELECT sensor_id, value FROM readings WHERE value > 5;
"""


def produce(bootstrap, rows):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "log_level": 2})
    for sid, v, ts in rows:
        p.produce("readings", key=sid,
                  value=json.dumps({"sensor_id": sid, "value": v, "ts": ts}))
    check(p.flush(10) == 0, "produced %d readings" % len(rows))


def consumer(bootstrap, offset=0):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "t%d" % time.time_ns(),
                  "enable.auto.commit": False, "fetch.wait.max.ms": 500,
                  "fetch.min.bytes": 1, "log_level": 2})
    c.assign([TopicPartition("alerts", 0, offset)])
    return c


def read_alerts(c, want, timeout=15.0):
    got = []
    deadline = time.time() + timeout
    while time.time() < deadline and len(got) < want:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        got.append(json.loads(m.value()))
    return got


def raw_request(path, text):
    """One request over the documented framing; returns the frames."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    body = b"Q" + text.encode()
    s.sendall(struct.pack(">I", len(body)) + body)
    frames = []
    buf = b""
    while True:
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                s.close()
                return frames
            buf += chunk
        n = struct.unpack(">I", buf[:4])[0]
        frames.append((chr(buf[4]), buf[5:4 + n]))
        buf = buf[4 + n:]
        if frames[-1][0] == "Z":
            s.close()
            return frames


def main():
    tmp = tempfile.TemporaryDirectory(prefix="rill-serve-sql-")
    data = os.path.join(tmp.name, "data")
    sock = os.path.join(data, "rill.sock")
    script = os.path.join(tmp.name, "setup.sql")
    with open(script, "w") as f:
        f.write(SETUP)
    srv = Server(data=data)
    srv.start()
    try:
        check(os.path.exists(sock), "rill serve created %s" % sock)
        check(stat.S_IMODE(os.stat(sock).st_mode) == 0o600, "socket mode 0600")

        t0 = time.time()
        r = rill("run", script, data=data, timeout=30)
        check(time.time() - t0 < 10, "rill run returned after the script (%.1fs)" % (time.time() - t0))
        check("started query q_1" in r.stdout, "the script ran in the server: " + r.stdout.strip())

        r = rill("sql", data=data, input="SHOW QUERIES;\n", timeout=30)
        check("q_1" in r.stdout and "RUNNING" in r.stdout.upper(),
              "SHOW QUERIES through the server: " + r.stdout.strip())
        r = rill("queries", "list", data=data, timeout=30)
        check("q_1" in r.stdout, "rill queries list next to rill serve")

        c = consumer(srv.bootstrap)
        read_alerts(c, 1, timeout=1.0)  # join: the consumer is now long-polling
        produce(srv.bootstrap, [("s1", 3.0, 1000), ("s1", 7.5, 2000),
                                ("s2", 9.0, 3000), ("s2", 1.0, 4000)])
        got = read_alerts(c, 2)
        check([(g["sensor_id"], g["value"]) for g in got] == [("s1", 7.5), ("s2", 9.0)],
              "Kafka consumer read the query's alerts: %s" % got)

        # Latency: one hot reading -> its alert at a long-polling consumer.
        # Measured from the produce call (acks=1, linger 0) to the
        # consumer's poll returning the alert.
        p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0, "acks": 1, "log_level": 2})
        p.produce("readings", key="warm", value=json.dumps(
            {"sensor_id": "warm", "value": 0.0, "ts": 4999}))
        p.flush(10)
        lat = []
        for i in range(5):
            read_alerts(c, 1, timeout=0.3)  # the consumer is parked again
            t = time.time()
            p.produce("readings", key="lat", value=json.dumps(
                {"sensor_id": "lat", "value": 100.0 + i, "ts": 5000 + i}))
            p.poll(0)
            g = read_alerts(c, 1, timeout=5)
            lat.append((time.time() - t) * 1000)
            check(len(g) == 1 and g[0]["value"] == 100.0 + i, "latency alert %d" % i)
        p.flush(10)
        lat.sort()
        print("serve_sql alert_latency_ms median=%.1f max=%.1f samples=%d "
              "(fetch.wait.max.ms=500)" % (lat[len(lat) // 2], lat[-1], len(lat)))
        # Without the broker's re-check of parked fetches the median was
        # ~100 ms and the max ~600 ms; with it ~11 ms.
        check(lat[len(lat) // 2] < 75, "median alert latency well under fetch.wait.max.ms")
        r = rill("queries", "describe", "q_1", data=data, timeout=30)
        check("rows out: 7" in r.stdout, "rill queries describe: the server's counters: "
              + " | ".join(r.stdout.splitlines()))
        r = rill("queries", "describe", "q_9", data=data, timeout=30, check=False)
        check(r.returncode == 1 and "unknown query 'q_9'" in r.stderr, "unknown query via server")

        # A transient SELECT through the socket, streamed until LIMIT.
        r = rill("sql", data=data, input="SELECT sensor_id, value FROM readings LIMIT 3;\n", timeout=30)
        rows = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
        check(len(rows) == 3 and rows[0]["sensor_id"] == "s1", "SELECT LIMIT 3 via rill sql: %s" % rows)
        frames = raw_request(sock, "SELECT value FROM readings LIMIT 3;")
        check([t for t, _ in frames] == ["R", "R", "R", "Z"] and frames[-1][1] == b"\x00",
              "raw protocol: 3 row frames then done: %s" % frames)

        # A SELECT that never reaches its LIMIT ends when its client goes.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        body = b"QSELECT value FROM readings LIMIT 1000;"
        s.sendall(struct.pack(">I", len(body)) + body)
        time.sleep(0.5)
        s.close()
        t = time.time()
        r = rill("sql", data=data, input="SHOW STREAMS;\n", timeout=30)
        check("alerts" in r.stdout and time.time() - t < 5,
              "server free again after a SELECT's client left (%.1fs)" % (time.time() - t))

        # A SELECT that keeps waiting does not block the other sessions:
        # statements, a second SELECT, a new persistent query run meanwhile.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        body = b"QSELECT value FROM readings LIMIT 1000;"
        s.sendall(struct.pack(">I", len(body)) + body)
        time.sleep(0.5)
        t = time.time()
        r = rill("sql", data=data, input="SHOW STREAMS;\n", timeout=30)
        check("alerts" in r.stdout and time.time() - t < 5,
              "SHOW STREAMS while another session's SELECT streams (%.1fs)"
              % (time.time() - t))
        frames = raw_request(sock, "SELECT value FROM readings LIMIT 2;")
        check([t for t, _ in frames] == ["R", "R", "Z"],
              "a second SELECT runs next to the first: %s" % frames)
        r = rill("sql", data=data, input="CREATE STREAM big AS SELECT sensor_id, value "
                 "FROM readings WHERE value > 50;\n", timeout=30)
        check("started query" in r.stdout, "CREATE ... AS next to a running SELECT: "
              + r.stdout.strip())
        s.setblocking(True)
        s.settimeout(5)
        got = b""
        try:
            while len(got) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
                if got.count(b"R") >= 8:
                    break
        except OSError:
            pass
        check(got.startswith(b"\x00\x00\x00"), "the first SELECT still streams its rows")
        s.close()
        r = rill("sql", data=data, input="DROP QUERY q_2;\nDROP STREAM big;\n", timeout=30)
        check(r.returncode == 0, "dropped the extra query: " + r.stdout.strip())

        # Errors carry line and column.
        bad = os.path.join(tmp.name, "bad.sql")
        with open(bad, "w") as f:
            f.write("SHOW STREAMS;\nSELECT vaule FROM readings;\n")
        r = rill("run", bad, data=data, timeout=30, check=False)
        check(r.returncode == 1 and (bad + ":2:8:") in r.stderr and "vaule" in r.stderr,
              "server error with line/column: " + r.stderr.strip())
        r = rill("run", script, "--until-idle", data=data, timeout=30, check=False)
        check(r.returncode == 2, "--until-idle refused next to rill serve")

        # Bad frames close that connection only.
        for junk in (b"\x00\x00\x00\x00", b"\x7f\xff\xff\xffQ", b"\x00\x00\x00\x02X!"):
            j = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            j.settimeout(10)
            j.connect(sock)
            j.sendall(junk)
            reply = b""
            try:
                while not reply.endswith(b"Z\x01"):
                    chunk = j.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
            j.close()
            check(reply == b"" or b"unexpected frame" in reply, "junk frame %r answered: %r" % (junk, reply))
        check(srv.alive(), "server alive after junk frames")

        # An idle session does not hold the server.
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.connect(sock)
        r = rill("sql", data=data, input="SET 'scan.startup.mode' = 'latest-offset';\nSHOW STREAMS;\n", timeout=30)
        check("readings" in r.stdout, "statements run next to an idle session")

        # Restart: the query resumes, old alerts are not written again.
        # SIGTERM while a SELECT waits for rows it will never get.
        sel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sel.connect(sock)
        body = b"QSELECT value FROM readings LIMIT 1000;"
        sel.sendall(struct.pack(">I", len(body)) + body)
        time.sleep(0.5)
        t = time.time()
        check(srv.stop() == 0, "SIGTERM during a SELECT: exit 0 (%.1fs)" % (time.time() - t))
        check(time.time() - t < 10, "SIGTERM ends a running SELECT promptly")
        sel.close()
        idle.close()
        check(not os.path.exists(sock), "SIGTERM removed the socket")
        srv.start()
        check(os.path.exists(sock), "socket back after restart")
        check("1 persistent query resumed" in srv.output(), "the server resumed q_1")
        # A crash leaves a stale socket: the CLI falls back to the embedded
        # mode, the next server replaces it.
        srv.kill()
        check(os.path.exists(sock), "SIGKILL left the socket file")
        r = rill("sql", data=data, input="SHOW QUERIES;\n", timeout=30)
        check("q_1" in r.stdout, "stale socket: rill sql ran embedded")
        srv.start()
        check(os.path.exists(sock), "socket back after the crash")
        produce(srv.bootstrap, [("s3", 42.0, 6000)])
        c2 = consumer(srv.bootstrap)
        got = read_alerts(c2, 9, timeout=6)
        vals = [g["value"] for g in got]
        check(vals == [7.5, 9.0, 100.0, 101.0, 102.0, 103.0, 104.0, 42.0],
              "after restart: new alert, no duplicates: %s" % vals)
        c.close()
        c2.close()
    finally:
        rc = srv.stop()
        if rc is not None:
            check(rc == 0, "final SIGTERM exit 0")
        check(not os.path.exists(sock), "no socket file left")
        out = srv.output()
        check("AddressSanitizer" not in out and "runtime error:" not in out
              and "LeakSanitizer" not in out, "no sanitizer report from rill serve")
        sys.stdout.flush()
        try:
            os.unlink(srv.log_path)
        except OSError:
            pass
        tmp.cleanup()
    print("test_serve_sql: all ok")


if __name__ == "__main__":
    main()
