"""test_broker_log_injection.py - a client id holding a newline cannot forge
a log line (issue 16, item 6), end to end: a request with such a client id
and an API the broker does not serve is logged with the client id, and the
log shows the newline escaped, not a second line.

Run: /usr/bin/python3 tests/integration/test_broker_log_injection.py
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kwire  # noqa: E402
from rilltest import Server, check  # noqa: E402

FORGED = "2026-01-01T00:00:00.000Z ERROR broker: FORGED by a client"


def main():
    with Server() as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        body = struct.pack(">hhi", 999, 0, 1) + kwire.string("evil\n" + FORGED + "\r\x1b[31m")
        s.sendall(struct.pack(">i", len(body)) + body)
        d = kwire.recv_frame(s)
        s.close()
        check(struct.unpack(">i", d[:4])[0] == 1, "the request is answered (UNSUPPORTED_VERSION)")
        time.sleep(0.3)
        out = srv.output()
        lines = out.splitlines()
        check(not any(line.startswith(FORGED[:24]) for line in lines),
              "no line of the log starts with the forged text")
        check(any("evil\\n" + FORGED in line for line in lines),
              "the client id is logged with its newline escaped")
        check("\x1b" not in out and "\r" not in out, "control bytes (ESC, CR) are escaped too")
        check(srv.alive(), "server alive")


if __name__ == "__main__":
    main()
