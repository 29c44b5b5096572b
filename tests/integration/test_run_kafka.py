"""test_run_kafka.py - `rill run --bootstrap`: the same SQL on a Kafka
cluster (here a `rill serve` playing the cluster, reached only over the
Kafka protocol through librdkafka).

- bounded: 30,000 keyed readings in 3 partitions; a repartitioned window
  query (GROUP BY kind: through q_1-repartition on the cluster) and a
  filter; outputs read back with confluent-kafka equal a recount of the
  input, every window, every row;
- a second run on the same state directory resumes the queries from their
  progress: the filter writes nothing again, the window query only the
  windows the end of input fired (at least once, as the local log, until
  exactly-once lands: issue 10);
- streaming: a query started on the cluster turns rows produced while it
  runs into output within seconds (wake-ups from the fetch queues), and
  SIGTERM ends it cleanly;
- a second application (--application-id) on the same cluster runs the
  same SQL with its own internal topics and equal results;
- errors: an unreachable cluster and a bad -X property are refused with a
  clear message.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import RILL, Server, check  # noqa: E402

from confluent_kafka import Consumer, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

SCRIPT = """
CREATE STREAM readings (
    sensor_id STRING, kind STRING, value DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 3);
CREATE TABLE by_kind AS
  SELECT kind, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY kind, window_start, window_end;
CREATE STREAM hot AS SELECT sensor_id, value, ts FROM readings WHERE value > 90;
"""

LIVE = """
CREATE STREAM live (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (topic = 'live', format = 'json', key = 'sensor_id', partitions = 2);
CREATE STREAM live_hot AS SELECT sensor_id, value FROM live WHERE value >= 50;
"""

BASE = 1767225600000  # 2026-01-01T00:00:00Z
N = 30000
KINDS = ["temp", "vib", "hum"]


def iso(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%03dZ" % (ms % 1000)


def read_all(bootstrap, topic, expect_at_least, timeout=40):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "check-%s-%d" % (topic, time.time_ns()),
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "log_level": 2})
    c.subscribe([topic])
    out = []
    deadline = time.time() + timeout
    quiet = None
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            if len(out) >= expect_at_least:
                quiet = quiet or time.time()
                if time.time() - quiet > 1.0:
                    break
            continue
        quiet = None
        if m.error():
            continue
        out.append(m)
    c.close()
    return out


def run(args, timeout=120):
    return subprocess.run([RILL] + args, capture_output=True, text=True, timeout=timeout)


def main():
    with Server() as srv, tempfile.TemporaryDirectory(prefix="rill-kl-") as tmp:
        bs = srv.bootstrap
        admin = AdminClient({"bootstrap.servers": bs})
        for f in admin.create_topics([NewTopic("readings", 3, 1)]).values():
            f.result()
        p = Producer({"bootstrap.servers": bs, "linger.ms": 5, "partitioner": "murmur2_random"})
        want_win = {}
        want_hot = 0
        for i in range(N):
            sid, kind, v, ts = "s%d" % (i % 50), KINDS[i % 3], float(i % 100), BASE + i * 10
            p.produce("readings", key=sid, value=json.dumps(
                {"sensor_id": sid, "kind": kind, "value": v, "ts": ts}))
            w = ts - ts % 10000
            n, tot = want_win.get((kind, w), (0, 0.0))
            want_win[(kind, w)] = (n + 1, tot + v)
            want_hot += v > 90
            if i % 1000 == 0:
                p.poll(0)
        p.flush()

        script = os.path.join(tmp, "q.sql")
        with open(script, "w") as f:
            f.write(SCRIPT)
        state = os.path.join(tmp, "state")
        r = run(["run", script, "--bootstrap", bs, "--data", state, "--until-idle"])
        check(r.returncode == 0, "rill run --bootstrap --until-idle exits 0 (%s)" % r.stderr.strip())
        check("started query q_1" in r.stdout and "started query q_2" in r.stdout,
              "both queries started on the cluster")
        md = admin.list_topics(timeout=10)
        check("state-q_1-repartition" in md.topics and
              len(md.topics["state-q_1-repartition"].partitions) == 3 and
              "q_1-repartition" not in md.topics,
              "the repartition topic lives on the cluster as <application id>-q_1-repartition, 3 partitions")

        rows = read_all(bs, "by_kind", len(want_win))
        got = {}
        for m in rows:
            d = json.loads(m.value())
            got[(d["kind"], d["window_start"])] = (d["n"], d["total"])
        want = {(k, iso(w)): v for (k, w), v in want_win.items()}
        check(len(rows) == len(want), "one row per window and kind: %d rows, %d windows" % (len(rows), len(want)))
        check(got == want, "every window's count and sum equals the recount")
        hot = read_all(bs, "hot", want_hot)
        check(len(hot) == want_hot, "the filter wrote %d rows, recount %d" % (len(hot), want_hot))
        check(all(json.loads(m.value())["value"] > 90 for m in hot), "every filtered row passes the filter")

        # Resume: the catalog's queries restart from their progress.
        empty = os.path.join(tmp, "empty.sql")
        with open(empty, "w") as f:
            f.write("SHOW QUERIES;\n")
        r = run(["run", empty, "--bootstrap", bs, "--data", state, "--until-idle"])
        check(r.returncode == 0, "a second run on the same state exits 0 (%s)" % r.stderr.strip())
        rows2 = read_all(bs, "by_kind", len(want_win), timeout=5)
        hot2 = read_all(bs, "hot", want_hot, timeout=5)
        check(len(hot2) == want_hot, "the resumed filter wrote nothing again (%d rows)" % len(hot2))
        # At least once until issue 10: the windows the end of input fired
        # (the last one per kind) are written again, with the same values;
        # no other window is.
        again = {}
        for m in rows2[len(rows):]:
            d = json.loads(m.value())
            again[(d["kind"], d["window_start"])] = (d["n"], d["total"])
        last = {k: max(w for (kk, w) in want if kk == k) for k in KINDS}
        check(len(rows2) - len(rows) <= len(KINDS) and
              all(w == last[k] and want[(k, w)] == v for (k, w), v in again.items()),
              "the resumed window query rewrote only the end-of-input windows, same values (%d)"
              % (len(rows2) - len(rows)))

        # A second application on the same cluster, the same SQL: its own
        # q_1 and its own repartition topic, never the first one's.
        other = os.path.join(tmp, "other.sql")
        with open(other, "w") as f:
            f.write(SCRIPT.replace("by_kind", "by_kind2").replace("CREATE STREAM hot", "CREATE STREAM hot2")
                    .replace("CREATE STREAM readings", "CREATE STREAM IF NOT EXISTS readings"))
        r = run(["run", other, "--bootstrap", bs, "--data", os.path.join(tmp, "o"),
                 "--application-id", "plant2", "--until-idle"])
        check(r.returncode == 0 and "started query q_1" in r.stdout,
              "a second application starts its own q_1 (%s)" % r.stderr.strip())
        md = admin.list_topics(timeout=10)
        check("plant2-q_1-repartition" in md.topics, "with its own repartition topic plant2-q_1-repartition")
        rows3 = read_all(bs, "by_kind2", len(want_win))
        got3 = {(json.loads(m.value())["kind"], json.loads(m.value())["window_start"]):
                (json.loads(m.value())["n"], json.loads(m.value())["total"]) for m in rows3}
        check(len(rows3) == len(want) and got3 == want,
              "the second application's windows equal the recount too (%d rows)" % len(rows3))

        # Streaming: rows produced while the query runs come out.
        live = os.path.join(tmp, "live.sql")
        with open(live, "w") as f:
            f.write(LIVE)
        lstate = os.path.join(tmp, "lstate")
        log = open(os.path.join(tmp, "live.log"), "w")
        q = subprocess.Popen([RILL, "run", live, "--bootstrap", bs, "--data", lstate],
                             stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 20
            while time.time() < deadline and "live" not in admin.list_topics(timeout=5).topics:
                time.sleep(0.1)
            time.sleep(1.0)
            t0 = time.time()
            for i in range(100):
                p.produce("live", key="s%d" % (i % 7), value=json.dumps(
                    {"sensor_id": "s%d" % (i % 7), "value": float(i), "ts": BASE + i}))
            p.flush()
            out = read_all(bs, "live_hot", 50, timeout=60)
            lat = time.time() - t0
            check(len(out) == 50, "a running query turned live rows into %d output rows" % len(out))
            check(lat < 45, "within %.1f s (a consumer group join included)" % lat)
        finally:
            q.send_signal(signal.SIGTERM)
            try:
                rc = q.wait(20)
            except subprocess.TimeoutExpired:
                q.kill()
                rc = q.wait()
            log.close()
        check(rc == 0, "SIGTERM ends rill run --bootstrap with 0 (got %s)" % rc)

        # Errors.
        r = run(["run", script, "--bootstrap", bs, "--data", os.path.join(tmp, "x"),
                 "-X", "no.such.property=1"])
        check(r.returncode == 1 and "no.such.property" in r.stderr,
              "an unknown -X property is refused: %s" % r.stderr.strip())
        r = run(["run", script, "--bootstrap", "127.0.0.1:1", "--data", os.path.join(tmp, "y"),
                 "-X", "socket.connection.setup.timeout.ms=1000"], timeout=60)
        check(r.returncode == 1 and "cannot reach 127.0.0.1:1" in r.stderr,
              "an unreachable cluster is refused: %s" % r.stderr.strip())


if __name__ == "__main__":
    main()
