"""test_broker_fetch.py - Fetch v4 limits on the raw protocol: a
partition's max_bytes returns whole batches within it, but always at least
one batch (KIP-74) even when it is larger; the request's max_bytes bounds
the whole answer across partitions; min_bytes makes the broker wait up to
max_wait_ms when less data is there, and answer at once when enough is;
an offset past the end is OFFSET_OUT_OF_RANGE (1).

Run: /usr/bin/python3 tests/integration/test_broker_fetch.py
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402
from test_broker_order import batch, frame, produce, produce_result, read_resp, s16  # noqa: E402


def fetch_v4(corr, topic, parts, max_bytes=1 << 20, max_wait=0, min_bytes=1):
    """parts: [(partition, offset, partition_max_bytes)]."""
    body = struct.pack(">iiiib", -1, max_wait, min_bytes, max_bytes, 0)
    body += struct.pack(">i", 1) + s16(topic) + struct.pack(">i", len(parts))
    for p, off, pmax in parts:
        body += struct.pack(">iqi", p, off, pmax)
    return frame(1, 4, corr, body)


def parse_fetch_v4(body):
    """{partition: (error, high_watermark, [(base_offset, batch_len)])}."""
    off = 4  # throttle
    out = {}
    (nt,) = struct.unpack_from(">i", body, off)
    off += 4
    for _ in range(nt):
        (nl,) = struct.unpack_from(">h", body, off)
        off += 2 + nl
        (np_,) = struct.unpack_from(">i", body, off)
        off += 4
        for _ in range(np_):
            p, err, hw, _lso = struct.unpack_from(">ihqq", body, off)
            off += 22
            (na,) = struct.unpack_from(">i", body, off)
            off += 4 + max(na, 0) * 16
            (rl,) = struct.unpack_from(">i", body, off)
            off += 4
            recs = body[off:off + max(rl, 0)]
            off += max(rl, 0)
            batches, i = [], 0
            while i + 12 <= len(recs):
                base, blen = struct.unpack_from(">qi", recs, i)
                if i + 12 + blen > len(recs):
                    break  # a partial batch at the end is allowed
                batches.append((base, 12 + blen))
                i += 12 + blen
            out[p] = (err, hw, batches)
    return out


def main():
    with Server(extra=["--set", "num.partitions=2"]) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        corr, bases = 1, []
        for part in (0, 1):
            for i in range(20):
                s.sendall(produce(corr, b"fl", part, batch([b"%d-%d-" % (part, i) + b"x" * 900])))
                bases.append(produce_result(read_resp(s)[1]))
                corr += 1
        s.sendall(produce(corr, b"fl", 0, batch([b"big" * 2000])))  # offset 20, ~6 KB
        bases.append(produce_result(read_resp(s)[1]))
        corr += 1
        check(bases == [(0, i) for i in range(20)] * 2 + [(0, 20)], "20 + 1 batches into fl/0, 20 into fl/1")

        s.sendall(fetch_v4(corr, b"fl", [(0, 0, 1 << 20)]))
        err, hw, bs = parse_fetch_v4(read_resp(s)[1])[0]
        one = bs[0][1]
        check(err == 0 and hw == 21 and len(bs) == 21, "a 1 MB fetch gets all 21 batches (hw %d, %d)" % (hw, len(bs)))

        s.sendall(fetch_v4(corr, b"fl", [(0, 0, 3 * one + 10)]))
        _, _, bs = parse_fetch_v4(read_resp(s)[1])[0]
        check(len(bs) == 3 and [b for b, _ in bs] == [0, 1, 2],
              "partition max_bytes %d: exactly 3 whole batches (got %d)" % (3 * one + 10, len(bs)))

        s.sendall(fetch_v4(corr, b"fl", [(0, 5, 1)]))
        _, _, bs = parse_fetch_v4(read_resp(s)[1])[0]
        check([b for b, _ in bs] == [5], "partition max_bytes 1: still one whole batch (KIP-74)")

        s.sendall(fetch_v4(corr, b"fl", [(0, 20, 100)]))
        _, _, bs = parse_fetch_v4(read_resp(s)[1])[0]
        check(len(bs) == 1 and bs[0][1] > 6000, "a 6 KB batch comes whole past a 100 B limit")

        # Request max_bytes across two partitions: 5 batches' worth in all.
        s.sendall(fetch_v4(corr, b"fl", [(0, 0, 1 << 20), (1, 0, 1 << 20)], max_bytes=5 * one + 10))
        got = parse_fetch_v4(read_resp(s)[1])
        total = sum(len(got[p][2]) for p in got)
        size = sum(n for p in got for _, n in got[p][2])
        check(total == 5 and size <= 5 * one + 10,
              "request max_bytes bounds the answer across partitions (%d batches, %d bytes)" % (total, size))

        # min_bytes: 2 MB wanted, less there -> waits max_wait.
        t0 = time.time()
        s.sendall(fetch_v4(corr, b"fl", [(1, 0, 1 << 20)], max_wait=700, min_bytes=2 << 20))
        _, _, bs = parse_fetch_v4(read_resp(s)[1])[1]
        waited = time.time() - t0
        check(0.6 <= waited < 3 and len(bs) == 20,
              "min_bytes above what is there: waited %.2fs (max_wait 0.7) and got the 20 batches" % waited)
        t0 = time.time()
        s.sendall(fetch_v4(corr, b"fl", [(1, 0, 1 << 20)], max_wait=5000, min_bytes=one))
        parse_fetch_v4(read_resp(s)[1])
        check(time.time() - t0 < 1, "min_bytes already there: answered at once")

        s.sendall(fetch_v4(corr, b"fl", [(1, 99, 1 << 20)]))
        err, _, _ = parse_fetch_v4(read_resp(s)[1])[1]
        check(err == 1, "offset past the end: OFFSET_OUT_OF_RANGE (%d)" % err)
        check(srv.alive(), "server alive")
    print("test_broker_fetch: ok")


if __name__ == "__main__":
    main()
