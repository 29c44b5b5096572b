"""test_groups_confluent.py - confluent-kafka-python 1.7.0 (librdkafka
2.0.2) group consumers with manual commits against `rill serve`: two
members share a topic, synchronous commits land, committed() reads them
back (OffsetFetch v5), `rill groups describe` shows members, assignments
and lag, one member leaves and the other takes over, and a new member resumes after the commits.

Run: /usr/bin/python3 tests/integration/test_groups_confluent.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402

N = 300


def mk(srv, group):
    return Consumer({"bootstrap.servers": srv.bootstrap, "group.id": group,
                     "auto.offset.reset": "earliest", "enable.auto.commit": False,
                     "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                     "topic.metadata.refresh.interval.ms": 1000})


def main():
    with Server(extra=["--set", "num.partitions=4"]) as srv:
        p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 2})
        for i in range(N):
            p.produce("cg", key=b"%d" % i, value=b"c%04d" % i, partition=i % 4)
        check(p.flush(20) == 0, "produced %d messages" % N)

        a, b = mk(srv, "cgroup"), mk(srv, "cgroup")
        a.subscribe(["cg"])
        b.subscribe(["cg"])
        seen = {}
        deadline = time.time() + 45
        while time.time() < deadline and len(seen) < N:
            for c in (a, b):
                m = c.poll(0.1)
                if m is None or m.error():
                    continue
                seen[m.value()] = c
                c.commit(message=m, asynchronous=False)
        check(len(seen) == N, "two confluent consumers read all %d (got %d)" % (N, len(seen)))
        check({id(c) for c in seen.values()} == {id(a), id(b)}, "both members received messages")
        ta, tb = a.assignment(), b.assignment()
        check(len(ta) + len(tb) == 4 and not ({(t.topic, t.partition) for t in ta} & {(t.topic, t.partition) for t in tb}),
              "assignments are disjoint and cover 4 partitions (%d + %d)" % (len(ta), len(tb)))

        tps = [TopicPartition("cg", i) for i in range(4)]
        com = a.committed(tps, timeout=10)
        check(sum(t.offset for t in com) == N, "committed offsets sum to %d (got %s)" % (N, [t.offset for t in com]))

        out = rill("groups", "describe", "cgroup", "--bootstrap", srv.bootstrap).stdout
        check("Stable" in out, "describe: the group is Stable\n" + out)
        check(out.count("rdkafka") >= 2, "describe: both members with their client id")
        check("cg:" in out, "describe: decoded assignments are shown")
        check("total lag: 0" in out, "describe: no lag")
        out = rill("groups", "list", "--bootstrap", srv.bootstrap).stdout
        line = [l for l in out.splitlines() if l.startswith("cgroup ")]
        check(line and line[0].split()[1:] == ["Stable", "2", "range"],
              "list: cgroup Stable with 2 members, range assignor (%s)" % line)

        # b leaves; a gets everything and a stale commit is refused.
        b.close()
        deadline = time.time() + 30
        while time.time() < deadline and len(a.assignment()) != 4:
            a.poll(0.1)
        check(len(a.assignment()) == 4, "after b leaves, a owns all 4")
        for i in range(20):
            p.produce("cg", value=b"x%02d" % i, partition=i % 4)
        p.flush(10)
        got = 0
        deadline = time.time() + 20
        while time.time() < deadline and got < 20:
            m = a.poll(0.1)
            if m is not None and not m.error():
                got += 1
        check(got == 20, "a reads the 20 new messages")
        a.commit(asynchronous=False)
        a.close()

        # A fresh member resumes after the commits: nothing old.
        c = mk(srv, "cgroup")
        c.subscribe(["cg"])
        olds = 0
        end = time.time() + 8
        while time.time() < end:
            m = c.poll(0.2)
            if m is not None and not m.error():
                olds += 1
        check(olds == 0, "a new member after the commits reads nothing again (got %d)" % olds)
        c.close()

        out = rill("groups", "list", "--bootstrap", srv.bootstrap).stdout
        check("cgroup" in out, "list shows cgroup")
        check(srv.stop() == 0, "the broker exits cleanly (status 0, no sanitizer report)")


if __name__ == "__main__":
    main()
