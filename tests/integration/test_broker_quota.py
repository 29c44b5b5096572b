"""test_broker_quota.py - per-principal produce and fetch quotas (issue 16).

Against `rill serve` with quota.producer.default and quota.consumer.default
of 100 KB/s (principal User:ANONYMOUS on a plaintext listener):
  - a confluent-kafka producer writing as fast as it can for 5 s gets
    throttle_time_ms in its answers (librdkafka's throttle callback) and
    delivers no more than the quota allows over Kafka's 10 s minimum
    window (plus the batches in flight);
  - `rill quotas set User:ANONYMOUS --producer-byte-rate -1` while the
    broker runs lifts it: the next 3 s deliver much more;
  - a consumer reading beyond its quota gets throttle_time_ms too.

Run: /usr/bin/python3 tests/integration/test_broker_quota.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402

QUOTA = 100000
VALUE = b"v" * 10000


def produce_for(bootstrap, secs, throttles, cap=None):
    from confluent_kafka import Producer
    delivered = [0]

    def on_delivery(err, msg):
        if err is None:
            delivered[0] += len(msg.value())

    p = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 5,
                  "batch.size": 65536, "throttle_cb": lambda ev: throttles.append(ev.throttle_time),
                  "queue.buffering.max.kbytes": 4096})
    end = time.time() + secs
    while time.time() < end and (cap is None or delivered[0] < cap):
        try:
            p.produce("q", value=VALUE, partition=0, on_delivery=on_delivery)
        except BufferError:
            p.poll(0.05)
        p.poll(0)
    n = delivered[0]
    p.purge()
    p.flush(0)
    return n


def main():
    from confluent_kafka import Consumer, TopicPartition
    extra = ["--set", "quota.producer.default=%d" % QUOTA, "--set", "quota.consumer.default=%d" % QUOTA]
    with Server(extra=extra) as srv:
        rill("topics", "create", "q", "--partitions", "1", "--bootstrap", srv.bootstrap)
        throttles = []
        n1 = produce_for(srv.bootstrap, 5, throttles)
        check(throttles and max(throttles) > 0, "the producer is told throttle_time_ms (max %s s, %d times)"
              % (max(throttles) if throttles else None, len(throttles)))
        bound = QUOTA * 10 + 2 * 1000 * 1000
        check(0 < n1 <= bound, "over 5 s it delivered %d bytes, at most the quota's 10 s window plus "
              "what was in flight (%d)" % (n1, bound))
        rill("quotas", "set", "User:ANONYMOUS", "--producer-byte-rate", "-1", data=srv.data)
        lst = rill("quotas", "list", data=srv.data).stdout
        check("User:ANONYMOUS\tproducer_byte_rate=-1\tconsumer_byte_rate=default" in lst, "rill quotas list (%r)" % lst)
        time.sleep(2.5)  # throttle still running out, and the file is looked at once a second
        t2 = []
        n2 = produce_for(srv.bootstrap, 3, t2, cap=8 * n1)
        check(n2 >= 4 * n1 and not [t for t in t2 if t > 0],
              "quota lifted by rill quotas while running: %d bytes within 3 s, no throttle (%s)" % (n2, t2[:3]))

        ct = []
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "qg", "enable.auto.commit": False,
                      "fetch.max.bytes": 300000, "max.partition.fetch.bytes": 300000,
                      "message.max.bytes": 200000,
                      "throttle_cb": lambda ev: ct.append(ev.throttle_time)})
        c.assign([TopicPartition("q", 0, 0)])
        got = 0
        end = time.time() + 6
        while time.time() < end and not [t for t in ct if t > 0]:
            m = c.poll(0.2)
            if m is not None and not m.error():
                got += len(m.value())
        c.close()
        check([t for t in ct if t > 0], "the consumer is told throttle_time_ms after %d bytes (%s)" % (got, ct[:3]))
        check(srv.alive(), "server alive")
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0 (%s)" % rc)


if __name__ == "__main__":
    main()
