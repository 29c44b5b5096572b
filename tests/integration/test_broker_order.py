"""test_broker_order.py - raw-protocol checks of `rill serve`: responses on a
connection come back strictly in request order even when one waits (an
acks=-1 Produce waiting for the fsync, a Fetch long-polling), acks=0 gets
no answer, a partition holding two batches gets INVALID_RECORD, a bad CRC
CORRUPT_MESSAGE, and idempotent sequences: duplicate -> original offset,
gap -> OUT_OF_ORDER_SEQUENCE_NUMBER, also after a restart.

Run: /usr/bin/python3 tests/integration/test_broker_order.py
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402
from kafka.record.default_records import DefaultRecordBatchBuilder  # noqa: E402


def batch(values, pid=-1, epoch=-1, seq=-1):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                  producer_id=pid, producer_epoch=epoch, base_sequence=seq,
                                  batch_size=1 << 20)
    for i, v in enumerate(values):
        b.append(i, timestamp=int(time.time() * 1000), key=None, value=v, headers=[])
    return bytes(b.build())


def s16(s):
    return struct.pack(">h", len(s)) + s


def frame(api, ver, corr, body):
    h = struct.pack(">hhi", api, ver, corr) + s16(b"order-test")
    return struct.pack(">i", len(h) + len(body)) + h + body


def produce(corr, topic, part, records, acks=1, ver=3):
    body = struct.pack(">h", -1) + struct.pack(">hi", acks, 10000)
    body += struct.pack(">i", 1) + s16(topic) + struct.pack(">i", 1)
    body += struct.pack(">i", part) + struct.pack(">i", len(records)) + records
    return frame(0, ver, corr, body)


def fetch(corr, topic, part, offset, max_wait=1000, min_bytes=1):
    body = struct.pack(">iiiib", -1, max_wait, min_bytes, 1 << 20, 0)
    body += struct.pack(">i", 1) + s16(topic) + struct.pack(">i", 1)
    body += struct.pack(">iqi", part, offset, 1 << 20)
    return frame(1, 4, corr, body)


def api_versions(corr):
    return frame(18, 0, corr, b"")


def read_resp(s):
    hdr = b""
    while len(hdr) < 4:
        d = s.recv(4 - len(hdr))
        if not d:
            raise EOFError
        hdr += d
    n = struct.unpack(">i", hdr)[0]
    data = b""
    while len(data) < n:
        d = s.recv(n - len(data))
        if not d:
            raise EOFError
        data += d
    return struct.unpack(">i", data[:4])[0], data[4:]


def produce_result(body):
    # topics[1]{name, partitions[1]{partition, error, base_offset, ...}}
    off = 4
    nlen = struct.unpack(">h", body[off:off + 2])[0]
    off += 2 + nlen + 4
    part, err, base = struct.unpack(">ihq", body[off:off + 14])
    return err, base


def main():
    with Server(extra=["--set", "log.flush.interval.ms=200"]) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        # Create the topic with one acks=1 produce.
        s.sendall(produce(1, b"ord", 0, batch([b"a"])))
        corr, body = read_resp(s)
        check(corr == 1 and produce_result(body) == (0, 0), "first produce at offset 0")

        # Pipelined: a long-polling fetch at the end, then ApiVersions. The
        # ApiVersions answer must wait for the fetch (max_wait 800 ms).
        t0 = time.time()
        s.sendall(fetch(2, b"ord", 0, 1, max_wait=800) + api_versions(3))
        c1, _ = read_resp(s)
        c2, _ = read_resp(s)
        waited = time.time() - t0
        check((c1, c2) == (2, 3), "fetch then ApiVersions answered in order (%d, %d)" % (c1, c2))
        check(waited >= 0.7, "the fetch long-polled (%.2fs)" % waited)

        # A parked fetch is woken by a produce on another connection.
        s.sendall(fetch(4, b"ord", 0, 1, max_wait=5000))
        time.sleep(0.2)
        o = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        t0 = time.time()
        o.sendall(produce(1, b"ord", 0, batch([b"b"])))
        read_resp(o)
        corr, body = read_resp(s)
        check(corr == 4 and time.time() - t0 < 2.0, "a produce wakes the parked fetch")
        check(b"b" in body, "the woken fetch carries the new record")

        # acks=-1 then ApiVersions: in order; acks=0 gets no answer at all.
        s.sendall(produce(5, b"ord", 0, batch([b"c"]), acks=-1) +
                  produce(6, b"ord", 0, batch([b"d"]), acks=0) + api_versions(7))
        c1, body = read_resp(s)
        c2, _ = read_resp(s)
        check((c1, c2) == (5, 7), "acks=-1 answered, acks=0 silent, order kept (%d, %d)" % (c1, c2))
        check(produce_result(body) == (0, 2), "acks=-1 base offset 2")

        # Two batches in one partition: INVALID_RECORD (87). Bad CRC: 2.
        s.sendall(produce(8, b"ord", 0, batch([b"x"]) + batch([b"y"])))
        check(produce_result(read_resp(s)[1])[0] == 87, "two batches -> INVALID_RECORD")
        bad = bytearray(batch([b"z"]))
        bad[-1] ^= 0xff
        s.sendall(produce(9, b"ord", 0, bytes(bad)))
        check(produce_result(read_resp(s)[1])[0] == 2, "bad CRC -> CORRUPT_MESSAGE")

        # Internal topics are not writable by clients.
        s.sendall(produce(20, b"__consumer_offsets", 0, batch([b"junk"])))
        check(produce_result(read_resp(s)[1])[0] == 17, "produce to __consumer_offsets -> 17")
        # Metadata v1+ flags it is_internal; "__user" is an ordinary topic
        # (auto-created, not internal) but, as every "__" name, written by
        # rill only (issue 16); __transaction_state is not auto-created by a
        # client's Metadata.
        md = struct.pack(">i", 3) + s16(b"__consumer_offsets") + s16(b"__user") + s16(b"__transaction_state")
        s.sendall(frame(3, 4, 21, md + b"\x01"))
        _, body = read_resp(s)
        check(struct.pack(">h", 0) + s16(b"__consumer_offsets") + b"\x01" in body,
              "Metadata v4: __consumer_offsets is_internal=true")
        check(struct.pack(">h", 0) + s16(b"__user") + b"\x00" in body,
              "Metadata v4: __user auto-created, not internal")
        check(struct.pack(">h", 3) + s16(b"__transaction_state") in body,
              "Metadata v4: __transaction_state not auto-created (UNKNOWN_TOPIC_OR_PARTITION)")
        s.sendall(produce(22, b"__user", 0, batch([b"u"])))
        check(produce_result(read_resp(s)[1])[0] == 17, "produce to __user -> 17 (a \"__\" name)")

        # Idempotence: pid from InitProducerId v0.
        s.sendall(frame(22, 0, 10, struct.pack(">hi", -1, 60000)))
        corr, body = read_resp(s)
        thr, err, pid, epoch = struct.unpack(">ihqh", body[:16])
        check(err == 0 and pid >= 0 and epoch == 0, "InitProducerId gives pid %d" % pid)
        b0 = batch([b"i0", b"i1"], pid, 0, 0)
        s.sendall(produce(11, b"idem", 0, b0))
        e, first = produce_result(read_resp(s)[1])
        check(e == 0, "idempotent batch 0 appended at %d" % first)
        s.sendall(produce(12, b"idem", 0, b0))
        check(produce_result(read_resp(s)[1]) == (0, first), "duplicate -> original offset")
        s.sendall(produce(13, b"idem", 0, batch([b"i5"], pid, 0, 5)))
        check(produce_result(read_resp(s)[1])[0] == 45, "sequence gap -> OUT_OF_ORDER_SEQUENCE_NUMBER")
        b1 = batch([b"i2"], pid, 0, 2)
        s.sendall(produce(14, b"idem", 0, b1))
        e, second = produce_result(read_resp(s)[1])
        check(e == 0 and second == first + 2, "next in sequence appended at %d" % second)
        s.close()
        o.close()

        # A client that half-closes after its request still gets the answer.
        h = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        h.sendall(api_versions(42))
        h.shutdown(socket.SHUT_WR)
        corr, _ = read_resp(h)
        check(corr == 42, "half-closed connection still answered")
        check(h.recv(1) == b"", "then closed by the broker")
        h.close()

        # After a clean restart the windows are rebuilt from the log tail.
        srv.stop()
        srv.start()
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(produce(15, b"idem", 0, b1))
        check(produce_result(read_resp(s)[1]) == (0, second), "after restart: duplicate -> original offset")
        s.sendall(produce(16, b"idem", 0, batch([b"i9"], pid, 0, 9)))
        check(produce_result(read_resp(s)[1])[0] == 45, "after restart: gap still refused")
        s.sendall(frame(22, 0, 17, struct.pack(">hi", -1, 60000)))
        pid2 = struct.unpack(">ihqh", read_resp(s)[1][:16])[2]
        check(pid2 > pid, "producer ids never repeat across restarts (%d > %d)" % (pid2, pid))
        s.close()
    print("test_broker_order: ok")


if __name__ == "__main__":
    main()
