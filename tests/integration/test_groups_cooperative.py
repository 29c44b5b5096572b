"""test_groups_cooperative.py - the cooperative-sticky protocol (KIP-429)
through rill's group coordinator, with confluent-kafka: a second member
joining a group of one moves only the partitions it takes (the first member
revokes exactly those and keeps the rest without a full revocation); when
it leaves, only its partitions move back.

Run: /usr/bin/python3 tests/integration/test_groups_cooperative.py
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402

from confluent_kafka import Consumer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


class Member:
    def __init__(self, srv, name):
        self.events = []
        self.owned = set()
        self.stop = False
        self.c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "coop",
                           "partition.assignment.strategy": "cooperative-sticky",
                           "session.timeout.ms": 6000, "heartbeat.interval.ms": 300})
        self.c.subscribe(["co"], on_assign=self.on_assign, on_revoke=self.on_revoke)
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def on_assign(self, c, parts):
        p = {x.partition for x in parts}
        self.events.append(("+", sorted(p)))
        self.owned |= p

    def on_revoke(self, c, parts):
        p = {x.partition for x in parts}
        self.events.append(("-", sorted(p)))
        self.owned -= p

    def run(self):
        while not self.stop:
            self.c.poll(0.1)

    def close(self):
        self.stop = True
        self.t.join()
        self.c.close()


def wait(cond, secs=20):
    end = time.time() + secs
    while time.time() < end and not cond():
        time.sleep(0.1)
    return cond()


def main():
    with Server() as srv:
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        admin.create_topics([NewTopic("co", 6, 1)])["co"].result(timeout=15)
        a = Member(srv, "a")
        check(wait(lambda: a.owned == set(range(6))), "the first member owns all 6 partitions")
        kept_before = set(a.owned)
        b = Member(srv, "b")
        check(wait(lambda: len(b.owned) == 3 and len(a.owned) == 3),
              "a second member: 3 and 3 (%s / %s)" % (a.events, b.events))
        time.sleep(1)
        revoked = set()
        for kind, parts in a.events[1:]:
            if kind == "-":
                revoked |= set(parts)
        check(revoked == b.owned and a.owned == kept_before - b.owned,
              "the first member revoked only what moved (%s), kept the rest" % a.events)
        check(a.owned.isdisjoint(b.owned), "no partition owned twice")
        moved_to_a_before = set(a.owned)
        b.close()
        check(wait(lambda: a.owned == set(range(6))), "after the second leaves, the first owns all 6 again")
        revoked_after = set()
        for kind, parts in a.events:
            if kind == "-":
                revoked_after |= set(parts)
        check(revoked_after == revoked and moved_to_a_before <= a.owned,
              "and it revoked nothing more (%s)" % a.events)
        a.close()
    print("test_groups_cooperative: ok")


if __name__ == "__main__":
    main()
