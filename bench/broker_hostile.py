"""broker_hostile.py - issue 16's hostile runs against `rill serve` with its
default settings, one line per figure:

  idle_conns     produce latency p50/p99 of a paced confluent-kafka
                 producer (acks=1, 500 msg/s) unloaded, then while an
                 attacker keeps up to IDLE (5000) connections open that send
                 nothing (reopening those the broker closes)
  slow_requests  peak RSS while SLOW (100) connections each announce a
                 maximum-size request (100 MiB) and send it slowly
  topic_flood    FLOOD (10000) topics auto-created through Metadata:
                 created, refused, orphan directories, seconds, and whether
                 a client still works

Usage: RILL=build/release/rill /usr/bin/python3 bench/broker_hostile.py
The machine is shared: figures are indicative.
"""
import os
import socket
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import kwire  # noqa: E402
import rilltest  # noqa: E402
from rilltest import Server  # noqa: E402

rilltest.RILL = os.environ.get("RILL") or os.path.join(ROOT, "build", "release", "rill")
IDLE = int(os.environ.get("IDLE", "5000"))
SLOW = int(os.environ.get("SLOW", "100"))
FLOOD = int(os.environ.get("FLOOD", "10000"))
MIB = 1 << 20


def pctl(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def paced_latency(bootstrap, seconds=8, rate=500):
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 0, "log_level": 0})
    lat = []
    errors = [0]

    def cb(t0):
        def done(err, msg):
            if err is None:
                lat.append((time.perf_counter() - t0) * 1000)
            else:
                errors[0] += 1
        return done
    p.produce("lat", value=b"warm", on_delivery=cb(time.perf_counter()))
    p.flush(10)
    lat.clear()
    start = time.perf_counter()
    n = int(seconds * rate)
    for i in range(n):
        due = start + i / rate
        while time.perf_counter() < due:
            p.poll(0)
        p.produce("lat", value=b"x" * 200, on_delivery=cb(due))  # from the due time: no omission
        p.poll(0)
    p.flush(15)
    return lat, errors[0]


class Attacker(threading.Thread):
    def __init__(self, port, n):
        super().__init__(daemon=True)
        self.port, self.n, self.stop, self.opened, self.held = port, n, False, 0, 0

    def run(self):
        socks = []
        while not self.stop:
            while len(socks) < self.n and not self.stop:
                try:
                    s = socket.socket()
                    s.setblocking(False)
                    s.connect_ex(("127.0.0.1", self.port))
                    socks.append(s)
                    self.opened += 1
                except OSError:
                    break
            time.sleep(0.2)
            alive = []
            for s in socks:
                try:
                    if s.recv(1) == b"":
                        s.close()
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    continue
                alive.append(s)
            socks = alive
            self.held = len(socks)
        for s in socks:
            s.close()


def idle_figure():
    with Server() as srv:
        time.sleep(0.3)
        lat0, e0 = paced_latency(srv.bootstrap)
        a = Attacker(srv.port, IDLE)
        a.start()
        time.sleep(3)
        lat1, e1 = paced_latency(srv.bootstrap)
        a.stop = True
        a.join(10)
        print("idle_conns attackers=%d opened=%d unloaded_p50_ms=%.2f unloaded_p99_ms=%.2f "
              "loaded_p50_ms=%.2f loaded_p99_ms=%.2f errors=%d samples=%d"
              % (IDLE, a.opened, pctl(lat0, .5), pctl(lat0, .99), pctl(lat1, .5), pctl(lat1, .99),
                 e0 + e1, len(lat1)))


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return -1


def slow_figure():
    with Server() as srv:
        time.sleep(0.3)
        base = rss_mib(srv.proc.pid)
        frame = 100 * MIB - 4096
        socks = []
        for _ in range(SLOW):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.setblocking(False)
            s.send(struct.pack(">i", frame) + struct.pack(">hhih", 18, 0, 1, -1))
            socks.append(s)
        chunk = b"\0" * (1 << 20)
        sent = [0] * SLOW
        closed = set()
        peak = base
        t_end = time.time() + 15
        while time.time() < t_end:
            for i, s in enumerate(socks):
                if sent[i] < frame - 2 * MIB and i not in closed:
                    try:
                        sent[i] += s.send(chunk)
                    except BlockingIOError:
                        pass
                    except OSError:
                        closed.add(i)  # the handshake timeout closed it
            peak = max(peak, rss_mib(srv.proc.pid))
            time.sleep(0.01)
        ok = kcat_ok(srv.bootstrap, "slow")
        for s in socks:
            s.close()
        print("slow_requests connections=%d request_bytes=%d sent_mib=%d idle_rss_mib=%.0f peak_rss_mib=%.0f "
              "closed_by_server=%d client_works=%s" % (SLOW, frame, sum(sent) // MIB, base, peak,
                                                       len(closed), ok))


def kcat_ok(bootstrap, topic):
    p = subprocess.run(["kcat", "-b", bootstrap, "-P", "-t", topic, "-p", "0"], input=b"ok\n",
                       capture_output=True, timeout=60)
    c = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-p", "0", "-o", "-1", "-e"],
                       capture_output=True, timeout=60)
    return p.returncode == 0 and c.stdout.strip() == b"ok"


def flood_figure():
    with Server() as srv:
        time.sleep(0.3)
        t0 = time.time()
        codes = {}
        for i in range(0, FLOOD, 100):
            try:
                res = kwire.metadata_topics(srv.port, ["t%d" % j for j in range(i, min(FLOOD, i + 100))])
            except OSError:
                codes["conn_error"] = codes.get("conn_error", 0) + 1
                continue
            for err, _ in res.values():
                codes[err] = codes.get(err, 0) + 1
        secs = time.time() - t0
        ok = kcat_ok(srv.bootstrap, "t0")
        dirs = [d for d in os.listdir(srv.data) if d.startswith("t") and "-" in d]
        metas = os.listdir(os.path.join(srv.data, "topics"))
        print("topic_flood attempts=%d created=%d refused_policy=%d other=%s partition_dirs=%d topic_files=%d "
              "seconds=%.1f client_works=%s" % (FLOOD, codes.get(0, 0), codes.get(44, 0),
                                                {k: v for k, v in codes.items() if k not in (0, 44)},
                                                len(dirs), len(metas), secs, ok))


if __name__ == "__main__":
    which = sys.argv[1:] or ["idle", "slow", "flood"]
    if "idle" in which:
        idle_figure()
    if "slow" in which:
        slow_figure()
    if "flood" in which:
        flood_figure()
