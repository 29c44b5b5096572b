"""test_kafka_admin.py - the admin APIs with unmodified clients against
`rill serve`:
- confluent-kafka's AdminClient: describe_configs (topic, broker),
  alter_configs (validated: unknown key, bad value, an unknown
  cleanup.policy refused), the change applied live (max.message.bytes refuses a bigger
  message at once) and persisted (same values after a restart);
- kafka-python's KafkaAdminClient: describe_configs, alter_configs,
  delete_consumer_groups (an Empty group with committed offsets goes away,
  also after a restart; a group with a member is NON_EMPTY_GROUP; an
  unknown one GROUP_ID_NOT_FOUND), list/describe;
- raw frames for the flexible-only APIs the Debian clients lack:
  DescribeCluster v1, IncrementalAlterConfigs v1, ElectLeaders v2,
  ListPartitionReassignments v0, DescribeLogDirs v4;
- ApiVersions lists exactly the table of docs/kafka-protocol.md.

Run: /usr/bin/python3 tests/integration/test_kafka_admin.py
"""
import os
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import ROOT, Server, check  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer  # noqa: E402
from confluent_kafka import TopicPartition as TP  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402
from kafka import KafkaAdminClient, KafkaConsumer  # noqa: E402
from kafka.admin import ConfigResource as KPConfigResource  # noqa: E402
from kafka.admin import ConfigResourceType  # noqa: E402


def cdescribe(admin, name):
    res = ConfigResource(ConfigResource.Type.TOPIC, name)
    fs = admin.describe_configs([res], request_timeout=10)
    return {k: v.value for k, v in fs[res].result(timeout=15).items()}


def calter(admin, name, cfg):
    res = ConfigResource(ConfigResource.Type.TOPIC, name, set_config=cfg)
    try:
        admin.alter_configs([res], request_timeout=10)[res].result(timeout=15)
        return None
    except KafkaException as e:
        return e.args[0]


# --- raw frames ------------------------------------------------------------

def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def cstr(s):
    if s is None:
        return b"\x00"
    s = s.encode()
    return uvarint(len(s) + 1) + s


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        v = self.d[self.p:self.p + n]
        if len(v) != n:
            raise ValueError("short")
        self.p += n
        return v

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def uv(self):
        shift = n = 0
        while True:
            b = self.take(1)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7

    def cstr(self):
        n = self.uv()
        return None if n == 0 else self.take(n - 1).decode()

    def tags(self):
        for _ in range(self.uv()):
            self.uv()
            self.take(self.uv())

    def done(self):
        return self.p == len(self.d)


def recv_exact(s, n):
    """recv(MSG_WAITALL) on a socket with a timeout may return early (the
    records of a Fetch come by sendfile, later than the rest): loop."""
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ValueError("connection closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def call(port, key, ver, body, corr=7):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    hdr = struct.pack(">hhih", key, ver, corr, 4) + b"test" + b"\x00"  # v2 header
    s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
    n = struct.unpack(">i", recv_exact(s, 4))[0]
    data = recv_exact(s, n)
    s.close()
    r = Reader(data)
    check(r.i32() == corr, "correlation id of api %d v%d" % (key, ver))
    r.tags()  # response header v1
    return r


def api_versions(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    body = struct.pack(">hhih", 18, 0, 1, -1)
    s.sendall(struct.pack(">i", len(body)) + body)
    n = struct.unpack(">i", recv_exact(s, 4))[0]
    r = Reader(recv_exact(s, n))
    s.close()
    r.i32()
    check(r.i16() == 0, "ApiVersions v0 answered")
    out = {}
    for _ in range(r.i32()):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        out[k] = (lo, hi)
    return out


def docs_table():
    rows = {}
    with open(os.path.join(ROOT, "docs", "kafka-protocol.md")) as f:
        for line in f:
            m = re.match(r"\| \w+ \((\d+)\) \| (\d+)(?:–(\d+))? \|", line)
            if m:
                lo = int(m.group(2))
                rows[int(m.group(1))] = (lo, int(m.group(3) or lo))
    return rows


def main():
    with Server() as srv:
        port = srv.port
        check(api_versions(port) == docs_table(),
              "ApiVersions lists exactly docs/kafka-protocol.md's table")

        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        fs = admin.create_topics([NewTopic("cfg", 2, 1), NewTopic("other", 1, 1)])
        for f in fs.values():
            f.result(timeout=15)

        # CreateTopics checks its configs (and validate_only creates nothing).
        def create_err(name, cfg, validate=False):
            f = admin.create_topics([NewTopic(name, 1, 1, config=cfg)], validate_only=validate)[name]
            try:
                f.result(timeout=15)
                return None
            except KafkaException as e:
                return e.args[0]
        e1 = create_err("bad1", {"no.such.key": "1"})
        e2 = create_err("bad2", {"retention.ms": "soon"})
        e3 = create_err("bad3", {"cleanup.policy": "squash"})
        e4 = create_err("vo", {"retention.ms": "1000", "min.insync.replicas": "1"}, validate=True)
        check(all(e is not None and e.name() == "INVALID_CONFIG" for e in (e1, e2, e3)) and e4 is None,
              "CreateTopics: unknown key, bad value, unknown cleanup.policy refused; a valid validate_only passes (%s %s %s %s)"
              % (e1, e2, e3, e4))
        names = admin.list_topics(timeout=10).topics
        check(not {"bad1", "bad2", "bad3", "vo"} & set(names), "and none of them was created")

        d = cdescribe(admin, "cfg")
        check(d.get("retention.ms") == str(7 * 24 * 3600 * 1000) and d.get("cleanup.policy") == "delete",
              "confluent describe_configs: defaults (%s)" % d)
        bres = ConfigResource(ConfigResource.Type.BROKER, "0")
        bd = admin.describe_configs([bres], request_timeout=10)[bres].result(timeout=15)
        check("message.max.bytes" in bd and bd["broker.id"].value == "0",
              "confluent describe_configs: the broker's configs")

        check(calter(admin, "cfg", {"retention.ms": "60000", "max.message.bytes": "2000"}) is None,
              "confluent alter_configs: retention.ms and max.message.bytes")
        d = cdescribe(admin, "cfg")
        check(d["retention.ms"] == "60000" and d["max.message.bytes"] == "2000",
              "the new values are described (%s)" % d)
        check(d["segment.bytes"] == str(1 << 30), "alter_configs resets what it does not name")
        err = calter(admin, "cfg", {"no.such.key": "1"})
        check(err is not None and "INVALID_CONFIG" in err.name(), "unknown key: INVALID_CONFIG (%s)" % err)
        err = calter(admin, "cfg", {"retention.ms": "soon"})
        check(err is not None and "INVALID_CONFIG" in err.name(), "bad value: INVALID_CONFIG")
        err = calter(admin, "cfg", {"cleanup.policy": "squash"})
        check(err is not None and "INVALID_CONFIG" in err.name(),
              "an unknown cleanup.policy refused (%s); compact is accepted: "
              "test_log_compact.py" % err)
        check(cdescribe(admin, "cfg")["retention.ms"] == "60000", "a refused alter changed nothing")

        # Applied live: a 3000-byte message is now too large for "cfg".
        p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0, "message.max.bytes": 100000,
                      "retries": 0})
        errs = {}
        p.produce("cfg", b"x" * 3000, partition=0, on_delivery=lambda e, m: errs.__setitem__(m.topic(), e))
        p.produce("other", b"x" * 3000, partition=0, on_delivery=lambda e, m: errs.__setitem__(m.topic(), e))
        p.flush(15)
        check(len(errs) == 2 and errs["cfg"] is not None and "TOO_LARGE" in errs["cfg"].name()
              and errs["other"] is None, "max.message.bytes applies at once (%s)" % errs)

        # kafka-python's admin client (DescribeConfigs v2, AlterConfigs v1).
        kp = KafkaAdminClient(bootstrap_servers=srv.bootstrap, request_timeout_ms=10000)
        r = kp.describe_configs([KPConfigResource(ConfigResourceType.TOPIC, "cfg")])
        cfgs = {c[0]: c[1] for c in r[0].resources[0][4]}
        check(cfgs.get("retention.ms") == "60000", "kafka-python describe_configs (%s)" % cfgs)
        r = kp.alter_configs([KPConfigResource(ConfigResourceType.TOPIC, "cfg",
                                               configs={"retention.ms": "120000", "max.message.bytes": "2000"})])
        check(r.resources[0][0] == 0, "kafka-python alter_configs")

        # Raw: IncrementalAlterConfigs v1 (SET segment.bytes, DELETE retention.ms).
        body = (uvarint(2) + b"\x02" + cstr("cfg") + uvarint(3) +
                cstr("segment.bytes") + b"\x00" + cstr("1048576") + b"\x00" +
                cstr("retention.ms") + b"\x01" + cstr(None) + b"\x00" + b"\x00" + b"\x00" + b"\x00")
        r = call(port, 44, 1, body)
        r.i32()
        n = r.uv() - 1
        ec, msg, rt, rn = r.i16(), r.cstr(), r.i8(), r.cstr()
        r.tags()
        r.tags()
        check(n == 1 and ec == 0 and rn == "cfg" and r.done(), "IncrementalAlterConfigs v1 (%d %s)" % (ec, msg))
        d = cdescribe(admin, "cfg")
        check(d["segment.bytes"] == "1048576" and d["retention.ms"] == str(7 * 24 * 3600 * 1000)
              and d["max.message.bytes"] == "2000",
              "incremental: set one, reset one, the rest kept (%s)" % d)

        # Raw: DescribeCluster v1.
        r = call(port, 60, 1, b"\x00\x01\x00")
        r.i32()
        ec, msg, et, cid, ctl = r.i16(), r.cstr(), r.i8(), r.cstr(), r.i32()
        nb = r.uv() - 1
        bid, host, bport, rack = r.i32(), r.cstr(), r.i32(), r.cstr()
        r.tags()
        r.i32()
        r.tags()
        check(ec == 0 and nb == 1 and bport == port and ctl == bid and cid and r.done(),
              "DescribeCluster v1: one broker, itself the controller")

        # Raw: ElectLeaders v2 (preferred) for cfg/0 and a missing partition.
        body = b"\x00" + uvarint(2) + cstr("cfg") + uvarint(3) + struct.pack(">ii", 0, 9) + b"\x00" + \
            struct.pack(">i", 5000) + b"\x00"
        r = call(port, 43, 2, body)
        r.i32()
        top = r.i16()
        r.uv()
        r.cstr()
        r.uv()
        res = []
        for _ in range(2):
            res.append((r.i32(), r.i16()))
            r.cstr()
            r.tags()
        r.tags()
        r.tags()
        check(top == 0 and res == [(0, 84), (9, 3)] and r.done(),
              "ElectLeaders v2: ELECTION_NOT_NEEDED / UNKNOWN_TOPIC_OR_PARTITION (%s)" % res)

        # Raw: ListPartitionReassignments v0 (all): none.
        r = call(port, 46, 0, struct.pack(">i", 5000) + b"\x00" + b"\x00")
        r.i32()
        ec, msg, nt = r.i16(), r.cstr(), r.uv() - 1
        r.tags()
        check(ec == 0 and nt == 0 and r.done(), "ListPartitionReassignments: nothing in progress")

        # Raw: DescribeLogDirs v4, every topic.
        r = call(port, 35, 4, b"\x00\x00")
        r.i32()
        check(r.i16() == 0 and r.uv() - 1 == 1, "DescribeLogDirs v4: one log dir")
        r.i16()
        check(r.cstr() == srv.data, "DescribeLogDirs: the data directory")
        names = {}
        for _ in range(r.uv() - 1):
            name = r.cstr()
            parts = []
            for _ in range(r.uv() - 1):
                parts.append((r.i32(), r.i64(), r.i64(), r.i8()))
                r.tags()
            r.tags()
            names[name] = parts
        r.i64()
        r.i64()
        r.tags()
        r.tags()
        check(r.done() and len(names.get("cfg", [])) == 2 and len(names.get("other", [])) == 1,
              "DescribeLogDirs: every partition listed (%s)" % sorted(names))

        # CreatePartitions: confluent grows "other" 1 -> 3, kafka-python to 4;
        # fewer is refused; the new partitions take records at once.
        from confluent_kafka.admin import NewPartitions
        fs = admin.create_partitions([NewPartitions("other", 3)], request_timeout=10)
        fs["other"].result(timeout=15)
        md = admin.list_topics("other", timeout=10)
        check(len(md.topics["other"].partitions) == 3, "confluent create_partitions: 'other' has 3 partitions")
        try:
            admin.create_partitions([NewPartitions("other", 2)], request_timeout=10)["other"].result(timeout=15)
            shrink = None
        except KafkaException as e:
            shrink = e.args[0]
        check(shrink is not None and shrink.name() == "INVALID_PARTITIONS", "fewer partitions refused (%s)" % shrink)
        from kafka.admin import NewPartitions as KPNewPartitions
        r = kp.create_partitions({"other": KPNewPartitions(4)})
        check(r.topic_errors[0][1] == 0, "kafka-python create_partitions: 4 (%s)" % (r.topic_errors,))
        r = kp.create_partitions({"other": KPNewPartitions(9)}, validate_only=True)
        check(r.topic_errors[0][1] == 0 and len(admin.list_topics("other", timeout=10).topics["other"].partitions) == 4,
              "validate_only changes nothing")
        errs = []
        p2 = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0})
        p2.produce("other", b"in-3", partition=3, on_delivery=lambda e, m: errs.append(e))
        p2.flush(15)
        check(errs == [None], "a record produced to the new partition 3 (%s)" % errs)
        cons = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "p3", "auto.offset.reset": "earliest"})
        cons.assign([TP("other", 3, 0)])
        m = cons.poll(15)
        check(m is not None and m.error() is None and m.value() == b"in-3", "and read back from it")
        cons.close()

        # DeleteRecords (the Debian clients lack it): v2 raw, then v0.
        p3 = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0})
        for i in range(10):
            p3.produce("other", b"r%d" % i, partition=0)
        p3.flush(15)
        body = (uvarint(2) + cstr("other") + uvarint(4) + struct.pack(">iq", 0, 7) + b"\x00" +
                struct.pack(">iq", 1, 99) + b"\x00" + struct.pack(">iq", 77, 0) + b"\x00" + b"\x00" +
                struct.pack(">i", 5000) + b"\x00")
        r = call(port, 21, 2, body)
        r.i32()
        r.uv()
        r.cstr()
        got = []
        for _ in range(r.uv() - 1):
            got.append((r.i32(), r.i64(), r.i16()))
            r.tags()
        r.tags()
        r.tags()
        check(r.done() and got[0] == (0, 7, 0) and got[1][2] == 1 and got[2][2] == 3,
              "DeleteRecords v2: below 7 deleted; past the end OFFSET_OUT_OF_RANGE; unknown partition (%s)" % got)
        c2 = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "dr", "auto.offset.reset": "earliest"})
        lo, hi = c2.get_watermark_offsets(TP("other", 0), timeout=10)
        check((lo, hi) == (7, 11), "the low watermark is now 7 (%d, %d)" % (lo, hi))
        # ListOffsets v6 (flexible) and v4 (classic) with leader epochs.
        body = struct.pack(">ib", -1, 0) + uvarint(2) + cstr("other") + uvarint(3) + \
            struct.pack(">iiq", 0, -1, -2) + b"\x00" + struct.pack(">iiq", 0, -1, -1) + b"\x00" + b"\x00" + b"\x00"
        r = call(port, 2, 6, body)
        r.i32()
        r.uv()
        r.cstr()
        lo6 = []
        for _ in range(r.uv() - 1):
            lo6.append((r.i32(), r.i16(), r.i64(), r.i64(), r.i32()))
            r.tags()
        r.tags()
        r.tags()
        check(r.done() and [(x[3], x[4]) for x in lo6] == [(7, -1), (11, -1)],
              "ListOffsets v6: earliest 7, latest 11, leader epoch -1 (%s)" % lo6)
        s4 = socket.create_connection(("127.0.0.1", port), timeout=10)
        body = struct.pack(">ibi", -1, 0, 1) + struct.pack(">h", 5) + b"other" + struct.pack(">i", 1) + \
            struct.pack(">iiq", 0, -1, -2)
        hdr = struct.pack(">hhih", 2, 4, 31, -1)
        s4.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
        n = struct.unpack(">i", recv_exact(s4, 4))[0]
        data = recv_exact(s4, n)
        s4.close()
        check(len(data) == 4 + 4 + 4 + 7 + 4 + 4 + 2 + 8 + 8 + 4 and
              struct.unpack(">qi", data[-12:]) == (7, -1), "ListOffsets v4: offset and leader epoch")

        # Fetch v12 (flexible, raw): from 7 some records; from 0 (deleted)
        # OFFSET_OUT_OF_RANGE with empty records, not null.
        def fetch12(offset):
            part = struct.pack(">iiqiqi", 0, -1, offset, -1, -1, 1 << 20) + b"\x00"
            body = struct.pack(">iiiibii", -1, 100, 1, 1 << 20, 0, 0, -1) + uvarint(2) + cstr("other") + \
                uvarint(2) + part + b"\x00" + uvarint(1) + cstr("") + b"\x00"
            r = call(port, 1, 12, body)
            r.i32()
            top, sess = r.i16(), r.i32()
            r.uv()
            r.cstr()
            r.uv()
            idx, ec, hwm, lso, start = r.i32(), r.i16(), r.i64(), r.i64(), r.i64()
            na = r.uv()
            for _ in range(max(na - 1, 0)):
                r.i64()
                r.i64()
                r.tags()
            r.i32()
            n = r.uv()
            recs = None if n == 0 else r.take(n - 1)
            r.tags()
            r.tags()
            r.tags()
            return r.done(), top, sess, ec, hwm, start, recs

        ok, top, sess, ec, hwm, start, recs = fetch12(7)
        check(ok and top == 0 and sess == 0 and ec == 0 and hwm == 11 and start == 7 and recs
              and struct.unpack(">q", recs[:8])[0] <= 7, "Fetch v12: records from offset 7")
        ok, top, sess, ec, hwm, start, recs = fetch12(0)
        check(ok and ec == 1 and recs == b"", "Fetch v12 below the log start: OFFSET_OUT_OF_RANGE, empty records")
        c2.assign([TP("other", 0, 0)])  # below the start: auto.offset.reset applies
        vals = []
        end = time.time() + 15
        while time.time() < end and len(vals) < 4:
            m = c2.poll(0.5)
            if m is not None and m.error() is None:
                vals.append((m.offset(), m.value()))
        c2.close()
        check([v[0] for v in vals] == [7, 8, 9, 10] and vals[0][1] == b"r6",
              "a consumer from offset 0 starts at 7 (%s)" % vals)
        s0 = socket.create_connection(("127.0.0.1", port), timeout=10)
        body = struct.pack(">i", 1) + struct.pack(">h", 5) + b"other" + struct.pack(">i", 1) + \
            struct.pack(">iq", 0, -1) + struct.pack(">i", 5000)
        hdr = struct.pack(">hhih", 21, 0, 9, -1)
        s0.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
        n = struct.unpack(">i", recv_exact(s0, 4))[0]
        data = recv_exact(s0, n)
        s0.close()
        corr, thr, nt, ln = struct.unpack(">iiih", data[:14])
        idx, low, ec = struct.unpack(">iqh", data[14 + ln + 4:14 + ln + 4 + 14])
        check(corr == 9 and idx == 0 and low == 11 and ec == 0, "DeleteRecords v0 up to the high watermark (-1)")

        # JoinGroup v9 and SyncGroup v5 (flexible, raw): the KIP-394
        # handshake, then protocol type and name in both answers.
        def join9(member, corr):
            body = cstr("raw") + struct.pack(">ii", 6000, 6000) + cstr(member) + cstr(None) + \
                cstr("consumer") + uvarint(2) + cstr("range") + uvarint(3) + b"\x00\x01" + b"\x00" + \
                cstr("testing") + b"\x00"
            r = call(port, 11, 9, body, corr)
            r.i32()
            ec, gen, ptype, pname, leader, skip, mid = r.i16(), r.i32(), r.cstr(), r.cstr(), r.cstr(), r.i8(), \
                r.cstr()
            for _ in range(r.uv() - 1):
                r.cstr()
                r.cstr()
                r.take(r.uv() - 1)
                r.tags()
            r.tags()
            return r.done(), ec, gen, ptype, pname, leader, skip, mid
        ok, ec, gen, ptype, pname, leader, skip, mid = join9("", 41)
        check(ok and ec == 79 and mid and ptype is None and pname is None,
              "JoinGroup v9 without a member id: MEMBER_ID_REQUIRED, null type and name (%s)" % ((ec, ptype, pname),))
        ok, ec, gen, ptype, pname, leader, skip, mid2 = join9(mid, 42)
        check(ok and ec == 0 and gen >= 1 and ptype == "consumer" and pname == "range" and leader == mid
              and skip == 0 and mid2 == mid, "JoinGroup v9: generation %d, consumer/range, leader" % gen)

        def sync5(name, corr):
            body = cstr("raw") + struct.pack(">i", gen) + cstr(mid) + cstr(None) + cstr("consumer") + \
                cstr(name) + uvarint(2) + cstr(mid) + uvarint(4) + b"abc" + b"\x00" + b"\x00"
            r = call(port, 14, 5, body, corr)
            r.i32()
            ec, ptype, pname = r.i16(), r.cstr(), r.cstr()
            assignment = r.take(r.uv() - 1)
            r.tags()
            return r.done(), ec, ptype, pname, assignment
        ok, ec, ptype, pname, asg = sync5("roundrobin", 43)
        check(ok and ec == 23, "SyncGroup v5 naming another protocol: INCONSISTENT_GROUP_PROTOCOL (%d)" % ec)
        ok, ec, ptype, pname, asg = sync5("range", 44)
        check(ok and ec == 0 and ptype == "consumer" and pname == "range" and asg == b"abc",
              "SyncGroup v5: the group's type and name, the assignment (%s)" % ((ec, ptype, pname, asg),))

        # Groups: one with committed offsets and no member, one with a member.
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "gone",
                      "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        from confluent_kafka import TopicPartition
        c.commit(offsets=[TopicPartition("other", 0, 1)], asynchronous=False)
        c.close()
        live = KafkaConsumer("other", bootstrap_servers=srv.bootstrap, group_id="busy",
                             session_timeout_ms=6000, heartbeat_interval_ms=1000)
        end = time.time() + 20
        while time.time() < end and not live.assignment():
            live.poll(timeout_ms=200)
        check(bool(live.assignment()), "a kafka-python member holds group 'busy'")
        groups = {g[0] for g in kp.list_consumer_groups()}
        check({"gone", "busy"} <= groups, "both groups listed (%s)" % groups)

        # ListGroups v5 (raw): state and type filters.
        def list5(states, types, corr):
            body = uvarint(len(states) + 1) + b"".join(cstr(x) for x in states) + \
                uvarint(len(types) + 1) + b"".join(cstr(x) for x in types) + b"\x00"
            r = call(port, 16, 5, body, corr)
            r.i32()
            check(r.i16() == 0, "ListGroups v5 error code")
            out = {}
            for _ in range(r.uv() - 1):
                gid, _pt, st, ty = r.cstr(), r.cstr(), r.cstr(), r.cstr()
                r.tags()
                out[gid] = (st, ty)
            r.tags()
            return out
        g_all = list5([], [], 51)
        g_empty = list5(["empty"], ["classic"], 52)
        g_stable = list5(["Stable"], [], 53)
        g_consumer = list5([], ["consumer"], 54)
        check(g_all.get("gone") == ("Empty", "classic") and g_all.get("busy", ("",))[0] == "Stable"
              and "gone" in g_empty and "busy" not in g_empty and "busy" in g_stable
              and all(v[0] == "Stable" for v in g_stable.values()) and g_consumer == {},
              "ListGroups v5: states and types filter (%s)" % g_all)


        # Commit metadata comes back byte for byte, zero bytes included.
        from kafka.structs import OffsetAndMetadata, TopicPartition as KTP
        kc = KafkaConsumer(bootstrap_servers=srv.bootstrap, group_id="meta", enable_auto_commit=False)
        kc.commit({KTP("other", 1): OffsetAndMetadata(0, "a\x00b\x00\x00c")})
        kc.close()
        got = kp.list_consumer_group_offsets("meta")
        check(got.get(KTP("other", 1)) is not None and got[KTP("other", 1)].metadata == "a\x00b\x00\x00c",
              "commit metadata with zero bytes returned as committed (%r)" % got)

        # OffsetDelete v0 (classic, raw): "od" commits other-0 and other-1.
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "od", "enable.auto.commit": False})
        c.commit(offsets=[TP("other", 0, 5), TP("other", 1, 0)], asynchronous=False)
        c.close()

        def offset_delete(group, parts, corr):
            body = struct.pack(">h", len(group)) + group.encode() + struct.pack(">i", 1) + \
                struct.pack(">h", 5) + b"other" + struct.pack(">i", len(parts)) + \
                b"".join(struct.pack(">i", x) for x in parts)
            hdr = struct.pack(">hhih", 47, 0, corr, -1)
            s0 = socket.create_connection(("127.0.0.1", port), timeout=10)
            s0.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
            n = struct.unpack(">i", recv_exact(s0, 4))[0]
            r = Reader(recv_exact(s0, n))
            s0.close()
            check(r.i32() == corr, "OffsetDelete correlation id")
            top, _ = r.i16(), r.i32()
            res = []
            for _ in range(r.i32()):
                r.take(r.i16())
                for _ in range(r.i32()):
                    res.append((r.i32(), r.i16()))
            return top, res

        top, res = offset_delete("od", [0], 21)
        check(top == 0 and res == [(0, 0)], "OffsetDelete od other-0 (%d %s)" % (top, res))
        left = {tp.partition for tp, _ in kp.list_consumer_group_offsets("od").items()}
        check(left == {1}, "only other-1 stays committed (%s)" % left)
        top, res = offset_delete("busy", [0], 22)
        check(top == 0 and res == [(0, 86)], "a group with members: GROUP_SUBSCRIBED_TO_TOPIC (%s)" % res)
        top, res = offset_delete("never", [0], 23)
        check(top == 69, "an unknown group: GROUP_ID_NOT_FOUND (%d)" % top)

        # DescribeProducers v0 (raw): an idempotent producer on other-2.
        ip = Producer({"bootstrap.servers": srv.bootstrap, "enable.idempotence": True, "linger.ms": 0})
        for i in range(3):
            ip.produce("other", b"idem%d" % i, partition=2)
        ip.flush(15)
        body = uvarint(2) + cstr("other") + uvarint(3) + struct.pack(">ii", 2, 0) + b"\x00" + b"\x00"
        r = call(port, 61, 0, body)
        r.i32()
        r.uv()
        r.cstr()
        parts = {}
        for _ in range(r.uv() - 1):
            idx, ec = r.i32(), r.i16()
            r.cstr()
            prods = []
            for _ in range(r.uv() - 1):
                prods.append((r.i64(), r.i32(), r.i32(), r.i64(), r.i32(), r.i64()))
                r.tags()
            r.tags()
            parts[idx] = (ec, prods)
        r.tags()
        r.tags()
        p2 = parts.get(2, (None, []))
        check(r.done() and p2[0] == 0 and len(p2[1]) == 1 and p2[1][0][0] >= 0 and p2[1][0][2] == 2,
              "DescribeProducers: one idempotent producer on other-2, last sequence 2 (%s)" % parts)
        check(parts.get(0) == (0, []), "and none on other-0")
        r = dict(kp.delete_consumer_groups(["gone", "busy", "never"]))
        names = {k: getattr(v, "errno", 0) for k, v in r.items()}
        check(names == {"gone": 0, "busy": 68, "never": 69},
              "delete_consumer_groups: deleted / NON_EMPTY_GROUP / GROUP_ID_NOT_FOUND (%s)" % names)
        live.close()
        groups = {g[0] for g in kp.list_consumer_groups()}
        check("gone" not in groups, "the deleted group is no longer listed")
        kp.close()

        check(srv.stop() == 0, "broker stopped cleanly")
        srv.start()
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        d = cdescribe(admin, "cfg")
        check(d["retention.ms"] == str(7 * 24 * 3600 * 1000) and d["segment.bytes"] == "1048576"
              and d["max.message.bytes"] == "2000", "the configuration survived a restart (%s)" % d)
        md = admin.list_topics("other", timeout=10)
        check(len(md.topics["other"].partitions) == 4, "the new partitions survived a restart")
        c3 = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "dr2"})
        lo, hi = c3.get_watermark_offsets(TP("other", 0), timeout=10)
        c3.close()
        check((lo, hi) == (11, 11), "the deleted records stay deleted after a restart (%d, %d)" % (lo, hi))
        kp = KafkaAdminClient(bootstrap_servers=srv.bootstrap, request_timeout_ms=10000)
        groups = {g[0] for g in kp.list_consumer_groups()}
        check("gone" not in groups and "busy" in groups,
              "after a restart the deleted group stays deleted (%s)" % groups)
        off = kp.list_consumer_group_offsets("gone")
        check(not off, "and its offsets are gone (%s)" % off)
        kp.close()
    print("test_kafka_admin: ok")


if __name__ == "__main__":
    main()
