"""test_broker_backpressure.py - per-connection memory bound: a client that
pipelines thousands of requests (about 100 MB of answers) without reading
any does not grow the broker's memory much past the output bound
(rill.connection.max.output.bytes, 4 MB here): the broker stops reading
and parsing that connection's requests, other connections are served
meanwhile, and once the client reads, every answer arrives, complete and
in order. (The memory checks are skipped for sanitizer builds.)

Run: /usr/bin/python3 tests/integration/test_broker_backpressure.py
"""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402
from test_broker_order import api_versions, frame, read_resp, s16  # noqa: E402

NTOPICS = 50
NREQ = 10000


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metadata_all(corr):
    return frame(3, 1, corr, struct.pack(">i", -1))  # v1, null topics: all


def main():
    sanitized = "/san/" in os.environ.get("RILL", "")
    with Server(extra=["--set", "num.partitions=8",
                       "--set", "rill.connection.max.output.bytes=4194304"]) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        names = [b"bp%02d" % i for i in range(NTOPICS)]
        s.sendall(frame(3, 1, 1, struct.pack(">i", NTOPICS) + b"".join(s16(n) for n in names)))
        read_resp(s)
        s.sendall(metadata_all(2))
        _, body = read_resp(s)
        one = len(body) + 8
        check(one * NREQ > 80 << 20, "%d answers of %d bytes: %d MB if nothing held them back"
              % (NREQ, one, one * NREQ >> 20))
        base = rss_kb(srv.proc.pid)

        blob = b"".join(metadata_all(1000 + i) for i in range(NREQ))
        sent = threading.Event()

        def sender():
            s.sendall(blob)  # blocks once the broker stops reading
            sent.set()
        t = threading.Thread(target=sender, daemon=True)
        t.start()
        time.sleep(3.0)
        grown = (rss_kb(srv.proc.pid) - base) >> 10
        check(sanitized or grown < 16,
              "broker memory grew %d MB with the client not reading (bound 4 MB + buffers)" % grown)

        o = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        t0 = time.time()
        o.sendall(api_versions(7))
        c, _ = read_resp(o)
        check(c == 7 and time.time() - t0 < 2, "another connection is served meanwhile")
        o.close()

        ok, want = True, 1000
        for i in range(NREQ):
            c, body = read_resp(s)
            if c != want or len(body) + 8 != one:
                ok = False
                break
            want += 1
        check(ok, "all %d answers arrive complete and in order (stopped at %d)" % (NREQ, want - 1000))
        t.join(10)
        check(sent.is_set(), "the client's whole pipeline was taken in")
        peak = (rss_kb(srv.proc.pid) - base) >> 10
        check(sanitized or peak < 16, "memory after the drain: +%d MB" % peak)
        check(srv.alive(), "server alive")
    print("test_broker_backpressure: ok")


if __name__ == "__main__":
    main()
