"""test_broker_clients.py - `rill serve` with kafka-python 2.0.2 and
confluent-kafka-python 1.7.0: round trips, an idempotent producer, admin
create/delete topics, ListOffsets by time.

Run: /usr/bin/python3 tests/integration/test_broker_clients.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402


def kafka_python_round_trip(srv):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    prod = KafkaProducer(bootstrap_servers=srv.bootstrap, acks=1, linger_ms=5)
    futs = [prod.send("kp", key=b"k%d" % (i % 7), value=b"value-%d" % i) for i in range(500)]
    prod.flush(timeout=20)
    metas = [f.get(timeout=10) for f in futs]
    check(len(metas) == 500, "kafka-python: 500 sends acknowledged")
    prod.close()
    cons = KafkaConsumer(bootstrap_servers=srv.bootstrap, auto_offset_reset="earliest",
                         enable_auto_commit=False, consumer_timeout_ms=5000)
    parts = cons.partitions_for_topic("kp")
    tps = [TopicPartition("kp", p) for p in sorted(parts)]
    cons.assign(tps)
    cons.seek_to_beginning()
    seen = [m.value for m in cons]
    check(len(seen) == 500, "kafka-python consumer reads 500 back (got %d)" % len(seen))
    check(set(seen) == {b"value-%d" % i for i in range(500)}, "kafka-python: every value once")
    # ListOffsets v1 (latest / earliest / by time).
    end = cons.end_offsets(tps)
    check(sum(end.values()) == 500, "end offsets sum to 500")
    beg = cons.beginning_offsets(tps)
    check(all(v == 0 for v in beg.values()), "beginning offsets are 0")
    future = cons.offsets_for_times({tp: int(time.time() * 1000) + 3600_000 for tp in tps})
    check(all(v is None for v in future.values()), "offsets_for_times in the future: none")
    past = cons.offsets_for_times({tp: 0 for tp in tps})
    check(all(v is not None and v.offset == 0 for v in past.values()), "offsets_for_times(0) = 0")
    cons.close()


def timestamps_lookup(srv):
    """ListOffsets by time answers the found record's own timestamp (as
    Kafka does), not the one asked for, within a batch and across batches."""
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    prod = KafkaProducer(bootstrap_servers=srv.bootstrap, acks=1, linger_ms=50)
    for ts in (1000, 2000, 2600):  # one batch
        prod.send("tsl", value=b"%d" % ts, partition=0, timestamp_ms=ts)
    prod.flush(timeout=20)
    for ts in (3000, 5000):  # another
        prod.send("tsl", value=b"%d" % ts, partition=0, timestamp_ms=ts)
    prod.flush(timeout=20)
    prod.close()
    cons = KafkaConsumer(bootstrap_servers=srv.bootstrap)
    tp = TopicPartition("tsl", 0)
    for want_ts, off, ts in ((0, 0, 1000), (1500, 1, 2000), (2001, 2, 2600), (2700, 3, 3000),
                             (4000, 4, 5000), (5000, 4, 5000)):
        got = cons.offsets_for_times({tp: want_ts})[tp]
        check(got is not None and (got.offset, got.timestamp) == (off, ts),
              "offsets_for_times(%d) = offset %d with the record's timestamp %d (got %s)"
              % (want_ts, off, ts, got))
    check(cons.offsets_for_times({tp: 5001})[tp] is None, "offsets_for_times after the last: none")
    cons.close()


def confluent_idempotent(srv):
    from confluent_kafka import Consumer, Producer, TopicPartition
    acked, errors = [], []

    def cb(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acked.append((msg.partition(), msg.offset(), msg.value()))

    p = Producer({"bootstrap.servers": srv.bootstrap, "enable.idempotence": True,
                  "linger.ms": 2, "batch.num.messages": 50, "message.send.max.retries": 100})
    n = 3000
    for i in range(n):
        while True:
            try:
                p.produce("idem", value=b"m%05d" % i, key=b"%d" % (i % 11), on_delivery=cb)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(30)
    check(left == 0 and not errors, "idempotent producer: all delivered (left %d, errors %s)" % (left, errors[:3]))
    check(len(acked) == n, "idempotent producer: %d acknowledged" % len(acked))
    offs = {}
    for part, off, _ in acked:
        offs.setdefault(part, []).append(off)
    check(all(sorted(v) == list(range(len(v))) for v in offs.values()),
          "acknowledged offsets are dense per partition")
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "unused-idem",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    md = c.list_topics("idem", timeout=10)
    parts = sorted(md.topics["idem"].partitions)
    c.assign([TopicPartition("idem", q, 0) for q in parts])
    got = []
    deadline = time.time() + 20
    while len(got) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        got.append(m.value())
    c.close()
    check(len(got) == n and len(set(got)) == n, "consumed %d, %d distinct, no duplicates" % (len(got), len(set(got))))


def confluent_admin(srv):
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": srv.bootstrap})
    fs = a.create_topics([NewTopic("adm1", num_partitions=3, replication_factor=1),
                          NewTopic("adm2", num_partitions=1, replication_factor=1)])
    for t, f in fs.items():
        f.result(15)
    md = a.list_topics(timeout=10)
    check("adm1" in md.topics and len(md.topics["adm1"].partitions) == 3, "admin: adm1 has 3 partitions")
    fs = a.create_topics([NewTopic("adm1", num_partitions=3, replication_factor=1)])
    try:
        fs["adm1"].result(15)
        dup = False
    except Exception as e:  # TOPIC_ALREADY_EXISTS
        dup = "exist" in str(e).lower()
    check(dup, "admin: creating adm1 again fails with TOPIC_ALREADY_EXISTS")
    fs = a.create_topics([NewTopic("adm3", num_partitions=1, replication_factor=1,
                                   config={"retention.ms": "60000", "cleanup.policy": "delete"})])
    fs["adm3"].result(15)
    with open(os.path.join(srv.data, "topics", "adm3.properties")) as f:
        meta = f.read()
    check("60000" in meta, "admin: retention.ms=60000 stored with the topic")
    fs = a.create_topics([NewTopic("adm4", num_partitions=1, replication_factor=1,
                                   config={"retention.ms": "soon"})])
    try:
        fs["adm4"].result(15)
        bad = False
    except Exception as e:
        bad = "config" in str(e).lower()
    check(bad, "admin: a bad retention.ms gets INVALID_CONFIG")
    fs = a.create_topics([NewTopic("adm5", num_partitions=1, replication_factor=3)])
    try:
        fs["adm5"].result(15)
        rf = False
    except Exception as e:
        rf = "replication" in str(e).lower()
    check(rf, "admin: replication factor 3 refused on one node")
    fs = a.delete_topics(["__consumer_offsets"])
    try:
        fs["__consumer_offsets"].result(15)
        internal = False
    except Exception:
        internal = True
    check(internal, "admin: deleting __consumer_offsets is refused")
    fs = a.delete_topics(["adm2"])
    fs["adm2"].result(15)
    time.sleep(0.2)
    md = a.list_topics(timeout=10)
    check("adm2" not in md.topics, "admin: adm2 deleted")


def kafka_python_admin(srv):
    from kafka.admin import KafkaAdminClient, NewTopic
    a = KafkaAdminClient(bootstrap_servers=srv.bootstrap)
    a.create_topics([NewTopic("kpadm", num_partitions=2, replication_factor=1)])
    check("kpadm" in a.list_topics(), "kafka-python admin: topic created")
    a.delete_topics(["kpadm"])
    check("kpadm" not in a.list_topics(), "kafka-python admin: topic deleted")
    a.close()


def main():
    with Server(extra=["--set", "num.partitions=3"]) as srv:
        kafka_python_round_trip(srv)
        timestamps_lookup(srv)
        confluent_idempotent(srv)
        confluent_admin(srv)
        kafka_python_admin(srv)
        check(srv.alive(), "server still running")
        rc = srv.stop()
        check(rc == 0, "SIGTERM: clean exit 0 (got %s)" % rc)
        check("broker: stopped" in srv.output(), "shutdown logged")
    print("test_broker_clients: ok")


if __name__ == "__main__":
    main()
