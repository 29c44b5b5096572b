"""test_serve_sql_durable.py - `rill.read.durable=true` reaches the queries
`rill serve` runs: a query reads only fsync'ed input, and its output
reaches a Kafka consumer only once it is fsync'ed too ("alerts only after
fsync").

The periodic flush is pushed out to an hour (`log.flush.interval.ms`). Two
readings produced with acks=1 land in the page cache only; the query's
task, stopped at the durable offset with data beyond it, asks the flusher
for that fsync (as a parked Fetch does) instead of waiting for the hour:
it reads both within seconds, and by then the broker (which, with the
setting, reports the durable offset as the high watermark) shows them
durable. Its alert reaches a long-polling consumer (whose parked fetch
asks for the output's fsync). One more reading with acks=-1 follows the
same path. The same steps without the setting: the query reads the acks=1
readings at once and the high watermark is not held to the durable
offset.

Run: /usr/bin/python3 tests/integration/test_serve_sql_durable.py
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

SETUP = """
CREATE STREAM readings (sensor_id STRING, value DOUBLE)
    WITH (topic = 'readings', format = 'json', partitions = 1);
CREATE STREAM alerts AS SELECT sensor_id, value FROM readings WHERE value > 5;
"""
NO_FLUSH = ["--set", "log.flush.interval.ms=3600000"]


def produce(bootstrap, rows, acks):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": acks, "log_level": 2})
    for sid, v in rows:
        p.produce("readings", value=json.dumps({"sensor_id": sid, "value": v}), partition=0)
    check(p.flush(10) == 0, "produced %d readings with acks=%s" % (len(rows), acks))


def records_in(data):
    r = rill("queries", "describe", "q_1", data=data, timeout=30)
    for line in r.stdout.splitlines():
        if line.startswith("records in:"):
            return int(line.split()[-1])
    raise RuntimeError("no 'records in' in: " + r.stdout)


def read(c, want, timeout):
    got, deadline = [], time.time() + timeout
    while time.time() < deadline and len(got) < want:
        m = c.poll(0.2)
        if m is not None and not m.error():
            got.append(json.loads(m.value()))
    return got


def start(durable):
    tmp = tempfile.TemporaryDirectory(prefix="rill-sqldur-")
    data = os.path.join(tmp.name, "data")
    script = os.path.join(tmp.name, "setup.sql")
    with open(script, "w") as f:
        f.write(SETUP)
    extra = NO_FLUSH + (["--set", "rill.read.durable=true"] if durable else [])
    srv = Server(data=data, extra=extra)
    srv.start()
    r = rill("run", script, data=data, timeout=30)
    check("started query q_1" in r.stdout, "the query runs inside rill serve")
    return tmp, data, srv


def contrast():
    tmp, data, srv = start(False)
    try:
        produce(srv.bootstrap, [("a", 1.0), ("b", 7.0)], acks=1)
        deadline = time.time() + 10
        while records_in(data) < 2 and time.time() < deadline:
            time.sleep(0.1)
        check(records_in(data) == 2, "without rill.read.durable the query reads acks=1 readings at once")
    finally:
        srv.stop()
        tmp.cleanup()


def main():
    contrast()
    tmp, data, srv = start(True)
    try:
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "sqldur",
                      "enable.auto.commit": False, "fetch.wait.max.ms": 500, "log_level": 2})
        c.assign([TopicPartition("alerts", 0, 0)])
        produce(srv.bootstrap, [("a", 1.0), ("b", 7.0)], acks=1)
        t0 = time.time()
        deadline = t0 + 10
        while records_in(data) < 2 and time.time() < deadline:
            time.sleep(0.05)
        took = time.time() - t0
        check(records_in(data) == 2 and took < 5,
              "the query asked for the fsync of its input: read both in %.2f s "
              "(the periodic flush is an hour away)" % took)
        lo, hi = c.get_watermark_offsets(TopicPartition("readings", 0), timeout=10)
        check(hi == 2, "both readings are durable by then (durable offset %d)" % hi)
        got = read(c, 1, 10)
        check([(g["sensor_id"], g["value"]) for g in got] == [("b", 7.0)],
              "the consumer receives the alert once it is durable (%r)" % got)

        produce(srv.bootstrap, [("c", 9.0)], acks=-1)
        deadline = time.time() + 10
        while records_in(data) < 3 and time.time() < deadline:
            time.sleep(0.05)
        check(records_in(data) == 3, "after the acks=-1 produce: the query read all 3")
        t0 = time.time()
        got = read(c, 1, 10)
        check([(g["sensor_id"], g["value"]) for g in got] == [("c", 9.0)],
              "the consumer receives the second alert (%r, %.2f s)" % (got, time.time() - t0))
        c.close()
        check(srv.alive(), "server alive")
    finally:
        srv.stop()
        tmp.cleanup()
    print("test_serve_sql_durable: ok")


if __name__ == "__main__":
    main()
