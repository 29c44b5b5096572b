"""test_serve_sql_delete.py - a Kafka DeleteTopics can't pull a topic from
under the SQL engine inside `rill serve`: topics of catalog streams, query
sinks and their dead-letter topics are refused with POLICY_VIOLATION (44)
while they are in the catalog, the server keeps serving, the query keeps
running, other topics delete normally, and after DROP the topic deletes.
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

SETUP = """
CREATE STREAM readings (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH (topic = 'readings', format = 'json', key = 'sensor_id');
CREATE STREAM alerts AS SELECT sensor_id, value FROM readings WHERE value > 5;
"""


def delete(admin, topic):
    """Returns None on success, else the Kafka error code."""
    fut = admin.delete_topics([topic], operation_timeout=10)[topic]
    try:
        fut.result(timeout=20)
        return None
    except KafkaException as e:
        return e.args[0].code()


def produce(bootstrap, rows):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "log_level": 2})
    for sid, v in rows:
        p.produce("readings", key=sid, value=json.dumps(
            {"sensor_id": sid, "value": v, "ts": int(time.time() * 1000)}))
    check(p.flush(10) == 0, "produced %d readings" % len(rows))


def count_alerts(bootstrap, want, timeout=15.0):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "d%d" % time.time_ns(),
                  "enable.auto.commit": False, "fetch.wait.max.ms": 200, "log_level": 2})
    c.assign([TopicPartition("alerts", 0, 0)])
    n, deadline = 0, time.time() + timeout
    while time.time() < deadline and n < want:
        m = c.poll(0.2)
        if m is not None and not m.error():
            n += 1
    c.close()
    return n


def main():
    with Server() as srv:
        script = os.path.join(srv.data, "setup.sql")
        with open(script, "w") as f:
            f.write(SETUP)
        rill("run", script, data=srv.data)
        admin = AdminClient({"bootstrap.servers": srv.bootstrap, "log_level": 2})
        fs = admin.create_topics([NewTopic("scratch", 1, 1)])
        fs["scratch"].result(timeout=20)
        produce(srv.bootstrap, [("s1", 9.0)])
        check(count_alerts(srv.bootstrap, 1) == 1, "the query runs: 1 alert")
        for topic in ("readings", "alerts", "readings.dlq"):
            code = delete(admin, topic)
            check(code == 44, "DeleteTopics %s refused with POLICY_VIOLATION (got %s)" % (topic, code))
        check(srv.alive(), "the server is still up")
        check(delete(admin, "scratch") is None, "an unrelated topic deletes")
        produce(srv.bootstrap, [("s2", 7.0)])
        check(count_alerts(srv.bootstrap, 2) == 2, "the query still runs after the refusals")
        out = rill("sql", data=srv.data, input="SHOW QUERIES;\n").stdout
        qid = out.split("q_")[1].split()[0] if "q_" in out else "1"
        rill("sql", data=srv.data, input="DROP QUERY q_%s;\nDROP STREAM alerts;\n" % qid)
        check(delete(admin, "alerts") is None, "after DROP QUERY + DROP STREAM, alerts deletes")
        check(srv.alive(), "the server is still up at the end")
        check("refused to delete topic readings" in srv.output(), "the refusal is logged")
    print("PASS test_serve_sql_delete")


if __name__ == "__main__":
    main()
