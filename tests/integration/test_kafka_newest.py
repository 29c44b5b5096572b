"""test_kafka_newest.py - the newest versions of the group and offset APIs
and dynamic broker configs, against `rill serve`:
- dynamic broker configs (KIP-226) with confluent-kafka's AdminClient
  (alter_configs on the BROKER resource, AlterConfigs v1) and raw
  IncrementalAlterConfigs v1: validated (a key that is not dynamic, a bad
  value: INVALID_REQUEST as Kafka answers, nothing changed), described with
  their source, applied live (message.max.bytes refuses a bigger message at
  once; a topic on the old default follows, a topic with its own value
  keeps it; a new topic gets the new default), persisted across a restart,
  the cluster-default layer ("") under the per-broker one;
- fetch sessions (KIP-227) with raw Fetch v12 frames: created, incremental
  answers with only what changed, wrong epoch and unknown id refused,
  forgotten partitions, long polling on a session, closed with epoch -1;
- topic ids (KIP-516): Metadata v12 by name and by id, Fetch v13/v15/v17 by
  id, the id kept across restarts, given to a topic of an older data
  directory, new for a recreated topic (the old one UNKNOWN_TOPIC_ID);
  CreateTopics v7 answers the id, DeleteTopics v6 deletes by id;
- raw frames for versions no Debian client sends: LeaveGroup v3 and v5
  (static members of a confluent-kafka consumer removed by
  group.instance.id, FENCED_INSTANCE_ID for a wrong member id, unknown
  members), FindCoordinator v4 (batched keys) and v6 (share groups
  refused), OffsetFetch v8 and v9 (two groups in one request), ListOffsets
  v7 (MAX_TIMESTAMP), v8 (EARLIEST_LOCAL) and v9 (LATEST_TIERED).

Run: RILL=build/rill /usr/bin/python3 tests/integration/test_kafka_newest.py
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import RILL, Server, check  # noqa: E402
from test_kafka_admin import Reader, call, cstr, recv_exact, uvarint  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer  # noqa: E402
from confluent_kafka import TopicPartition as TP  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402

WEEK = str(7 * 24 * 3600 * 1000)


def balter(admin, name, cfg):
    res = ConfigResource(ConfigResource.Type.BROKER, name, set_config=cfg)
    try:
        admin.alter_configs([res], request_timeout=10)[res].result(timeout=15)
        return None
    except KafkaException as e:
        return e.args[0]


def bdescribe(admin, name="0"):
    res = ConfigResource(ConfigResource.Type.BROKER, name)
    return admin.describe_configs([res], request_timeout=10)[res].result(timeout=15)


def tdescribe(admin, name):
    res = ConfigResource(ConfigResource.Type.TOPIC, name)
    fs = admin.describe_configs([res], request_timeout=10)
    return {k: v.value for k, v in fs[res].result(timeout=15).items()}


def call_classic(port, key, ver, body, corr=9):
    """A request with header v1 (no tags) for a non-flexible version; the
    answer's reader after the correlation id."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    hdr = struct.pack(">hhih", key, ver, corr, 4) + b"test"
    s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
    n = struct.unpack(">i", recv_exact(s, 4))[0]
    r = Reader(recv_exact(s, n))
    s.close()
    check(r.i32() == corr, "correlation id of api %d v%d" % (key, ver))
    return r


def raw_describe_broker(port, name):
    """DescribeConfigs v4 on the BROKER resource `name` (confluent-kafka
    refuses an empty name): {key: (value, source)}."""
    body = uvarint(2) + b"\x04" + cstr(name) + b"\x00" + b"\x00" + b"\x00" + b"\x00" + b"\x00"
    r = call(port, 32, 4, body)
    r.i32()
    check(r.uv() == 2, "DescribeConfigs: one result")
    ec, msg, rt, rn = r.i16(), r.cstr(), r.i8(), r.cstr()
    out = {}
    for _ in range(r.uv() - 1):
        k, v, ro, src, sens = r.cstr(), r.cstr(), r.i8(), r.i8(), r.i8()
        for _ in range(r.uv() - 1):
            r.cstr(), r.cstr(), r.i8()
            r.tags()
        r.i8()
        r.cstr()
        r.tags()
        out[k] = (v, src)
    r.tags()
    r.tags()
    check(ec == 0 and r.done(), "DescribeConfigs v4 of broker %r" % name)
    return out


def incremental(port, name, ops):
    """IncrementalAlterConfigs v1 on the BROKER resource `name`; ops is a list
    of (key, op, value). Returns (error, message)."""
    body = uvarint(2) + b"\x04" + cstr(name) + uvarint(len(ops) + 1)
    for k, op, v in ops:
        body += cstr(k) + bytes([op]) + cstr(v) + b"\x00"
    body += b"\x00" + b"\x00" + b"\x00"
    r = call(port, 44, 1, body)
    r.i32()
    check(r.uv() == 2, "IncrementalAlterConfigs: one result")
    ec, msg = r.i16(), r.cstr()
    return ec, msg


def dynamic_configs(srv, admin):
    port = srv.port
    for f in admin.create_topics([NewTopic("follows", 1, 1),
                                  NewTopic("own", 1, 1, config={"retention.ms": "3600000"})]).values():
        f.result(timeout=15)
    bd = bdescribe(admin)
    check(bd["log.retention.ms"].value == WEEK and not bd["log.retention.ms"].is_read_only
          and bd["broker.id"].is_read_only,
          "the dynamic keys are described writable, the others read-only")

    # Refused: a key that is not dynamic, a bad value; nothing changes.
    err = balter(admin, "0", {"num.partitions": "3"})
    check(err is not None and err.name() == "INVALID_REQUEST" and "dynamically" in err.str(),
          "num.partitions is not dynamic: INVALID_REQUEST with a reason (%s)" % err)
    err = balter(admin, "0", {"log.retention.ms": "soon"})
    check(err is not None and err.name() == "INVALID_REQUEST", "a bad value: INVALID_REQUEST (%s)" % err)
    err = balter(admin, "0", {"log.segment.bytes": "10"})
    check(err is not None and "1024" in err.str(), "log.segment.bytes below rill's minimum refused (%s)" % err)
    ec, msg = incremental(port, "7", [("log.retention.ms", 0, "1000")])
    check(ec == 42 and "broker id" in msg, "another broker id refused (%d %s)" % (ec, msg))
    check(bdescribe(admin)["log.retention.ms"].value == WEEK, "a refused alter changed nothing")

    # Per broker: retention and message.max.bytes, applied live.
    check(balter(admin, "0", {"log.retention.ms": "600000", "message.max.bytes": "2000"}) is None,
          "confluent alter_configs on the broker: log.retention.ms, message.max.bytes")
    bd = bdescribe(admin)
    check(bd["log.retention.ms"].value == "600000" and bd["message.max.bytes"].value == "2000"
          and int(bd["log.retention.ms"].source) == 2,
          "described with source DYNAMIC_BROKER_CONFIG (%s)" % bd["log.retention.ms"])
    check(tdescribe(admin, "follows")["retention.ms"] == "600000",
          "a topic on the old default follows the new one")
    check(tdescribe(admin, "own")["retention.ms"] == "3600000", "a topic with its own value keeps it")
    for f in admin.create_topics([NewTopic("later", 1, 1)]).values():
        f.result(timeout=15)
    check(tdescribe(admin, "later")["retention.ms"] == "600000", "a new topic gets the new default")

    p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0, "message.max.bytes": 100000,
                  "retries": 0})
    errs = []
    p.produce("own", b"x" * 3000, partition=0, on_delivery=lambda e, m: errs.append(e))
    p.flush(15)
    p.produce("own", b"x" * 100, partition=0, on_delivery=lambda e, m: errs.append(e))
    p.flush(15)
    check(len(errs) == 2 and errs[0] is not None and "TOO_LARGE" in errs[0].name() and errs[1] is None,
          "message.max.bytes 2000 applies at once (%s)" % errs)

    # AlterConfigs replaces the layer: message.max.bytes back to static.
    check(balter(admin, "0", {"log.retention.ms": "600000"}) is None, "alter_configs without message.max.bytes")
    bd = bdescribe(admin)
    check(bd["message.max.bytes"].value == "1048588" and bd["message.max.bytes"].source == 4,
          "what AlterConfigs does not name reverts to the static value (%s)" % bd["message.max.bytes"])

    # The cluster-default layer ("") under the per-broker one, by
    # IncrementalAlterConfigs; a synonym (hours) stored as ms.
    ec, msg = incremental(port, "", [("log.retention.hours", 0, "2"), ("log.roll.ms", 0, "3600000")])
    check(ec == 0, "IncrementalAlterConfigs v1 on the default resource (%s)" % msg)
    bd = bdescribe(admin)
    check(bd["log.retention.ms"].value == "600000" and bd["log.roll.ms"].value == "3600000"
          and bd["log.roll.ms"].source == 3,
          "the per-broker value wins; the default applies where none is set")
    dd = raw_describe_broker(port, "")
    check(dd == {"log.retention.ms": ("7200000", 3), "log.roll.ms": ("3600000", 3)},
          "describing \"\" lists only the dynamic defaults (%s)" % dd)
    ec, msg = incremental(port, "0", [("log.retention.ms", 1, None)])
    check(ec == 0 and bdescribe(admin)["log.retention.ms"].value == "7200000",
          "DELETE of the per-broker value: the default shows through")
    check(tdescribe(admin, "follows")["retention.ms"] == "7200000", "and the following topic moved with it")
    ec, msg = incremental(port, "0", [("log.retention.ms", 2, "1")])
    check(ec == 42, "APPEND on a non-list config: INVALID_REQUEST (%d %s)" % (ec, msg))
    ec, msg = incremental(port, "0", [("log.cleaner.threads", 0, "2")])
    check(ec == 42 and msg and "dynamically" in msg, "a non-dynamic key: INVALID_REQUEST (%s)" % msg)


def static_leave(srv):
    port = srv.port
    admin = AdminClient({"bootstrap.servers": srv.bootstrap})
    for f in admin.create_topics([NewTopic("lv", 2, 1)]).values():
        f.result(timeout=15)
    cs = []
    for i in range(2):
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "static",
                      "group.instance.id": "inst-%d" % i, "session.timeout.ms": 60000,
                      "auto.offset.reset": "earliest"})
        c.subscribe(["lv"])
        cs.append(c)
    deadline = time.time() + 30
    while time.time() < deadline and not all(c.assignment() for c in cs):
        for c in cs:
            c.poll(0.2)
    check(all(c.assignment() for c in cs), "two static members (group.instance.id) assigned")

    # LeaveGroup v3: inst-0 by instance id alone; inst-1 with a wrong
    # member id (fenced); an unknown instance.
    members = [("", "inst-0"), ("not-its-id", "inst-1"), ("", "nobody")]
    body = struct.pack(">h", 6) + b"static" + struct.pack(">i", len(members))
    for mid, inst in members:
        body += struct.pack(">h", len(mid)) + mid.encode() + struct.pack(">h", len(inst)) + inst.encode()
    r = call_classic(port, 13, 3, body)
    thr, ec, n = r.i32(), r.i16(), r.i32()
    got = []
    for _ in range(n):
        mid = r.take(r.i16()).decode()
        inst = r.take(r.i16()).decode()
        got.append((mid, inst, r.i16()))
    check(ec == 0 and got == [("", "inst-0", 0), ("not-its-id", "inst-1", 82), ("", "nobody", 25)] and r.done(),
          "LeaveGroup v3: removed by instance id, FENCED_INSTANCE_ID, UNKNOWN_MEMBER_ID (%s)" % got)

    # v5 (flexible, with a reason) removes inst-1.
    body = cstr("static") + uvarint(2) + cstr("") + cstr("inst-1") + cstr("admin says so") + b"\x00" + b"\x00"
    r = call(port, 13, 5, body)
    thr, ec, n = r.i32(), r.i16(), r.uv() - 1
    mid, inst, mec = r.cstr(), r.cstr(), r.i16()
    r.tags()
    r.tags()
    check(ec == 0 and n == 1 and inst == "inst-1" and mec == 0 and r.done(), "LeaveGroup v5 with a reason")
    r = call(port, 13, 5, cstr("no-such-group") + uvarint(2) + cstr("m") + cstr(None) + cstr(None) + b"\x00\x00")
    r.i32()
    check(r.i16() == 25 and r.uv() == 1, "LeaveGroup v5, unknown group: top-level UNKNOWN_MEMBER_ID")
    for c in cs:
        c.close()


def find_coordinator(srv):
    port = srv.port
    # v4: a batch of keys, one coordinator each.
    body = b"\x00" + uvarint(3) + cstr("g1") + cstr("g2") + b"\x00"
    r = call(port, 10, 4, body)
    r.i32()
    n = r.uv() - 1
    got = []
    for _ in range(n):
        key, node, host, p, ec, msg = r.cstr(), r.i32(), r.cstr(), r.i32(), r.i16(), r.cstr()
        r.tags()
        got.append((key, node, host, p, ec))
    r.tags()
    check(got == [("g1", 0, "127.0.0.1", port, 0), ("g2", 0, "127.0.0.1", port, 0)] and r.done(),
          "FindCoordinator v4: one coordinator per key (%s)" % got)
    # v6: a share group (key type 2) is refused, a transactional id is not.
    r = call(port, 10, 6, b"\x02" + uvarint(2) + cstr("sg") + b"\x00")
    r.i32()
    r.uv()
    key, node, host, p, ec, msg = r.cstr(), r.i32(), r.cstr(), r.i32(), r.i16(), r.cstr()
    check(key == "sg" and ec == 42 and node == -1 and "share" in msg,
          "FindCoordinator v6: share groups are INVALID_REQUEST (%d %s)" % (ec, msg))
    r = call(port, 10, 5, b"\x01" + uvarint(2) + cstr("txn-1") + b"\x00")
    r.i32()
    r.uv()
    key, node = r.cstr(), r.i32()
    check(key == "txn-1" and node == 0, "FindCoordinator v5: a transactional id")


def offset_fetch(srv):
    port = srv.port
    admin = AdminClient({"bootstrap.servers": srv.bootstrap})
    for f in admin.create_topics([NewTopic("of", 2, 1)]).values():
        f.result(timeout=15)
    for g, off in (("ga", 5), ("gb", 9)):
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": g})
        c.commit(offsets=[TP("of", 1, off)], asynchronous=False)
        c.close()

    def parse_groups(r):
        r.i32()
        out = {}
        for _ in range(r.uv() - 1):
            g = r.cstr()
            topics = {}
            for _ in range(r.uv() - 1):
                t = r.cstr()
                for _ in range(r.uv() - 1):
                    p, off, ep, meta, ec = r.i32(), r.i64(), r.i32(), r.cstr(), r.i16()
                    r.tags()
                    topics[(t, p)] = (off, ec)
                r.tags()
            out[g] = (topics, r.i16())
            r.tags()
        r.tags()
        check(r.done(), "OffsetFetch answer read to its end")
        return out

    # v8: ga for of/0-1, gb for every committed partition (null topics).
    body = (uvarint(3) + cstr("ga") + uvarint(2) + cstr("of") + uvarint(3) + struct.pack(">ii", 0, 1)
            + b"\x00" + b"\x00" + cstr("gb") + b"\x00" + b"\x00" + b"\x00" + b"\x00")
    got = parse_groups(call(port, 9, 8, body))
    check(got == {"ga": ({("of", 0): (-1, 0), ("of", 1): (5, 0)}, 0), "gb": ({("of", 1): (9, 0)}, 0)},
          "OffsetFetch v8: two groups in one request (%s)" % got)
    # v9: member id and epoch (KIP-848 fields) on a classic group.
    body = (uvarint(2) + cstr("gb") + cstr(None) + struct.pack(">i", -1) + uvarint(2) + cstr("of")
            + uvarint(2) + struct.pack(">i", 1) + b"\x00" + b"\x00" + b"\x01" + b"\x00")
    got = parse_groups(call(port, 9, 9, body))
    check(got == {"gb": ({("of", 1): (9, 0)}, 0)}, "OffsetFetch v9 (%s)" % got)


def list_offsets(srv):
    port = srv.port
    admin = AdminClient({"bootstrap.servers": srv.bootstrap})
    for f in admin.create_topics([NewTopic("lo", 1, 1), NewTopic("empty", 1, 1)]).values():
        f.result(timeout=15)
    p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0})
    for i, ts in enumerate([1000, 5000, 3000, 5000, 2000]):
        p.produce("lo", b"v%d" % i, partition=0, timestamp=1700000000000 + ts)
        p.flush(10)  # one batch each

    def lookup(ver, topic, ts):
        body = (struct.pack(">i", -1) + b"\x00" + uvarint(2) + cstr(topic) + uvarint(2)
                + struct.pack(">iiq", 0, -1, ts) + b"\x00" + b"\x00" + b"\x00")
        r = call(port, 2, ver, body)
        r.i32()
        r.uv()
        r.cstr()
        r.uv()
        pi, ec, rts, off, ep = r.i32(), r.i16(), r.i64(), r.i64(), r.i32()
        return ec, rts, off

    check(lookup(7, "lo", -3) == (0, 1700000005000, 1),
          "ListOffsets v7 MAX_TIMESTAMP: the first record with the largest timestamp")
    check(lookup(7, "empty", -3) == (0, -1, -1), "MAX_TIMESTAMP of an empty partition: -1")
    check(lookup(8, "lo", -4) == (0, -1, 0), "ListOffsets v8 EARLIEST_LOCAL: the log start")
    check(lookup(9, "lo", -5) == (0, -1, -1), "ListOffsets v9 LATEST_TIERED: -1 (nothing tiered)")
    check(lookup(9, "lo", -1) == (0, -1, 5), "ListOffsets v9 latest")
    # After DeleteRecords past the max, MAX_TIMESTAMP names nothing deleted.
    from confluent_kafka.admin import AdminClient as _A  # noqa: F401
    body = (uvarint(2) + cstr("lo") + uvarint(2) + struct.pack(">iq", 0, 2) + b"\x00" + b"\x00"
            + struct.pack(">i", 10000) + b"\x00")
    r = call(port, 21, 2, body)
    check(lookup(7, "lo", -3)[2] in (-1, 3), "MAX_TIMESTAMP never answers a deleted offset")


def metadata_v12(port, name=None, tid=None):
    """Metadata v12 for one topic by name or by id: (error, name, id, npartitions)."""
    body = uvarint(2) + (tid or bytes(16)) + cstr(name) + b"\x00" + b"\x00" + b"\x00" + b"\x00"
    r = call(port, 3, 12, body)
    r.i32()
    for _ in range(r.uv() - 1):
        r.i32(), r.cstr(), r.i32(), r.cstr()
        r.tags()
    r.cstr()
    r.i32()
    check(r.uv() == 2, "Metadata v12: one topic")
    ec, tname, tid, internal = r.i16(), r.cstr(), r.take(16), r.i8()
    n = r.uv() - 1
    for _ in range(n):
        r.i16(), r.i32(), r.i32(), r.i32()
        for _ in range(3):
            for _ in range(r.uv() - 1):
                r.i32()
        r.tags()
    r.i32()
    r.tags()
    r.tags()
    check(r.done(), "Metadata v12 answer read to its end")
    return ec, tname, tid, n


def fetch_by_id(port, ver, tid, offset=0):
    """Fetch v13+ of partition 0 by topic id: (error, hw, record count, id)."""
    body = b""
    if ver <= 14:
        body += struct.pack(">i", -1)
    body += struct.pack(">iiibii", 100, 1, 1 << 20, 0, 0, -1)
    body += uvarint(2) + tid + uvarint(2) + struct.pack(">iiqiqi", 0, -1, offset, -1, -1, 1 << 20)
    body += b"\x00" + b"\x00" + uvarint(1) + cstr("") + b"\x00"
    r = call(port, 1, ver, body)
    r.i32()
    top, sess = r.i16(), r.i32()
    check(r.uv() == 2, "Fetch v%d: one topic" % ver)
    rid = r.take(16)
    check(r.uv() == 2, "Fetch v%d: one partition" % ver)
    pi, ec, hw, lso, lstart = r.i32(), r.i16(), r.i64(), r.i64(), r.i64()
    na = r.uv()
    for _ in range(max(na - 1, 0)):
        r.i64(), r.i64()
        r.tags()
    r.i32()
    n = r.uv()
    recs = r.take(n - 1) if n else b""
    r.tags()
    r.tags()
    r.tags()
    check(r.done(), "Fetch v%d answer read to its end" % ver)
    count, p = 0, 0
    while p + 61 <= len(recs):
        blen = struct.unpack(">i", recs[p + 8:p + 12])[0]
        count += struct.unpack(">i", recs[p + 57:p + 61])[0]
        p += 12 + blen
    return ec, hw, count, rid


def topic_ids(srv):
    port = srv.port
    admin = AdminClient({"bootstrap.servers": srv.bootstrap})
    for f in admin.create_topics([NewTopic("ids", 1, 1)]).values():
        f.result(timeout=15)
    p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0})
    for i in range(3):
        p.produce("ids", b"v%d" % i, partition=0)
    p.flush(10)
    ec, name, tid, n = metadata_v12(port, name="ids")
    check(ec == 0 and tid != bytes(16) and n == 1, "Metadata v12: the topic has an id (KIP-516)")
    check(metadata_v12(port, tid=tid)[:2] == (0, "ids"), "Metadata v12 by topic id")
    check(metadata_v12(port, tid=b"\x01" * 16)[0] == 100, "an unknown topic id: UNKNOWN_TOPIC_ID")
    for v in (13, 15, 17):
        ec, hw, count, rid = fetch_by_id(port, v, tid)
        check(ec == 0 and hw == 3 and count == 3 and rid == tid,
              "Fetch v%d by topic id: 3 records, the id echoed (%d %d %d)" % (v, ec, hw, count))
    return tid


def create_delete_by_id(srv):
    port = srv.port
    # CreateTopics v7 answers the new topic's id.
    body = (uvarint(2) + cstr("byid") + struct.pack(">ih", 2, -1) + uvarint(1) + uvarint(1) + b"\x00"
            + struct.pack(">i", 10000) + b"\x00" + b"\x00")
    r = call(port, 19, 7, body)
    r.i32()
    check(r.uv() == 2, "CreateTopics v7: one result")
    name, tid, ec, msg, np, rf = r.cstr(), r.take(16), r.i16(), r.cstr(), r.i32(), r.i16()
    check(name == "byid" and ec == 0 and np == 2 and tid != bytes(16)
          and metadata_v12(port, name="byid")[2] == tid,
          "CreateTopics v7: the topic id, the one Metadata gives (%d %s)" % (ec, msg))

    def delete(entries):
        body = uvarint(len(entries) + 1)
        for n, i in entries:
            body += cstr(n) + i + b"\x00"
        body += struct.pack(">i", 10000) + b"\x00"
        r = call(port, 20, 6, body)
        r.i32()
        out = []
        for _ in range(r.uv() - 1):
            n, i, ec, msg = r.cstr(), r.take(16), r.i16(), r.cstr()
            r.tags()
            out.append((n, i, ec))
        r.tags()
        check(r.done(), "DeleteTopics v6 answer read to its end")
        return out

    got = delete([(None, tid), (None, b"\x02" * 16)])
    check(got == [("byid", tid, 0), (None, b"\x02" * 16, 100)],
          "DeleteTopics v6: by id (named in the answer); an unknown id UNKNOWN_TOPIC_ID (%s)" % got)
    check(metadata_v12(port, name="byid")[0] == 3, "the topic deleted by id is gone")


def topic_ids_lifecycle(srv, tid):
    port = srv.port
    check(srv.stop() == 0, "stopped")
    srv.start()
    check(metadata_v12(port, name="ids")[2] == tid, "the topic id survives a restart")
    # A data directory from before topic ids: the id line removed.
    check(srv.stop() == 0, "stopped")
    path = os.path.join(srv.data, "topics", "ids.properties")
    with open(path) as f:
        text = f.read()
    check("topic.id=" + tid.hex() in text, "the id is in the topic's metadata file")
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in text.splitlines() if not line.startswith("topic.id=")))
    srv.start()
    new = metadata_v12(port, name="ids")[2]
    check(new != bytes(16) and new != tid, "a topic without an id gets one at start")
    check(srv.stop() == 0, "stopped")
    srv.start()
    check(metadata_v12(port, name="ids")[2] == new, "and keeps it")
    # Deleted and created again: a new id; the old one is unknown.
    admin = AdminClient({"bootstrap.servers": srv.bootstrap})
    admin.delete_topics(["ids"])["ids"].result(timeout=15)
    time.sleep(0.5)
    for f in admin.create_topics([NewTopic("ids", 1, 1)]).values():
        f.result(timeout=15)
    again = metadata_v12(port, name="ids")[2]
    check(again != new, "a recreated topic gets a new id")
    check(fetch_by_id(port, 13, new)[0] == 100, "Fetch v13 with the old id: UNKNOWN_TOPIC_ID")


def fetch_session(port, sid, epoch, parts=(), forgotten=(), wait=0):
    """Fetch v12 (by name) with session fields. parts: (topic, partition,
    offset); forgotten: (topic, partition). Returns (error, session id,
    {(topic, partition): (error, hw, record count)})."""
    body = struct.pack(">iiiibii", -1, wait, 1, 1 << 20, 0, sid, epoch)
    by_topic = {}
    for t, p, off in parts:
        by_topic.setdefault(t, []).append((p, off))
    body += uvarint(len(by_topic) + 1)
    for t, ps in by_topic.items():
        body += cstr(t) + uvarint(len(ps) + 1)
        for p, off in ps:
            body += struct.pack(">iiqiqi", p, -1, off, -1, -1, 1 << 20) + b"\x00"
        body += b"\x00"
    fg = {}
    for t, p in forgotten:
        fg.setdefault(t, []).append(p)
    body += uvarint(len(fg) + 1)
    for t, ps in fg.items():
        body += cstr(t) + uvarint(len(ps) + 1) + b"".join(struct.pack(">i", p) for p in ps) + b"\x00"
    body += cstr("") + b"\x00"
    r = call(port, 1, 12, body)
    r.i32()
    err, rsid = r.i16(), r.i32()
    out = {}
    for _ in range(r.uv() - 1):
        t = r.cstr()
        for _ in range(r.uv() - 1):
            pi, ec, hw, lso, ls = r.i32(), r.i16(), r.i64(), r.i64(), r.i64()
            for _ in range(max(r.uv() - 1, 0)):
                r.i64(), r.i64()
                r.tags()
            r.i32()
            n = r.uv()
            recs = r.take(n - 1) if n else b""
            r.tags()
            count, q = 0, 0
            while q + 61 <= len(recs):
                count += struct.unpack(">i", recs[q + 57:q + 61])[0]
                q += 12 + struct.unpack(">i", recs[q + 8:q + 12])[0]
            out[(t, pi)] = (ec, hw, count)
        r.tags()
    r.tags()
    check(r.done(), "Fetch v12 answer read to its end")
    return err, rsid, out


def fetch_sessions(srv):
    port = srv.port
    admin = AdminClient({"bootstrap.servers": srv.bootstrap})
    for f in admin.create_topics([NewTopic("fs", 2, 1)]).values():
        f.result(timeout=15)
    p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0})

    def produce(part, n):
        for i in range(n):
            p.produce("fs", b"x", partition=part)
        p.flush(10)

    produce(0, 2)
    produce(1, 1)
    err, sid, got = fetch_session(port, 0, -1, [("fs", 0, 0), ("fs", 1, 0)])
    check(err == 0 and sid == 0 and got == {("fs", 0): (0, 2, 2), ("fs", 1): (0, 1, 1)},
          "sessionless fetch (epoch -1): session id 0, every partition (%s)" % got)
    err, sid, got = fetch_session(port, 0, 0, [("fs", 0, 0), ("fs", 1, 0)])
    check(err == 0 and sid != 0 and got == {("fs", 0): (0, 2, 2), ("fs", 1): (0, 1, 1)},
          "a new fetch session (epoch 0): an id, the full answer (%d %s)" % (sid, got))
    err, s2, got = fetch_session(port, sid, 1, [("fs", 0, 2), ("fs", 1, 1)])
    check(err == 0 and s2 == sid and got == {},
          "incremental (epoch 1), new offsets, nothing new: no partition answered (%s)" % got)
    produce(1, 1)
    err, s2, got = fetch_session(port, sid, 2)
    check(err == 0 and s2 == sid and got == {("fs", 1): (0, 2, 1)},
          "incremental (epoch 2), no partition named: only the one with a new record (%s)" % got)
    err, s2, got = fetch_session(port, sid, 2)
    check(err == 71 and s2 == 0 and got == {}, "the same epoch again: INVALID_FETCH_SESSION_EPOCH (%d)" % err)
    err, s2, got = fetch_session(port, 12345, 1)
    check(err == 70 and s2 == 0, "an unknown session: FETCH_SESSION_ID_NOT_FOUND (%d)" % err)
    err, s2, got = fetch_session(port, sid, 3, [("fs", 1, 2)], forgotten=[("fs", 0)])
    check(err == 0 and got == {}, "epoch 3 forgets partition 0 (%s)" % got)
    produce(0, 1)
    produce(1, 1)
    err, s2, got = fetch_session(port, sid, 4)
    check(err == 0 and got == {("fs", 1): (0, 3, 1)},
          "a forgotten partition is not fetched any more (%s)" % got)
    # Long polling on a session: parked, answered when a record comes.
    import threading
    t = threading.Timer(0.5, lambda: produce(1, 1))
    t.start()
    t0 = time.time()
    err, s2, got = fetch_session(port, sid, 5, [("fs", 1, 3)], wait=5000)
    t.join()
    check(err == 0 and got == {("fs", 1): (0, 4, 1)} and time.time() - t0 < 4.5,
          "an incremental fetch waits for data and answers the partition that got it (%s)" % got)
    err, s2, got = fetch_session(port, sid, -1, [("fs", 0, 0)])
    check(err == 0 and s2 == 0 and got == {("fs", 0): (0, 3, 3)}, "epoch -1 closes the session (sessionless answer)")
    err, s2, got = fetch_session(port, sid, 6)
    check(err == 70, "a closed session is not found (%d)" % err)


def main():
    srv = Server()
    srv.start()
    try:
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        dynamic_configs(srv, admin)
        check(srv.stop() == 0, "broker stopped cleanly")
        srv.start()
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        bd = bdescribe(admin)
        check(bd["log.retention.ms"].value == "7200000" and bd["log.roll.ms"].value == "3600000"
              and bd["log.retention.ms"].source == 3,
              "dynamic configs persisted across a restart")
        with open(os.path.join(srv.data, "broker-dynamic-config"), "a") as f:
            f.write("broker.num.partitions=3\n")
        check(srv.stop() == 0, "stopped again")
        try:
            srv.start(timeout=5)
            started = True
        except Exception:
            started = False
        check(not started or not srv.alive(), "a damaged dynamic config file: the broker refuses to start")
        srv.stop()
        os.unlink(os.path.join(srv.data, "broker-dynamic-config"))
        srv.start()
        static_leave(srv)
        find_coordinator(srv)
        offset_fetch(srv)
        list_offsets(srv)
        fetch_sessions(srv)
        tid = topic_ids(srv)
        create_delete_by_id(srv)
        topic_ids_lifecycle(srv, tid)
    finally:
        srv.stop()
        if srv.tmp is not None:
            srv.tmp.cleanup()
    # A `rill serve` that fails to start leaves no data directory behind
    # (one it created, with the parents it created); an existing one stays.
    with tempfile.TemporaryDirectory(prefix="rill-it-") as tmp:
        data = os.path.join(tmp, "new", "data")
        p = subprocess.run([RILL, "serve", "--data", data, "--listen", "999.1.1.1:1"],
                           capture_output=True, timeout=30)
        check(p.returncode != 0 and not os.path.exists(os.path.join(tmp, "new")),
              "a failed start removes the data directory it created")
        p = subprocess.run([RILL, "serve", "--data", tmp, "--listen", "999.1.1.1:1"],
                           capture_output=True, timeout=30)
        check(p.returncode != 0 and os.path.isdir(tmp), "and keeps one that existed")
    print("test_kafka_newest: ok")


if __name__ == "__main__":
    main()
