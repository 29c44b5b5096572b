"""test_broker_topic_flood.py - auto-creating topics in a loop cannot
exhaust the server (issue 16, item 4).

Before the fix, unauthenticated auto-creation went on until file
descriptors ran out, left directories of topics that were never created,
and then the server spun on accept (EMFILE) serving no one. Now:
  1. max.partitions (by default derived from the descriptor limit) caps
     them: POLICY_VIOLATION (44) beyond it, and clients keep working;
  2. with the cap set above what descriptors allow, a creation that fails
     leaves no directory behind, and accept backs off instead of spinning;
  3. legal names of 241-249 characters work and survive a restart.

Run: /usr/bin/python3 tests/integration/test_broker_topic_flood.py
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kwire  # noqa: E402
import rilltest  # noqa: E402
from rilltest import Server, check  # noqa: E402


class LimitedServer(Server):
    """rill serve under `prlimit --nofile=N`."""

    def __init__(self, nofile, **kw):
        super().__init__(**kw)
        self.nofile = nofile

    def start(self, timeout=10.0):
        real = rilltest.RILL
        wrapper = os.path.join(self.data + "-bin")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec prlimit --nofile=%d:%d %s \"$@\"\n" % (self.nofile, self.nofile, real))
        os.chmod(wrapper, 0o755)
        rilltest.RILL = wrapper
        try:
            return super().start(timeout)
        finally:
            rilltest.RILL = real


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def topic_state(data):
    """(topics with metadata, partition directories whose topic has none)."""
    metas = set()
    tdir = os.path.join(data, "topics")
    for f in os.listdir(tdir) if os.path.isdir(tdir) else []:
        if f.endswith(".properties"):
            with open(os.path.join(tdir, f)) as fh:
                for line in fh:
                    if line.startswith("name="):
                        metas.add(line[5:].strip())
    orphans = []
    for d in os.listdir(data):
        m = re.match(r"^(.*)-(\d+)$", d)
        if m and os.path.isdir(os.path.join(data, d)) and m.group(1) not in metas:
            orphans.append(d)
    return metas, orphans


def flood(port, n, prefix):
    codes = {}
    for i in range(0, n, 50):
        try:
            res = kwire.metadata_topics(port, ["%s%d" % (prefix, j) for j in range(i, min(n, i + 50))])
        except OSError:
            codes["conn-error"] = codes.get("conn-error", 0) + 1
            continue
        for err, _ in res.values():
            codes[err] = codes.get(err, 0) + 1
    return codes


def kcat_ok(bootstrap, topic, tag):
    p = subprocess.run(["kcat", "-b", bootstrap, "-P", "-t", topic, "-p", "0"], input="%s\n" % tag,
                       capture_output=True, text=True, timeout=30)
    c = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-p", "0", "-o", "-1", "-e"],
                       capture_output=True, text=True, timeout=30)
    return p.returncode == 0 and c.stdout.strip() == tag


def main():
    # 1. The default cap, from the descriptor limit (512 here): about
    #    (512 - 256 - max.connections) / 3 partitions.
    srv = LimitedServer(512, extra=["--set", "max.connections=50", "--set", "num.partitions=2"])
    with srv:
        check(kcat_ok(srv.bootstrap, "work", "before"), "a client works before the flood")
        codes = flood(srv.port, 2000, "f")
        metas, orphans = topic_state(srv.data)
        print("metadata answers:", codes)
        check(codes.get(0, 0) > 10 and codes.get(44, 0) > 1500,
              "the flood created some topics, then POLICY_VIOLATION (44): %s" % codes)
        check(len(metas) * 2 <= 90, "partitions stayed under the cap (%d topics)" % len(metas))
        check(not orphans, "no directory without a topic (%d orphans)" % len(orphans))
        check(kcat_ok(srv.bootstrap, "work", "after"), "a client still works after 2,000 attempted creations")
        check("max.partitions" in srv.output(), "the refusal is logged with the setting's name")

    # 2. The cap set above what descriptors allow: creations fail on EMFILE;
    #    nothing is left behind, and the server does not spin.
    srv = LimitedServer(300, extra=["--set", "max.connections=50", "--set", "num.partitions=4",
                                    "--set", "max.partitions=100000"])
    with srv:
        codes = flood(srv.port, 600, "g")
        metas, orphans = topic_state(srv.data)
        print("metadata answers with the cap too high:", codes)
        check(not orphans, "EMFILE during creation leaves no directory behind (%s)" % orphans[:5])
        c0 = cpu_s(srv.proc.pid)
        # Clients keep knocking while descriptors are short.
        for _ in range(20):
            try:
                kwire.metadata_topics(srv.port, [])
            except OSError:
                pass
        time.sleep(2.0)
        used = cpu_s(srv.proc.pid) - c0
        check(used < 0.5, "no spinning on accept: %.2f s of CPU in ~2 s" % used)
        check(srv.alive(), "server alive")

    # 3. Names of 241 to 249 characters (Kafka's limit is 249).
    with Server() as srv:
        names = ["n" * 241, "m" * 245, "x" * 249]
        res = kwire.metadata_topics(srv.port, names)
        check(all(res.get(n, (-9,))[0] == 0 for n in names),
              "topics of 241, 245 and 249 characters are created: %s" % [res.get(n) for n in names])
        for n in names:
            check(kcat_ok(srv.bootstrap, n, "long"), "produce and consume on a %d-character name" % len(n))
        res = kwire.metadata_topics(srv.port, ["y" * 250])
        check(res["y" * 250][0] == 17, "250 characters: INVALID_TOPIC_EXCEPTION (17)")
        srv.stop()
        srv.start()
        res = kwire.metadata_topics(srv.port, names)
        check(all(res[n] == (0, 1) for n in names), "the long names are there after a restart")
        _, orphans = topic_state(srv.data)
        check(not orphans, "no orphan directories")


if __name__ == "__main__":
    main()
