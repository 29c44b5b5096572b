"""test_broker_internal_topics.py - topics that rill writes are not
writable by Kafka clients (issue 16, item 8).

Refused with INVALID_TOPIC_EXCEPTION (17), nothing stored, nothing created:
__consumer_offsets, any other "__" name, and the repartition topic of a
query this server runs (a forged row there would be read as the query's
intermediate result). A topic that only happens to end in "-repartition"
(a Kafka Streams application's own) stays writable. With
delete.topic.enable=false, DeleteTopics answers TOPIC_DELETION_DISABLED.

Run: /usr/bin/python3 tests/integration/test_broker_internal_topics.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kwire  # noqa: E402
from kwire import batch, record  # noqa: E402
from rilltest import Server, check, rill  # noqa: E402

STREAM = """
CREATE STREAM readings (
    sensor_id STRING,
    kind  STRING,
    value DOUBLE,
    ts    TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 2);
CREATE TABLE by_kind AS
  SELECT kind, window_start, window_end, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY kind, window_start, window_end;
"""


def main():
    with Server() as srv:
        port = srv.port
        b = batch(record(b"forged"), 1)
        err, _ = kwire.produce_error(port, "__consumer_offsets", 0, b)
        check(err == 17, "produce to __consumer_offsets: 17 (%d)" % err)
        err, _ = kwire.produce_error(port, "__mine", 0, b)
        check(err == 17, "produce to __mine: 17 (%d)" % err)
        check(not os.path.exists(os.path.join(srv.data, "__mine-0")), "and __mine was not created")

        script = os.path.join(srv.data, "..", "internal-%d.sql" % port)
        with open(script, "w") as f:
            f.write(STREAM)
        try:
            rill("run", script, data=srv.data, timeout=30)
        finally:
            os.unlink(script)
        deadline = time.time() + 10
        rep = None
        while time.time() < deadline and rep is None:
            for n in os.listdir(srv.data):
                if n.endswith("-repartition-0"):
                    rep = n[:-2]
            time.sleep(0.1)
        check(rep is not None, "the query made its repartition topic (%s)" % rep)
        err, _ = kwire.produce_error(port, rep, 0, b)
        check(err == 17, "produce to the query's %s: 17 (%d)" % (rep, err))
        err, _ = kwire.produce_error(port, "app-store-repartition", 0, b)
        check(err == 0, "a client's own app-store-repartition stays writable (%d)" % err)
        err, _ = kwire.produce_error(port, "readings", 0, batch(record(
            b'{"sensor_id":"s1","kind":"a","value":1,"ts":1767225600000}', key=b"s1"), 1))
        check(err == 0, "the query's input topic stays writable (%d)" % err)

    # delete.topic.enable=false: DeleteTopics answers TOPIC_DELETION_DISABLED.
    from confluent_kafka.admin import AdminClient
    with Server(extra=["--set", "delete.topic.enable=false"]) as srv:
        err, _ = kwire.produce_error(srv.port, "keep", 0, batch(record(b"x"), 1))
        check(err == 0, "a topic to keep")
        a = AdminClient({"bootstrap.servers": srv.bootstrap})
        fut = a.delete_topics(["keep"], operation_timeout=5)["keep"]
        try:
            fut.result(15)
            res = "deleted"
        except Exception as e:  # KafkaException(KafkaError)
            res = e.args[0].name() if e.args and hasattr(e.args[0], "name") else str(e)
        check(res == "TOPIC_DELETION_DISABLED", "delete.topic.enable=false: %s" % res)
        check(os.path.exists(os.path.join(srv.data, "keep-0")), "and the topic is still there")


if __name__ == "__main__":
    main()
