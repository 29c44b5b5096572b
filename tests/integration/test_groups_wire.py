"""test_groups_wire.py - the group APIs byte by byte over a raw socket:
offsets acknowledged before a SIGKILL survive recovery;
JoinGroup v4 MEMBER_ID_REQUIRED handshake, SyncGroup, Heartbeat error codes
(ILLEGAL_GENERATION 22, UNKNOWN_MEMBER_ID 25), OffsetCommit from a stale
generation (22) and a "simple" generation -1 commit, OffsetFetch (v1, v5,
null topics), ListGroups, DescribeGroups (unknown -> Dead), LeaveGroup,
FindCoordinator.

Run: /usr/bin/python3 tests/integration/test_groups_wire.py
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402

CLIENT = b"wire"


def s16(s):
    if s is None:
        return struct.pack(">h", -1)
    if isinstance(s, str):
        s = s.encode()
    return struct.pack(">h", len(s)) + s


def b32(b):
    return struct.pack(">i", len(b)) + b


def arr(items):
    return struct.pack(">i", len(items)) + b"".join(items)


class Reader:
    def __init__(self, b):
        self.b, self.p = b, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.p)
        self.p += struct.calcsize(fmt)
        return v[0]

    def i16(self):
        return self.take(">h")

    def i32(self):
        return self.take(">i")

    def i64(self):
        return self.take(">q")

    def str(self):
        n = self.i16()
        if n < 0:
            return None
        v = self.b[self.p:self.p + n].decode()
        self.p += n
        return v

    def bytes(self):
        n = self.i32()
        if n < 0:
            return None
        v = self.b[self.p:self.p + n]
        self.p += n
        return v


class Conn:
    def __init__(self, port, source=None):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                          source_address=(source, 0) if source else None)
        self.corr = 0

    def call(self, api, ver, body):
        self.corr += 1
        hdr = struct.pack(">hhi", api, ver, self.corr) + s16(CLIENT)
        msg = hdr + body
        self.s.sendall(struct.pack(">i", len(msg)) + msg)
        n = struct.unpack(">i", self.recv(4))[0]
        data = self.recv(n)
        check(struct.unpack(">i", data[:4])[0] == self.corr, "api %d v%d: correlation id matches" % (api, ver))
        return Reader(data[4:])

    def recv(self, n):
        out = b""
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                raise RuntimeError("connection closed")
            out += chunk
        return out


def join_v4(c, group, member):
    body = (s16(group) + struct.pack(">ii", 6000, 10000) + s16(member) + s16("consumer")
            + arr([s16("range") + b32(b"\x00\x00\x00\x00\x00\x01\x00\x02wt\xff\xff\xff\xff")]))
    r = c.call(11, 4, body)
    throttle = r.i32()
    err, gen, proto, leader, me = r.i16(), r.i32(), r.str(), r.str(), r.str()
    members = [(r.str(), r.bytes()) for _ in range(r.i32())]
    return throttle, err, gen, proto, leader, me, members


def heartbeat(c, group, gen, member):
    r = c.call(12, 3, s16(group) + struct.pack(">i", gen) + s16(member) + s16(None))
    r.i32()
    return r.i16()


def commit_v7(c, group, gen, member, topic, part, offset):
    body = (s16(group) + struct.pack(">i", gen) + s16(member) + s16(None)
            + arr([s16(topic) + arr([struct.pack(">iqi", part, offset, -1) + s16("meta")])]))
    r = c.call(8, 7, body)
    r.i32()
    res = {}
    for _ in range(r.i32()):
        t = r.str()
        for _ in range(r.i32()):
            p = r.i32()
            res[(t, p)] = r.i16()
    return res


def fetch(c, ver, group, topics):
    body = s16(group)
    if topics is None:
        body += struct.pack(">i", -1)
    else:
        body += arr([s16(t) + arr([struct.pack(">i", p) for p in ps]) for t, ps in topics])
    r = c.call(9, ver, body)
    if ver >= 3:
        r.i32()
    res = {}
    for _ in range(r.i32()):
        t = r.str()
        for _ in range(r.i32()):
            p, off = r.i32(), r.i64()
            if ver >= 5:
                r.i32()
            meta, err = r.str(), r.i16()
            res[(t, p)] = (off, meta, err)
    if ver >= 2:
        check(r.i16() == 0, "OffsetFetch v%d top-level error 0" % ver)
    return res


def describe(c, group):
    r = c.call(15, 4, arr([s16(group)]) + b"\x00")
    r.i32()
    check(r.i32() == 1, "DescribeGroups: one group back")
    err, gid, state, ptype, pdata = r.i16(), r.str(), r.str(), r.str(), r.str()
    members = []
    for _ in range(r.i32()):
        members.append((r.str(), r.str(), r.str(), r.str(), r.bytes(), r.bytes()))
    r.i32()
    return err, gid, state, ptype, pdata, members


def crash_restart():
    """Offsets acknowledged before a SIGKILL are there after recovery, and
    groups known only from them are listed (Empty)."""
    tmp = tempfile.TemporaryDirectory(prefix="rill-groups-crash-")
    try:
        srv = Server(data=tmp.name).start()
        p = subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "ct", "-p", "0"],
                           input="a\nb\n", capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, "kcat created topic ct")
        c = Conn(srv.port)
        errs = []
        for i in range(1, 21):
            body = (s16("crashg") + struct.pack(">i", -1) + s16("") + struct.pack(">q", -1)
                    + arr([s16("ct") + arr([struct.pack(">iq", 0, i) + s16("m%d" % i)])]))
            r = c.call(8, 2, body)
            r.i32(); r.str(); r.i32(); r.i32()
            errs.append(r.i16())
        check(errs == [0] * 20, "20 simple commits acknowledged")
        srv.kill()
        srv2 = Server(data=tmp.name).start()
        c = Conn(srv2.port)
        got = fetch(c, 1, "crashg", [("ct", [0])])
        check(got[("ct", 0)][:2] == (20, "m20"), "after SIGKILL + recovery the last commit is there (%s)" % (got,))
        r = c.call(16, 0, b"")
        check(r.i16() == 0, "ListGroups v0")
        groups = {r.str(): r.str() for _ in range(r.i32())}
        check("crashg" in groups, "a group known only from its offsets is listed (%s)" % groups)
        check(srv2.stop() == 0, "the recovered broker exits cleanly")
    finally:
        tmp.cleanup()


def compaction_restart():
    """1,200 commits over 3 partitions: the restart compacts
    __consumer_offsets to the 3 live offsets (+ a marker) and keeps them."""
    tmp = tempfile.TemporaryDirectory(prefix="rill-groups-compact-")
    try:
        srv = Server(data=tmp.name, extra=["--set", "num.partitions=3"]).start()
        p = subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "cpt"],
                           input="a\nb\nc\n", capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, "kcat created topic cpt")
        c = Conn(srv.port)
        errs = 0
        for i in range(1200):
            body = (s16("cpg") + struct.pack(">i", -1) + s16("") + struct.pack(">q", -1)
                    + arr([s16("cpt") + arr([struct.pack(">iq", i % 3, i) + s16("m%d" % i)])]))
            r = c.call(8, 2, body)
            r.i32(); r.str(); r.i32(); r.i32()
            errs += r.i16() != 0
        check(errs == 0, "1200 commits acknowledged")
        check(srv.stop() == 0, "broker stopped")
        srv = Server(data=tmp.name).start()
        c = Conn(srv.port)
        got = fetch(c, 1, "cpg", [("cpt", [0, 1, 2])])
        check([got[("cpt", q)][:2] for q in range(3)] == [(1197, "m1197"), (1198, "m1198"), (1199, "m1199")],
              "after the compacting restart the last commits are there (%s)" % (got,))
        check("compacting __consumer_offsets: 1200 record(s) replayed for 3 live offset(s)" in srv.output(),
              "the restart logged the compaction")
        body = struct.pack(">i", -1) + arr([s16("__consumer_offsets") + arr([struct.pack(">iq", 0, -1)])])
        r = c.call(2, 1, body)
        r.i32(); r.str(); r.i32(); r.i32()
        err, _ts, end = r.i16(), r.i64(), r.i64()
        check(err == 0 and end == 4, "__consumer_offsets now holds 4 records, not 1200 (%d)" % end)
        check(srv.stop() == 0, "the broker exits cleanly after the compaction")
    finally:
        tmp.cleanup()


def send_only(c, api, ver, body):
    """Sends a request without reading the answer (it will be parked)."""
    c.corr += 1
    msg = struct.pack(">hhi", api, ver, c.corr) + s16(CLIENT) + body
    c.s.sendall(struct.pack(">i", len(msg)) + msg)


def parked_then_disconnect(srv):
    """Parked JoinGroup and SyncGroup requests whose connections close:
    the broker forgets them (no crash, no answer to a dead socket), and
    the silent member's session expires."""
    a = Conn(srv.port)
    _, err, gen, _, leader, ma, _ = join_v4(a, "pg", "")
    _, err, gen, _, leader, ma, _ = join_v4(a, "pg", ma)
    check(err == 0 and gen == 1, "pg: first member in generation 1")
    r = a.call(14, 3, s16("pg") + struct.pack(">i", 1) + s16(ma) + s16(None) + arr([]))
    r.i32()
    check(r.i16() == 0, "pg: leader synced")
    b = Conn(srv.port)
    _, err, _, _, _, mb, _ = join_v4(b, "pg", "")
    check(err == 79, "pg: second member gets its id")
    body = (s16("pg") + struct.pack(">ii", 6000, 10000) + s16(mb) + s16("consumer")
            + arr([s16("range") + b32(b"\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff")]))
    send_only(b, 11, 4, body)  # parked: a has not rejoined
    time.sleep(0.2)
    b.s.close()  # the parked JoinGroup's connection goes away
    check(heartbeat(a, "pg", 1, ma) == 27, "pg: a is told to rejoin")
    _, err, gen, _, _, _, members = join_v4(a, "pg", ma)
    check(err == 0 and gen == 2 and len(members) == 2,
          "pg: the phase completes with the disconnected member still in it")
    # A follower's parked SyncGroup on a connection that closes.
    c = Conn(srv.port)
    send_only(c, 14, 3, s16("pg") + struct.pack(">i", 2) + s16(mb) + s16(None) + arr([]))
    time.sleep(0.2)
    c.s.close()
    r = a.call(14, 3, s16("pg") + struct.pack(">i", 2) + s16(ma) + s16(None)
               + arr([s16(ma) + b32(b"A"), s16(mb) + b32(b"B")]))
    r.i32()
    err, got = r.i16(), r.bytes()
    check(err == 0 and got == b"A", "pg: the leader's sync completes")
    t0 = time.time()
    while time.time() - t0 < 15 and heartbeat(a, "pg", 2, ma) == 0:
        time.sleep(0.5)
    took = time.time() - t0
    check(heartbeat(a, "pg", 2, ma) == 27 and 4 < took < 12,
          "pg: the silent member's session expired after %.1fs: rebalance" % took)
    _, err, gen, _, _, _, members = join_v4(a, "pg", ma)
    check(err == 0 and gen == 3 and len(members) == 1, "pg: a alone in generation 3")


def main():
    crash_restart()
    compaction_restart()
    with Server() as srv:
        # A topic to commit against.
        p = subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "wt", "-p", "0"],
                           input="a\nb\nc\n", capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, "kcat created topic wt (%s)" % p.stderr[-200:])
        # From 127.0.0.2 (still loopback) so the member's host is not a guess.
        c = Conn(srv.port, source="127.0.0.2")

        r = c.call(10, 2, s16("wg") + b"\x00")
        r.i32()
        err, _msg, node, host, port = r.i16(), r.str(), r.i32(), r.str(), r.i32()
        check(err == 0 and port == srv.port and host == "127.0.0.1",
              "FindCoordinator v2 answers this broker (%s:%d)" % (host, port))
        r = c.call(10, 0, s16("wg"))
        check(r.i16() == 0, "FindCoordinator v0")

        _, err, gen, _, _, me, _ = join_v4(c, "wg", "")
        check(err == 79, "JoinGroup v4 with no member id: MEMBER_ID_REQUIRED (got %d)" % err)
        check(me.startswith("wire-") and len(me) == 5 + 36, "the generated member id is client_id-uuid (%s)" % me)
        check(gen == -1, "generation -1 on error")
        _, err, gen, proto, leader, me2, members = join_v4(c, "wg", me)
        check(err == 0 and me2 == me and gen == 1, "rejoin with the id: generation 1 (err %d)" % err)
        check(leader == me and proto == "range" and len(members) == 1, "the only member leads and gets the member list")
        _, err, *_ = join_v4(c, "wg", "wire-bogus")
        check(err == 25, "JoinGroup with an unknown member id: 25 (got %d)" % err)

        assignment = b"\x00\x00\x00\x00\x00\x01\x00\x02wt\x00\x00\x00\x01\x00\x00\x00\x00\xff\xff\xff\xff"
        r = c.call(14, 3, s16("wg") + struct.pack(">i", 1) + s16(me) + s16(None)
                   + arr([s16(me) + b32(assignment)]))
        r.i32()
        err, got = r.i16(), r.bytes()
        check(err == 0 and got == assignment, "SyncGroup v3 from the leader returns its assignment")

        check(heartbeat(c, "wg", 1, me) == 0, "Heartbeat v3: 0")
        check(heartbeat(c, "wg", 0, me) == 22, "Heartbeat with an old generation: 22")
        check(heartbeat(c, "wg", 1, "nobody") == 25, "Heartbeat from an unknown member: 25")
        check(heartbeat(c, "nogroup", 1, me) == 25, "Heartbeat to an unknown group: 25")

        res = commit_v7(c, "wg", 0, me, "wt", 0, 2)
        check(res == {("wt", 0): 22}, "OffsetCommit v7 from a stale generation: 22 (%s)" % res)
        res = commit_v7(c, "wg", 1, me, "wt", 0, 2)
        check(res == {("wt", 0): 0}, "OffsetCommit v7 in generation 1: stored")
        res = commit_v7(c, "wg", 1, me, "nosuchtopic", 0, 2)
        check(res == {("nosuchtopic", 0): 3}, "OffsetCommit to an unknown topic: 3")

        got = fetch(c, 5, "wg", [("wt", [0, 7])])
        check(got[("wt", 0)] == (2, "meta", 0), "OffsetFetch v5 reads the commit back (%s)" % (got,))
        check(got[("wt", 7)][0] == -1, "an uncommitted partition reads -1")
        got = fetch(c, 5, "wg", None)
        check(list(got) == [("wt", 0)], "OffsetFetch v5 with null topics lists every commit")

        # A "simple" consumer: OffsetCommit v2, generation -1, no member.
        body = (s16("simple") + struct.pack(">i", -1) + s16("") + struct.pack(">q", -1)
                + arr([s16("wt") + arr([struct.pack(">iq", 0, 3) + s16(None)])]))
        r = c.call(8, 2, body)
        r.i32(); r.str(); r.i32(); r.i32()
        check(r.i16() == 0, "simple commit with generation -1: stored")
        got = fetch(c, 1, "simple", [("wt", [0])])
        check(got[("wt", 0)][0] == 3, "OffsetFetch v1 of the simple commit")
        # Generation -1 into a group with members is refused.
        res = commit_v7(c, "wg", -1, "", "wt", 0, 1)
        check(res == {("wt", 0): 25}, "a simple commit into a live group: 25 (%s)" % res)

        r = c.call(16, 2, b"")
        r.i32()
        check(r.i16() == 0, "ListGroups v2: no error")
        groups = {r.str(): r.str() for _ in range(r.i32())}
        check(groups.get("wg") == "consumer" and "simple" in groups, "ListGroups lists wg and simple (%s)" % groups)

        err, gid, state, ptype, pdata, members = describe(c, "wg")
        check(state == "Stable" and ptype == "consumer" and pdata == "range", "DescribeGroups: Stable consumer/range")
        check(len(members) == 1 and members[0][0] == me and members[0][1] is None
              and members[0][2] == "wire" and members[0][5] == assignment,
              "DescribeGroups v4: member id, no instance id, client id, assignment bytes")
        check(members[0][3] == "/127.0.0.2",
              "DescribeGroups: client host is the peer address, Kafka style (%s)" % members[0][3])
        err, gid, state, *_ = describe(c, "unknown-group")
        check(err == 0 and gid == "unknown-group" and state == "Dead", "an unknown group is Dead")

        r = c.call(13, 1, s16("wg") + s16(me))
        r.i32()
        check(r.i16() == 0, "LeaveGroup v1: 0")
        _, _, state, *_ = describe(c, "wg")
        check(state == "Empty", "after the last member left the group is Empty")
        check(heartbeat(c, "wg", 1, me) == 25, "the member that left is unknown (25)")
        got = fetch(c, 5, "wg", [("wt", [0])])
        check(got[("wt", 0)][0] == 2, "committed offsets outlive the members")
        parked_then_disconnect(srv)
        # Shutdown with a JoinGroup parked: it is answered NOT_COORDINATOR
        # at once instead of holding the drain until its deadline.
        a = Conn(srv.port)
        _, err, _, _, _, ma, _ = join_v4(a, "sd", "")
        join_v4(a, "sd", ma)
        b = Conn(srv.port)
        _, err, _, _, _, mb, _ = join_v4(b, "sd", "")
        send_only(b, 11, 4, s16("sd") + struct.pack(">ii", 6000, 10000) + s16(mb) + s16("consumer")
                  + arr([s16("range") + b32(b"")]))
        time.sleep(0.2)
        t0 = time.time()
        srv.proc.send_signal(signal.SIGTERM)
        n = struct.unpack(">i", b.recv(4))[0]
        data = b.recv(n)
        err = struct.unpack_from(">h", data, 8)[0]  # corr id, throttle, error
        check(err == 16, "the parked JoinGroup is answered NOT_COORDINATOR on shutdown (%d)" % err)
        check(srv.stop() == 0, "the broker exits cleanly (status 0, no sanitizer report)")
        took = time.time() - t0
        check(took < 5, "shutdown with a parked JoinGroup took %.1fs" % took)


if __name__ == "__main__":
    main()
