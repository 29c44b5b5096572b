"""test_txn_eos.py - exactly once through kill -9: a consume-transform-produce
loop (txn_eos_client.py: read `in` with read_committed, write `out`, commit the
input offsets in the same transaction) runs while the test feeds `in` and
kills, 20 times in all, alternately `rill serve` and the client with SIGKILL
(both restarted). Then a read_committed consumer must find in `out` every
record of `in` exactly once: none missing, none twice.
"""
import collections
import os
import random
import signal
import subprocess
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from rilltest import Server, check

HERE = os.path.dirname(os.path.abspath(__file__))
KILLS = 20
CHUNK = 600
SET = ["--set", "transaction.abort.timed.out.transaction.cleanup.interval.ms=500"]


def start_client(srv):
    return subprocess.Popen([sys.executable, os.path.join(HERE, "txn_eos_client.py"), srv.bootstrap],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def feed(srv, first, n):
    """Appends values first..first+n-1 to `in` (idempotent, acks=all)."""
    p = Producer({"bootstrap.servers": srv.bootstrap, "enable.idempotence": True,
                  "message.timeout.ms": 20000})
    for i in range(first, first + n):
        p.produce("in", b"%d" % i)
    left = p.flush(30)
    return left == 0


def read_all(srv, topic, isolation):
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "check-%f" % time.time(),
                  "isolation.level": isolation, "enable.auto.commit": False})
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.time() + 60
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got.append(m.value().decode())
            if m.offset() >= hi - 1:
                break
        elif m is None and c.position([TopicPartition(topic, 0)])[0].offset >= hi:
            break
    c.close()
    return got


def committed(srv):
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "eos"})
    off = c.committed([TopicPartition("in", 0)], timeout=10)[0].offset
    c.close()
    return off


def main():
    random.seed(int(os.environ.get("RILL_TEST_SEED", "10")))
    with Server(extra=SET) as srv:
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        for f in admin.create_topics([NewTopic("in", 1, 1), NewTopic("out", 1, 1)]).values():
            f.result(10)
        fed = 0
        check(feed(srv, 0, CHUNK), "first %d input records" % CHUNK)
        fed = CHUNK
        client = start_client(srv)
        broker_kills = client_kills = restarts = 0
        for k in range(KILLS):
            time.sleep(random.uniform(0.4, 1.2))
            if client.poll() is not None:
                restarts += 1
                client = start_client(srv)
            if k % 2 == 0:
                srv.kill()
                srv.start()
                broker_kills += 1
            else:
                if client.poll() is None:
                    client.send_signal(signal.SIGKILL)
                    client.wait()
                client = start_client(srv)
                client_kills += 1
            for _ in range(3):
                if feed(srv, fed, CHUNK):
                    break
            fed += CHUNK
        check(broker_kills + client_kills == KILLS,
              "%d kill -9 of rill serve and %d of the client" % (broker_kills, client_kills))
        # Let the loop finish what is left.
        end = None
        deadline = time.time() + 120
        while time.time() < deadline:
            if client.poll() is not None:
                restarts += 1
                client = start_client(srv)
            c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "wm"})
            end = c.get_watermark_offsets(TopicPartition("in", 0), timeout=10)[1]
            c.close()
            if committed(srv) >= end:
                break
            time.sleep(0.5)
        check(committed(srv) >= end, "the loop caught up with the input (committed offset %d, end %d)"
              % (committed(srv), end))
        client.send_signal(signal.SIGKILL)
        client.wait()
        inputs = read_all(srv, "in", "read_uncommitted")
        outputs = read_all(srv, "out", "read_committed")
        want = collections.Counter("out-" + v for v in inputs)
        got = collections.Counter(outputs)
        missing = want - got
        extra = got - want
        print("inputs %d, outputs %d, clients restarted after an error %d" % (len(inputs), len(outputs), restarts))
        check(len(inputs) >= fed - CHUNK, "the input holds what was fed (%d of %d)" % (len(inputs), fed))
        check(not missing, "no input record is missing from the output (%d missing, e.g. %s)"
              % (sum(missing.values()), list(missing)[:5]))
        check(not extra, "no output record is there twice or without an input (%d extra, e.g. %s)"
              % (sum(extra.values()), list(extra)[:5]))
        everything = read_all(srv, "out", "read_uncommitted")
        check(len(everything) > len(outputs),
              "kills landed inside transactions: read_uncommitted sees %d output records, %d of them aborted"
              % (len(everything), len(everything) - len(outputs)))
    print("test_txn_eos: all passed")


if __name__ == "__main__":
    sys.exit(main())
