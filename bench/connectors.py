"""bench/connectors.py - how fast the sinks drain a backlog: N JSON rows
(~60 B) are produced to a topic of `rill serve` first, then a sink is
declared over it ('connector.role' = 'sink') and timed until its committed
offsets reach the end. One line per figure:

  connector_<kind> rows=N seconds=S rows_per_s=R

Kinds: file (NDJSON, fdatasync per batch), webhook (batches of 500 rows
to a local Python HTTP server, one connection), postgres (batched upserts
into a PostgreSQL started here, if initdb is installed), mqtt (QoS 1 to a
local mosquitto; mqtt2: QoS 2). Usage: RILL=build/release/rill
/usr/bin/python3 bench/connectors.py [N [KIND,...]]. Never a test:
figures only.
"""
import http.server
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
from rilltest import Server, free_port, rill, wait_port  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
ONLY = sys.argv[2].split(",") if len(sys.argv) > 2 else None


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def committed(data, name):
    try:
        with open(os.path.join(data, "_connectors", name + ".offsets")) as f:
            lines = f.read().splitlines()
    except OSError:
        return 0
    return sum(int(line.split()[1]) for line in lines[1:]
               if line and not line.startswith("state"))


def timed(srv, name, with_sql):
    t0 = time.time()
    rill("sql", data=srv.data, input=with_sql)
    while committed(srv.data, name) < N:
        if time.time() - t0 > 600:
            return None
        time.sleep(0.05)
    return time.time() - t0


def start_pg(root):
    bindir = "/usr/lib/postgresql/15/bin"
    if not os.path.exists(bindir + "/initdb"):
        return None, None
    pre = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    d = os.path.join(root, "pg")
    os.makedirs(d)
    if os.getuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        os.chown(d, pw.pw_uid, pw.pw_gid)
    port = free_port()
    subprocess.run(pre + [bindir + "/initdb", "-D", d + "/data", "-A", "trust",
                          "-U", "postgres", "--no-sync"], capture_output=True)
    subprocess.run(pre + [bindir + "/pg_ctl", "-D", d + "/data", "-w", "-l",
                          d + "/log", "-o", "-p %d -h 127.0.0.1 -k %s" % (
                              port, d), "start"], capture_output=True)
    stop = pre + [bindir + "/pg_ctl", "-D", d + "/data", "-w", "-m", "fast",
                  "stop"]
    return port, stop


def main():
    root = tempfile.mkdtemp(prefix="rill-bench-conn-")
    os.chmod(root, 0o777)
    web = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Sink)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    mq_port = free_port()
    conf = os.path.join(root, "mq.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                "max_queued_messages 0\n" % mq_port)
    mq = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    wait_port(mq_port, 10, mq)
    pg_port, pg_stop = start_pg(root)
    try:
        with Server() as srv:
            rill("sql", data=srv.data, input=(
                "CREATE STREAM src (machine_id STRING, seq BIGINT, temp DOUBLE)"
                " WITH (topic = 'src', key = 'machine_id');"))
            p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 20,
                          "log_level": 2})
            for i in range(N):
                p.produce("src", key="m%d" % (i % 500), value=json.dumps(
                    {"machine_id": "m%d" % (i % 500), "seq": i,
                     "temp": i % 100 + 0.5}))
                if i % 10000 == 0:
                    p.poll(0)
            p.flush(60)
            base = ("CREATE STREAM %s (machine_id STRING, seq BIGINT, temp "
                    "DOUBLE) WITH (topic = 'src', key = 'machine_id', "
                    "'connector.role' = 'sink', %s);")
            kinds = [
                ("file", "'connector' = 'file', 'path' = '%s/files'" % root),
                ("webhook", "'connector' = 'webhook', 'url' = "
                 "'http://127.0.0.1:%d/', 'sink.batch-size' = '500'"
                 % web.server_address[1]),
                ("mqtt", "'connector' = 'mqtt', 'mqtt.broker' = "
                 "'127.0.0.1:%d', 'mqtt.topic' = 'b/{machine_id}', "
                 "'mqtt.qos' = '1'" % mq_port),
                ("mqtt2", "'connector' = 'mqtt', 'mqtt.broker' = "
                 "'127.0.0.1:%d', 'mqtt.topic' = 'b/{machine_id}', "
                 "'mqtt.qos' = '2'" % mq_port),
            ]
            if pg_port:
                kinds.append(("postgres", "'connector' = 'postgres', 'url' = "
                              "'host=127.0.0.1 port=%d dbname=postgres "
                              "user=postgres', 'table-name' = 'b', "
                              "'sink.primary-key' = 'seq'" % pg_port))
            for kind, opts in kinds:
                if ONLY and kind not in ONLY:
                    continue
                s = timed(srv, "s_" + kind, base % ("s_" + kind, opts))
                if s is None:
                    print("connector_%s rows=%d timed out" % (kind, N))
                else:
                    print("connector_%s rows=%d seconds=%.2f rows_per_s=%d" %
                          (kind, N, s, N / s))
                sys.stdout.flush()
                rill("sql", data=srv.data, input="DROP STREAM s_%s;" % kind,
                     check=False)
    finally:
        mq.terminate()
        mq.wait(10)
        if pg_stop:
            subprocess.run(pg_stop, capture_output=True)
        web.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
