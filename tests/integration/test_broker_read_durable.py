"""test_broker_read_durable.py - `rill.read.durable=true`: readers never see
a record before it is fsync'ed.

With the periodic flush pushed out to an hour (`log.flush.interval.ms`), a
record produced with acks=1 stays in the page cache only: a Fetch that does
not wait (max_wait 0) gets no records and a high watermark of 0, ListOffsets
latest answers 0, and this does not change after a pause. An acks=-1
produce fsyncs the partition: then every record is fetchable. A long-poll
fetch parked at the end asks for the fsync itself, so a record produced with
acks=1 reaches it within a fraction of a second, not after the flush
interval (nor at its 10 s max_wait). confluent-kafka sees the same: the high
watermark is the durable offset and a consumer receives the records. The
same steps against a server without the setting see every record at once
(so the checks above can fail).

Run: /usr/bin/python3 tests/integration/test_broker_read_durable.py
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402
from test_broker_order import batch, frame, produce, produce_result, read_resp, s16  # noqa: E402
from test_broker_fetch import fetch_v4, parse_fetch_v4  # noqa: E402

TOPIC = b"rd"
NO_FLUSH = ["--set", "log.flush.interval.ms=3600000"]


def list_offsets_latest(corr, topic, part):
    """ListOffsets v1, timestamp -1 (latest)."""
    body = struct.pack(">i", -1) + struct.pack(">i", 1) + s16(topic)
    body += struct.pack(">i", 1) + struct.pack(">iq", part, -1)
    return frame(2, 1, corr, body)


def parse_list_offsets_v1(body):
    """(error, offset) of the only partition."""
    off = 4  # topics count
    (nl,) = struct.unpack_from(">h", body, off)
    off += 2 + nl + 4
    _p, err, _ts, offset = struct.unpack_from(">ihqq", body, off)
    return err, offset


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.corr = 0

    def call(self, make, *args, **kw):
        self.corr += 1
        self.s.sendall(make(self.corr, *args, **kw))
        corr, body = read_resp(self.s)
        assert corr == self.corr, (corr, self.corr)
        return body

    def produce(self, values, acks=1):
        return produce_result(self.call(produce, TOPIC, 0, batch(values), acks=acks))

    def fetch(self, offset, max_wait=0):
        return parse_fetch_v4(self.call(fetch_v4, TOPIC, [(0, offset, 1 << 20)], max_wait=max_wait))[0]

    def latest(self):
        return parse_list_offsets_v1(self.call(list_offsets_latest, TOPIC, 0))


def contrast():
    """Without the setting, an acks=1 record is visible at once."""
    with Server(extra=NO_FLUSH) as srv:
        c = Conn(srv.port)
        c.produce([b"a"])
        err, hw, bs = c.fetch(0)
        check(err == 0 and hw == 1 and len(bs) == 1,
              "without rill.read.durable an acks=1 record is fetchable at once (hw %d)" % hw)


def confluent_view(srv):
    from confluent_kafka import Consumer, Producer, TopicPartition
    p = Producer({"bootstrap.servers": srv.bootstrap, "acks": 1, "linger.ms": 0})
    for i in range(3):
        p.produce("ck", value=b"ck-%d" % i, partition=0)
    check(p.flush(10) == 0, "confluent producer: 3 records acknowledged with acks=1")
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "rd-test",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "fetch.wait.max.ms": 0})
    lo, hi = c.get_watermark_offsets(TopicPartition("ck", 0), timeout=10, cached=False)
    check(hi == 0, "confluent: high watermark 0 while nothing is durable (got %d..%d)" % (lo, hi))
    c.close()
    # A consumer that long-polls (librdkafka's default 500 ms wait) parks at
    # the end, asks for the fsync and gets all three.
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "rd-test2",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.assign([TopicPartition("ck", 0, 0)])
    got, deadline = [], time.time() + 15
    while len(got) < 3 and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got.append(m.value())
    check(got == [b"ck-0", b"ck-1", b"ck-2"], "confluent: a long-polling consumer receives them (%r)" % got)
    lo, hi = c.get_watermark_offsets(TopicPartition("ck", 0), timeout=10, cached=False)
    check(hi == 3, "confluent: high watermark 3 once durable (got %d)" % hi)
    c.close()


def main():
    contrast()
    with Server(extra=NO_FLUSH + ["--set", "rill.read.durable=true"]) as srv:
        c = Conn(srv.port)
        check(c.produce([b"r0"]) == (0, 0) and c.produce([b"r1"]) == (0, 1) and c.produce([b"r2"]) == (0, 2),
              "three acks=1 batches at offsets 0..2")
        err, hw, bs = c.fetch(0)
        check(err == 0 and hw == 0 and bs == [],
              "not durable: a fetch gets no records and high watermark 0 (err %d, hw %d, %d batches)"
              % (err, hw, len(bs)))
        check(c.latest() == (0, 0), "not durable: ListOffsets latest is 0 (%r)" % (c.latest(),))
        err, hw, bs = c.fetch(2)
        check(err == 0 and bs == [], "an offset between the durable offset and the log end: no records, no error (%d)"
              % err)
        time.sleep(1.5)
        err, hw, bs = c.fetch(0)
        check(hw == 0 and bs == [], "still invisible after 1.5 s (no flush is due)")

        check(c.produce([b"r3"], acks=-1) == (0, 3), "an acks=-1 batch at offset 3 (fsyncs the partition)")
        err, hw, bs = c.fetch(0)
        check(err == 0 and hw == 4 and [b for b, _ in bs] == [0, 1, 2, 3],
              "durable now: all 4 batches fetchable, high watermark 4 (hw %d, %r)" % (hw, bs))
        check(c.latest() == (0, 4), "ListOffsets latest is 4")

        # A parked long-poll fetch is answered as soon as the data is
        # durable: it asks for the fsync itself.
        waiter = Conn(srv.port)
        waiter.corr += 1
        t0 = time.time()
        waiter.s.sendall(fetch_v4(waiter.corr, TOPIC, [(0, 4, 1 << 20)], max_wait=10000))
        time.sleep(0.3)
        check(c.produce([b"r4"]) == (0, 4), "an acks=1 batch at offset 4 while a fetch waits")
        corr, body = read_resp(waiter.s)
        waited = time.time() - t0
        err, hw, bs = parse_fetch_v4(body)[0]
        check(corr == waiter.corr and hw == 5 and [b for b, _ in bs] == [4],
              "the parked fetch gets offset 4 with high watermark 5 (hw %d, %r)" % (hw, bs))
        check(waited < 0.3 + 2.0, "and promptly: %.2f s after it parked (max_wait 10 s, flush interval 1 h)" % waited)

        confluent_view(srv)
        check(srv.alive(), "server alive")
    print("test_broker_read_durable: ok")


if __name__ == "__main__":
    main()
