"""test_txn_wire.py - the transaction protocol on the wire, requests made by
hand to send what a well-behaved client only sends when the network
misbehaves. One check per anomaly docs/broker.md says rill rules out:

- hanging transaction (KIP-890): a transactional Produce to a partition
  not added to an ongoing transaction, or arriving after the transaction
  ended, is refused (INVALID_TXN_STATE), so no data is left open forever;
- torn transaction / lost write / aborted read through a late EndTxn: an
  EndTxn(commit) delivered late, on a connection older than the one the
  client went on with, must not commit the next transaction (refused);
- aborted reads: a read_committed Fetch stops at the last stable offset and
  lists the aborted transactions it returns;
- torn transaction through a broker-side abort: after a time-out abort the
  producer's epoch is fenced (INVALID_PRODUCER_EPOCH on Produce,
  AddPartitionsToTxn and EndTxn);
- lost offsets through a crash: offsets sent with AddOffsetsToTxn and
  TxnOffsetCommit, then kill -9 of the broker: the transaction is durably
  ongoing, so the restart aborts it and fences the producer, whose retried
  AddPartitionsToTxn / EndTxn(commit) are refused; its records can never
  be committed without its offsets (which re-processed the input twice);
- an OffsetFetch with require_stable while a transaction holds an offset
  of the partition: UNSTABLE_OFFSET_COMMIT (KIP-447), the committed offset
  once it ended.
Also DescribeTransactions and ListTransactions (flexible v0).
"""
import socket
import struct
import sys
import time

from kwire import crc32c, metadata_topics, record, recv_frame, string
from rilltest import Server, check

SET = ["--set", "transaction.abort.timed.out.transaction.cleanup.interval.ms=100",
       "--set", "num.partitions=2"]


def req(sock, api, ver, corr, body, flexible=False):
    hdr = struct.pack(">hhi", api, ver, corr) + string("wire")
    if flexible:
        hdr += b"\x00"
    sock.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
    d = recv_frame(sock)
    (c,) = struct.unpack(">i", d[:4])
    assert c == corr, (c, corr)
    return d[5:] if flexible else d[4:]


def conn(srv):
    return socket.create_connection(("127.0.0.1", srv.port), timeout=30)


def txn_batch(values, pid, epoch, seq, ts=1700000000000):
    recs = b"".join(record(v, offset_delta=i) for i, v in enumerate(values))
    n = len(values)
    after = struct.pack(">hiqqqhii", 0x10, n - 1, ts, ts, pid, epoch, seq, n) + recs
    body = struct.pack(">ibI", -1, 2, crc32c(after)) + after
    return struct.pack(">qi", 0, len(body)) + body


def produce(sock, corr, tid, topic, part, batch):
    body = string(tid) + struct.pack(">hi", -1, 10000) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">ii", 1, part) + struct.pack(">i", len(batch)) + batch
    d = req(sock, 0, 3, corr, body)
    at = 4
    (nl,) = struct.unpack(">h", d[at:at + 2])
    at += 2 + nl + 4
    _idx, err, base = struct.unpack(">ihq", d[at:at + 14])
    return err, base


def init_pid(sock, corr, tid, timeout_ms=60000):
    d = req(sock, 22, 1, corr, string(tid) + struct.pack(">i", timeout_ms))
    _thr, err, pid, epoch = struct.unpack(">ihqh", d[:16])
    return err, pid, epoch


def add_parts(sock, corr, tid, pid, epoch, topic, parts):
    body = string(tid) + struct.pack(">qh", pid, epoch) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">i", len(parts)) + b"".join(struct.pack(">i", p) for p in parts)
    d = req(sock, 24, 0, corr, body)
    at = 4 + 4
    (nl,) = struct.unpack(">h", d[at:at + 2])
    at += 2 + nl + 4
    return [struct.unpack(">ih", d[at + 6 * i:at + 6 * i + 6])[1] for i in range(len(parts))]


def end_txn(sock, corr, tid, pid, epoch, commit):
    d = req(sock, 26, 1, corr, string(tid) + struct.pack(">qhb", pid, epoch, 1 if commit else 0))
    return struct.unpack(">ih", d[:6])[1]


def add_offsets(sock, corr, tid, pid, epoch, group):
    d = req(sock, 25, 0, corr, string(tid) + struct.pack(">qh", pid, epoch) + string(group))
    return struct.unpack(">ih", d[:6])[1]


def txn_offset_commit(sock, corr, tid, group, pid, epoch, topic, part, offset):
    body = string(tid) + string(group) + struct.pack(">qh", pid, epoch)
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">iiqh", 1, part, offset, -1)
    d = req(sock, 28, 0, corr, body)
    at = 4 + 4
    (nl,) = struct.unpack(">h", d[at:at + 2])
    at += 2 + nl + 4
    return struct.unpack(">ih", d[at:at + 6])[1]


def offset_fetch_stable(sock, corr, group, topic, part):
    """OffsetFetch v7 (flexible) with require_stable: (error, offset)."""
    body = cstr(group) + uvarint(2) + cstr(topic) + uvarint(2) + struct.pack(">i", part) + b"\x00"
    body += b"\x01" + b"\x00"
    d = req(sock, 9, 7, corr, body, flexible=True)
    at = 4
    _n, at = read_uvarint(d, at)
    _name, at = read_cstr(d, at)
    _np, at = read_uvarint(d, at)
    _p, off, _le = struct.unpack(">iqi", d[at:at + 16])
    at += 16
    _md, at = read_cstr(d, at)
    (err,) = struct.unpack(">h", d[at:at + 2])
    return err, off


def list_offset(sock, corr, topic, part, isolation):
    body = struct.pack(">ib", -1, isolation) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">iiq", 1, part, -1)
    d = req(sock, 2, 2, corr, body)
    at = 4 + 4
    (nl,) = struct.unpack(">h", d[at:at + 2])
    at += 2 + nl + 4
    _p, err, _ts, off = struct.unpack(">ihqq", d[at:at + 22])
    return off


def fetch(sock, corr, topic, part, offset, isolation):
    """Fetch v4: returns (hw, lso, aborted list or None, record bytes)."""
    body = struct.pack(">iiiib", -1, 0, 1, 1 << 20, isolation) + struct.pack(">i", 1) + string(topic)
    body += struct.pack(">iiqi", 1, part, offset, 1 << 20)
    d = req(sock, 1, 4, corr, body)
    at = 4 + 4
    (nl,) = struct.unpack(">h", d[at:at + 2])
    at += 2 + nl + 4
    _p, err, hw, lso = struct.unpack(">ihqq", d[at:at + 22])
    at += 22
    (na,) = struct.unpack(">i", d[at:at + 4])
    at += 4
    aborted = None
    if na >= 0:
        aborted = [struct.unpack(">qq", d[at + 16 * i:at + 16 * i + 16]) for i in range(na)]
        at += 16 * na
    (rl,) = struct.unpack(">i", d[at:at + 4])
    return hw, lso, aborted, d[at + 4:at + 4 + max(rl, 0)]


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def cstr(s):
    return uvarint(len(s) + 1) + s.encode()


def read_uvarint(d, at):
    n = shift = 0
    while True:
        b = d[at]
        at += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, at


def read_cstr(d, at):
    n, at = read_uvarint(d, at)
    return d[at:at + n - 1].decode(), at + n - 1


def main():
    with Server(extra=SET) as srv:
        a = conn(srv)  # the client's first coordinator connection
        p = conn(srv)  # its partition-leader connection
        check(metadata_topics(srv.port, ["hw"]).get("hw") == (0, 2), "topic hw auto-created with 2 partitions")
        err, pid, epoch = init_pid(a, 2, "w1")
        check(err == 0 and pid >= 0 and epoch == 0, "InitProducerId with a transactional id: pid %d epoch %d" % (pid, epoch))
        err, _, _ = init_pid(a, 3, "w-bad", timeout_ms=900001)
        check(err == 50, "a timeout above transaction.max.timeout.ms: INVALID_TRANSACTION_TIMEOUT (%d)" % err)

        # KIP-890 hanging transaction: data for a partition never added.
        err, _ = produce(p, 4, "w1", "hw", 0, txn_batch([b"h0"], pid, epoch, 0))
        check(err == 48, "Produce to a partition not in the transaction: INVALID_TXN_STATE (%d)" % err)
        check(list_offset(p, 5, "hw", 0, 1) == list_offset(p, 6, "hw", 0, 0) == 0,
              "nothing was appended: LSO == HW == 0")

        # T1: added on connection a, written, committed on connection b
        # (the client gave up waiting on a and went on over b).
        check(add_parts(a, 7, "w1", pid, epoch, "hw", [0]) == [0], "AddPartitionsToTxn on connection a")
        err, base = produce(p, 8, "w1", "hw", 0, txn_batch([b"t1a", b"t1b"], pid, epoch, 0))
        check(err == 0 and base == 0, "T1 data at offset 0")
        check(list_offset(p, 9, "hw", 0, 1) == 0 and list_offset(p, 10, "hw", 0, 0) == 2,
              "open T1: read_committed latest offset 0, read_uncommitted 2")
        b = conn(srv)
        check(end_txn(b, 11, "w1", pid, epoch, True) == 0, "EndTxn(commit) of T1 on connection b")
        check(list_offset(p, 12, "hw", 0, 1) == 3, "T1 committed: LSO 3 (after its marker)")

        # KIP-890: a late write of T1 after its end is refused.
        err, _ = produce(p, 13, "w1", "hw", 0, txn_batch([b"late"], pid, epoch, 2))
        check(err == 48, "a Produce after the transaction ended: INVALID_TXN_STATE (%d)" % err)

        # T2 on connection b; then T1's commit, delayed on connection a,
        # arrives: it must not commit T2 (a torn transaction).
        check(add_parts(b, 14, "w1", pid, epoch, "hw", [0, 1]) == [0, 0], "T2: AddPartitionsToTxn on b")
        err, t2first = produce(p, 15, "w1", "hw", 0, txn_batch([b"t2a"], pid, epoch, 2))
        check(err == 0 and t2first == 3, "T2 data at offset 3")
        err = end_txn(a, 16, "w1", pid, epoch, True)
        check(err == 48, "a late EndTxn on the older connection a: refused (INVALID_TXN_STATE, got %d)" % err)
        check(list_offset(p, 17, "hw", 0, 1) == 3, "T2 is still open: LSO 3")
        check("a late EndTxn on connection" in srv.output(), "the broker logs the late request")
        err, _ = produce(p, 18, "w1", "hw", 0, txn_batch([b"t2b"], pid, epoch, 3))
        check(err == 0, "T2 goes on")
        check(end_txn(b, 19, "w1", pid, epoch, False) == 0, "T2 aborted by its producer on b")
        hw, lso, aborted, recs = fetch(p, 20, "hw", 0, 0, 1)
        check(hw == 6 and lso == 6 and aborted == [(pid, 3)],
              "read_committed Fetch: HW %d LSO %d, aborted [(pid, 3)] (%s)" % (hw, lso, aborted))
        hw, lso, aborted, recs = fetch(p, 21, "hw", 0, 0, 0)
        check(aborted is None and hw == 6, "read_uncommitted Fetch: no aborted list")
        hw, lso, aborted, recs = fetch(p, 22, "hw", 0, 3, 1)
        check(aborted == [(pid, 3)], "fetching from 3: T2 listed")
        hw, lso, aborted, recs = fetch(p, 23, "hw", 0, 6, 1)
        check(not aborted, "fetching past T2's marker: nothing listed")

        # DescribeTransactions and ListTransactions (flexible v0).
        d = req(b, 65, 0, 24, uvarint(3) + cstr("w1") + cstr("nope") + b"\x00", flexible=True)
        at = 4
        n, at = read_uvarint(d, at)
        check(n == 3, "DescribeTransactions: two states (array count 3)")
        (e1,) = struct.unpack(">h", d[at:at + 2])
        tid, at = read_cstr(d, at + 2)
        st, at = read_cstr(d, at)
        tmo, start, dpid, depoch = struct.unpack(">iqqi", d[at:at + 24])
        check(e1 == 0 and tid == "w1" and st == "CompleteAbort" and dpid == pid and depoch == epoch and tmo == 60000,
              "DescribeTransactions w1: %s pid %d epoch %d timeout %d" % (st, dpid, depoch, tmo))
        at += 24
        nt, at = read_uvarint(d, at)
        at += 1  # tags of the state
        (e2,) = struct.unpack(">h", d[at:at + 2])
        check(e2 == 105, "DescribeTransactions nope: TRANSACTIONAL_ID_NOT_FOUND (%d)" % e2)
        d = req(b, 66, 1, 25, uvarint(1) + uvarint(1) + struct.pack(">q", -1) + b"\x00", flexible=True)
        (err,) = struct.unpack(">h", d[4:6])
        nu, at = read_uvarint(d, 6)
        n, at = read_uvarint(d, at)
        rows = []
        for _ in range(n - 1):
            tid, at = read_cstr(d, at)
            (lpid,) = struct.unpack(">q", d[at:at + 8])
            st, at = read_cstr(d, at + 8)
            at += 1
            rows.append((tid, lpid, st))
        check(err == 0 and ("w1", pid, "CompleteAbort") in rows, "ListTransactions lists w1 (%s)" % rows)
        d = req(b, 66, 0, 26, uvarint(2) + cstr("Ongoing") + uvarint(1) + b"\x00", flexible=True)
        nu, at = read_uvarint(d, 6)
        n, at = read_uvarint(d, at)
        check(n - 1 == 0, "ListTransactions with the Ongoing filter: none")

        # A broker-side time-out abort fences the producer's epoch.
        c = conn(srv)
        err, pid3, ep3 = init_pid(c, 27, "w3", timeout_ms=300)
        check(err == 0, "w3 initialised with a 300 ms timeout")
        check(add_parts(c, 28, "w3", pid3, ep3, "hw", [1]) == [0], "w3 adds hw-1")
        err, first = produce(p, 29, "w3", "hw", 1, txn_batch([b"slow"], pid3, ep3, 0))
        check(err == 0, "w3 writes")
        time.sleep(1.0)
        check(list_offset(p, 30, "hw", 1, 1) == list_offset(p, 31, "hw", 1, 0), "timed out: aborted, LSO == HW")
        err, _ = produce(p, 32, "w3", "hw", 1, txn_batch([b"more"], pid3, ep3, 1))
        check(err == 47, "the fenced epoch's Produce: INVALID_PRODUCER_EPOCH (%d)" % err)
        check(add_parts(c, 33, "w3", pid3, ep3, "hw", [1]) == [47], "its AddPartitionsToTxn: 47")
        check(end_txn(c, 34, "w3", pid3, ep3, True) == 47, "its EndTxn(commit): 47, nothing half-committed")
        hw, lso, aborted, recs = fetch(p, 35, "hw", 1, 0, 1)
        check(aborted == [(pid3, first)], "the timed-out transaction is listed as aborted")
        for s in (a, b, c, p):
            s.close()

        # Offsets pending in a transaction: require_stable sees them.
        d = conn(srv)
        err, pid5, ep5 = init_pid(d, 40, "w5")
        check(err == 0, "w5 initialised")
        check(add_offsets(d, 41, "w5", pid5, ep5, "g5") == 0, "w5: AddOffsetsToTxn(g5)")
        check(txn_offset_commit(d, 42, "w5", "g5", pid5, ep5, "hw", 0, 7) == 0, "w5: TxnOffsetCommit hw-0 at 7")
        err, off = offset_fetch_stable(d, 43, "g5", "hw", 0)
        check(err == 88 and off == -1,
              "OffsetFetch(require_stable) while pending: UNSTABLE_OFFSET_COMMIT (%d, offset %d)" % (err, off))
        check(end_txn(d, 44, "w5", pid5, ep5, True) == 0, "w5 commits")
        err, off = offset_fetch_stable(d, 45, "g5", "hw", 0)
        check(err == 0 and off == 7, "after the commit: offset 7 (%d, %d)" % (err, off))

        # Lost offsets: a committed transaction first (state CompleteCommit),
        # then offsets sent in the next one, then kill -9.
        check(add_parts(d, 46, "w5", pid5, ep5, "hw", [1]) == [0], "w5 T2 adds hw-1")
        err, _ = produce(d, 47, "w5", "hw", 1, txn_batch([b"w5a"], pid5, ep5, 0))
        check(err == 0 and end_txn(d, 48, "w5", pid5, ep5, True) == 0, "w5 T2 written and committed")
        check(add_offsets(d, 49, "w5", pid5, ep5, "g5") == 0, "w5 T3: AddOffsetsToTxn(g5)")
        check(txn_offset_commit(d, 50, "w5", "g5", pid5, ep5, "hw", 0, 99) == 0, "w5 T3: TxnOffsetCommit at 99")
        d.close()
        srv.kill()
        srv.start()
        e = conn(srv)
        errs = add_parts(e, 51, "w5", pid5, ep5, "hw", [1])
        check(errs == [47], "after kill -9: T3 was aborted and w5 fenced; its AddPartitionsToTxn: %s" % errs)
        err = end_txn(e, 52, "w5", pid5, ep5, True)
        check(err == 47, "its retried EndTxn(commit): 47, not a commit without the offsets (%d)" % err)
        err, off = offset_fetch_stable(e, 53, "g5", "hw", 0)
        check(err == 0 and off == 7, "g5's offset is still T1's 7 (%d, %d)" % (err, off))
        e.close()
    print("test_txn_wire: all passed")


if __name__ == "__main__":
    sys.exit(main())
