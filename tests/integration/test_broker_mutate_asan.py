"""test_broker_mutate_asan.py - mutated requests against the ASan build of
`rill serve`: zero leaks, zero sanitizer reports, clean exit (issue 16,
item 5: a request whose body fails to parse leaked its response slot).

Real requests are captured through a small proxy from kcat and
confluent-kafka (metadata, produce, fetch, groups, offsets), then replayed
with mutations: byte flips, truncations, extensions, extreme int16/int32
values. Each mutated request goes on its own connection; a good client must
still work afterwards, and at SIGTERM LeakSanitizer must report nothing.

Needs the sanitizer build (`make SAN=address,undefined all`, which
`make test` does): $RILL_SAN, else build/san/rill next to $RILL.
Run: /usr/bin/python3 tests/integration/test_broker_mutate_asan.py [N]
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
import rilltest  # noqa: E402
from rilltest import Server, check, free_port  # noqa: E402


def san_binary():
    if os.environ.get("RILL_SAN"):
        return os.environ["RILL_SAN"]
    cands = [os.path.join(os.path.dirname(rilltest.RILL), "san", "rill"),
             os.path.join(rilltest.ROOT, "build", "san", "rill")]
    for c in cands:
        if os.path.exists(c):
            return c
    return cands[-1]


class Proxy(threading.Thread):
    """Forwards one listening port to the broker, keeping every client
    request frame it sees."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.target = None
        self.port = port
        self.frames = []
        self.lock = threading.Lock()
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", self.port))
        self.ls.listen(64)
        self.ls.settimeout(0.2)
        self.stop = False

    def pump(self, src, dst, record):
        buf = b""
        try:
            while True:
                d = src.recv(65536)
                if not d:
                    break
                dst.sendall(d)
                if record:
                    buf += d
                    while len(buf) >= 4:
                        n = struct.unpack(">i", buf[:4])[0]
                        if len(buf) < 4 + n:
                            break
                        with self.lock:
                            self.frames.append(buf[4:4 + n])
                        buf = buf[4 + n:]
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def run(self):
        while not self.stop:
            try:
                c, _ = self.ls.accept()
            except socket.timeout:
                continue
            u = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self.pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self.pump, args=(u, c, False), daemon=True).start()


def capture(srv, px):
    """Real client requests, captured through the proxy (the server
    advertises the proxy, so clients stay on it after bootstrap)."""
    px.target = srv.port
    px.start()
    b = "127.0.0.1:%d" % px.port
    subprocess.run(["kcat", "-b", b, "-L"], capture_output=True, timeout=30)
    subprocess.run(["kcat", "-b", b, "-P", "-t", "cap", "-z", "gzip"], input=b"a\nb\nc\n",
                   capture_output=True, timeout=30)
    subprocess.run(["kcat", "-b", b, "-P", "-t", "cap", "-K:", "-H", "h=v"], input=b"k:v\nk2:v2\n",
                   capture_output=True, timeout=30)
    subprocess.run(["kcat", "-b", b, "-C", "-t", "cap", "-o", "beginning", "-e"],
                   capture_output=True, timeout=30)
    subprocess.run(["kcat", "-b", b, "-G", "capgrp", "-e", "-o", "beginning", "cap"],
                   capture_output=True, timeout=30)
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": b, "enable.idempotence": True, "compression.type": "zstd"})
    for i in range(20):
        p.produce("cap", value=b"v%d" % i, key=b"k%d" % i)
    p.flush(15)
    time.sleep(0.5)
    with px.lock:
        return list(px.frames)


def mutate(rng, frame):
    f = bytearray(frame)
    kind = rng.randrange(6)
    lo = min(8, len(f))  # keep api key and version most of the time
    if kind == 0:  # flip bytes
        for _ in range(rng.randint(1, 8)):
            if len(f) > lo:
                f[rng.randrange(lo, len(f))] = rng.getrandbits(8)
    elif kind == 1:  # truncate
        f = f[:rng.randrange(lo, len(f) + 1)] if len(f) > lo else f
    elif kind == 2:  # extend
        f += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
    elif kind == 3:  # an extreme int32
        if len(f) >= lo + 4:
            at = rng.randrange(lo, len(f) - 3)
            f[at:at + 4] = struct.pack(">i", rng.choice([-1, -2, 0x7fffffff, -0x80000000, 1 << 20]))
    elif kind == 4:  # an extreme int16 / varint byte
        if len(f) >= lo + 2:
            at = rng.randrange(lo, len(f) - 1)
            f[at:at + 2] = struct.pack(">h", rng.choice([-1, 0x7fff, -0x8000, 0]))
    else:  # anything, header included
        for _ in range(rng.randint(1, 4)):
            if f:
                f[rng.randrange(len(f))] = rng.getrandbits(8)
    return bytes(f)


def send_one(port, frame):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(2.0)
        while s.recv(65536):
            pass
    except OSError:
        pass
    finally:
        s.close()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    binary = san_binary()
    check(os.path.exists(binary), "sanitizer build present at %s (make SAN=address,undefined all)" % binary)
    rilltest.RILL = binary
    env = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=23",
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
           "LSAN_OPTIONS": "exitcode=23"}
    rng = random.Random(16)
    px = Proxy(free_port())
    srv = Server(env=env, extra=["--advertised", "127.0.0.1:%d" % px.port])
    srv.start(timeout=30)
    try:
        frames = capture(srv, px)
        apis = sorted(set(struct.unpack(">h", f[:2])[0] for f in frames if len(f) >= 2))
        check(len(frames) >= 20 and 0 in apis and 1 in apis and 3 in apis,
              "captured %d real requests of APIs %s" % (len(frames), apis))
        t0 = time.time()
        threads = []
        per = n // 4

        def worker(seed):
            r = random.Random(seed)
            for _ in range(per):
                send_one(srv.port, mutate(r, r.choice(frames)))
        for k in range(4):
            th = threading.Thread(target=worker, args=(rng.random(),))
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
        check(srv.alive(), "%d mutated requests in %.1fs: the ASan server is alive" % (per * 4, time.time() - t0))
        b = "127.0.0.1:%d" % px.port  # what the server advertises
        p = subprocess.run(["kcat", "-b", b, "-P", "-t", "after"], input=b"x\ny\n",
                           capture_output=True, timeout=30)
        c = subprocess.run(["kcat", "-b", b, "-C", "-t", "after", "-o", "beginning", "-e"],
                           capture_output=True, timeout=30)
        check(p.returncode == 0 and c.stdout.split() == [b"x", b"y"], "a good client works afterwards")
    finally:
        px.stop = True
        rc = srv.stop(timeout=60)
        out = srv.output()
        srv.tmp.cleanup()
        bad = [w for w in ("LeakSanitizer", "AddressSanitizer", "runtime error:") if w in out]
        if bad:
            i = min(out.find(w) for w in bad)
            print(out[max(0, i - 500):i + 3000], file=sys.stderr)
    check(not bad, "no sanitizer report (leaks, memory errors, UB)")
    check(rc == 0, "SIGTERM: exit status 0 (got %s)" % rc)

if __name__ == "__main__":
    main()
