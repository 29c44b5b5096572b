"""test_broker_memory.py - slow large requests cannot take the server's
memory (issue 16, item 3).

Before the fix, a length prefix just under socket.request.max.bytes made
the server reserve that much per connection, filled as the bytes came: ten
slow connections took it past 1 GB. Now request bytes being received are
bounded over all connections (queued.max.request.bytes): a connection whose
frame does not fit stops being read until memory is released, and small
requests never wait.

Run: /usr/bin/python3 tests/integration/test_broker_memory.py
"""
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402

MIB = 1 << 20


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return -1


def main():
    nconn, frame = 16, 20 * MIB
    extra = ["--set", "socket.request.max.bytes=%d" % (frame + 1024),
             "--set", "queued.max.request.bytes=%d" % (40 * MIB),
             "--set", "rill.connections.handshake.timeout.ms=60000"]
    with Server(extra=extra) as srv:
        time.sleep(0.3)
        base = rss_mib(srv.proc.pid)
        socks = []
        for _ in range(nconn):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.setblocking(False)
            # ApiVersions v0 header, then a body that keeps coming.
            s.send(struct.pack(">i", frame) + struct.pack(">hhih", 18, 0, 1, -1))
            socks.append(s)
        chunk = b"\0" * (256 << 10)
        sent = [0] * nconn
        deadline = time.time() + 8
        while time.time() < deadline:
            progress = False
            for i, s in enumerate(socks):
                if sent[i] >= frame - MIB:  # stop short: never complete
                    continue
                try:
                    n = s.send(chunk)
                    sent[i] += n
                    progress = progress or n > 0
                except BlockingIOError:
                    pass
            if not progress:
                time.sleep(0.05)
        peak = rss_mib(srv.proc.pid)
        total = sum(sent)
        print("sent %d MiB over %d connections; rss %.0f MiB (idle %.0f MiB)" % (total / MIB, nconn, peak, base))
        check(total > 60 * MIB, "the slow senders pushed %d MiB" % (total / MIB))
        check(peak - base < 70, "RSS grew %.0f MiB, within the 40 MiB bound plus buffers" % (peak - base))
        t0 = time.time()
        p = subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "mem"], input=b"a\nb\n",
                           capture_output=True, timeout=30)
        c = subprocess.run(["kcat", "-b", srv.bootstrap, "-C", "-t", "mem", "-o", "beginning", "-e"],
                           capture_output=True, timeout=30)
        check(p.returncode == 0 and c.stdout.split() == [b"a", b"b"],
              "small requests go through meanwhile (%.2fs)" % (time.time() - t0))
        for s in socks:
            s.close()
        time.sleep(0.5)
        check(srv.alive(), "server alive")


if __name__ == "__main__":
    main()
