"""test_broker_topic_flood.py - auto-creating topics in a loop cannot
exhaust the server (issue 16, item 4).

Before the fix, unauthenticated auto-creation went on until file
descriptors ran out, left directories of topics that were never created,
and then the server spun on accept (EMFILE) serving no one. Now:
  0. segment files are opened lazily and cold ones closed (the fd cache,
     rill.log.open.files.max): 1,200 partitions under a limit of 256
     descriptors are created, written, read in one Fetch and recovered
     after a restart;
  1. max.partitions caps them: POLICY_VIOLATION (44) beyond it, and
     clients keep working;
  2. with the cap and the fd cache's bound set above what descriptors
     allow, accept backs off instead of spinning when they run short, and
     creations that fail on EMFILE (RILL_FAULT) leave no directory behind;
  3. legal names of 241-249 characters work and survive a restart.

Run: /usr/bin/python3 tests/integration/test_broker_topic_flood.py
"""
import os
import re
import socket
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


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def fd_cache(ntopics=600):
    """0. More partitions than descriptors: 2 x 600 under a limit of 256."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    srv = LimitedServer(256, extra=["--set", "max.connections=50", "--set", "num.partitions=2",
                                    "--set", "log.segment.bytes=4096"])
    with srv:
        t0 = time.time()
        codes = flood(srv.port, ntopics, "fd")
        print("created %d topics in %.1f s: %s" % (ntopics, time.time() - t0, codes))
        check(codes == {0: ntopics}, "all %d topics (%d partitions) created under 256 descriptors: %s"
              % (ntopics, 2 * ntopics, codes))
        most = nfds(srv.proc.pid)
        prod = Producer({"bootstrap.servers": srv.bootstrap, "acks": "all", "linger.ms": 50})
        failed = []
        for rnd in range(3):
            for i in range(ntopics):
                for p in range(2):
                    prod.produce("fd%d" % i, value=("r%d-%d-%d" % (rnd, i, p)).encode() * 30,
                                 partition=p, on_delivery=lambda e, m: e and failed.append(e))
            prod.poll(0)
            check(prod.flush(120) == 0, "round %d delivered" % rnd)
            most = max(most, nfds(srv.proc.pid))
        check(not failed, "every record acknowledged (%s)" % failed[:3])
        cons = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "fdc", "enable.auto.commit": False,
                         "fetch.wait.max.ms": 100})
        cons.assign([TopicPartition("fd%d" % i, p, 0) for i in range(ntopics) for p in range(2)])
        got, deadline = {}, time.time() + 120
        while len(got) < 6 * ntopics and time.time() < deadline:
            for m in cons.consume(1000, 1.0):
                if not m.error():
                    got[(m.topic(), m.partition(), m.offset())] = m.value()
            most = max(most, nfds(srv.proc.pid))
        cons.close()
        check(len(got) == 6 * ntopics, "every record read back from %d partitions: %d of %d"
              % (2 * ntopics, len(got), 6 * ntopics))
        bad = [k for k, v in got.items() if v != ("r%d-%s-%d" % (k[2], k[0][2:], k[1])).encode() * 30]
        check(not bad, "values match (%s)" % bad[:3])
        print("server descriptors: at most %d of 256" % most)
        check(most < 256, "the server stayed under its descriptor limit")
        srv.stop()
        srv.start(timeout=120)
        check(kcat_ok(srv.bootstrap, "fd%d" % (ntopics - 1), "again"), "after a restart under the same limit")
        res = kwire.metadata_topics(srv.port, ["fd0", "fd%d" % (ntopics // 2)])
        check(all(v == (0, 2) for v in res.values()), "partitions recovered: %s" % res)


def main():
    fd_cache()
    # 1. The cap: max.partitions=80 here (default 10,000).
    srv = LimitedServer(512, extra=["--set", "max.connections=50", "--set", "num.partitions=2",
                                    "--set", "max.partitions=80"])
    with srv:
        check(kcat_ok(srv.bootstrap, "work", "before"), "a client works before the flood")
        codes = flood(srv.port, 2000, "f")
        metas, orphans = topic_state(srv.data)
        print("metadata answers:", codes)
        check(codes.get(0, 0) > 10 and codes.get(44, 0) > 1500,
              "the flood created some topics, then POLICY_VIOLATION (44): %s" % codes)
        check(len(metas) * 2 <= 80, "partitions stayed under the cap (%d topics)" % len(metas))
        check(not orphans, "no directory without a topic (%d orphans)" % len(orphans))
        check(kcat_ok(srv.bootstrap, "work", "after"), "a client still works after 2,000 attempted creations")
        check("max.partitions" in srv.output(), "the refusal is logged with the setting's name")

    # 2. The cap and the fd cache's bound set above what descriptors allow:
    #    creations fail on EMFILE; nothing is left behind, and the server
    #    does not spin.
    srv = LimitedServer(300, extra=["--set", "max.connections=50", "--set", "num.partitions=4",
                                    "--set", "max.partitions=100000",
                                    "--set", "rill.log.open.files.max=100000"])
    with srv:
        codes = flood(srv.port, 600, "g")
        metas, orphans = topic_state(srv.data)
        print("metadata answers with the cap too high:", codes)
        check(not orphans, "EMFILE during creation leaves no directory behind (%s)" % orphans[:5])
        c0 = cpu_s(srv.proc.pid)
        # Clients keep knocking while descriptors are short: more held
        # open at once than the few a segment open's EMFILE freed.
        held = []
        for _ in range(40):
            try:
                held.append(socket.create_connection(("127.0.0.1", srv.port), timeout=2))
            except OSError:
                pass
        for _ in range(10):
            try:
                kwire.metadata_topics(srv.port, [])
            except OSError:
                pass
        time.sleep(2.0)
        used = cpu_s(srv.proc.pid) - c0
        for h in held:
            h.close()
        check(used < 0.5, "no spinning on accept: %.2f s of CPU in ~2 s" % used)
        check("not accepting" in srv.output(), "accept ran out of descriptors and backed off")
        check(srv.alive(), "server alive")
    srv = Server(extra=["--set", "num.partitions=4"], env=dict(os.environ, RILL_FAULT="open:60:EMFILE:400"))
    with srv:
        codes = flood(srv.port, 300, "h")
        metas, orphans = topic_state(srv.data)
        print("metadata answers with opens failing on EMFILE:", codes)
        check(codes.get(0, 0) > 0 and len(codes) > 1, "some creations failed: %s" % codes)
        check(not orphans, "EMFILE during creation leaves no directory behind (%s)" % orphans[:5])
        check(kcat_ok(srv.bootstrap, "h0", "after"), "a topic created before the failures works")

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
