#!/usr/bin/python3
"""bench/eoq_recovery.py - G4, recovery of an exactly-once query
(docs/checkpoints.md): `rill serve` runs a window count over KEYS distinct
keys (one TUMBLE window of 10 minutes, so every key's window is live) while
a confluent-kafka producer sends RATE readings/s; once the query holds
every key, the server is killed with SIGKILL and started again. Printed,
one line per figure:
  eoq_recovery listening_ms= process start -> the server's Kafka listener
                             open (its log line)
               accept_ms=    process start -> a produce acknowledged again
                             (the client's reconnect backoff included)
               caught_up_ms= process start -> the query's input lag back
                             under one second of input, with its state
  eoq_recovery exactly_once= every key's count in the output (read
                             read_committed) equals what was produced
plus the state size and the last checkpoint before the crash.
  RILL=build/release/rill /usr/bin/python3 bench/eoq_recovery.py
  KEYS=n (1000000), RATE=n (100000)
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition

RILL = os.environ.get("RILL", "build/release/rill")
KEYS = int(os.environ.get("KEYS", "1000000"))
RATE = int(os.environ.get("RATE", "100000"))
BASE = 1767225600000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(data, port, log):
    return subprocess.Popen([RILL, "serve", "--data", data, "--listen",
                             "127.0.0.1:%d" % port], stdout=log, stderr=subprocess.STDOUT)


def describe(data):
    r = subprocess.run([RILL, "queries", "describe", "q_1", "--data", data],
                       capture_output=True, text=True, timeout=60)
    return r.stdout


def lag(text):
    m = re.search(r"lag: (\d+) records", text)
    return int(m.group(1)) if m else None


class Load(threading.Thread):
    """Readings i = 0, 1, ...: key i % KEYS, paced at RATE/s after the
    first KEYS (sent as fast as they go)."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.bootstrap = bootstrap
        self.n = 0
        self.halt = threading.Event()
        self.p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                           "batch.num.messages": 10000, "acks": "all",
                           "queue.buffering.max.messages": 2000000,
                           "partitioner": "murmur2_random",
                           "enable.idempotence": True,
                           "message.timeout.ms": 300000, "log_level": 0})

    def send(self, i):
        k = "k%07d" % (i % KEYS)
        self.p.produce("readings", key=k, value='{"k":"%s","v":1.0,"ts":%d}'
                       % (k, BASE + (i * 1000) // max(RATE, 1) % 300000))

    def run(self):
        t0 = None
        while not self.halt.is_set():
            if self.n < KEYS:
                due = min(KEYS, self.n + 50000)
            else:
                if t0 is None:
                    t0 = time.time()
                due = KEYS + int((time.time() - t0) * RATE)
            while self.n < due:
                try:
                    self.send(self.n)
                except BufferError:
                    self.p.poll(0.01)
                    continue
                self.n += 1
            self.p.poll(0)
            if self.n >= KEYS:
                time.sleep(0.005)


def main():
    tmp = tempfile.TemporaryDirectory(prefix="rill-g4-")
    data = os.path.join(tmp.name, "data")
    port = free_port()
    log = open(os.path.join(tmp.name, "serve.log"), "ab")
    srv = start(data, port, log)
    time.sleep(0.5)
    script = os.path.join(tmp.name, "q.sql")
    with open(script, "w") as f:
        f.write("""
CREATE STREAM readings (k STRING, v DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH (topic = 'readings', format = 'json', key = 'k', partitions = 2);
CREATE STREAM counts AS SELECT k, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' MINUTE))
  GROUP BY k, window_start, window_end;
""")
    subprocess.run([RILL, "run", script, "--data", data], check=True,
                   capture_output=True, timeout=60)
    bootstrap = "127.0.0.1:%d" % port
    load = None
    try:
        load = Load(bootstrap)
        load.start()
        # Every key in the state, the query caught up.
        deadline = time.time() + 300
        while time.time() < deadline:
            d = describe(data)
            m = re.search(r"window_agg: \d+ rows in, \d+ out, state (\d+) entries, (\d+) bytes", d)
            if m and int(m.group(1)) >= KEYS and (lag(d) or 0) < RATE:
                break
            time.sleep(1)
        ck = [l for l in d.splitlines() if l.startswith("checkpoint task")]
        print("eoq_recovery keys=%d rate=%d state_entries=%s state_bytes=%s" % (
            KEYS, RATE, m.group(1) if m else "?", m.group(2) if m else "?"))
        for line in ck:
            print("eoq_recovery before_crash %s" % line)
        warm = Producer({"bootstrap.servers": bootstrap, "log_level": 0})
        warm.produce("probe", value=b"x", partition=0)
        warm.flush(10)
        time.sleep(2)
        srv.send_signal(signal.SIGKILL)
        srv.wait()
        t_start = time.time()
        srv = start(data, port, log)
        # A produce acknowledged again.
        probe = Producer({"bootstrap.servers": bootstrap, "acks": 1, "linger.ms": 0,
                          "reconnect.backoff.ms": 5, "reconnect.backoff.max.ms": 10,
                          "log_level": 0})
        acked = []
        while not acked:
            probe.produce("probe", value=b"x", partition=0, on_delivery=lambda e, m: acked.append(
                time.time()) if e is None else None)
            probe.flush(0.05)
            if time.time() - t_start > 60:
                break
        accept_ms = (acked[0] - t_start) * 1000 if acked else -1
        caught = -1
        while time.time() - t_start < 120:
            lg = lag(describe(data))
            if lg is not None and lg < RATE:
                caught = (time.time() - t_start) * 1000
                break
            time.sleep(0.02)
        # When the restarted server logged its listener (its own clock).
        log.flush()
        listen_ms = -1
        with open(os.path.join(tmp.name, "serve.log"), errors="replace") as f:
            for line in f.read().splitlines():
                m2 = re.match(r"(\S+)Z INFO  broker: listening", line)
                if m2:
                    import datetime
                    t = datetime.datetime.strptime(m2.group(1), "%Y-%m-%dT%H:%M:%S.%f")
                    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
                    listen_ms = (t - t_start) * 1000
        print("eoq_recovery listening_ms=%.0f accept_ms=%.0f caught_up_ms=%.0f "
              "(from the process start; describe polled; lag < 1 s of input)"
              % (listen_ms, accept_ms, caught))
        if os.environ.get("VERBOSE"):
            log.flush()
            with open(os.path.join(tmp.name, "serve.log"), errors="replace") as f:
                lines = f.read().splitlines()
            for line in lines[-40:]:
                print("  serve:", line)
        load.halt.set()
        load.join()
        load.p.flush(120)
        # Fire the window: a reading 20 min later on every partition.
        fin = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                        "log_level": 0})
        for i in range(64):
            k = "zz%d" % i
            fin.produce("readings", key=k, value='{"k":"%s","v":0,"ts":%d}' % (k, BASE + 1200000))
        fin.flush(30)
        want = {}
        for i in range(load.n):
            k = "k%07d" % (i % KEYS)
            want[k] = want.get(k, 0) + 1
        got, dup = {}, 0
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "g4",
                      "isolation.level": "read_committed",
                      "enable.partition.eof": True, "log_level": 0})
        deadline = time.time() + 120
        while time.time() < deadline and len(got) < len(want):
            c.assign([TopicPartition("counts", 0, 0)])
            got, dup = {}, 0
            eof = False
            idle = time.time()
            while not eof and time.time() - idle < 10:
                for m in c.consume(10000, 0.5):
                    if m.error():
                        eof = m.error().code() == -191
                        continue
                    idle = time.time()
                    r = json.loads(m.value())
                    if r["k"].startswith("zz"):
                        continue
                    dup += r["k"] in got
                    got[r["k"]] = r["n"]
            if len(got) < len(want):
                time.sleep(2)
        c.close()
        wrong = sum(1 for k, n in want.items() if got.get(k) != n)
        print("eoq_recovery exactly_once=%s produced=%d keys_out=%d wrong_or_missing=%d duplicated=%d"
              % ("yes" if not wrong and not dup else "no", load.n, len(got), wrong, dup))
    finally:
        if load is not None:
            load.halt.set()
        if srv.poll() is None:
            srv.send_signal(signal.SIGTERM)
            try:
                srv.wait(60)
            except subprocess.TimeoutExpired:
                srv.kill()
        log.close()


if __name__ == "__main__":
    sys.exit(main())
