"""test_broker_record_errors.py - per-record errors in the Produce answer
(KIP-467) against `rill serve`, as raw frames (the Debian clients send
Produce v7 and never read record_errors).

Checked: a batch with a valid CRC whose second record carries offset
delta 5 is refused with INVALID_RECORD, and a Produce v8 answer names
record 1 in record_errors with the reason, also in error_message; v9
(flexible) the same; v7 has no such fields and gets INVALID_RECORD only;
with acks=-1 and a good partition beside it (an answer that waits for the
fsync) the refused partition's record error is still there, the good one
has none; a keyless record on a compacted topic is INVALID_RECORD naming
it ("Compacted topic cannot accept message without key"); a batch whose
records are fine gets no record errors; nothing
of the refused batch is stored.

Run: RILL=build/rill /usr/bin/python3 tests/integration/test_broker_record_errors.py
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kwire  # noqa: E402
from rilltest import Server, check  # noqa: E402
from test_kafka_admin import Reader, cstr, recv_exact, uvarint  # noqa: E402

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def s16(s):
    s = s.encode()
    return struct.pack(">h", len(s)) + s


def produce(port, ver, acks, parts):
    """parts: [(topic, partition, batch)]. Returns {(topic, p): (error,
    base, record_errors, error_message)}."""
    flex = ver >= 9
    by_topic = {}
    for t, p, b in parts:
        by_topic.setdefault(t, []).append((p, b))
    if flex:
        body = b"\x00" + struct.pack(">hi", acks, 10000) + uvarint(len(by_topic) + 1)
        for t, ps in by_topic.items():
            body += cstr(t) + uvarint(len(ps) + 1)
            for p, b in ps:
                body += struct.pack(">i", p) + uvarint(len(b) + 1) + b + b"\x00"
            body += b"\x00"
        body += b"\x00"
    else:
        body = struct.pack(">h", -1) + struct.pack(">hi", acks, 10000) + struct.pack(">i", len(by_topic))
        for t, ps in by_topic.items():
            body += s16(t) + struct.pack(">i", len(ps))
            for p, b in ps:
                body += struct.pack(">ii", p, len(b)) + b
    hdr = struct.pack(">hhih", 0, ver, 5, 4) + b"test" + (b"\x00" if flex else b"")
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
    n = struct.unpack(">i", recv_exact(s, 4))[0]
    r = Reader(recv_exact(s, n))
    s.close()
    check(r.i32() == 5, "Produce v%d answered" % ver)
    if flex:
        r.tags()

    def arr():
        return r.uv() - 1 if flex else r.i32()

    def string():
        if flex:
            return r.cstr()
        k = r.i16()
        return None if k < 0 else r.take(k).decode()

    out = {}
    for _ in range(arr()):
        t = string()
        for _ in range(arr()):
            p, err, base = r.i32(), r.i16(), r.i64()
            r.i64()
            if ver >= 5:
                r.i64()
            recs, msg = None, None
            if ver >= 8:
                recs = []
                for _ in range(arr()):
                    idx = r.i32()
                    m = string()
                    if flex:
                        r.tags()
                    recs.append((idx, m))
                msg = string()
            if flex:
                r.tags()
            out[(t, p)] = (err, base, recs, msg)
        if flex:
            r.tags()
    r.i32()
    if flex:
        r.tags()
    check(r.done(), "Produce v%d read to its end" % ver)
    return out


def main():
    good = kwire.batch(kwire.record(b"a") + kwire.record(b"b", offset_delta=1), 2)
    bad = kwire.batch(kwire.record(b"a") + kwire.record(b"b", offset_delta=5), 2)
    with Server() as srv:
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        for f in admin.create_topics([NewTopic("t", 2, 1),
                                      NewTopic("kt", 1, 1, config={"cleanup.policy": "compact"})]).values():
            f.result(timeout=15)
        del admin
        port = srv.port
        for ver in (8, 9, 11):
            got = produce(port, ver, 1, [("t", 0, bad)])
            err, base, recs, msg = got[("t", 0)]
            check(err == 87 and base == -1 and len(recs) == 1 and recs[0][0] == 1 and "offset delta" in recs[0][1]
                  and msg == recs[0][1],
                  "Produce v%d: INVALID_RECORD naming record 1 (%s, %r)" % (ver, recs, msg))
        got = produce(port, 7, 1, [("t", 0, bad)])
        check(got[("t", 0)][0] == 87, "Produce v7: INVALID_RECORD (no record_errors field)")
        got = produce(port, 9, -1, [("t", 0, bad), ("t", 1, good)])
        e0, _, r0, m0 = got[("t", 0)]
        e1, b1, r1, m1 = got[("t", 1)]
        check(e0 == 87 and r0 and r0[0][0] == 1 and e1 == 0 and b1 == 0 and r1 == [] and m1 is None,
              "acks=-1 with a good partition beside it: the record error kept, the good one clean (%s)" % got)
        keyless = kwire.batch(kwire.record(b"a", key=b"k") + kwire.record(b"b", offset_delta=1), 2)
        got = produce(port, 9, 1, [("kt", 0, keyless)])
        err, _, recs, msg = got[("kt", 0)]
        check(err == 87 and recs == [(1, msg)] and "without key" in msg,
              "a keyless record on a compacted topic: INVALID_RECORD naming record 1 (%s %r)" % (recs, msg))
        keyed = kwire.batch(kwire.record(b"a", key=b"k") + kwire.record(b"b", key=b"j", offset_delta=1), 2)
        check(produce(port, 9, 1, [("kt", 0, keyed)])[("kt", 0)][:3] == (0, 0, []),
              "keyed records on it are taken")
        got = produce(port, 8, 1, [("t", 0, good)])
        check(got[("t", 0)][:3] == (0, 0, []), "a good batch: no record errors")
        # Partition 0 holds only the good batch: the refused ones stored nothing.
        got = produce(port, 8, 1, [("t", 0, good)])
        check(got[("t", 0)][1] == 2, "nothing of the refused batches was stored (next offset 2)")


if __name__ == "__main__":
    main()
