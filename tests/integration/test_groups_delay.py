"""test_groups_delay.py - group.initial.rebalance.delay.ms: with 2000 ms,
two confluent-kafka consumers that subscribe together form one generation:
each is assigned once, 2 of the 4 partitions, no later rebalance, and the
first assignment comes after the delay.

Run: /usr/bin/python3 tests/integration/test_groups_delay.py
"""
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402

from confluent_kafka import Consumer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def main():
    with tempfile.NamedTemporaryFile("w", suffix=".properties", delete=False) as f:
        f.write("group.initial.rebalance.delay.ms=2000\n")
        props = f.name
    try:
        with Server(extra=["--config", props]) as srv:
            admin = AdminClient({"bootstrap.servers": srv.bootstrap})
            admin.create_topics([NewTopic("dl", 4, 1)])["dl"].result(timeout=15)
            assigns = {0: [], 1: []}
            consumers = []
            t0 = time.time()
            for i in range(2):
                c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "dg",
                              "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
                c.subscribe(["dl"], on_assign=lambda cons, parts, i=i: assigns[i].append(
                    (time.time() - t0, sorted(p.partition for p in parts))))
                consumers.append(c)
            stop = []

            def run(c):
                while not stop:
                    c.poll(0.1)
            threads = [threading.Thread(target=run, args=(c,)) for c in consumers]
            for t in threads:
                t.start()
            end = time.time() + 20
            while time.time() < end and not (assigns[0] and assigns[1]):
                time.sleep(0.1)
            time.sleep(3)  # a second generation would show up here
            stop.append(1)
            for t in threads:
                t.join()
            for c in consumers:
                c.close()
            check(len(assigns[0]) == 1 and len(assigns[1]) == 1,
                  "each consumer was assigned exactly once (%s)" % assigns)
            parts = sorted(assigns[0][0][1] + assigns[1][0][1])
            check(parts == [0, 1, 2, 3] and len(assigns[0][0][1]) == 2,
                  "2 partitions each, all 4 covered (%s)" % assigns)
            first = min(assigns[0][0][0], assigns[1][0][0])
            check(first >= 1.8, "the first assignment waited for the delay (%.2f s)" % first)
    finally:
        os.unlink(props)
    print("test_groups_delay: ok")


if __name__ == "__main__":
    main()
