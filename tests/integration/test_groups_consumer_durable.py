"""test_groups_consumer_durable.py - KIP-848 consumer groups survive a
restart of `rill serve` (their state is in __consumer_offsets, as Kafka's
consumer-group records), at the protocol level (no Debian client speaks
KIP-848; test_groups_consumer_protocol.py has the protocol itself).

Checked: two members reach a Stable group, one mid-revocation state is
made too; after SIGTERM and after kill -9 the group is described the same
(epochs, members, assignments, targets, client ids); each member's next
heartbeat with its old id and epoch is answered without error and without
a new epoch (no rejoin, no rebalance: a Kafka 4 client carries on); its
OffsetCommit v9 with the member epoch is accepted; a member that was
giving partitions up still must report them released before the other
gets them; a member that left before the restart stays gone; an emptied
group stays listed; DeleteGroups deletes an empty consumer group for good
and refuses one with members (NON_EMPTY_GROUP), OffsetDelete refuses while
it has members; the records are Kafka's key versions 3-8 (read back
from the topic with kcat).

Run: RILL=build/rill /usr/bin/python3 tests/integration/test_groups_consumer_durable.py
"""
import os
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402
from test_kafka_newest import metadata_v12  # noqa: E402
from test_groups_consumer_protocol import commit_v9, describe, heartbeat, list_groups_v5  # noqa: E402
from test_kafka_admin import call, cstr, uvarint  # noqa: E402
import kwire  # noqa: E402

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def delete_groups(port, ids):
    """DeleteGroups v2: {group: error}."""
    r = call(port, 42, 2, uvarint(len(ids) + 1) + b"".join(cstr(i) for i in ids) + b"\x00")
    r.i32()
    out = {}
    for _ in range(r.uv() - 1):
        gid, err = r.cstr(), r.i16()
        r.tags()
        out[gid] = err
    return out


def offset_delete(port, group, topic, partition):
    """OffsetDelete v0 (never flexible): (top error, partition error)."""
    body = kwire.string(group) + struct.pack(">i", 1) + kwire.string(topic) + struct.pack(">ii", 1, partition)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(kwire.request(47, 0, 9, body))
    data = kwire.recv_frame(s)
    s.close()
    top = struct.unpack(">h", data[4:6])[0]
    return top, struct.unpack(">h", data[-2:])[0]


def stable_pair(port, group, tid):
    err, a, ea, asg = heartbeat(port, group, "", 0, topics=["cg"])
    check(err == 0 and asg == {tid: [0, 1, 2, 3]}, "%s: a first member takes the topic" % group)
    heartbeat(port, group, a, ea, owned={tid: [0, 1, 2, 3]})
    err, b, eb, _ = heartbeat(port, group, "", 0, topics=["cg"])
    err, _, _, asg = heartbeat(port, group, a, ea, owned={tid: [0, 1, 2, 3]})
    keep = asg[tid]
    err, _, e, _ = heartbeat(port, group, a, ea, owned={tid: keep})
    check(e == eb, "%s: the first gives half up and moves to epoch %d" % (group, eb))
    err, _, _, asgb = heartbeat(port, group, b, eb, owned={})
    other = asgb[tid]
    heartbeat(port, group, b, eb, owned={tid: other})
    check(describe(port, group)[1] == "Stable", "%s: Stable" % group)
    return a, b, eb, keep, other


def main():
    with Server() as srv:
        port = srv.port
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        for f in admin.create_topics([NewTopic("cg", 4, 1)]).values():
            f.result(timeout=15)
        del admin
        tid = metadata_v12(port, name="cg")[2]

        a, b, ep, keep, other = stable_pair(port, "g", tid)
        before = describe(port, "g")
        check(commit_v9(port, "g", b, ep, "cg", other[0], 42) == 0, "a commit with the member epoch")

        # Group r: left mid-revocation (x must give half up to y).
        err, x, ex, _ = heartbeat(port, "r", "", 0, topics=["cg"])
        heartbeat(port, "r", x, ex, owned={tid: [0, 1, 2, 3]})
        err, y, ey, _ = heartbeat(port, "r", "", 0, topics=["cg"])
        err, _, _, asgx = heartbeat(port, "r", x, ex, owned={tid: [0, 1, 2, 3]})
        xkeep = asgx[tid]
        check(describe(port, "r")[1] == "Reconciling", "group r: Reconciling")

        # Group h: a member joins and leaves (an emptied group).
        err, h, eh, _ = heartbeat(port, "h", "", 0, topics=["cg"])
        check(heartbeat(port, "h", h, -1)[0] == 0, "group h: its member leaves")

        for how in ("SIGTERM", "kill -9"):
            if how == "SIGTERM":
                check(srv.stop() == 0, "SIGTERM: exit 0")
            else:
                srv.kill()
            srv.start()
            after = describe(port, "g")
            check(after == before, "after %s: group g described the same (%s)" % (how, after[1:4]))
            err, mid, e, asg = heartbeat(port, "g", a, ep, owned={tid: keep})
            check(err == 0 and mid == a and e == ep and asg in (None, {tid: keep}),
                  "after %s: member a heartbeats on with epoch %d, same partitions (%s)" % (how, ep, asg))
            err, _, e, asg = heartbeat(port, "g", b, ep, owned={tid: other})
            check(err == 0 and e == ep and asg in (None, {tid: other}), "and member b too")
            check(commit_v9(port, "g", b, ep, "cg", other[0], 43) == 0,
                  "after %s: OffsetCommit v9 with the member epoch accepted" % how)
            check(describe(port, "g")[1] == "Stable" and describe(port, "g")[2] == ep,
                  "after %s: no rebalance (epoch still %d)" % (how, ep))
            lg = list_groups_v5(port)
            check(lg.get("h", ("",))[1] == "Empty" and "g" in lg and "r" in lg,
                  "after %s: the emptied group h is still listed (%s)" % (how, lg))
            check(heartbeat(port, "h", h, eh)[0] == 25, "after %s: the member that left stays gone" % how)

        # Group r resumes its revocation: y gets nothing until x releases.
        err, _, e, asgy = heartbeat(port, "r", y, ey, owned={})
        check(err == 0 and not asgy, "group r after restarts: y still waits (%s)" % asgy)
        err, _, e, _ = heartbeat(port, "r", x, ex, owned={tid: xkeep})
        check(err == 0 and e == ey, "x reports the release and moves to epoch %d" % ey)
        err, _, e, asgy = heartbeat(port, "r", y, ey, owned={})
        check(err == 0 and asgy == {tid: sorted(set(range(4)) - set(xkeep))}, "then y gets the freed half")

        # DeleteGroups / OffsetDelete on consumer groups, as Kafka answers.
        check(offset_delete(port, "g", "cg", other[0]) == (0, 86),
              "OffsetDelete on a consumer group with members: GROUP_SUBSCRIBED_TO_TOPIC")
        got = delete_groups(port, ["g", "h", "nope"])
        check(got == {"g": 68, "h": 0, "nope": 69},
              "DeleteGroups: with members NON_EMPTY_GROUP, the empty one deleted, unknown 69 (%s)" % got)
        srv.stop()
        srv.start()
        lg = list_groups_v5(port)
        check("h" not in lg and "g" in lg, "after a restart the deleted group stays deleted (%s)" % lg)

        # The records are Kafka's consumer-group records (key versions 3-8).
        kc = subprocess.run(["kcat", "-b", srv.bootstrap, "-C", "-t", "__consumer_offsets", "-o", "beginning",
                             "-e", "-f", "%k\n", "-q"], capture_output=True, timeout=30)
        versions = set()
        for line in kc.stdout.split(b"\n"):
            if len(line) >= 2:
                versions.add(struct.unpack(">h", line[:2])[0])
        check({3, 4, 5, 6, 7, 8} <= versions and 1 in versions,
              "__consumer_offsets holds offset commits (key 1) and consumer-group records (keys 3-8): %s"
              % sorted(versions))


if __name__ == "__main__":
    main()
