"""txn_eos_client.py - the consume-transform-produce client that
test_txn_eos.py kills: reads `in` from the group's committed offsets with
read_committed, writes "out-<value>" to `out` and commits the input offsets
in the same transaction (send_offsets_to_transaction), until killed. Any
error ends the process with status 3 (the test starts a new one, whose
init_transactions fences this one and aborts what it left open).

usage: txn_eos_client.py BOOTSTRAP
"""
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def main():
    bootstrap = sys.argv[1]
    try:
        p = Producer({"bootstrap.servers": bootstrap, "transactional.id": "eos-loop",
                      "transaction.timeout.ms": 10000, "message.timeout.ms": 8000,
                      "socket.timeout.ms": 3000, "linger.ms": 2})
        p.init_transactions(15)
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "eos",
                      "isolation.level": "read_committed", "enable.auto.commit": False,
                      "auto.offset.reset": "earliest", "socket.timeout.ms": 3000})
        committed = c.committed([TopicPartition("in", 0)], timeout=15)[0].offset
        start = committed if committed >= 0 else 0
        c.assign([TopicPartition("in", 0, start)])
        pos = start
        while True:
            msgs = c.consume(50, 1.0)
            msgs = [m for m in msgs if not m.error()]
            if not msgs:
                continue
            p.begin_transaction()
            for m in msgs:
                p.produce("out", b"out-" + m.value())
            time.sleep(0.02)  # the "transform": kills land inside transactions
            pos = msgs[-1].offset() + 1
            p.send_offsets_to_transaction([TopicPartition("in", 0, pos)],
                                          c.consumer_group_metadata(), 15)
            p.commit_transaction(15)
    except KafkaException as e:
        print("client: %s" % e, file=sys.stderr)
        sys.stderr.flush()
        os._exit(3)


if __name__ == "__main__":
    sys.exit(main())
