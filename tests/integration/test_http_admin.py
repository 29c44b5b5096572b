"""test_http_admin.py - what the REST API changes through the broker's Kafka
API, and the structured log: PATCH /topics/{t} (configs, null back to the
default, more partitions; unknown keys and bad values refused), DELETE
/topics/{t} (a topic a query reads is refused, 409), POST
/groups/{g}/reset-offsets (a Kafka consumer then starts where it says;
refused while the group has a member), and `rill serve --log-format json`:
every line is a JSON object, with query_start, dead_letters, late_rows,
watermark_stall (RILL_WATERMARK_STALL_MS shortens the wait), query_stop
events, read back from the log.
"""
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, wait_port  # noqa: E402

from confluent_kafka import Consumer, TopicPartition  # noqa: E402

SETUP = """
CREATE STREAM r (id STRING, v DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (topic = 'r', format = 'json', partitions = 2);
CREATE TABLE c AS SELECT id, window_start, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE r, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY id, window_start, window_end;
"""


def req(port, method, path, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data else None


def ingest(port, topic, part, rows):
    body = "\n".join(json.dumps(r) for r in rows)
    st, r = req(port, "POST", "/topics/%s?key=none&partition=%d" % (topic, part), body,
                {"Content-Type": "application/x-ndjson"})
    check(st == 200, "ingest into %s/%d: %s" % (topic, part, r))


def events(srv):
    # The log file is per port and appended to: only this run's lines.
    lines = srv.output().encode()[srv.log_base:].decode(errors="replace").splitlines()
    out = []
    for l in lines:
        try:
            out.append(json.loads(l))
        except ValueError:
            check(False, "a log line that is not JSON: %r" % l)
    return out


def wait_event(srv, name, cond=lambda e: True, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for e in events(srv):
            if e.get("event") == name and cond(e):
                return e
        time.sleep(0.2)
    check(False, "no %s event in the log:\n%s" % (name, srv.output()[-3000:]))


def main():
    hp = free_port()
    srv = Server(extra=["--http-listen", "127.0.0.1:%d" % hp, "--log-format", "json"],
                 env={"RILL_WATERMARK_STALL_MS": "1500"})
    srv.log_base = os.path.getsize(srv.log_path) if os.path.exists(srv.log_path) else 0
    srv.start()
    try:
        wait_port(hp, 10, srv.proc)
        # --- topic configs and partitions
        st, r = req(hp, "PUT", "/topics/t1", '{"partitions": 2}')
        check(st == 201 or st == 200, "PUT /topics/t1: %s %s" % (st, r))
        st, r = req(hp, "PATCH", "/topics/t1", '{"retention.ms": 3600000, "max.message.bytes": "500000", "partitions": 3}')
        check(st == 200 and r["config"]["retention.ms"] == 3600000 and r["config"]["max.message.bytes"] == 500000
              and r["config"]["partitions"] == 3, "PATCH sets configs and grows the topic: %s" % r)
        st, t = req(hp, "GET", "/topics/t1")
        check(t["config"]["retention.ms"] == 3600000 and len(t["partitions"]) == 3, "GET /topics/t1 shows them: %s" % t)
        st, r = req(hp, "PATCH", "/topics/t1", '{"retention.ms": null}')
        check(st == 200 and r["config"]["retention.ms"] == 604800000 and r["config"]["max.message.bytes"] == 500000,
              "null puts one setting back to its default, the others stay: %s" % r)
        st, r = req(hp, "PATCH", "/topics/t1", '{"colour": "blue"}')
        check(st == 400 and "unknown setting" in r["error"], "an unknown setting: 400: %s" % r)
        st, r = req(hp, "PATCH", "/topics/t1", '{"segment.bytes": "lots"}')
        check(st == 400, "a bad value: 400 from the broker: %s" % r)
        st, r = req(hp, "PATCH", "/topics/t1", '{"partitions": 2}')
        check(st == 400, "fewer partitions: 400: %s" % r)
        st, r = req(hp, "PATCH", "/topics/t1", '[1, 2]')
        check(st == 400, "not an object: 400")
        st, r = req(hp, "PATCH", "/topics/nope", '{"retention.ms": 5}')
        check(st == 404, "PATCH an unknown topic: 404")

        # --- a query over r: its log events
        st, r = req(hp, "POST", "/sql", SETUP)
        check(st == 200 and r["ok"], "a windowed query q_1: %s" % r)
        e = wait_event(srv, "query_start")
        check(e["query"] == "q_1" and e["input"] == "r" and e["sink"] == "c" and e["tasks"] == 4 and e["level"] == "info",
              "query_start: %s" % e)
        t0 = 1764000000000
        for i in range(4):
            ingest(hp, "r", 0, [{"id": "a", "v": 1, "ts": t0 + i * 1000}])
            time.sleep(0.5)
        e = wait_event(srv, "watermark_stall")
        check(e["query"] == "q_1" and e["held_by_topic"] == "r" and e["held_by_partition"] == 1 and
              e["watermark"] == "none" and e["stalled_ms"] >= 1500 and e["level"] == "warn",
              "a watermark held at none by the empty partition 1 is a stall: %s" % e)
        ingest(hp, "r", 0, [{"id": "a", "v": "x", "ts": "bad"}])
        e = wait_event(srv, "dead_letters")
        check(e["query"] == "q_1" and e["partition"] == 0 and e["count"] == 1, "dead_letters: %s" % e)
        ingest(hp, "r", 1, [{"id": "b", "v": 1, "ts": t0 + 30000}])
        ingest(hp, "r", 0, [{"id": "b", "v": 1, "ts": t0 + 40000}])
        time.sleep(0.5)
        ingest(hp, "r", 1, [{"id": "b", "v": 1, "ts": t0 + 1000}])
        e = wait_event(srv, "late_rows")
        check(e["query"] == "q_1" and e["count"] == 1 and e["max_lateness_ms"] == 28000, "late_rows: %s" % e)

        # --- DELETE /topics
        st, r = req(hp, "DELETE", "/topics/r")
        check(st == 409 and "query" in r["error"], "a topic a query reads cannot be deleted: %s %s" % (st, r))
        st, r = req(hp, "DELETE", "/topics/t1")
        check(st == 200 and r["deleted"] == "t1", "DELETE /topics/t1: %s" % r)
        st, r = req(hp, "GET", "/topics/t1")
        check(st == 404, "t1 is gone")
        st, r = req(hp, "DELETE", "/topics/t1")
        check(st == 404, "deleting it again: 404: %s" % r)

        # --- group offsets
        ingest(hp, "r", 1, [{"id": "z", "v": i, "ts": t0 + 50000 + i} for i in range(5)])
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "g1", "enable.auto.commit": False,
                      "log_level": 2})
        c.assign([TopicPartition("r", 1, 0)])
        got = 0
        deadline = time.time() + 15
        while time.time() < deadline and got < 7:
            m = c.poll(0.2)
            if m is not None and not m.error():
                got += 1
        c.commit(offsets=[TopicPartition("r", 1, 7)], asynchronous=False)
        c.close()
        st, g = req(hp, "GET", "/groups")
        check(any(x["group"] == "g1" and x["lag"] == 0 for x in g), "g1 committed the end: %s" % g)
        st, r = req(hp, "POST", "/groups/g1/reset-offsets", '{"topic": "r", "to": 3}')
        check(st == 200 and r["partitions"] == [{"partition": 0, "offset": 3}, {"partition": 1, "offset": 3}],
              "reset to offset 3: %s" % r)
        st, r = req(hp, "POST", "/groups/g1/reset-offsets", '{"topic": "r", "to": "earliest"}')
        check(st == 200 and [p["offset"] for p in r["partitions"]] == [0, 0], "reset to earliest: %s" % r)
        st, r = req(hp, "POST", "/groups/g1/reset-offsets", '{"topic": "r", "to": 99}')
        check(st == 200 and [p["offset"] for p in r["partitions"]] == [6, 7], "past the end: clamped to it: %s" % r)
        st, r = req(hp, "POST", "/groups/g1/reset-offsets", '{"topic": "r", "to": "latest"}')
        check(st == 200, "reset to latest")
        st, r = req(hp, "POST", "/groups/g1/reset-offsets", '{"topic": "r", "to": 2}')
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "g1", "enable.auto.commit": False,
                      "auto.offset.reset": "latest", "log_level": 2})
        c.assign([TopicPartition("r", 1)])
        first = None
        deadline = time.time() + 15
        while time.time() < deadline and first is None:
            m = c.poll(0.2)
            if m is not None and not m.error():
                first = m.offset()
        c.close()
        check(first == 2, "a consumer of g1 starts at the reset offset: %s" % first)
        st, r = req(hp, "POST", "/groups/g1/reset-offsets", '{"topic": "nope", "to": 0}')
        check(st == 404, "an unknown topic: 404")
        st, r = req(hp, "POST", "/groups/g1/reset-offsets", '{"to": 0}')
        check(st == 400, "no topic: 400")
        sub = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "g2", "log_level": 2,
                        "session.timeout.ms": 6000})
        sub.subscribe(["r"])
        deadline = time.time() + 15
        while time.time() < deadline and not sub.assignment():
            sub.poll(0.2)
        st, r = req(hp, "POST", "/groups/g2/reset-offsets", '{"topic": "r", "to": 0}')
        check(st == 409 and "members" in r["error"], "a group with a member is not reset: %s %s" % (st, r))
        sub.close()
        st, r = req(hp, "GET", "/groups/g1/reset-offsets")
        check(st == 405, "GET on reset-offsets: 405")

        st, r = req(hp, "POST", "/queries/q_1/stop")
        e = wait_event(srv, "query_stop")
        check(e["query"] == "q_1", "query_stop: %s" % e)
    finally:
        rc = srv.stop()
    check(rc == 0, "rill serve exits 0")
    events(srv)  # every line, to the last, is JSON
    print("ok: every log line is a JSON object")
    print("ok: test_http_admin")


if __name__ == "__main__":
    main()
