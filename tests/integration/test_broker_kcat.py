"""test_broker_kcat.py - `rill serve` with kcat (librdkafka 2.0.2): metadata,
produce, consume from beginning / end / an offset, exit at end.

Run: /usr/bin/python3 tests/integration/test_broker_kcat.py
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402


def kcat(srv, *args, input=None, timeout=30):
    cmd = ["kcat", "-b", srv.bootstrap, "-X", "socket.timeout.ms=5000"] + list(args)
    p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
    return p


def main():
    with Server() as srv:
        # Metadata: the broker lists itself at the advertised address.
        p = kcat(srv, "-L")
        check(p.returncode == 0, "kcat -L succeeds (%s)" % p.stderr.strip()[-200:])
        check("127.0.0.1:%d" % srv.port in p.stdout, "metadata advertises 127.0.0.1:%d" % srv.port)

        # Produce 100 lines to an auto-created topic.
        lines = "".join("msg-%03d\n" % i for i in range(100))
        p = kcat(srv, "-P", "-t", "t1", "-p", "0", input=lines)
        check(p.returncode == 0, "kcat -P of 100 messages (%s)" % p.stderr.strip()[-300:])

        p = kcat(srv, "-L", "-t", "t1")
        check("topic \"t1\"" in p.stdout, "auto-created topic t1 is listed")

        # Consume from the beginning and exit at the end.
        p = kcat(srv, "-C", "-t", "t1", "-p", "0", "-o", "beginning", "-e", "-f", "%o %s\n")
        got = p.stdout.splitlines()
        check(p.returncode == 0, "kcat -C -o beginning -e exits 0 (%s)" % p.stderr.strip()[-300:])
        check(len(got) == 100, "100 messages back from the beginning (got %d)" % len(got))
        check(got[0] == "0 msg-000" and got[99] == "99 msg-099", "offsets and values match")

        # From an absolute offset.
        p = kcat(srv, "-C", "-t", "t1", "-p", "0", "-o", "90", "-e", "-f", "%o\n")
        offs = [int(x) for x in p.stdout.split()]
        check(offs == list(range(90, 100)), "-o 90 gives offsets 90..99 (got %s)" % offs[:12])

        # From a relative end offset (-o -5 = five before the end).
        p = kcat(srv, "-C", "-t", "t1", "-p", "0", "-o", "-5", "-e", "-f", "%s\n")
        check(p.stdout.split() == ["msg-%03d" % i for i in range(95, 100)], "-o -5 gives the last five")
        p = kcat(srv, "-C", "-t", "t1", "-p", "0", "-o", "100", "-e", "-f", "%s\n")
        check(p.returncode == 0 and p.stdout.split() == [], "-o 100 (the end) gives nothing and exits")

        # From the end: nothing old; a message produced while waiting arrives.
        c = subprocess.Popen(["kcat", "-b", srv.bootstrap, "-C", "-t", "t1", "-p", "0", "-o", "end",
                              "-c", "1", "-f", "%s\n"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Produce "late" until the consumer (started at the end) sees one:
        # it must never see any of the 100 older messages.
        deadline = time.time() + 20
        while c.poll() is None and time.time() < deadline:
            kcat(srv, "-P", "-t", "t1", "-p", "0", input="late\n")
            time.sleep(0.5)
        try:
            out, err = c.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            c.kill()
            out, err = c.communicate()
        check(out.strip() == "late", "-o end receives only the new message (got %r)" % out.strip())

        # Keys, a multi-partition topic, compression kinds are stored as sent.
        for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
            topic = "comp-" + codec
            p = kcat(srv, "-P", "-t", topic, "-K", ":", "-z", codec,
                     input="".join("k%d:v%d\n" % (i, i) for i in range(50)))
            check(p.returncode == 0, "produce with %s compression" % codec)
            p = kcat(srv, "-C", "-t", topic, "-o", "beginning", "-e", "-f", "%k=%s\n")
            got = sorted(p.stdout.split())
            want = sorted("k%d=v%d" % (i, i) for i in range(50))
            check(got == want, "%s: 50 keyed records back (got %d)" % (codec, len(got)))
    print("test_broker_kcat: ok")


if __name__ == "__main__":
    main()
