"""test_groups_kcat.py - a kcat balanced consumer (`-G`, librdkafka 2.0.2:
FindCoordinator v2, JoinGroup v5 with MEMBER_ID_REQUIRED, SyncGroup v3,
Heartbeat v3, OffsetCommit v7, OffsetFetch v5, LeaveGroup v1) reads
everything produced, commits it, and `rill groups list/describe` show the
group with zero lag, then the lag of ten new messages.

Run: /usr/bin/python3 tests/integration/test_groups_kcat.py
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, rill  # noqa: E402


def kcat(srv, *args, input=None, timeout=40):
    cmd = ["kcat", "-b", srv.bootstrap, "-X", "socket.timeout.ms=5000"] + list(args)
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)


def lags(describe_out):
    """{(topic, partition): (committed, end, lag)} from `rill groups describe`."""
    rows = {}
    in_table = False
    for line in describe_out.splitlines():
        f = line.split()
        if f[:2] == ["TOPIC", "PARTITION"]:
            in_table = True
            continue
        if in_table and len(f) >= 5 and f[1].isdigit():
            rows[(f[0], int(f[1]))] = (int(f[2]), int(f[3]), int(f[4]) if f[4].lstrip("-").isdigit() else None)
    return rows


def members(srv, group):
    """[(member, assignment)] from `rill groups describe`."""
    out = rill("groups", "describe", group, "--bootstrap", srv.bootstrap).stdout
    rows, on = [], False
    for line in out.splitlines():
        f = line.split()
        if f[:1] == ["MEMBER"]:
            on = True
            continue
        if on and not f:
            break
        if on:
            rows.append((f[0], f[-1]))
    return rows


def session_expiry(srv):
    """Two kcat members; one is killed with SIGKILL (no LeaveGroup): the
    broker expires its session (6 s) and the survivor gets every partition."""
    cmd = ["kcat", "-b", srv.bootstrap, "-G", "expiry", "-q", "-X", "session.timeout.ms=6000",
           "-X", "heartbeat.interval.ms=500", "-X", "auto.offset.reset=earliest", "gk"]
    a = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    b = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        rows = []
        while time.time() < deadline:
            rows = members(srv, "expiry")
            if len(rows) == 2 and all(r[1] != "-" for r in rows):
                break
            time.sleep(0.3)
        check(len(rows) == 2 and all(r[1] != "-" for r in rows),
              "two kcat members share the topic (%s)" % rows)
        a.kill()
        a.wait()
        t0 = time.time()
        while time.time() < t0 + 20:
            rows = members(srv, "expiry")
            if len(rows) == 1 and rows[0][1] == "gk:0,1,2,3":
                break
            time.sleep(0.3)
        took = time.time() - t0
        check(len(rows) == 1 and rows[0][1] == "gk:0,1,2,3",
              "after SIGKILL the session expires and the survivor owns gk:0,1,2,3 (%s)" % rows)
        check(4.0 < took < 15.0, "expiry took %.1fs (session timeout 6 s)" % took)
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.terminate()
                p.wait(10)


def static_member(srv):
    """group.instance.id (KIP-345): a restarted static member takes over
    its old slot under a new member id and continues after the commits."""
    p = kcat(srv, "-P", "-t", "st", input="".join("s-%03d\n" % i for i in range(100)))
    check(p.returncode == 0, "100 messages into st")
    got = []
    for _ in range(2):
        p = kcat(srv, "-G", "static", "-X", "group.instance.id=inst-1", "-X", "session.timeout.ms=6000",
                 "-X", "auto.offset.reset=earliest", "-X", "auto.commit.interval.ms=100",
                 "-c", "50", "-f", "%s\n", "st", timeout=60)
        check(p.returncode == 0, "static member run exits 0")
        got += p.stdout.split()
    check(sorted(got) == ["s-%03d" % i for i in range(100)],
          "two runs of one static member read 100 distinct messages (%d)" % len(set(got)))
    rows = members(srv, "static")
    check(len(rows) == 1, "the static member stays registered, once (%s)" % rows)


def cli_errors():
    p = rill("groups", check=False)
    check(p.returncode == 2 and "usage" in p.stderr, "rill groups with no verb: usage, exit 2")
    p = rill("groups", "describe", "--bootstrap", "127.0.0.1:1", check=False)
    check(p.returncode == 2, "describe without a group: exit 2")
    t0 = time.time()
    p = rill("groups", "list", "--bootstrap", "127.0.0.1:%d" % free_port(), "--timeout", "2000", check=False)
    check(p.returncode == 1 and time.time() - t0 < 10, "no broker: exit 1 after the timeout")


def main():
    cli_errors()
    with Server(extra=["--set", "num.partitions=4"]) as srv:
        n = 200
        lines = "".join("m-%03d\n" % i for i in range(n))
        p = kcat(srv, "-P", "-t", "gk", "-K", "\t", input="".join("k%d\tm-%03d\n" % (i % 13, i) for i in range(n)))
        check(p.returncode == 0, "kcat -P of %d keyed messages (%s)" % (n, p.stderr.strip()[-200:]))

        t0 = time.time()
        p = kcat(srv, "-G", "kgroup", "-X", "auto.offset.reset=earliest",
                 "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000",
                 "-X", "auto.commit.interval.ms=200",
                 "-c", str(n), "-f", "%s\n", "gk", timeout=60)
        got = p.stdout.split()
        check(p.returncode == 0, "kcat -G exits 0 after %d messages (%s)" % (n, p.stderr.strip()[-300:]))
        check(sorted(got) == sorted(lines.split()), "kcat -G consumed every message once (got %d)" % len(got))
        print("kcat -G took %.1fs" % (time.time() - t0))

        out = rill("groups", "list", "--bootstrap", srv.bootstrap).stdout
        check("kgroup" in out, "rill groups list shows kgroup:\n" + out)

        out = rill("groups", "describe", "kgroup", "--bootstrap", srv.bootstrap).stdout
        rows = lags(out)
        check(len(rows) == 4, "describe shows 4 committed partitions:\n" + out)
        check(sum(c for c, _, _ in rows.values()) == n, "committed offsets sum to %d" % n)
        check(all(l == 0 for _, _, l in rows.values()), "lag is 0 everywhere")

        p = kcat(srv, "-P", "-t", "gk", "-p", "1", input="".join("late-%d\n" % i for i in range(10)))
        check(p.returncode == 0, "ten more messages into partition 1")
        out = rill("groups", "describe", "kgroup", "--bootstrap", srv.bootstrap).stdout
        rows = lags(out)
        check(rows[("gk", 1)][2] == 10, "partition 1 now lags by 10:\n" + out)
        check("total lag: 10" in out, "total lag 10")

        # A second run of the same group resumes after the commit: only
        # the ten new messages.
        p = kcat(srv, "-G", "kgroup", "-X", "auto.offset.reset=earliest",
                 "-X", "session.timeout.ms=6000", "-c", "10", "-f", "%s\n", "gk", timeout=60)
        check(sorted(p.stdout.split()) == sorted("late-%d" % i for i in range(10)),
              "the group resumes at its committed offsets (got %s)" % p.stdout.split()[:5])

        p = rill("groups", "describe", "nosuch", "--bootstrap", srv.bootstrap, check=False)
        check("Dead" in p.stdout or p.returncode != 0, "an unknown group is described as Dead")
        session_expiry(srv)
        static_member(srv)
        check(srv.stop() == 0, "the broker exits cleanly (status 0, no sanitizer report)")


if __name__ == "__main__":
    main()
