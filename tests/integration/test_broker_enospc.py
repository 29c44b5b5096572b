"""test_broker_enospc.py - a partition that failed on a full disk recovers
without a restart once space is free (issue 16, item 7).

RILL_FAULT="write:N:ENOSPC:M" (src/base/os.h) makes writes N to N+M-1
fail with ENOSPC, then succeed again: a disk that fills, then gets space
back. Produces with acks=all during that time fail with
KAFKA_STORAGE_ERROR; afterwards the partition reopens itself (recovery from
its durable offset) and takes produces again, and a consumer reads every
acknowledged record exactly once, in order. Before the fix the partition
stayed FAILED until a restart.

Run: /usr/bin/python3 tests/integration/test_broker_enospc.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402


def main():
    from confluent_kafka import Consumer, Producer, TopicPartition
    env = {"RILL_FAULT": "write:60:ENOSPC:5"}
    with Server(env=env, extra=["--set", "num.partitions=1"]) as srv:
        p = Producer({"bootstrap.servers": srv.bootstrap, "acks": "all", "linger.ms": 0,
                      "message.send.max.retries": 0, "enable.idempotence": False,
                      "log_level": 0})
        acked, failed = [], []

        def cb(err, msg):
            if err is None:
                acked.append(msg.value().decode())
            else:
                failed.append((msg.value().decode(), err.name()))
        t_end = time.time() + 25
        i = 0
        ok_after_fail = 0
        while time.time() < t_end:
            p.produce("full", value=b"r%d" % i, partition=0, on_delivery=cb)
            p.flush(10)
            i += 1
            if failed and acked and acked[-1] == "r%d" % (i - 1):
                ok_after_fail += 1
                if ok_after_fail >= 20:
                    break
            time.sleep(0.02)
        print("produced %d: %d acknowledged, %d failed (%s)" % (i, len(acked), len(failed),
              failed[:1]))
        check(failed, "some produces failed while the disk was full")
        check(all(e == "KAFKA_STORAGE_ERROR" for _, e in failed),
              "with KAFKA_STORAGE_ERROR: %s" % sorted(set(e for _, e in failed)))
        check(ok_after_fail >= 20, "produces succeed again without a restart (%d after the failures)"
              % ok_after_fail)
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "enospc",
                      "enable.auto.commit": False, "enable.partition.eof": True})
        c.assign([TopicPartition("full", 0, 0)])
        got = []
        for _ in range(400):
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                break
            got.append(m.value().decode())
        c.close()
        check(all(v in got for v in acked), "every acknowledged record is there (%d of %d)"
              % (sum(v in got for v in acked), len(acked)))
        check(len(got) == len(set(got)), "each once")
        order = [int(v[1:]) for v in got]
        check(order == sorted(order), "in order")
        out = srv.output()
        check("recovered after a full disk" in out, "the recovery is logged")
        check(srv.alive(), "server alive")


if __name__ == "__main__":
    main()
