"""test_broker_idle.py - connections that send nothing cannot lock clients
out (issue 16, item 2).

Before the fix, max.connections idle connections were never closed and every
other client was refused indefinitely. Now: a connection that sends no
request within rill.connections.handshake.timeout.ms is closed; one that
goes quiet after requests is closed after connections.max.idle.ms; at the
limit, a connection that never sent a request gives way to a new one (after
a second), and loopback keeps a small reserve; max.connections.per.ip caps
one address (127.0.0.2 here, a second loopback address).

Run: /usr/bin/python3 tests/integration/test_broker_idle.py
"""
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402


def api_versions(corr):
    body = struct.pack(">hhih", 18, 0, corr, -1)
    return struct.pack(">i", len(body)) + body


def answered(s, corr, timeout):
    s.settimeout(timeout)
    try:
        hdr = s.recv(4, socket.MSG_WAITALL)
        if len(hdr) < 4:
            return False
        n = struct.unpack(">i", hdr)[0]
        data = s.recv(n, socket.MSG_WAITALL)
        return struct.unpack(">i", data[:4])[0] == corr
    except OSError:
        return False


def closed_by_server(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def connect(port, src="127.0.0.1"):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def kcat_ok(srv, tag):
    p = subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "idle", "-p", "0"],
                       input="%s\n" % tag, capture_output=True, text=True, timeout=30)
    c = subprocess.run(["kcat", "-b", srv.bootstrap, "-C", "-t", "idle", "-p", "0", "-o", "-1", "-e"],
                       capture_output=True, text=True, timeout=30)
    return p.returncode == 0 and c.stdout.strip() == tag


def main():
    extra = ["--set", "max.connections=100", "--set", "rill.connections.handshake.timeout.ms=1500",
             "--set", "connections.max.idle.ms=3000", "--set", "rill.connections.reserved.loopback=4",
             "--set", "max.connections.per.ip=50"]
    with Server(extra=extra) as srv:
        time.sleep(0.3)
        # 1. 150 connections that send nothing, from three addresses (each
        #    under the per-IP cap): the first 104 are taken (100 + the
        #    loopback reserve), the rest refused at once.
        idle = []
        for i in range(150):
            try:
                idle.append(connect(srv.port, "127.0.0.%d" % (3 + i % 3)))
            except OSError:
                pass
        time.sleep(0.3)
        alive = [s for s in idle if not closed_by_server(s, 0.01)]
        check(len(alive) <= 104, "at most max.connections + reserve are held (%d)" % len(alive))
        # 2. After a second, a new client makes room (an idle one gives way).
        time.sleep(1.0)
        t0 = time.time()
        check(kcat_ok(srv, "during"), "a client works while the idle connections hold every slot "
              "(%.2fs)" % (time.time() - t0))
        # 3. The handshake timeout closes every one of them.
        time.sleep(1.5)
        still = [s for s in alive if not closed_by_server(s, 0.2)]
        check(not still, "connections that sent no request are closed after the handshake timeout "
              "(%d left)" % len(still))
        for s in idle:
            s.close()

        # 4. A connection that made a request is kept past the handshake
        #    timeout and closed after connections.max.idle.ms of quiet.
        s = connect(srv.port)
        s.sendall(api_versions(1))
        check(answered(s, 1, 5), "a working connection is answered")
        t0 = time.time()
        check(not closed_by_server(s, 2.0), "and kept past the handshake timeout")
        check(closed_by_server(s, 5.0), "and closed once idle for connections.max.idle.ms")
        waited = time.time() - t0
        check(2.5 <= waited <= 6.0, "closed after %.1fs of quiet (idle limit 3 s)" % waited)
        s.close()

        # 5. max.connections.per.ip: 127.0.0.2 is capped, 127.0.0.1 is not.
        mine = []
        for _ in range(50):
            s = connect(srv.port, "127.0.0.2")
            mine.append(s)
        time.sleep(0.3)
        refused = [s for s in mine if closed_by_server(s, 0.01)]
        check(len(refused) == 0, "50 connections from 127.0.0.2 are accepted (limit 50)")
        s = connect(srv.port, "127.0.0.2")
        check(closed_by_server(s, 2.0), "the 51st from 127.0.0.2 is refused (max.connections.per.ip)")
        s.close()
        for s in mine:
            s.close()
        time.sleep(0.3)
        check(kcat_ok(srv, "after"), "a client works afterwards")
        out = srv.output()
        check("handshake.timeout" in out and "max.connections.per.ip" in out,
              "closing and refusing are logged with the setting's name")


if __name__ == "__main__":
    main()
