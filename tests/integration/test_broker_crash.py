"""test_broker_crash.py - acks=all survives kill -9: a confluent-kafka
idempotent producer records every acknowledged (partition, offset, value);
the broker is SIGKILLed mid-stream and restarted on the same port and data;
afterwards every acknowledged record is at its offset, and no value is
stored twice (the idempotence state survived the restart).

Run: /usr/bin/python3 tests/integration/test_broker_crash.py
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402


def main():
    from confluent_kafka import Consumer, Producer, TopicPartition
    tmp = tempfile.TemporaryDirectory(prefix="rill-crash-")
    srv = Server(data=tmp.name, extra=["--set", "num.partitions=2"])
    srv.start()
    acked, errors = {}, []

    def cb(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acked[(msg.partition(), msg.offset())] = msg.value()

    p = Producer({"bootstrap.servers": srv.bootstrap, "acks": "all", "enable.idempotence": True,
                  "linger.ms": 1, "batch.num.messages": 20, "message.timeout.ms": 60000,
                  "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200})
    n, killed, restarted = 6000, False, False
    t_end = time.time() + 60
    i = 0
    while i < n and time.time() < t_end:
        try:
            p.produce("crash", value=b"v%06d" % i, on_delivery=cb)
            i += 1
        except BufferError:
            p.poll(0.01)
            continue
        if i % 20 == 0:
            p.poll(0.005)  # paces the producer so the kill lands mid-stream
        if not killed and i == 2500:
            # Mid-stream by construction: some acknowledged, many in flight.
            while len(acked) < 1000 and time.time() < t_end:
                p.poll(0.01)
            srv.kill()
            killed = True
            time.sleep(0.3)
            port = srv.port
            srv = Server(data=tmp.name, extra=["--set", "num.partitions=2"])
            srv.port = port
            srv.start()
            restarted = True
    left = p.flush(60)
    check(killed and restarted, "broker was killed mid-stream and restarted")
    check(left == 0, "producer flushed everything (left %d, errors %s)" % (left, errors[:3]))
    check(len(acked) == n, "acknowledged all %d records" % len(acked))

    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "crash-check",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    md = c.list_topics("crash", timeout=10)
    parts = sorted(md.topics["crash"].partitions)
    c.assign([TopicPartition("crash", q, 0) for q in parts])
    stored = {}
    deadline = time.time() + 30
    while time.time() < deadline:
        m = c.poll(1.0)
        if m is None:
            if len(stored) >= len(acked):
                break
            continue
        if m.error():
            continue
        stored[(m.partition(), m.offset())] = m.value()
    c.close()
    missing = [k for k, v in acked.items() if stored.get(k) != v]
    check(not missing, "every acknowledged record is at its offset (%d missing, e.g. %s)" % (len(missing), missing[:3]))
    vals = list(stored.values())
    check(len(vals) == len(set(vals)), "no value stored twice (%d stored, %d distinct)" % (len(vals), len(set(vals))))
    srv.stop()
    tmp.cleanup()
    print("test_broker_crash: ok")


if __name__ == "__main__":
    main()
