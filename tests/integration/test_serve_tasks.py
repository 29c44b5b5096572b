"""test_serve_tasks.py - inside `rill serve` (RILL_WORKERS=2) a query runs
as tasks on the worker threads: confluent-kafka produces keyed readings to
3 partitions; `CREATE TABLE by_kind AS ... GROUP BY kind` repartitions
through q_1-repartition; windows fire only when every input partition's
watermark has passed them (the minimum over the stage-0 tasks' markers);
a Kafka consumer reads the results; a too-late row is counted against its
input partition in `rill queries describe`; kcat reading the repartition
topic sees only rows (the markers are control batches).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

STREAM = """
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 3,
        'watermark.idle-timeout' = '1 h');
CREATE TABLE by_kind AS
  SELECT kind, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY kind, window_start, window_end;
"""

BASE = 1767225600000  # 2026-01-01T00:00:00Z


def main():
    env = {"RILL_WORKERS": "2"}
    with Server(env=env) as srv:
        data = srv.data
        script = os.path.join(data, "..", "tasks-%d.sql" % srv.port)
        with open(script, "w") as f:
            f.write(STREAM)
        try:
            rill("run", script, data=data, timeout=30, env=env)
        finally:
            os.unlink(script)
        p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0,
                      "partitioner": "murmur2_random", "log_level": 2})
        placed = {}

        def produce(sid, kind, v, ts):
            def dr(err, msg):
                if err is None:
                    placed[sid] = msg.partition()
            p.produce("readings", key=sid, on_delivery=dr,
                      value=json.dumps({"sensor_id": sid, "kind": kind,
                                        "value": v, "ts": BASE + ts}))
        # 12 sensors spread over the 3 partitions, 2 kinds, t = 0..9 s.
        sensors = ["s%d" % i for i in range(12)]
        for t in range(10):
            for i, s in enumerate(sensors):
                produce(s, "temp" if i % 2 else "hum", float(t), t * 1000)
        check(p.flush(10) == 0, "produced 120 readings")
        check(len(set(placed.values())) == 3, "the sensors are on all 3 partitions")
        # Advance the watermark of two partitions only: nothing may fire.
        parts = {}
        for s, part in placed.items():
            parts.setdefault(part, s)
        ahead = [parts[0], parts[1]]
        for s in ahead:
            produce(s, "hum", 0.0, 30000)
        check(p.flush(10) == 0, "partitions 0 and 1 at t = 30 s")
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "g%d" % time.time_ns(),
                      "enable.auto.commit": False, "fetch.wait.max.ms": 100,
                      "log_level": 2})
        c.assign([TopicPartition("by_kind", 0, 0)])
        got = []
        deadline = time.time() + 1.5
        while time.time() < deadline:
            m = c.poll(0.1)
            if m is not None and not m.error():
                got.append(json.loads(m.value()))
        check(got == [], "partition 2 still at t = 9 s holds every window back: %r" % got)
        produce(parts[2], "hum", 0.0, 30000)
        check(p.flush(10) == 0, "partition 2 at t = 30 s")
        deadline = time.time() + 15
        while time.time() < deadline and len(got) < 2:
            m = c.poll(0.2)
            if m is not None and not m.error():
                got.append(json.loads(m.value()))
        rows = sorted((r["kind"], r["n"], r["total"]) for r in got)
        check(rows == [("hum", 60, 270.0), ("temp", 60, 270.0)],
              "[00,10) fires once all three partitions passed it: %r" % rows)
        # A too-late row from partition 2's sensor: counted against input
        # partition 2, not against the repartition partition it crossed.
        produce(parts[2], "temp", 1.0, 5000)
        check(p.flush(10) == 0, "a row 25 s late")
        desc = ""
        deadline = time.time() + 10
        while time.time() < deadline and "late rows: 1" not in desc:
            desc = rill("queries", "describe", "q_1", data=data, timeout=30).stdout
            time.sleep(0.1)
        check("late rows: 1" in desc and "late rows partition 2: 1" in desc,
              "rill queries describe: the late row against input partition 2")
        check("tasks: 3 + 3 after the repartition topic q_1-repartition" in desc,
              "rill queries describe: 3 + 3 tasks")
        check("windows fired: 2" in desc, "rill queries describe: windows fired")
        check("lag: 0 records (input), 0 (repartition topic)" in desc,
              "rill queries describe: caught up on both stages")
        # kcat over the repartition topic: rows only.
        # Values are blocks of binary rows (row_binary.h: version 1 first).
        out = subprocess.run(["kcat", "-C", "-b", srv.bootstrap, "-t", "q_1-repartition",
                              "-e", "-q", "-f", "%S %s\\n"], capture_output=True,
                             timeout=30)
        lines = []
        rest = out.stdout
        while rest:
            sp = rest.index(b" ")
            size = int(rest[:sp])
            lines.append(rest[sp + 1:sp + 1 + size])
            rest = rest[sp + 2 + size:]
        # Each record is a block of rows (row count at bytes 5-6, LE).
        rows = sum(l[5] | l[6] << 8 for l in lines if len(l) >= 7)
        check(lines and rows == 124 and all(l[:1] == b"\x01" and
                                            (b"hum" in l or b"temp" in l)
                                            for l in lines),
              "kcat reads the 124 rows of q_1-repartition, in %d blocks, and "
              "nothing else (%d rows)" % (len(lines), rows))
        # The repartition topic is the query's: DeleteTopics is refused.
        admin = AdminClient({"bootstrap.servers": srv.bootstrap, "log_level": 2})
        fut = admin.delete_topics(["q_1-repartition"], operation_timeout=10)["q_1-repartition"]
        code = None
        try:
            fut.result(15)
        except Exception as e:  # KafkaException carrying a KafkaError
            code = e.args[0].code() if e.args and hasattr(e.args[0], "code") else str(e)
        check(code == 44, "DeleteTopics q_1-repartition refused with POLICY_VIOLATION (%s)" % code)
        produce(parts[0], "hum", 1.0, 40000)
        check(p.flush(10) == 0 and srv.alive(), "the query and the server go on")
        c.close()
        check(srv.stop() == 0, "rill serve stops cleanly with the query running")


if __name__ == "__main__":
    main()
    print("test_serve_tasks: all ok")
