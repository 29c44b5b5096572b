"""test_broker_poison.py - batches with a valid CRC but broken records are
refused and nothing is stored (issue 16, item 1).

Each poison batch below was answered 0 and stored before the fix; then
librdkafka consumers re-fetched its offset forever and kafka-python read
nothing. Now: CORRUPT_MESSAGE (2) for a CRC mismatch, INVALID_RECORD (87)
for the rest, the log end does not move, and a consumer reads exactly the
good records around them.

Run: /usr/bin/python3 tests/integration/test_broker_poison.py
"""
import os
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kwire  # noqa: E402
from kwire import batch, record  # noqa: E402
from rilltest import Server, check  # noqa: E402


def gzip(data):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def bomb(total):
    """One record with a `total`-byte value of zeros, gzip-compressed in
    pieces (never the whole value in memory)."""
    value_len = total
    body_head = b"\x00" + kwire.varint(0) + kwire.varint(0) + kwire.varint(-1) + kwire.varint(value_len)
    body_len = len(body_head) + value_len + 1
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(kwire.varint(body_len) + body_head)]
    chunk = bytes(1 << 20)
    left = value_len
    while left > 0:
        n = min(left, len(chunk))
        out.append(c.compress(chunk[:n]))
        left -= n
    out.append(c.compress(kwire.varint(0)))
    out.append(c.flush())
    return b"".join(out)


def main():
    with Server() as srv:
        port = srv.port
        good = record(b"good-1")
        err, base = kwire.produce_error(port, "p", 0, batch(good, 1))
        check(err == 0 and base == 0, "a valid batch is stored at offset 0 (err %d)" % err)

        two = record(b"a", offset_delta=0) + record(b"b", offset_delta=1)
        cases = [
            ("record length varint overruns the batch",
             batch(record(b"x" * 10, length_adjust=1000), 1), 87),
            ("record count 3, two records",
             batch(two, 3), 87),
            ("record count 1, two records (bytes left over)",
             batch(two, 1), 87),
            ("record length shorter than its fields",
             batch(record(b"xyz", length_adjust=-2), 1), 87),
            ("header count overruns the record",
             batch(record(b"v", headers=[(b"k", b"v")], length_adjust=0)[:-6] + b"\x7f" * 6, 1), 87),
            ("offset deltas 0, 5",
             batch(record(b"a", offset_delta=0) + record(b"b", offset_delta=5), 2), 87),
            ("gzip payload that does not decompress",
             batch(b"\x1f\x8b\x08\x00" + bytes(range(60)), 1, codec=1), 87),
            ("zstd payload that does not decompress",
             batch(b"\x28\xb5\x2f\xfd" + bytes(range(60)), 1, codec=4), 87),
            ("unknown codec 7",
             batch(record(b"x"), 1, codec=7), 87),
            ("gzip that decompresses to garbage records",
             batch(gzip(b"\xff" * 100), 1, codec=1), 87),
            ("CRC that does not match",
             batch(record(b"x"), 1, crc_ok=False), 2),
        ]
        for name, b, want in cases:
            err, _ = kwire.produce_error(port, "p", 0, b)
            check(err == want, "%s: error %d (want %d)" % (name, err, want))

        bb = bomb(200 << 20)
        check(len(bb) < 400 << 10, "the bomb: one 200 MB record in %d KB of gzip" % (len(bb) >> 10))
        err, _ = kwire.produce_error(port, "p", 0, batch(bb, 1, codec=1))
        check(err == 87, "decompression bomb refused with INVALID_RECORD (%d)" % err)

        # A gzip batch within the limit still goes in (compressed path kept).
        gz = gzip(record(b"good-2", offset_delta=0) + record(b"good-3", offset_delta=1))
        err, base = kwire.produce_error(port, "p", 0, batch(gz, 2, codec=1))
        check(err == 0 and base == 1, "a valid gzip batch is stored at offset 1 (err %d, base %d)" % (err, base))
        err, base = kwire.produce_error(port, "p", 0, batch(record(b"good-4"), 1))
        check(err == 0 and base == 3, "the log end moved only for good batches (next base %d)" % base)

        c = subprocess.run(["kcat", "-b", srv.bootstrap, "-C", "-t", "p", "-o", "beginning", "-e",
                            "-f", "%o %s\\n"], capture_output=True, text=True, timeout=30)
        check(c.stdout.split("\n")[:4] == ["0 good-1", "1 good-2", "2 good-3", "3 good-4"],
              "kcat reads exactly the good records: %r" % c.stdout[:200])

        from confluent_kafka import Consumer, TopicPartition
        cons = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "poison",
                         "enable.auto.commit": False, "enable.partition.eof": True})
        cons.assign([TopicPartition("p", 0, 0)])
        got, eof = [], False
        for _ in range(100):
            m = cons.poll(0.5)
            if m is None:
                continue
            if m.error():
                eof = True
                break
            got.append(m.value())
        cons.close()
        check(eof and got == [b"good-1", b"good-2", b"good-3", b"good-4"],
              "confluent-kafka reads the four good records and reaches the end (%r, eof %s)" % (got, eof))
        out = srv.output()
        check("refused: " in out, "the refusal is logged with a reason")
        check(srv.alive(), "server alive")


if __name__ == "__main__":
    main()
