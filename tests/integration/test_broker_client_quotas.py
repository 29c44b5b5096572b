"""test_broker_client_quotas.py - DescribeClientQuotas (48) and
AlterClientQuotas (49) on rill's per-user quotas (issue 16), as raw v0 and
v1 (flexible) requests:
  - AlterClientQuotas sets producer_byte_rate / consumer_byte_rate of
    {user: alice} and of the default user {user: null}; `rill quotas list`
    shows the same file; DescribeClientQuotas finds them by exact name,
    default and any, strict or not, in v0 and v1;
  - validate_only changes nothing; remove unsets a key (an entity with no
    key left goes); client-id entities, unknown keys and rates below 1
    answer INVALID_REQUEST (42) per entry;
  - a quota set over the wire applies: a producer (User:ANONYMOUS without
    SASL) is told throttle_time_ms;
  - with ACLs on and no binding, both answer CLUSTER_AUTHORIZATION_FAILED.

Run: /usr/bin/python3 tests/integration/test_broker_client_quotas.py
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kwire  # noqa: E402
from rilltest import Server, check, rill  # noqa: E402
from test_broker_quota import produce_for  # noqa: E402


class W:
    """Writes v0 (classic) or v1 (flexible) fields."""

    def __init__(self, flex):
        self.flex, self.b = flex, b""

    def uv(self, n):
        while True:
            byte = n & 0x7F
            n >>= 7
            self.b += bytes([byte | (0x80 if n else 0)])
            if not n:
                return self

    def s(self, v, nullable=False):
        if v is None:
            self.b += b"\x00" if self.flex else struct.pack(">h", -1)
            return self
        v = v.encode()
        if self.flex:
            self.uv(len(v) + 1)
        else:
            self.b += struct.pack(">h", len(v))
        self.b += v
        return self

    def arr(self, n):
        if self.flex:
            return self.uv(n + 1)
        self.b += struct.pack(">i", n)
        return self

    def tags(self):
        if self.flex:
            self.b += b"\x00"
        return self

    def raw(self, fmt, *v):
        self.b += struct.pack(fmt, *v)
        return self


class R:
    def __init__(self, d, flex):
        self.d, self.at, self.flex = d, 0, flex

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.at)
        self.at += struct.calcsize(fmt)
        return v[0]

    def uv(self):
        n, shift = 0, 0
        while True:
            b = self.d[self.at]
            self.at += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    def s(self):
        if self.flex:
            n = self.uv() - 1
        else:
            n = self.take(">h")
        if n < 0:
            return None
        v = self.d[self.at:self.at + n].decode()
        self.at += n
        return v

    def arr(self):
        return self.uv() - 1 if self.flex else self.take(">i")

    def tags(self):
        if self.flex:
            for _ in range(self.uv()):
                self.uv()
                self.at += self.uv()


def call(port, key, version, body):
    flex = version >= 1
    hdr = struct.pack(">hhi", key, version, 9) + kwire.string("cq") + (b"\x00" if flex else b"")
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
        d = kwire.recv_frame(s)
    finally:
        s.close()
    r = R(d, flex)
    r.take(">i")  # correlation id
    if flex:
        r.tags()
    return r


def describe(port, comps, strict=False, version=0):
    """comps: [(entity_type, match_type, match)]. Returns (error, {entity: {key: value}})."""
    flex = version >= 1
    w = W(flex).arr(len(comps))
    for t, mt, m in comps:
        w.s(t).raw(">b", mt).s(m).tags()
    w.raw(">?", strict).tags()
    r = call(port, 48, version, w.b)
    r.take(">i")
    err = r.take(">h")
    r.s()
    out = {}
    n = r.arr()
    for _ in range(max(n, 0)):
        ent = []
        for _ in range(r.arr()):
            ent.append((r.s(), r.s()))
            r.tags()
        vals = {}
        for _ in range(r.arr()):
            k = r.s()
            vals[k] = r.take(">d")
            r.tags()
        r.tags()
        out[tuple(ent)] = vals
    return err, out


def alter(port, entries, validate_only=False, version=0):
    """entries: [([(type, name)], [(key, value, remove)])]. Returns [(error, message)]."""
    flex = version >= 1
    w = W(flex).arr(len(entries))
    for ent, ops in entries:
        w.arr(len(ent))
        for t, nm in ent:
            w.s(t).s(nm).tags()
        w.arr(len(ops))
        for k, v, rm in ops:
            w.s(k).raw(">d?", v, rm).tags()
        w.tags()
    w.raw(">?", validate_only).tags()
    r = call(port, 49, version, w.b)
    r.take(">i")
    res = []
    for _ in range(r.arr()):
        err = r.take(">h")
        msg = r.s()
        for _ in range(r.arr()):
            r.s(), r.s()
            r.tags()
        r.tags()
        res.append((err, msg))
    return res


ALICE = (("user", "alice"),)
DEFAULT = (("user", None),)


def main():
    with Server() as srv:
        p = srv.port
        res = alter(p, [([("user", "alice")], [("producer_byte_rate", 100000.0, False),
                                               ("consumer_byte_rate", 200000.0, False)])])
        check(res == [(0, None)], "AlterClientQuotas v0 sets alice's rates (%s)" % res)
        res = alter(p, [([("user", None)], [("consumer_byte_rate", 5000.0, False)])], version=1)
        check(res == [(0, None)], "AlterClientQuotas v1 sets the default user's (%s)" % res)
        lst = rill("quotas", "list", data=srv.data).stdout
        check("User:alice" in lst and "100000" in lst and "200000" in lst, "rill quotas list shows them (%r)" % lst)
        err, got = describe(p, [("user", 0, "alice")])
        check(err == 0 and got == {ALICE: {"producer_byte_rate": 100000.0, "consumer_byte_rate": 200000.0}},
              "DescribeClientQuotas v0, exact name (%s %s)" % (err, got))
        err, got = describe(p, [("user", 1, None)], version=1)
        check(err == 0 and got == {DEFAULT: {"consumer_byte_rate": 5000.0}},
              "DescribeClientQuotas v1, the default user (%s %s)" % (err, got))
        err, got = describe(p, [("user", 2, None)])
        check(err == 0 and list(got) == [ALICE], "match any: the named users only (%s)" % got)
        err, got = describe(p, [])
        check(err == 0 and set(got) == {ALICE, DEFAULT}, "no component: every entity (%s)" % got)
        err, got = describe(p, [("client-id", 2, None)])
        check(err == 0 and got == {}, "a client-id filter matches none of rill's user entities (%s)" % got)
        err, got = describe(p, [("user", 0, "bob")], strict=True)
        check(err == 0 and got == {}, "an unknown user: nothing (%s)" % got)

        res = alter(p, [([("user", "alice")], [("producer_byte_rate", 1.0, False)])], validate_only=True)
        err, got = describe(p, [("user", 0, "alice")])
        check(res == [(0, None)] and got[ALICE]["producer_byte_rate"] == 100000.0,
              "validate_only answers 0 and changes nothing (%s %s)" % (res, got))
        res = alter(p, [([("client-id", "app")], [("producer_byte_rate", 1000.0, False)]),
                        ([("user", "alice")], [("request_percentage", 50.0, False)]),
                        ([("user", "alice")], [("producer_byte_rate", 0.5, False)]),
                        ([("user", "carol")], [("producer_byte_rate", 7000.0, False)])])
        check([e for e, _ in res] == [42, 42, 42, 0] and "per user only" in (res[0][1] or ""),
              "client-id, an unknown key and a rate below 1: INVALID_REQUEST each; the valid entry applies (%s)"
              % res)
        res = alter(p, [([("user", "alice")], [("producer_byte_rate", 0.0, True),
                                               ("consumer_byte_rate", 0.0, True)])])
        err, got = describe(p, [])
        check(res == [(0, None)] and ALICE not in got and (("user", "carol"),) in got,
              "remove unsets both keys: alice's entity is gone (%s)" % got)

        # A quota set over the wire applies (no SASL: User:ANONYMOUS).
        res = alter(p, [([("user", "ANONYMOUS")], [("producer_byte_rate", 100000.0, False)])])
        check(res == [(0, None)], "a producer quota for User:ANONYMOUS (%s)" % res)
        throttles = []
        produce_for(srv.bootstrap, 4, throttles)
        check(throttles and max(throttles) > 0, "the producer is told throttle_time_ms (%s)" % throttles[:3])
        check(srv.alive(), "server alive")

    with Server(extra=["--set", "rill.acls.enable=true"]) as srv:
        err, _ = describe(srv.port, [])
        check(err == 31, "ACLs on, no binding: DescribeClientQuotas CLUSTER_AUTHORIZATION_FAILED (%d)" % err)
        res = alter(srv.port, [([("user", "x")], [("producer_byte_rate", 1000.0, False)])])
        check([e for e, _ in res] == [31], "and AlterClientQuotas too (%s)" % res)
        check(rill("quotas", "list", data=srv.data).stdout.count("User:x") == 0, "nothing written")


if __name__ == "__main__":
    main()
