"""test_broker_limits.py - `rill serve` limits and configuration: a
properties file (--config) with flags overriding it, max.connections,
message.max.bytes (MESSAGE_TOO_LARGE), socket.request.max.bytes (the
connection closes, others carry on), auto.create.topics.enable=false,
--advertised.

Run: /usr/bin/python3 tests/integration/test_broker_limits.py
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402
from test_broker_order import api_versions, batch, frame, produce, produce_result, read_resp, s16  # noqa: E402


def answered(s, corr, timeout):
    s.settimeout(timeout)
    try:
        c, _ = read_resp(s)
        return c == corr
    except (socket.timeout, EOFError, ConnectionResetError):
        return False


def metadata_v1(corr, topics):
    body = struct.pack(">i", len(topics)) + b"".join(s16(t) for t in topics)
    return frame(3, 1, corr, body)


def main():
    tmp = tempfile.TemporaryDirectory(prefix="rill-limits-")
    props = os.path.join(tmp.name, "server.properties")
    with open(props, "w") as f:
        f.write("# a Kafka-style file\nmax.connections=3\nmessage.max.bytes=5000\n"
                "rill.connections.reserved.loopback=0\n"
                "socket.request.max.bytes=20000\nauto.create.topics.enable=true\n"
                "num.partitions=4\nsome.unknown.key=ignored\n")
    with Server(extra=["--config", props, "--set", "auto.create.topics.enable=false"]) as srv:
        time.sleep(0.3)  # the start-up probe's connection is gone
        conns = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(3)]
        for i, s in enumerate(conns):
            s.sendall(api_versions(100 + i))
            check(answered(s, 100 + i, 5), "connection %d of 3 served" % (i + 1))
        extra = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        extra.sendall(api_versions(200))
        check(not answered(extra, 200, 1.0), "a 4th connection is refused (max.connections=3)")
        conns[0].close()
        time.sleep(0.2)
        extra = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        extra.sendall(api_versions(200))
        check(answered(extra, 200, 5), "and a new one is served once one closes")
        s = conns[1]

        # The flag overrides the file: no auto-creation.
        s.sendall(metadata_v1(1, [b"nope"]))
        _, body = read_resp(s)
        check(struct.pack(">h", 3) + s16(b"nope") in body, "auto.create.topics.enable=false: UNKNOWN_TOPIC (3)")

        # CreateTopics v0 with -1... v0 has no defaults: ask for 2 partitions.
        ct = struct.pack(">i", 1) + s16(b"lim") + struct.pack(">ih", 2, 1) + struct.pack(">ii", 0, 0)
        s.sendall(frame(19, 0, 2, ct + struct.pack(">i", 5000)))
        _, body = read_resp(s)
        check(body.endswith(struct.pack(">h", 0)), "CreateTopics v0 created lim")

        # message.max.bytes=5000: a 6 KB batch -> MESSAGE_TOO_LARGE (10).
        s.sendall(produce(3, b"lim", 0, batch([b"x" * 6000])))
        check(produce_result(read_resp(s)[1])[0] == 10, "batch above message.max.bytes -> MESSAGE_TOO_LARGE")
        s.sendall(produce(4, b"lim", 1, batch([b"y" * 100])))
        check(produce_result(read_resp(s)[1]) == (0, 0), "a small batch still goes in")

        # socket.request.max.bytes=20000 (raised to message.max.bytes+1024
        # at least): a 30 KB frame closes that connection only.
        extra.close()
        conns[2].close()
        time.sleep(0.2)
        big = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        big.sendall(produce(5, b"lim", 0, batch([b"z" * 30000])))
        check(not answered(big, 5, 3) , "an oversized frame closes its connection")
        s.sendall(api_versions(6))
        check(answered(s, 6, 5), "other connections carry on")
        out = srv.output()
        check("above the limit" in out, "the oversized frame was logged")
    # --advertised: Metadata and FindCoordinator name that address; clients
    # that follow it (kcat to localhost:PORT) still work.
    srv = Server(extra=["--advertised", "localhost:0"])
    srv.extra = ["--advertised", "localhost:%d" % srv.port]
    with srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(metadata_v1(1, []))
        _, body = read_resp(s)
        check(s16(b"localhost") + struct.pack(">i", srv.port) in body,
              "--advertised localhost:%d is the broker address in Metadata" % srv.port)
        s.close()
        p = subprocess.run(["kcat", "-b", srv.bootstrap, "-L"], capture_output=True, text=True, timeout=30)
        check("localhost:%d" % srv.port in p.stdout, "kcat -L shows the advertised address")
    tmp.cleanup()
    print("test_broker_limits: ok")


if __name__ == "__main__":
    main()
