"""test_groups_consumer_protocol.py - the consumer group protocol of KIP-848
(ConsumerGroupHeartbeat v0, ConsumerGroupDescribe v0) against `rill serve`,
at the protocol level: Debian's librdkafka 2.0.2 (confluent-kafka 1.7) and
kafka-python 2.0.2 predate it (librdkafka has no `group.protocol=consumer`
before 2.4), so this test speaks the wire format a Kafka 4 client sends.

Checked: a join gets a member id, an epoch and the whole topic; a second
member gets nothing the first still owns: the first is told to give up
half (its epoch unchanged), and only after its heartbeat reports it does
it move to the new epoch and the second get those partitions (never both
owning one); ConsumerGroupDescribe and ListGroups v5 show the group;
OffsetCommit v9 with the member epoch (STALE_MEMBER_EPOCH for an old
one), OffsetFetch v9 naming the member; FENCED_MEMBER_EPOCH and
UNKNOWN_MEMBER_ID; a classic JoinGroup to the group refused; a leave
hands the partitions over; a grown topic reaches the members; a member
that does not give partitions up within its rebalance timeout is removed.

Run: RILL=build/rill /usr/bin/python3 tests/integration/test_groups_consumer_protocol.py
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402
from test_kafka_admin import call, cstr, uvarint  # noqa: E402
from test_kafka_newest import metadata_v12  # noqa: E402

from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic  # noqa: E402


def heartbeat(port, group, member, epoch, topics=None, owned=None, rebalance=None,
              assignor=None):
    """ConsumerGroupHeartbeat v0, as a Kafka 4 client sends it: the rebalance
    timeout on the join only (-1 after). owned: {topic_id: [partitions]} or
    None (unchanged). Returns (error, member id, epoch, assignment
    {topic_id: [p]} or None)."""
    if rebalance is None:
        rebalance = 300000 if epoch == 0 else -1
    body = cstr(group) + cstr(member) + struct.pack(">i", epoch) + cstr(None) + cstr(None)
    body += struct.pack(">i", rebalance)
    if topics is None:
        body += b"\x00"
    else:
        body += uvarint(len(topics) + 1) + b"".join(cstr(t) for t in topics)
    body += cstr(assignor)
    if owned is None:
        body += b"\x00"
    else:
        body += uvarint(len(owned) + 1)
        for tid, ps in owned.items():
            body += tid + uvarint(len(ps) + 1) + b"".join(struct.pack(">i", p) for p in ps) + b"\x00"
    body += b"\x00"
    r = call(port, 68, 0, body)
    r.i32()
    err, msg, mid, mep, hbi = r.i16(), r.cstr(), r.cstr(), r.i32(), r.i32()
    assignment = None
    present = r.i8()
    if present != -1:
        assignment = {}
        for _ in range(r.uv() - 1):
            tid = r.take(16)
            assignment[tid] = sorted(r.i32() for _ in range(r.uv() - 1))
            r.tags()
        r.tags()
    r.tags()
    check(r.done(), "ConsumerGroupHeartbeat answer read to its end")
    if err:
        print("   (error %d: %s)" % (err, msg))
    else:
        check(hbi == 5000, "heartbeat interval 5 s")
    return err, mid, mep, assignment


def describe(port, group):
    r = call(port, 69, 0, uvarint(2) + cstr(group) + b"\x00" + b"\x00")
    r.i32()
    check(r.uv() == 2, "ConsumerGroupDescribe: one group")
    err, msg, gid, state, gep, aep, assignor = r.i16(), r.cstr(), r.cstr(), r.cstr(), r.i32(), r.i32(), r.cstr()
    members = {}
    for _ in range(r.uv() - 1):
        mid, inst, rack, mep, cid, host = r.cstr(), r.cstr(), r.cstr(), r.i32(), r.cstr(), r.cstr()
        topics = [r.cstr() for _ in range(r.uv() - 1)]
        r.cstr()
        sets = []
        for _ in range(2):
            got = {}
            for _ in range(r.uv() - 1):
                r.take(16)
                name = r.cstr()
                got[name] = sorted(r.i32() for _ in range(r.uv() - 1))
                r.tags()
            r.tags()
            sets.append(got)
        r.tags()
        members[mid] = (mep, topics, sets[0], sets[1], cid, host)
    r.i32()
    r.tags()
    r.tags()
    check(r.done(), "ConsumerGroupDescribe answer read to its end")
    return err, state, gep, aep, assignor, members


def commit_v9(port, group, member, epoch, topic, partition, offset):
    body = (cstr(group) + struct.pack(">i", epoch) + cstr(member) + cstr(None) + uvarint(2) + cstr(topic)
            + uvarint(2) + struct.pack(">iqi", partition, offset, -1) + cstr("m") + b"\x00" + b"\x00" + b"\x00")
    r = call(port, 8, 9, body)
    r.i32()
    r.uv()
    r.cstr()
    r.uv()
    r.i32()
    return r.i16()


def fetch_v9(port, group, member, epoch, topic, partition):
    body = (uvarint(2) + cstr(group) + cstr(member) + struct.pack(">i", epoch) + uvarint(2) + cstr(topic)
            + uvarint(2) + struct.pack(">i", partition) + b"\x00" + b"\x00" + b"\x00" + b"\x00")
    r = call(port, 9, 9, body)
    r.i32()
    r.uv()
    r.cstr()
    off = None
    for _ in range(r.uv() - 1):
        r.cstr()
        for _ in range(r.uv() - 1):
            r.i32()
            off = r.i64()
            r.i32(), r.cstr(), r.i16()
            r.tags()
        r.tags()
    return r.i16(), off


def list_groups_v5(port):
    r = call(port, 16, 5, uvarint(1) + uvarint(1) + b"\x00")
    r.i32()
    r.i16()
    out = {}
    for _ in range(r.uv() - 1):
        gid, ptype, state, gtype = r.cstr(), r.cstr(), r.cstr(), r.cstr()
        r.tags()
        out[gid] = (ptype, state, gtype)
    return out


def main():
    with Server() as srv:
        port = srv.port
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        for f in admin.create_topics([NewTopic("cg", 4, 1)]).values():
            f.result(timeout=15)
        tid = metadata_v12(port, name="cg")[2]

        err, a, ea, asg = heartbeat(port, "g", "", 0, topics=["cg"])
        check(err == 0 and a and ea >= 1 and asg == {tid: [0, 1, 2, 3]},
              "a first member joins: an id, epoch %d, the whole topic by topic id" % ea)
        err, _, e, asg = heartbeat(port, "g", a, ea, owned={tid: [0, 1, 2, 3]})
        check(err == 0 and e == ea and asg is None, "a steady heartbeat: same epoch, no assignment sent")

        err, b, eb, asgb = heartbeat(port, "g", "", 0, topics=["cg"], rebalance=2000)
        check(err == 0 and b != a and eb > ea and asgb == {},
              "a second member joins at epoch %d and gets nothing the first still owns" % eb)
        err, _, e, asg = heartbeat(port, "g", a, ea, owned={tid: [0, 1, 2, 3]})
        check(err == 0 and e == ea and asg is not None and len(asg.get(tid, [])) == 2,
              "the first is told to give up half, its epoch unchanged (%s)" % asg)
        keep = asg[tid]
        err, _, e, asgb = heartbeat(port, "g", b, eb, owned={})
        check(err == 0 and e == eb and asgb is None,
              "the second still gets nothing while the first owns them")
        state = describe(port, "g")[1]
        check(state == "Reconciling", "the group is Reconciling (%s)" % state)
        err, _, e, asg = heartbeat(port, "g", a, ea, owned={tid: keep})
        check(err == 0 and e == eb and asg == {tid: keep},
              "the first reports the revocation and moves to epoch %d" % eb)
        err, _, e, asgb = heartbeat(port, "g", b, eb, owned={})
        other = sorted(set(range(4)) - set(keep))
        check(err == 0 and asgb == {tid: other}, "then the second gets the freed half (%s)" % asgb)
        heartbeat(port, "g", b, eb, owned={tid: other})

        err, state, gep, aep, assignor, members = describe(port, "g")
        check(err == 0 and state == "Stable" and gep == eb and aep == eb and assignor == "uniform"
              and members[a][2] == {"cg": keep} and members[b][2] == {"cg": other}
              and members[a][1] == ["cg"] and members[a][3] == {"cg": keep},
              "ConsumerGroupDescribe: Stable, epochs, assignments by topic name (%s)" % (members,))
        err, state = describe(port, "nope")[:2]
        check(err == 69, "ConsumerGroupDescribe of an unknown group: GROUP_ID_NOT_FOUND")
        lg = list_groups_v5(port)
        check(lg.get("g") == ("consumer", "Stable", "consumer"), "ListGroups v5: type consumer (%s)" % lg)

        check(commit_v9(port, "g", b, eb, "cg", other[0], 42) == 0, "OffsetCommit v9 with the member epoch")
        check(commit_v9(port, "g", b, eb - 1, "cg", other[0], 43) == 113,
              "OffsetCommit with an older epoch: STALE_MEMBER_EPOCH")
        check(commit_v9(port, "g", "who", eb, "cg", other[0], 43) == 25, "OffsetCommit by a stranger: UNKNOWN_MEMBER_ID")
        check(fetch_v9(port, "g", b, eb, "cg", other[0]) == (0, 42), "OffsetFetch v9 naming the member")
        check(fetch_v9(port, "g", b, eb + 3, "cg", other[0])[0] == 113, "OffsetFetch v9 with a wrong epoch: STALE_MEMBER_EPOCH")

        check(heartbeat(port, "g", a, eb + 5)[0] == 110, "a wrong epoch: FENCED_MEMBER_EPOCH")
        check(heartbeat(port, "g", "stranger", 3)[0] == 25, "an unknown member: UNKNOWN_MEMBER_ID")
        check(heartbeat(port, "g", "", 0, topics=["cg"], assignor="sticky-ish")[0] == 112,
              "an unknown server assignor: UNSUPPORTED_ASSIGNOR")
        check(heartbeat(port, "g", "", 0)[0] == 42, "a join without a subscription: INVALID_REQUEST")
        # A classic member cannot join a KIP-848 group that has members.
        body = (cstr("g") + struct.pack(">ii", 10000, 300000) + cstr("") + cstr(None) + cstr("consumer")
                + uvarint(2) + cstr("range") + uvarint(1) + b"\x00" + cstr(None) + b"\x00")
        r = call(port, 11, 9, body)
        r.i32()
        check(r.i16() == 23, "a classic JoinGroup to it: INCONSISTENT_GROUP_PROTOCOL")

        err, _, e, _ = heartbeat(port, "g", a, eb, owned={tid: keep})
        err, mid, e, _ = heartbeat(port, "g", a, -1)
        check(err == 0 and mid == a and e == -1, "the first member leaves (epoch -1)")
        err, _, e3, asgb = heartbeat(port, "g", b, eb, owned={tid: other})
        check(err == 0 and e3 > eb and asgb == {tid: [0, 1, 2, 3]},
              "the second member gets every partition at epoch %d" % e3)

        admin.create_partitions([NewPartitions("cg", 6)])["cg"].result(timeout=15)
        err, _, e4, asgb = heartbeat(port, "g", b, e3, owned={tid: [0, 1, 2, 3]})
        check(err == 0 and e4 > e3 and asgb == {tid: [0, 1, 2, 3, 4, 5]},
              "a grown topic reaches the member (epoch %d)" % e4)

        # A member that does not give partitions up within its rebalance
        # timeout (2 s for b) is removed; the newcomer then gets them all.
        err, c, ec, asgc = heartbeat(port, "g", "", 0, topics=["cg"])
        check(err == 0 and asgc == {}, "a third member joins")
        err, _, e, asgb = heartbeat(port, "g", b, e4, owned={tid: [0, 1, 2, 3, 4, 5]})
        check(err == 0 and len(asgb[tid]) == 3, "the second is told to give up half")
        time.sleep(2.6)
        err, _, e, asgc = heartbeat(port, "g", c, ec, owned={})
        check(err == 0 and asgc == {tid: [0, 1, 2, 3, 4, 5]} and e > ec,
              "it did not within its rebalance timeout: removed, the newcomer gets all (%s)" % asgc)
        check(heartbeat(port, "g", b, e4)[0] == 25, "the removed member is unknown now")
        check(b not in describe(port, "g")[5], "and not described")
        # An emptied group takes simple commits (no member) and is listed once.
        err, h, eh, _ = heartbeat(port, "h", "", 0, topics=["cg"])
        check(heartbeat(port, "h", h, -1)[0] == 0, "a member of group h joins and leaves")
        check(commit_v9(port, "h", "", -1, "cg", 0, 7) == 0, "a simple commit to the empty group")
        check(commit_v9(port, "g", "", -1, "cg", 0, 7) == 25, "but not to a group with members")
        lg = list_groups_v5(port)
        check(lg.get("h") == ("consumer", "Empty", "consumer"), "ListGroups: h Empty, once (%s)" % lg)
    print("test_groups_consumer_protocol: ok")


if __name__ == "__main__":
    main()
