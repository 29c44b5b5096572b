"""test_broker_garbage.py - bad input never hurts other connections: random
bytes, truncated frames, a 2 GB length prefix, an unknown API key, a header
that does not decode, all while a kcat producer/consumer keeps working.

Run: /usr/bin/python3 tests/integration/test_broker_garbage.py
"""
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402


def closed_by_server(sock, timeout=5.0):
    sock.settimeout(timeout)
    try:
        while True:
            d = sock.recv(4096)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def api_versions_ok(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    body = struct.pack(">hhih", 18, 0, 7, 4) + b"test"
    s.sendall(struct.pack(">i", len(body)) + body)
    hdr = s.recv(4, socket.MSG_WAITALL)
    n = struct.unpack(">i", hdr)[0]
    data = b""
    while len(data) < n:
        data += s.recv(n - len(data))
    s.close()
    corr, err = struct.unpack(">ih", data[:6])
    return corr == 7 and err == 0


def api_versions_on(s):
    body = struct.pack(">hhih", 18, 0, 77, -1)
    s.sendall(struct.pack(">i", len(body)) + body)
    n = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
    data = s.recv(n, socket.MSG_WAITALL)
    corr, err = struct.unpack(">ih", data[:6])
    return corr == 77 and err == 0


def kcat_round(srv, tag):
    p = subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "good", "-p", "0"],
                       input="".join("%s-%d\n" % (tag, i) for i in range(20)),
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        return False
    c = subprocess.run(["kcat", "-b", srv.bootstrap, "-C", "-t", "good", "-p", "0", "-o", "-20", "-e",
                        "-f", "%s\n"], capture_output=True, text=True, timeout=30)
    return c.stdout.split() == ["%s-%d" % (tag, i) for i in range(20)]


class Busy(threading.Thread):
    """A confluent-kafka producer and consumer working through the garbage."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv, self.stop, self.acked, self.errors, self.consumed = srv, False, 0, [], 0

    def run(self):
        from confluent_kafka import Consumer, Producer, TopicPartition

        def cb(err, msg):
            if err is not None:
                self.errors.append(str(err))
            else:
                self.acked += 1
        p = Producer({"bootstrap.servers": self.srv.bootstrap, "linger.ms": 1})
        c = Consumer({"bootstrap.servers": self.srv.bootstrap, "group.id": "busy-unused",
                      "enable.auto.commit": False})
        c.assign([TopicPartition("busy", 0, 0)])
        i = 0
        while not self.stop:
            p.produce("busy", value=b"b%d" % i, partition=0, on_delivery=cb)
            i += 1
            p.poll(0.005)
            m = c.poll(0.005)
            if m is not None and not m.error():
                self.consumed += 1
        p.flush(10)
        deadline = time.time() + 10
        while self.consumed < self.acked and time.time() < deadline:
            m = c.poll(0.2)
            if m is not None and not m.error():
                self.consumed += 1
        c.close()


def main():
    random.seed(7)
    with Server() as srv:
        check(kcat_round(srv, "before"), "a good client works before the garbage")
        busy = Busy(srv)
        busy.start()
        time.sleep(1.0)
        # A long-lived good connection stays open across the whole test.
        keep = socket.create_connection(("127.0.0.1", srv.port), timeout=5)

        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(struct.pack(">I", 0x7fffffff))
        check(closed_by_server(s), "2 GB length prefix: that connection is closed")
        s.close()

        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(struct.pack(">I", 0xffffffff) + b"xxxx")
        check(closed_by_server(s), "negative length: closed")
        s.close()

        # An unknown API key or version is answered (error 35, ApiVersions v0
        # layout, as Kafka answers an ApiVersions it does not know), and the
        # connection stays usable.
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        for corr, key, ver, tags in ((1, 999, 0, b""), (2, 3, 99, b"\x00"), (3, 27, 0, b""),
                                     (4, 76, 0, b"\x00")):
            body = struct.pack(">hhih", key, ver, corr, -1) + tags
            s.sendall(struct.pack(">i", len(body)) + body)
            n = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
            data = s.recv(n, socket.MSG_WAITALL)
            got_corr, err, cnt = struct.unpack(">ihi", data[:10])
            check(got_corr == corr and err == 35 and cnt == 1,
                  "api key %d v%d: UNSUPPORTED_VERSION answer (corr %d err %d)" % (key, ver, got_corr, err))
        check(api_versions_on(s), "and that connection still answers ApiVersions")
        s.close()

        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(struct.pack(">i", 3) + b"\x00\x12\x00")
        check(closed_by_server(s), "header that does not decode: closed")
        s.close()

        # Produce v3 with a body cut short: malformed -> closed.
        s = socket.create_connection(("127.0.0.1", srv.port))
        body = struct.pack(">hhih", 0, 3, 2, -1) + struct.pack(">hhi", -1, 1, 1000) + struct.pack(">i", 1)
        s.sendall(struct.pack(">i", len(body)) + body)
        check(closed_by_server(s), "truncated Produce body: closed")
        s.close()

        # Truncated frame, then the client goes away.
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(struct.pack(">i", 1000) + b"\x00" * 100)
        s.close()

        # Random bytes on 30 connections.
        for i in range(30):
            s = socket.create_connection(("127.0.0.1", srv.port))
            try:
                s.sendall(bytes(random.getrandbits(8) for _ in range(random.randint(1, 600))))
                s.shutdown(socket.SHUT_WR)
                closed_by_server(s, 1.0)
            except OSError:
                pass
            s.close()

        # Valid headers of every API and version with random bodies: each
        # gets an answer or a closed connection, never a crash.
        table = {0: (3, 7), 1: (4, 11), 2: (1, 2), 3: (0, 12), 8: (0, 7), 9: (1, 5), 10: (0, 2),
                 11: (0, 5), 12: (0, 3), 13: (0, 1), 14: (0, 3), 15: (0, 4), 16: (0, 2),
                 18: (0, 3), 19: (0, 4), 20: (0, 1), 22: (0, 1)}
        n = 0
        for key, (lo, hi) in table.items():
            for ver in range(lo, hi + 1):
                for size in (0, 3, 17, 64, 300):
                    hdr = struct.pack(">hhih", key, ver, 1000 + n, 3) + b"fuz"
                    if key == 18 and ver >= 3:
                        hdr += b"\x00"
                    body = bytes(random.getrandbits(8) for _ in range(size))
                    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                    try:
                        s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
                        s.shutdown(socket.SHUT_WR)
                        closed_by_server(s, 2.0)
                    except OSError:
                        pass
                    s.close()
                    n += 1
        check(srv.alive(), "%d random bodies under valid headers: server alive" % n)

        # ApiVersions with an unsupported version gets error 35 in the v0 layout.
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        body = struct.pack(">hhih", 18, 99, 5, -1) + b"\x00"  # header v2 tags
        s.sendall(struct.pack(">i", len(body)) + body)
        n = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        data = s.recv(n, socket.MSG_WAITALL)
        corr, err = struct.unpack(">ih", data[:6])
        check(corr == 5 and err == 35, "ApiVersions v99: error 35 (got %d)" % err)
        s.close()

        busy.stop = True
        busy.join(30)
        check(busy.acked > 50 and not busy.errors,
              "a producer kept producing during the garbage (%d acked, errors %s)" % (busy.acked, busy.errors[:2]))
        check(busy.consumed == busy.acked, "and a consumer read all of it back (%d of %d)" % (busy.consumed, busy.acked))
        check(srv.alive(), "server alive after the garbage")
        check(api_versions_ok(srv.port), "ApiVersions still answered on a new connection")
        body = struct.pack(">hhih", 18, 0, 9, -1)
        keep.sendall(struct.pack(">i", len(body)) + body)
        n = struct.unpack(">i", keep.recv(4, socket.MSG_WAITALL))[0]
        data = keep.recv(n, socket.MSG_WAITALL)
        check(struct.unpack(">i", data[:4])[0] == 9, "the long-lived connection still gets answers")
        keep.close()
        check(kcat_round(srv, "after"), "a good client works after the garbage")
        out = srv.output()
        check("above the limit" in out, "the 2 GB prefix was logged")
        # Every connection closed for bad input says why in the log.
        check("unsupported api key 999" in out, "the unknown API key was logged")
        check(srv.alive(), "server alive")
        check("request header does not decode" in out, "the undecodable header was logged")
        check("malformed Produce v3 request" in out, "the truncated Produce body was logged")
    print("test_broker_garbage: ok")


if __name__ == "__main__":
    main()
