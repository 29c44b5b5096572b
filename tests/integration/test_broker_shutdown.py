"""test_broker_shutdown.py - SIGTERM shuts `rill serve` down cleanly: a
parked long-poll Fetch and the request pipelined behind it are answered
(in order) instead of cut off, so is an acks=-1 produce sent just before
the signal, the broker exits 0 well before the fetch's max_wait, a connection opened after the signal is refused, and every
acknowledged record is there after a restart.

Run: /usr/bin/python3 tests/integration/test_broker_shutdown.py
"""
import os
import signal
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402
from test_broker_order import api_versions, batch, fetch, produce, produce_result, read_resp  # noqa: E402


def list_latest(s, corr, topic, part):
    """ListOffsets v1 latest offset of one partition."""
    body = struct.pack(">i", -1) + struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
    body += struct.pack(">i", 1) + struct.pack(">iq", part, -1)
    h = struct.pack(">hhi", 2, 1, corr) + struct.pack(">h", 4) + b"shut"
    s.sendall(struct.pack(">i", len(h) + len(body)) + h + body)
    c, data = read_resp(s)
    # topics[1]{name, partitions[1]{partition, error, timestamp, offset}}
    off = 4 + 2 + len(topic) + 4
    _, err, _, latest = struct.unpack(">ihqq", data[off:off + 22])
    return c, err, latest


def main():
    tmp = tempfile.TemporaryDirectory(prefix="rill-shutdown-")
    data = tmp.name
    # A long flush interval: what is on disk at exit is the close's doing.
    srv = Server(data=data, extra=["--set", "log.flush.interval.ms=60000"]).start()
    try:
        p = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        acked = 0
        for i in range(50):
            p.sendall(produce(100 + i, b"sd", 0, batch([b"r%d-%d" % (i, j) for j in range(10)])))
            c, body = read_resp(p)
            err, base = produce_result(body)
            if c == 100 + i and err == 0 and base == acked:
                acked += 10
        check(acked == 500, "500 records acknowledged at dense offsets (acks=1)")

        # A fetch past the end parks for 20 s; ApiVersions waits behind it.
        f = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        f.sendall(fetch(7, b"sd", 0, acked, max_wait=20000) + api_versions(8))
        time.sleep(0.3)
        # An acks=-1 produce sent just before the signal: answered (after
        # its fsync) rather than dropped, and kept.
        p.sendall(produce(300, b"sd", 0, batch([b"last"]), acks=-1))
        # Read by the broker (parked until its fsync) before the signal: a
        # request still unread in the socket at SIGTERM is not in flight.
        time.sleep(0.2)
        t0 = time.time()
        srv.proc.send_signal(signal.SIGTERM)
        c, body = read_resp(p)
        check(c == 300 and produce_result(body) == (0, 500),
              "the acks=-1 produce in flight at SIGTERM is acknowledged at 500 (%s)" % (produce_result(body),))
        c1, _ = read_resp(f)
        c2, _ = read_resp(f)
        took = time.time() - t0
        check((c1, c2) == (7, 8), "the parked fetch and the request behind it are answered, in order (%d, %d)"
              % (c1, c2))
        check(took < 5, "answered at once on SIGTERM, not at max_wait (%.2fs)" % took)
        f.settimeout(5)
        check(f.recv(1) == b"", "then the broker closes the connection")
        try:
            late = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
            late.sendall(api_versions(1))
            late.settimeout(2)
            refused = late.recv(1) == b""
        except OSError:
            refused = True
        check(refused, "no new connection is served after SIGTERM")
        rc = srv.proc.wait(10)
        check(rc == 0, "exit status 0 (got %s)" % rc)
        check(time.time() - t0 < 5, "shut down in %.2fs" % (time.time() - t0))
        out = srv.output()
        check("shutting down" in out and "broker: stopped" in out, "shutdown logged")
    finally:
        srv.stop()

    srv = Server(data=data).start()
    try:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        c, err, latest = list_latest(s, 1, b"sd", 0)
        check(err == 0 and latest == 501, "after restart all 501 acknowledged records are there (%d)" % latest)
        s.close()
        check(srv.stop() == 0, "the restarted broker exits 0")
    finally:
        srv.stop()
    tmp.cleanup()
    print("test_broker_shutdown: ok")


if __name__ == "__main__":
    main()
