"""test_kafka_cluster_apis.py - the APIs Kafka 3.9 serves on a single broker
that rill added last (src/broker/broker_extra.c), against `rill serve`, as
raw frames: no client in Debian sends them (librdkafka 2.0.2 /
confluent-kafka 1.7, kafka-python 2.0.2 and sarama 1.22 predate them or
never call them), so this test speaks what a Kafka 3.9 Java client sends.

Checked, each at every version rill lists:
- OffsetForLeaderEpoch v0-v4: a partition answers NONE with the
  "undefined" epoch and offset (-1, -1: rill has no leader epochs); an
  unknown one UNKNOWN_TOPIC_OR_PARTITION;
- AlterReplicaLogDirs v0-v2: the data directory (by another spelling of
  the same path too) is a no-op NONE, another path LOG_DIR_NOT_FOUND, an
  unknown partition UNKNOWN_TOPIC_OR_PARTITION;
- AlterPartitionReassignments v0: [this node] NONE, another broker, a
  duplicate and an empty list INVALID_REPLICA_ASSIGNMENT with Kafka's
  reasons, a cancel NO_REASSIGNMENT_IN_PROGRESS; nothing listed after;
- the delegation-token APIs v0-v3: DELEGATION_TOKEN_REQUEST_NOT_ALLOWED
  on PLAINTEXT, DELEGATION_TOKEN_AUTH_DISABLED after SASL/PLAIN;
- UpdateFeatures v0-v1 and the features of ApiVersions v3: group.version
  0-1 finalized at 1; refusals (unknown feature, too new, a downgrade
  without the downgrade type); validate_only changes nothing; a safe
  downgrade to 0 turns the KIP-848 heartbeat off (UNSUPPORTED_VERSION),
  survives a restart, and an upgrade turns it back on;
- GetTelemetrySubscriptions / PushTelemetry / ListClientMetricsResources
  v0: a client id handed out, no metrics requested, pushes checked;
- DescribeTopicPartitions v0: sorted topics, topic ids as Metadata v12's,
  paging by response_partition_limit and the cursor, unknown topics, a
  cursor outside the list refused;
- ApiVersions lists them (the docs table check is test_kafka_admin.py's);
  a truncated request closes only its own connection.

Run: RILL=build/rill /usr/bin/python3 tests/integration/test_kafka_cluster_apis.py
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402
from test_kafka_admin import Reader, cstr, recv_exact, uvarint  # noqa: E402
from test_kafka_newest import metadata_v12  # noqa: E402
from test_groups_consumer_protocol import heartbeat  # noqa: E402
from test_broker_sasl import SaslServer  # noqa: E402

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

FLEX = {23: 4, 34: 2, 38: 2, 39: 2, 40: 2, 41: 2, 45: 0, 57: 0, 71: 0, 72: 0, 74: 0, 75: 0, 18: 3,
        17: 99, 36: 2, 46: 0}


def s16(s):
    if s is None:
        return struct.pack(">h", -1)
    s = s.encode()
    return struct.pack(">h", len(s)) + s


def exchange(sock, key, ver, body, corr=11):
    flex = ver >= FLEX[key]
    hdr = struct.pack(">hhih", key, ver, corr, 4) + b"test" + (b"\x00" if flex else b"")
    sock.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
    n = struct.unpack(">i", recv_exact(sock, 4))[0]
    r = Reader(recv_exact(sock, n))
    check(r.i32() == corr, "correlation id of api %d v%d" % (key, ver))
    if flex and key != 18:
        r.tags()
    return r


def call(port, key, ver, body):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        return exchange(s, key, ver, body)
    finally:
        s.close()


class W:
    """Writes classic or compact fields by version."""

    def __init__(self, flex):
        self.flex, self.b = flex, b""

    def str(self, s):
        self.b += cstr(s) if self.flex else s16(s)
        return self

    def bytes(self, v):
        self.b += (uvarint(len(v) + 1) + v) if self.flex else struct.pack(">i", len(v)) + v
        return self

    def arr(self, n):
        if n is None:
            self.b += b"\x00" if self.flex else struct.pack(">i", -1)
        else:
            self.b += uvarint(n + 1) if self.flex else struct.pack(">i", n)
        return self

    def raw(self, fmt, *v):
        self.b += struct.pack(fmt, *v)
        return self

    def tags(self):
        if self.flex:
            self.b += b"\x00"
        return self


class R:
    """Reads classic or compact fields by version."""

    def __init__(self, r, flex):
        self.r, self.flex = r, flex

    def arr(self):
        return self.r.uv() - 1 if self.flex else self.r.i32()

    def str(self):
        if self.flex:
            return self.r.cstr()
        n = self.r.i16()
        return None if n < 0 else self.r.take(n).decode()

    def bytes(self):
        n = self.r.uv() - 1 if self.flex else self.r.i32()
        return None if n < 0 else self.r.take(n)

    def tags(self):
        if self.flex:
            self.r.tags()


# --- OffsetForLeaderEpoch (23) ----------------------------------------------

def ofle(port, ver, topic, parts):
    w = W(ver >= 4)
    if ver >= 3:
        w.raw(">i", -1)
    w.arr(1).str(topic).arr(len(parts))
    for p in parts:
        w.raw(">i", p)
        if ver >= 2:
            w.raw(">i", -1)
        w.raw(">i", 0).tags()
    w.tags().tags()
    r = call(port, 23, ver, w.b)
    rr = R(r, ver >= 4)
    if ver >= 2:
        r.i32()
    out = {}
    check(rr.arr() == 1 and rr.str() == topic, "OffsetForLeaderEpoch v%d: the topic" % ver)
    for _ in range(rr.arr()):
        err, p = r.i16(), r.i32()
        ep = r.i32() if ver >= 1 else None
        off = r.i64()
        rr.tags()
        out[p] = (err, ep, off)
    rr.tags()
    rr.tags()
    check(r.done(), "OffsetForLeaderEpoch v%d read to its end" % ver)
    return out


# --- AlterReplicaLogDirs (34) -----------------------------------------------

def alter_log_dirs(port, ver, path, topic, parts):
    w = W(ver >= 2)
    w.arr(1).str(path).arr(1).str(topic).arr(len(parts))
    for p in parts:
        w.raw(">i", p)
    w.tags().tags().tags()
    r = call(port, 34, ver, w.b)
    rr = R(r, ver >= 2)
    r.i32()
    out = {}
    for _ in range(rr.arr()):
        name = rr.str()
        for _ in range(rr.arr()):
            p, err = r.i32(), r.i16()
            rr.tags()
            out[(name, p)] = err
        rr.tags()
    rr.tags()
    check(r.done(), "AlterReplicaLogDirs v%d read to its end" % ver)
    return out


# --- AlterPartitionReassignments (45) / ListPartitionReassignments (46) -----

def reassign(port, topic, targets):
    """targets: {partition: [replicas] or None}. Returns (top error,
    {partition: (error, message)})."""
    body = struct.pack(">i", 10000) + uvarint(2) + cstr(topic) + uvarint(len(targets) + 1)
    for p, reps in targets.items():
        body += struct.pack(">i", p)
        if reps is None:
            body += b"\x00"
        else:
            body += uvarint(len(reps) + 1) + b"".join(struct.pack(">i", x) for x in reps)
        body += b"\x00"
    body += b"\x00\x00"
    r = call(port, 45, 0, body)
    r.i32()
    top, _ = r.i16(), r.cstr()
    out = {}
    for _ in range(r.uv() - 1):
        r.cstr()
        for _ in range(r.uv() - 1):
            p, err, msg = r.i32(), r.i16(), r.cstr()
            r.tags()
            out[p] = (err, msg)
        r.tags()
    r.tags()
    check(r.done(), "AlterPartitionReassignments read to its end")
    return top, out


def list_reassignments(port):
    r = call(port, 46, 0, struct.pack(">i", 10000) + b"\x00" + b"\x00")
    r.i32()
    err, _ = r.i16(), r.cstr()
    n = r.uv() - 1
    return err, n


# --- delegation tokens (38-41) -----------------------------------------------

def token_call(sock_or_port, key, ver):
    flex = ver >= 2
    w = W(flex)
    if key == 38:
        if ver >= 3:
            w.str(None).str(None)
        w.arr(1).str("User").str("bob").tags().raw(">q", 86400000)
    elif key in (39, 40):
        w.bytes(b"0123456789").raw(">q", 3600000)
    else:
        w.arr(None)
    w.tags()
    if isinstance(sock_or_port, int):
        r = call(sock_or_port, key, ver, w.b)
    else:
        r = exchange(sock_or_port, key, ver, w.b)
    rr = R(r, flex)
    err = r.i16()
    extra = None
    if key == 38:
        ptype, pname = rr.str(), rr.str()
        if ver >= 3:
            rr.str(), rr.str()
        issue, expiry, mx = r.i64(), r.i64(), r.i64()
        tid, hmac = rr.str(), rr.bytes()
        extra = (ptype, pname, issue, expiry, mx, tid, hmac)
    elif key in (39, 40):
        extra = r.i64()
    else:
        extra = rr.arr()
    r.i32()
    rr.tags()
    check(r.done(), "%s v%d read to its end" % ({38: "CreateDelegationToken", 39: "Renew", 40: "Expire",
                                                  41: "Describe"}[key], ver))
    return err, extra


def sasl_plain(port, user, pw):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    r = exchange(s, 17, 1, s16("PLAIN"))
    check(r.i16() == 0, "SaslHandshake v1 PLAIN")
    tok = b"\x00" + user.encode() + b"\x00" + pw.encode()
    r = exchange(s, 36, 1, struct.pack(">i", len(tok)) + tok)
    check(r.i16() == 0, "SaslAuthenticate v1: %s logged in" % user)
    return s


# --- ApiVersions v3 features, UpdateFeatures (57) ----------------------------

def api_versions_v3(port):
    body = cstr("test") + cstr("1.0") + b"\x00"
    r = call(port, 18, 3, body)
    check(r.i16() == 0, "ApiVersions v3 answered")
    apis = {}
    for _ in range(r.uv() - 1):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        r.tags()
        apis[k] = (lo, hi)
    r.i32()
    supported, epoch, finalized = {}, None, {}
    for _ in range(r.uv()):
        tag, size = r.uv(), r.uv()
        field = Reader(r.take(size))
        if tag == 0:
            for _ in range(field.uv() - 1):
                name, lo, hi = field.cstr(), field.i16(), field.i16()
                field.tags()
                supported[name] = (lo, hi)
        elif tag == 1:
            epoch = field.i64()
        elif tag == 2:
            for _ in range(field.uv() - 1):
                name, mx, mn = field.cstr(), field.i16(), field.i16()
                field.tags()
                finalized[name] = (mn, mx)
        check(field.done(), "ApiVersions tag %d read to its end" % tag)
    check(r.done(), "ApiVersions v3 read to its end")
    return apis, supported, epoch, finalized


def update_features(port, ver, updates, validate_only=False):
    """updates: [(feature, level, upgrade_type)] (v0: type 2/3 = allow)."""
    body = struct.pack(">i", 10000) + uvarint(len(updates) + 1)
    for f, lvl, typ in updates:
        body += cstr(f) + struct.pack(">h", lvl)
        body += struct.pack(">?", typ != 1) if ver == 0 else struct.pack(">b", typ)
        body += b"\x00"
    if ver >= 1:
        body += struct.pack(">?", validate_only)
    body += b"\x00"
    r = call(port, 57, ver, body)
    r.i32()
    top, _ = r.i16(), r.cstr()
    out = {}
    for _ in range(r.uv() - 1):
        f, err, msg = r.cstr(), r.i16(), r.cstr()
        r.tags()
        out[f] = (err, msg)
    r.tags()
    check(r.done(), "UpdateFeatures v%d read to its end" % ver)
    return top, out


# --- telemetry (71, 72, 74) --------------------------------------------------

def get_subscriptions(port, cid):
    r = call(port, 71, 0, cid + b"\x00")
    r.i32()
    err, cid2, sub = r.i16(), r.take(16), r.i32()
    codecs = [r.i8() for _ in range(r.uv() - 1)]
    interval, maxb, delta = r.i32(), r.i32(), r.i8()
    metrics = [r.cstr() for _ in range(r.uv() - 1)]
    r.tags()
    check(r.done(), "GetTelemetrySubscriptions read to its end")
    return err, cid2, sub, codecs, interval, maxb, delta, metrics


def push(port, cid, sub, codec, payload, terminating=False):
    body = cid + struct.pack(">i?b", sub, terminating, codec) + uvarint(len(payload) + 1) + payload + b"\x00"
    r = call(port, 72, 0, body)
    r.i32()
    err = r.i16()
    r.tags()
    check(r.done(), "PushTelemetry read to its end")
    return err


# --- DescribeTopicPartitions (75) --------------------------------------------

def dtp(port, topics, limit, cursor=None):
    body = uvarint(len(topics) + 1) + b"".join(cstr(t) + b"\x00" for t in topics)
    body += struct.pack(">i", limit)
    if cursor is None:
        body += b"\xff"
    else:
        body += b"\x01" + cstr(cursor[0]) + struct.pack(">i", cursor[1]) + b"\x00"
    body += b"\x00"
    r = call(port, 75, 0, body)
    r.i32()
    out = []
    for _ in range(r.uv() - 1):
        err, name, tid, internal = r.i16(), r.cstr(), r.take(16), r.i8()
        parts = []
        for _ in range(r.uv() - 1):
            perr, idx, leader, lep = r.i16(), r.i32(), r.i32(), r.i32()
            lists = []
            for _ in range(5):
                n = r.uv()
                lists.append(None if n == 0 else [r.i32() for _ in range(n - 1)])
            r.tags()
            parts.append((idx, leader, lep, lists[0], lists[1], lists[2], lists[3], lists[4]))
        r.i32()
        r.tags()
        out.append((err, name, tid, internal, parts))
    cur = None
    if r.i8() != -1:
        cur = (r.cstr(), r.i32())
        r.tags()
    r.tags()
    check(r.done(), "DescribeTopicPartitions read to its end")
    return out, cur


def main():
    with Server() as srv:
        port = srv.port
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        for f in admin.create_topics([NewTopic("a", 3, 1), NewTopic("b", 1, 1), NewTopic("c", 2, 1)]).values():
            f.result(timeout=15)

        apis, supported, epoch, finalized = api_versions_v3(port)
        want = {23: (0, 4), 34: (0, 2), 38: (0, 3), 39: (0, 2), 40: (0, 2), 41: (0, 3), 45: (0, 0),
                57: (0, 1), 71: (0, 0), 72: (0, 0), 74: (0, 0), 75: (0, 0)}
        check(all(apis.get(k) == v for k, v in want.items()), "ApiVersions lists the twelve APIs (%s)"
              % {k: apis.get(k) for k in want})
        check(supported == {"group.version": (0, 1)} and finalized == {"group.version": (1, 1)} and epoch == 0,
              "ApiVersions v3: group.version 0-1, finalized at 1, epoch 0 (%s %s %s)"
              % (supported, finalized, epoch))

        # OffsetForLeaderEpoch
        for v in range(5):
            got = ofle(port, v, "a", [0, 2, 7])
            ok_ep = -1 if v >= 1 else None
            check(got == {0: (0, ok_ep, -1), 2: (0, ok_ep, -1), 7: (3, ok_ep, -1)},
                  "OffsetForLeaderEpoch v%d: undefined epoch/offset, unknown partition 3 (%s)" % (v, got))
        got = ofle(port, 4, "nope", [0])
        check(got == {0: (3, -1, -1)}, "OffsetForLeaderEpoch: unknown topic (not created)")
        check("nope" not in admin.list_topics(timeout=10).topics, "and not auto-created")

        # AlterReplicaLogDirs
        other = srv.data + "/../" + os.path.basename(srv.data)
        for v in range(3):
            got = alter_log_dirs(port, v, srv.data, "a", [0, 1, 9])
            check(got == {("a", 0): 0, ("a", 1): 0, ("a", 9): 3},
                  "AlterReplicaLogDirs v%d: the data dir is a no-op, unknown partition 3 (%s)" % (v, got))
        got = alter_log_dirs(port, 2, other, "b", [0])
        check(got == {("b", 0): 0}, "AlterReplicaLogDirs: the same dir spelled another way (%s)" % got)
        got = alter_log_dirs(port, 2, "/var/tmp/elsewhere", "b", [0])
        check(got == {("b", 0): 57}, "AlterReplicaLogDirs: another path is LOG_DIR_NOT_FOUND (%s)" % got)

        # AlterPartitionReassignments
        top, got = reassign(port, "a", {0: [0], 1: [0, 1], 2: [0, 0]})
        check(top == 0 and got[0] == (0, None) and got[1][0] == 39 and "broker 1" in got[1][1]
              and got[2][0] == 39 and "more than once" in got[2][1],
              "AlterPartitionReassignments: [0] NONE, [0,1] and [0,0] refused with reasons (%s)" % got)
        top, got = reassign(port, "c", {0: [], 1: None})
        check(got[0][0] == 39 and "empty" in got[0][1] and got[1] == (85, None),
              "an empty list refused; a cancel: NO_REASSIGNMENT_IN_PROGRESS (%s)" % got)
        top, got = reassign(port, "zz", {0: [0]})
        check(got == {0: (3, None)}, "unknown topic: UNKNOWN_TOPIC_OR_PARTITION")
        check(list_reassignments(port) == (0, 0), "ListPartitionReassignments still lists none")

        # delegation tokens on PLAINTEXT
        for key, vmax in ((38, 3), (39, 2), (40, 2), (41, 3)):
            for v in range(vmax + 1):
                err, extra = token_call(port, key, v)
                check(err == 64, "token API %d v%d on PLAINTEXT: DELEGATION_TOKEN_REQUEST_NOT_ALLOWED" % (key, v))
                if key == 38:
                    check(extra[0] == "User" and extra[1] == "ANONYMOUS" and extra[2:5] == (-1, -1, -1)
                          and extra[5] == "", "CreateDelegationToken: owner = the requester, no token (%s)"
                          % (extra,))

        # UpdateFeatures
        top, got = update_features(port, 1, [("no.such", 1, 1), ("group.version", 2, 1),
                                             ("metadata.version", 21, 1)])
        check(top == 0 and all(e == 95 for e, _ in got.values()) and "does not support" in got["no.such"][1]
              and "0 to 1" in got["group.version"][1],
              "UpdateFeatures: unknown features and a level too new refused, INVALID_UPDATE_VERSION (%s)" % got)
        top, got = update_features(port, 1, [("group.version", 0, 1)])
        check(got["group.version"][0] == 95 and "downgrade" in got["group.version"][1],
              "a downgrade as an upgrade is refused (%s)" % got)
        top, got = update_features(port, 1, [("group.version", 0, 2)], validate_only=True)
        check(got == {"group.version": (0, None)} and api_versions_v3(port)[3] == {"group.version": (1, 1)},
              "validate_only: accepted, nothing changes")
        err, mid, mep, _ = heartbeat(port, "g848", "", 0, topics=["a"])
        check(err == 0 and mep >= 1, "group.version 1: the KIP-848 heartbeat is served")
        top, got = update_features(port, 1, [("group.version", 0, 2)])
        _, _, epoch, finalized = api_versions_v3(port)
        check(got == {"group.version": (0, None)} and finalized == {} and epoch == 1,
              "a safe downgrade to 0: finalized list empty, epoch 1 (%s %s)" % (finalized, epoch))
        err, _, _, _ = heartbeat(port, "g848b", "", 0, topics=["a"])
        check(err == 35, "group.version 0: ConsumerGroupHeartbeat answers UNSUPPORTED_VERSION (%d)" % err)

        # telemetry
        err, cid, sub, codecs, interval, maxb, delta, metrics = get_subscriptions(port, bytes(16))
        check(err == 0 and cid != bytes(16) and metrics == [] and interval == 300000 and maxb == 1048576
              and sorted(codecs) == [1, 2, 3, 4] and delta == 1,
              "GetTelemetrySubscriptions: an id handed out, no metrics requested (%s)" % [cid.hex(), sub, codecs])
        err2, cid2, sub2 = get_subscriptions(port, cid)[:3]
        check(err2 == 0 and cid2 == cid and sub2 == sub, "a known client keeps its id and subscription")
        check(push(port, cid, sub, 0, b"otlp") == 0, "PushTelemetry: accepted")
        check(push(port, cid, sub + 1, 0, b"x") == 117, "PushTelemetry: another subscription id is 117")
        check(push(port, cid, sub, 9, b"x") == 76, "PushTelemetry: an unknown codec is 76")
        check(push(port, cid, sub, 0, b"x" * (1024 * 1024 + 1)) == 118, "PushTelemetry: too large is 118")
        check(push(port, bytes(16), sub, 0, b"x", True) == 42, "PushTelemetry: no client id is INVALID_REQUEST")
        r = call(port, 74, 0, b"\x00")
        r.i32()
        check(r.i16() == 0 and r.uv() == 1, "ListClientMetricsResources: none")

        # DescribeTopicPartitions
        ids = {t: metadata_v12(port, t)[2] for t in ("a", "b", "c")}
        got, cur = dtp(port, ["c", "a", "b", "zz"], 2)
        check([(e, n, [p[0] for p in ps]) for e, n, _, _, ps in got] == [(0, "a", [0, 1])] and cur == ("a", 2),
              "DescribeTopicPartitions: sorted, limit 2, cursor at a/2 (%s %s)" % (got, cur))
        check(got[0][2] == ids["a"] and got[0][4][0][1:] == (0, -1, [0], [0], [], [], []),
              "topic id as Metadata v12; leader 0, epoch -1, replicas/isr [0], ELR empty")
        got, cur = dtp(port, ["c", "a", "b", "zz"], 2, cursor=cur)
        check([(e, n, [p[0] for p in ps]) for e, n, _, _, ps in got] == [(0, "a", [2]), (0, "b", [0])]
              and cur == ("c", 0), "then a/2 and b/0, cursor at c/0 (%s %s)" % (got, cur))
        got, cur = dtp(port, ["c", "a", "b", "zz"], 10, cursor=cur)
        check([(e, n, [p[0] for p in ps]) for e, n, _, _, ps in got] == [(0, "c", [0, 1]), (3, "zz", [])]
              and cur is None and got[0][2] == ids["c"], "then c and the unknown zz, no cursor (%s %s)" % (got, cur))
        got, cur = dtp(port, [], 2000)
        names = [n for _, n, _, _, _ in got]
        check(names == sorted(names) and {"a", "b", "c"} <= set(names) and cur is None,
              "no topics: all of them, sorted (%s)" % names)
        got, cur = dtp(port, ["a", "b"], 10, cursor=("c", 0))
        check([e for e, _, _, _, _ in got] == [42, 42], "a cursor outside the list: INVALID_REQUEST")

        # a truncated request closes its connection only
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        hdr = struct.pack(">hhih", 75, 0, 5, 1) + b"t" + b"\x00"
        body = uvarint(3) + cstr("a")
        s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
        try:
            closed = s.recv(10) == b""
        except OSError:
            closed = True
        s.close()
        check(closed and srv.alive() and ofle(port, 4, "a", [0])[0][0] == 0,
              "a truncated DescribeTopicPartitions closes that connection; the server serves on")

        del admin
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0")
        srv.start()
        _, _, epoch, finalized = api_versions_v3(port)
        check(finalized == {} and epoch == 1, "after a restart: group.version still 0, epoch 1")
        err, _, _, _ = heartbeat(port, "g848c", "", 0, topics=["a"])
        check(err == 35, "and the heartbeat still refused")
        top, got = update_features(port, 0, [("group.version", 1, 1)])
        _, _, epoch, finalized = api_versions_v3(port)
        check(got == {"group.version": (0, None)} and finalized == {"group.version": (1, 1)} and epoch == 2,
              "UpdateFeatures v0 upgrades back to 1, epoch 2")
        err, _, mep, _ = heartbeat(port, "g848c", "", 0, topics=["a"])
        check(err == 0 and mep >= 1, "the KIP-848 heartbeat is served again")
        srv.stop()
        with open(os.path.join(srv.data, "broker-features"), "w") as f:
            f.write("group.version=7\n")
        try:
            srv.start(timeout=5)
            started = True
        except RuntimeError:
            started = False
        check(not started and "broker-features" in srv.output(), "a damaged broker-features: refuses to start")
        srv.stop()
        os.unlink(os.path.join(srv.data, "broker-features"))

    # SASL/PLAIN: the token APIs answer DELEGATION_TOKEN_AUTH_DISABLED.
    srv = SaslServer(extra=["--set", "allow.everyone.if.no.acl.found=true"])
    srv.scheme = "SASL_PLAINTEXT://"
    rill("users", "add", "carol", data=srv.data, input="carol-pw\n")
    with srv:
        s = sasl_plain(srv.port, "carol", "carol-pw")
        for key, vmax in ((38, 3), (39, 2), (40, 2), (41, 3)):
            for v in range(vmax + 1):
                err, extra = token_call(s, key, v)
                check(err == 61, "token API %d v%d after SASL: DELEGATION_TOKEN_AUTH_DISABLED (%d)" % (key, v, err))
                if key == 38:
                    check(extra[1] == "carol", "CreateDelegationToken names the SASL user as owner")
        s.close()


if __name__ == "__main__":
    main()
