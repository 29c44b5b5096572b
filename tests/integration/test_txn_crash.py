"""test_txn_crash.py - the broker killed in the middle of ending a
transaction: right after the PrepareCommit / PrepareAbort record is durable
(no marker written yet) and right after the markers (Complete not written).
After the restart the coordinator finishes what was decided: a commit becomes
visible to read_committed with its group offsets, an abort never does, no
record is duplicated, and the last stable offset is free again. kcat with
-X transactional.id is checked too. The crash points are RILL_TXN_CRASH_AT
(src/broker/txn_coord.c), which kill the process as kill -9 would.
"""
import subprocess
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from rilltest import Server, check


def consume_all(srv, topic, isolation, parts=2, idle=1.0, limit=20.0):
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "rd-%f" % time.time(),
                  "isolation.level": isolation, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
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


def stable(srv, topic, part):
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "wm", "isolation.level": "read_committed"})
    lo, lso = c.get_watermark_offsets(TopicPartition(topic, part), timeout=10)
    c.close()
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "wm", "isolation.level": "read_uncommitted"})
    lo, hw = c.get_watermark_offsets(TopicPartition(topic, part), timeout=10)
    c.close()
    return lso == hw


def crash_during(srv, point, tid, commit, values, group=None):
    """Runs one transaction on a broker that dies at `point`; restarts it."""
    srv.stop()
    srv.env = {"RILL_TXN_CRASH_AT": point}
    srv.start()
    p = Producer({"bootstrap.servers": srv.bootstrap, "transactional.id": tid,
                  "transaction.timeout.ms": 30000, "message.timeout.ms": 5000})
    p.init_transactions(10)
    p.begin_transaction()
    for i, v in enumerate(values):
        p.produce("cr", v.encode(), partition=i % 2)
    p.flush(10)
    if group:
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": group})
        p.send_offsets_to_transaction([TopicPartition("in", 0, 42)], c.consumer_group_metadata(), 10)
        c.close()
    try:
        if commit:
            p.commit_transaction(3)
        else:
            p.abort_transaction(3)
    except KafkaException:
        pass
    deadline = time.time() + 10
    while srv.alive() and time.time() < deadline:
        time.sleep(0.05)
    check(not srv.alive(), "the broker died at %s" % point)
    srv.proc.wait()
    srv.proc = None
    srv.log.close()
    srv.env = None
    srv.start()
    del p


def main():
    with Server() as srv:
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        for f in admin.create_topics([NewTopic("cr", 2, 1), NewTopic("in", 1, 1)]).values():
            f.result(10)

        crash_during(srv, "prepared", "tc", True, ["pc0", "pc1", "pc2"], group="gc")
        deadline = time.time() + 10
        while time.time() < deadline and not (stable(srv, "cr", 0) and stable(srv, "cr", 1)):
            time.sleep(0.2)
        rc = consume_all(srv, "cr", "read_committed")
        check(sorted(rc) == ["pc0", "pc1", "pc2"],
              "killed in PrepareCommit: the commit is finished after the restart (%s)" % rc)
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "gc"})
        off = c.committed([TopicPartition("in", 0)], timeout=10)[0].offset
        c.close()
        check(off == 42, "killed in PrepareCommit: the group offset is committed (%d)" % off)
        check("finishing its commit after a restart" in srv.output(), "the broker says so")

        crash_during(srv, "prepared", "ta", False, ["pa0", "pa1"])
        deadline = time.time() + 10
        while time.time() < deadline and not (stable(srv, "cr", 0) and stable(srv, "cr", 1)):
            time.sleep(0.2)
        check(stable(srv, "cr", 0) and stable(srv, "cr", 1),
              "killed in PrepareAbort: LSO == HW after the restart")
        rc = consume_all(srv, "cr", "read_committed")
        check(sorted(rc) == ["pc0", "pc1", "pc2"], "killed in PrepareAbort: the abort is finished (%s)" % rc)

        crash_during(srv, "marked", "tm", True, ["mc0", "mc1"])
        deadline = time.time() + 10
        while time.time() < deadline and not (stable(srv, "cr", 0) and stable(srv, "cr", 1)):
            time.sleep(0.2)
        rc = consume_all(srv, "cr", "read_committed")
        check(sorted(rc) == ["mc0", "mc1", "pc0", "pc1", "pc2"],
              "killed after the markers: each committed record once (%s)" % rc)
        ru = consume_all(srv, "cr", "read_uncommitted")
        check(len(ru) == 7, "read_uncommitted: 7 records, no marker delivered (%d)" % len(ru))

        # The same transactional ids work again after the restarts.
        for tid in ("tc", "ta", "tm"):
            p = Producer({"bootstrap.servers": srv.bootstrap, "transactional.id": tid})
            p.init_transactions(10)
            p.begin_transaction()
            p.produce("cr", ("again-" + tid).encode(), partition=0)
            p.commit_transaction(10)
        rc = consume_all(srv, "cr", "read_committed")
        check(all(("again-" + t) in rc for t in ("tc", "ta", "tm")), "the ids are usable after the restarts")

        # kcat -X transactional.id: its records are committed at the end.
        r = subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "kc", "-X", "transactional.id=kcat1"],
                           input=b"k1\nk2\nk3\n", capture_output=True, timeout=30)
        check(r.returncode == 0 and b"successfully committed" in r.stderr,
              "kcat -X transactional.id commits (%s)" % r.stderr.decode()[-200:])
        r = subprocess.run(["kcat", "-b", srv.bootstrap, "-C", "-t", "kc", "-e", "-X",
                            "isolation.level=read_committed", "-f", "%o:%s\n"],
                           capture_output=True, timeout=30)
        check(r.stdout.decode().split() == ["0:k1", "1:k2", "2:k3"],
              "kcat read_committed reads the 3 records, the marker takes offset 3 (%s)" % r.stdout)
    print("test_txn_crash: all passed")


if __name__ == "__main__":
    sys.exit(main())
