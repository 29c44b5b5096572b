"""test_txn_confluent.py - Kafka transactions in `rill serve` with an
unmodified client (confluent-kafka / librdkafka): commit and abort, read_committed
and read_uncommitted consumers, the last stable offset, send_offsets_to_transaction,
fencing by a second producer with the same transactional.id, a transaction
aborted by the broker after its timeout, and kill -9 of the broker while a
transaction is open.
"""
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from rilltest import Server, check

SET = ["--set", "transaction.abort.timed.out.transaction.cleanup.interval.ms=200",
       "--set", "transaction.max.timeout.ms=60000"]


def producer(srv, tid, **extra):
    conf = {"bootstrap.servers": srv.bootstrap, "transactional.id": tid,
            "transaction.timeout.ms": 20000, "linger.ms": 5}
    conf.update(extra)
    p = Producer(conf)
    p.init_transactions(10)
    return p


def consume_all(srv, topic, isolation, parts=2, idle=1.5, limit=20.0, group=None):
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": group or "rd-%f" % time.time(),
                  "isolation.level": isolation, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "enable.partition.eof": False})
    c.assign([TopicPartition(topic, p, 0) for p in range(parts)])
    got = []
    deadline = time.time() + limit
    last = time.time()
    while time.time() < deadline and time.time() - last < idle:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        got.append(m.value().decode())
        last = time.time()
    c.close()
    return got


def lso(srv, topic, part, isolation):
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "wm",
                  "isolation.level": isolation})
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, part), timeout=10)
    c.close()
    return hi


def main():
    with Server(extra=SET) as srv:
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        for f in admin.create_topics([NewTopic("tx", 2, 1), NewTopic("in", 1, 1),
                                      NewTopic("out", 1, 1)]).values():
            f.result(10)

        # Commit, abort, commit.
        p = producer(srv, "t1")
        p.begin_transaction()
        for i in range(10):
            p.produce("tx", b"c%d" % i, partition=i % 2)
        p.commit_transaction(10)
        p.begin_transaction()
        for i in range(10):
            p.produce("tx", b"a%d" % i, partition=i % 2)
        p.flush(10)
        p.abort_transaction(10)
        p.begin_transaction()
        for i in range(10, 20):
            p.produce("tx", b"c%d" % i, partition=i % 2)
        p.commit_transaction(10)

        rc = consume_all(srv, "tx", "read_committed")
        check(sorted(rc) == sorted("c%d" % i for i in range(20)),
              "read_committed sees the 20 committed records and none aborted (got %d: %s)"
              % (len(rc), sorted(rc)[:5]))
        ru = consume_all(srv, "tx", "read_uncommitted")
        check(sorted(ru) == sorted(["c%d" % i for i in range(20)] + ["a%d" % i for i in range(10)]),
              "read_uncommitted sees committed and aborted records, never a marker (got %d)" % len(ru))

        # An open transaction holds the LSO back.
        hw0 = lso(srv, "tx", 0, "read_uncommitted")
        p.begin_transaction()
        p.produce("tx", b"o0", partition=0)
        p.flush(10)
        hw1 = lso(srv, "tx", 0, "read_uncommitted")
        ls1 = lso(srv, "tx", 0, "read_committed")
        check(hw1 == hw0 + 1 and ls1 == hw0,
              "open transaction: high watermark %d, last stable offset %d (before: %d)" % (hw1, ls1, hw0))
        rc = consume_all(srv, "tx", "read_committed", idle=1.0)
        check("o0" not in rc and len(rc) == 20, "read_committed does not see the open transaction")
        p.commit_transaction(10)
        ls2 = lso(srv, "tx", 0, "read_committed")
        check(ls2 == hw1 + 1, "after the commit the LSO is past the marker (%d)" % ls2)
        rc = consume_all(srv, "tx", "read_committed", idle=1.0)
        check("o0" in rc, "read_committed sees the committed record")

        # send_offsets_to_transaction: consume-transform-produce.
        plain = Producer({"bootstrap.servers": srv.bootstrap})
        for i in range(5):
            plain.produce("in", b"in%d" % i)
        plain.flush(10)
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "g1",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False,
                      "isolation.level": "read_committed"})
        c.subscribe(["in"])
        msgs = []
        deadline = time.time() + 20
        while len(msgs) < 5 and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                msgs.append(m)
        check(len(msgs) == 5, "consumed the 5 input records")
        p.begin_transaction()
        for m in msgs:
            p.produce("out", m.value().upper())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 10)
        p.commit_transaction(10)
        committed = c.committed([TopicPartition("in", 0)], timeout=10)
        check(committed[0].offset == 5, "send_offsets_to_transaction committed offset 5 (got %d)"
              % committed[0].offset)
        c.close()
        out = consume_all(srv, "out", "read_committed", parts=1)
        check(sorted(out) == ["IN%d" % i for i in range(5)], "the transformed records are committed")

        # An aborted send_offsets does not move the group's offset.
        plain.produce("in", b"in5")
        plain.flush(10)
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "g1",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe(["in"])
        m = None
        deadline = time.time() + 20
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                break
        check(m is not None and m.value() == b"in5", "the group resumes after the committed offset")
        p.begin_transaction()
        p.produce("out", b"X")
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 10)
        p.abort_transaction(10)
        committed = c.committed([TopicPartition("in", 0)], timeout=10)
        check(committed[0].offset == 5, "aborted send_offsets left offset 5 (got %d)" % committed[0].offset)
        c.close()

        # Fencing: a second producer with the same id aborts the open
        # transaction of the first, which is fenced.
        p.begin_transaction()
        p.produce("tx", b"zombie", partition=1)
        p.flush(10)
        p2 = producer(srv, "t1")
        fenced = False
        try:
            p.produce("tx", b"zombie2", partition=1)
            p.commit_transaction(10)
        except KafkaException as e:
            fenced = e.args[0].fatal() or "fenced" in str(e).lower()
        check(fenced, "the first producer is fenced")
        p2.begin_transaction()
        p2.produce("tx", b"p2", partition=1)
        p2.commit_transaction(10)
        rc = consume_all(srv, "tx", "read_committed", idle=1.0)
        check("zombie" not in rc and "zombie2" not in rc and "p2" in rc,
              "the fenced producer's records are aborted, the new one's committed")

        # The broker aborts a transaction left open past its timeout.
        # (librdkafka's message.timeout.ms follows transaction.timeout.ms: 3 s
        # leaves a loaded machine time to deliver the record first.)
        p3 = producer(srv, "t3", **{"transaction.timeout.ms": 3000})
        p3.begin_transaction()
        p3.produce("tx", b"late", partition=0)
        check(p3.flush(10) == 0, "the record of the transaction left open was delivered")
        deadline = time.time() + 15
        while "aborted, producer epoch" not in srv.output() and time.time() < deadline:
            time.sleep(0.2)
        # The log line comes when the abort starts; its marker follows the fsync.
        while True:
            hw = lso(srv, "tx", 0, "read_uncommitted")
            ls = lso(srv, "tx", 0, "read_committed")
            if ls == hw or time.time() > deadline:
                break
            time.sleep(0.2)
        check(ls == hw, "the timed-out transaction was aborted: LSO %d == HW %d" % (ls, hw))
        failed = False
        try:
            p3.commit_transaction(10)
        except KafkaException:
            failed = True
        check(failed, "committing a transaction the broker aborted fails")
        rc = consume_all(srv, "tx", "read_committed", idle=1.0)
        check("late" not in rc, "the timed-out transaction's record is never visible")
        check("aborted, producer epoch" in srv.output(), "the broker logged the abort")

        # kill -9 with a transaction open: after the restart it is aborted
        # and the LSO is free again.
        p4 = producer(srv, "t4")
        p4.begin_transaction()
        p4.produce("tx", b"crash", partition=1)
        p4.flush(10)
        srv.kill()
        srv.start()
        deadline = time.time() + 10
        while time.time() < deadline:
            if lso(srv, "tx", 1, "read_committed") == lso(srv, "tx", 1, "read_uncommitted"):
                break
            time.sleep(0.2)
        check(lso(srv, "tx", 1, "read_committed") == lso(srv, "tx", 1, "read_uncommitted"),
              "after kill -9 the open transaction is aborted (LSO == HW)")
        p5 = producer(srv, "t5")
        p5.begin_transaction()
        p5.produce("tx", b"after", partition=1)
        p5.commit_transaction(10)
        rc = consume_all(srv, "tx", "read_committed", idle=1.0)
        check("crash" not in rc and "after" in rc and rc.count("c5") == 1 and "p2" in rc,
              "after the restart: aborted invisible, committed ones still there")
        check(not [v for v in rc if (v[:1] == "a" and v[1:].isdigit()) or v in ("zombie", "zombie2", "late")],
              "after the restart the transactions aborted before it stay invisible (from .txnindex): %s" % [v for v in rc if (v[:1] == "a" and v[1:].isdigit()) or v in ("zombie", "zombie2", "late")])
        idx = [f for d in ("tx-0", "tx-1") for f in os.listdir(os.path.join(srv.data, d))
               if f.endswith(".txnindex")]
        check(len(idx) == 2, "each partition of tx has a .txnindex (%s)" % idx)
        ru = consume_all(srv, "tx", "read_uncommitted", idle=1.0)
        check("crash" in ru, "the aborted record is still in the log (read_uncommitted)")
    print("test_txn_confluent: all passed")


if __name__ == "__main__":
    sys.exit(main())
