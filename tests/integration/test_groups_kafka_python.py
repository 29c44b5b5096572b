"""test_groups_kafka_python.py - kafka-python 2.0.2 group consumers
(FindCoordinator v0, JoinGroup v2, SyncGroup/Heartbeat/LeaveGroup v1,
OffsetCommit v2, OffsetFetch v1) against `rill serve`:
- two consumers in one group split 4 partitions 2+2;
- one closes (LeaveGroup), the other takes all 4;
- kafka-python's admin client lists and describes groups and reads every
  committed offset (OffsetFetch with a null topic list);
- committed offsets survive a broker restart: a new consumer in the same
  group starts exactly after what was committed.

Run: /usr/bin/python3 tests/integration/test_groups_kafka_python.py
"""
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402

from kafka import KafkaConsumer, KafkaProducer  # noqa: E402

N = 400


def consumer(srv, group, **kw):
    # max_poll_interval_ms is kafka-python's JoinGroup rebalance timeout: at
    # its default (300 s) a member slow to rejoin on a loaded machine parks
    # the others' JoinGroup past request_timeout_ms; they then time out,
    # reconnect and rejoin over and over, for minutes. Below the request
    # timeout, the broker always answers a parked JoinGroup first.
    args = dict(bootstrap_servers=srv.bootstrap, group_id=group,
                auto_offset_reset="earliest", enable_auto_commit=False,
                session_timeout_ms=6000, heartbeat_interval_ms=1000,
                max_poll_interval_ms=10000,
                max_poll_records=20, request_timeout_ms=11000)
    args.update(kw)
    return KafkaConsumer("kpg", **args)


def produce(srv):
    prod = KafkaProducer(bootstrap_servers=srv.bootstrap, acks=1, linger_ms=5)
    for i in range(N):
        prod.send("kpg", key=b"k%d" % i, value=b"v%04d" % i, partition=i % 4)
    prod.flush(timeout=20)
    prod.close()


def poll_until(consumers, cond, deadline_s, sink=None):
    end = time.time() + deadline_s
    while time.time() < end:
        for c in consumers:
            recs = c.poll(timeout_ms=100)
            if sink is not None:
                for batch in recs.values():
                    sink.extend(m.value for m in batch)
        if cond():
            return True
    return False


class Member(threading.Thread):
    """One consumer polling in its own thread: kafka-python's poll blocks
    inside JoinGroup until the rebalance completes, so two members of one
    group cannot share a thread."""

    def __init__(self, srv, group, sink):
        super().__init__(daemon=True)
        self.c = consumer(srv, group)
        self.sink = sink
        self.assigned = set()
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        while not self.stop.is_set():
            recs = self.c.poll(timeout_ms=100)
            with self.lock:
                for batch in recs.values():
                    self.sink.extend(m.value for m in batch)
                self.assigned = {tp.partition for tp in self.c.assignment()}
        self.c.close()

    def finish(self):
        self.stop.set()
        self.join(20)


def wait_for(cond, deadline_s):
    end = time.time() + deadline_s
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


def split_and_leave(srv):
    got = []
    a, b = Member(srv, "split", got), Member(srv, "split", got)
    t0 = time.time()
    a.start()
    b.start()

    def sizes():
        return sorted([len(a.assigned), len(b.assigned)])

    ok = wait_for(lambda: sizes() == [2, 2] and not (a.assigned & b.assigned), 40)
    check(ok, "two consumers split 4 partitions 2+2 (got %s: %s %s)" % (sizes(), a.assigned, b.assigned))
    check(not (a.assigned & b.assigned), "no partition is assigned twice")
    print("figure: kafka_python_two_member_split_s=%.2f" % (time.time() - t0))
    a.finish()
    t0 = time.time()
    ok = wait_for(lambda: len(b.assigned) == 4, 30)
    print("figure: kafka_python_takeover_after_leave_s=%.2f" % (time.time() - t0))
    check(ok, "after one leaves (LeaveGroup), the other owns all 4 (got %s)" % b.assigned)
    wait_for(lambda: len(set(got)) >= N, 20)
    check(len(set(got)) == N, "the group consumed all %d messages (got %d)" % (N, len(set(got))))
    b.finish()


def admin_views(srv):
    """kafka-python's admin client: ListGroups, DescribeGroups and
    OffsetFetch with a null topic list (all committed partitions)."""
    from kafka.admin import KafkaAdminClient
    c = consumer(srv, "adm")
    got = []
    poll_until([c], lambda: len(got) >= N, 30, got)
    c.commit()
    a = KafkaAdminClient(bootstrap_servers=srv.bootstrap)
    try:
        groups = dict(a.list_consumer_groups())
        check(groups.get("adm") == "consumer" and "split" in groups,
              "admin list_consumer_groups: adm and split (%s)" % groups)
        info = a.describe_consumer_groups(["adm"])[0]
        check(info.state == "Stable" and len(info.members) == 1 and info.protocol == "range",
              "admin describe_consumer_groups: Stable, 1 member, range (%s)" % (info,))
        offs = a.list_consumer_group_offsets("adm")
        check(sum(v.offset for v in offs.values()) == N and len(offs) == 4,
              "admin list_consumer_group_offsets: 4 partitions summing to %d" % N)
    finally:
        a.close()
        c.close()


def commit_restart_resume(tmpdir):
    srv = Server(data=tmpdir, extra=["--set", "num.partitions=4"]).start()
    try:
        c = consumer(srv, "resume")
        first = []
        poll_until([c], lambda: len(first) >= N // 2, 40, first)
        check(len(first) >= N // 2, "consumed at least half (%d)" % len(first))
        c.commit()
        committed = {tp.partition: c.committed(tp) for tp in c.assignment()}
        check(sum(committed.values()) == len(first),
              "committed offsets (%s) sum to what was consumed (%d)" % (committed, len(first)))
        c.close()
    finally:
        rc = srv.stop()
    check(rc == 0, "broker stops cleanly")

    srv2 = Server(data=tmpdir, extra=["--set", "num.partitions=4"]).start()
    try:
        c = consumer(srv2, "resume")
        rest = []
        poll_until([c], lambda: len(rest) >= N - len(first), 40, rest)
        time.sleep(0.5)
        c.poll(timeout_ms=500)
        check(len(rest) == N - len(first),
              "after restart the group resumes: %d new messages (want %d)" % (len(rest), N - len(first)))
        check(not (set(rest) & set(first)), "nothing consumed twice across the restart")
        check(set(rest) | set(first) == {b"v%04d" % i for i in range(N)}, "nothing lost")
        c.close()
        check(srv2.stop() == 0, "the restarted broker exits cleanly")
    finally:
        srv2.stop()


def main():
    tmp = tempfile.TemporaryDirectory(prefix="rill-groups-")
    try:
        with Server(extra=["--set", "num.partitions=4"]) as srv:
            produce(srv)
            split_and_leave(srv)
            admin_views(srv)
            check(srv.stop() == 0, "the broker exits cleanly")
        # Restart test on its own data dir.
        data = os.path.join(tmp.name, "d")
        os.mkdir(data)
        srv = Server(data=data, extra=["--set", "num.partitions=4"]).start()
        produce(srv)
        srv.stop()
        commit_restart_resume(data)
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    main()
