"""test_log_compact.py - compacted topics (cleanup.policy=compact) in `rill
serve`, with unmodified clients: kcat and confluent-kafka.

1. A topic created with cleanup.policy=compact (AdminClient CreateTopics,
   small segments, low dirty ratio) written by kcat: after the cleaner ran,
   kcat reading from the beginning sees exactly one record per key, the
   latest value, at the offset it was written at; the tombstone stays while
   younger than delete.retention.ms and goes after an AlterConfigs lowered
   it; DescribeConfigs reports the policy; a record without a key is refused.
2. Transactions on a compacted topic: an aborted overwrite never wins, for
   read_committed and read_uncommitted consumers.
3. kill -9 during cleaning (RILL_CLEANER_CRASH_AT=cleaned|swap|replaced,
   src/log/cleaner.c) at each step of the swap: after the restart every
   acknowledged latest value is there, once, and the log stays appendable.
4. __consumer_offsets and __transaction_state compacted (segments made
   small with AlterConfigs): the committed offsets of a group and a
   transactional producer survive compaction and a restart.
5. `rill topics create --config cleanup.policy=compact` on a data directory
   and through --bootstrap.
6. SQL: CREATE TABLE with PRIMARY KEY (or WITH key) gets a compacted topic.
7. HTTP PATCH /topics/{t} of retention.ms keeps cleanup.policy=compact.
"""
import os
import subprocess
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from rilltest import RILL, Server, check, rill

CLEANER = ["--set", "log.cleaner.backoff.ms=200",
           "--set", "log.cleaner.io.max.bytes.per.second=0"]


def kcat(srv, *args, input=None, timeout=60):
    cmd = ["kcat", "-b", srv.bootstrap, "-X", "socket.timeout.ms=5000"] + list(args)
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)


def compact_topic(admin, name, **extra):
    cfg = {"cleanup.policy": "compact", "segment.bytes": "1024",
           "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "600000"}
    cfg.update(extra)
    fs = admin.create_topics([NewTopic(name, 1, 1, config=cfg)])
    fs[name].result(10)


def read_all(srv, topic):
    """[(offset, key, value or None)] from the beginning, with kcat."""
    p = kcat(srv, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e",
             "-f", "%o|%k|%S|%s\n")
    check(p.returncode == 0, "kcat -C reads %s (%s)" % (topic, p.stderr.strip()[-300:]))
    out = []
    for line in p.stdout.splitlines():
        off, key, size, value = line.split("|", 3)
        out.append((int(off), key, None if size == "-1" else value))
    return out


def count_records(srv, topic):
    p = kcat(srv, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-f", "%o\n")
    return len(p.stdout.split()) if p.returncode == 0 else 10 ** 9


def wait_until(fn, timeout=30.0, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def produce_rounds(srv, topic, keys, rounds, prefix="r"):
    """kcat -P, one invocation per round: offsets in order, acks=all."""
    for r in range(rounds):
        lines = "".join("k%d:%s%d-k%d\n" % (i, prefix, r, i) for i in range(keys))
        p = kcat(srv, "-P", "-t", topic, "-p", "0", "-K", ":", "-X", "acks=all", input=lines)
        check(p.returncode == 0, "kcat -P round %d (%s)" % (r, p.stderr.strip()[-200:]))


def latest_per_key(recs):
    last = {}
    for off, k, v in recs:
        last[k] = (off, v)
    return last


def part1(srv, admin):
    compact_topic(admin, "kv")
    produce_rounds(srv, "kv", 50, 20)
    # A tombstone for k7 (kcat -Z: empty value is null), then filler so
    # that the segments holding the latest values close.
    p = kcat(srv, "-P", "-t", "kv", "-p", "0", "-K", ":", "-Z", input="k7:\n")
    check(p.returncode == 0, "kcat -P -Z writes a tombstone")
    filler = "".join("f%d:x%d\n" % (i, i) for i in range(40))
    check(kcat(srv, "-P", "-t", "kv", "-p", "0", "-K", ":", input=filler).returncode == 0,
          "filler written")
    # Expected: key k<i> written last at offset 19*50 + i; the tombstone at 1000.
    want = {"k%d" % i: (950 + i, "r19-k%d" % i) for i in range(50)}
    want["k7"] = (1000, None)

    def compacted():
        recs = read_all(srv, "kv")
        ks = [k for _, k, _ in recs if k.startswith("k")]
        return recs if len(ks) == len(set(ks)) == 50 else None
    recs = wait_until(compacted)
    check(recs is not None, "the cleaner left one record per key (kcat from the beginning)")
    got = latest_per_key(recs)
    for k in ("k0", "k7", "k49"):
        check(got.get(k) == want[k], "%s: latest value %r at offset %d" % (k, want[k][1], want[k][0]))
    bad = [k for k, w in want.items() if got.get(k) != w]
    check(not bad, "every key has its latest value at its original offset (%s)" % bad[:3])
    offs = [o for o, _, _ in recs]
    check(offs == sorted(offs) and offs[-1] == 1040, "offsets preserved, with gaps (last %d)" % offs[-1])
    # confluent-kafka reads the compacted topic from the beginning too.
    c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "g-read",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.assign([TopicPartition("kv", 0, 0)])
    seen = []
    deadline = time.time() + 15
    while time.time() < deadline and len(seen) < len(recs):
        m = c.poll(0.5)
        if m is not None and not m.error():
            seen.append((m.offset(), m.key().decode(), None if m.value() is None else m.value().decode()))
    c.close()
    check(seen == recs, "confluent-kafka reads the same %d records" % len(recs))

    # DescribeConfigs shows the policy.
    res = ConfigResource(ConfigResource.Type.TOPIC, "kv")
    desc = admin.describe_configs([res])[res].result(10)
    check(desc["cleanup.policy"].value == "compact", "DescribeConfigs: cleanup.policy=compact")
    check(desc["delete.retention.ms"].value == "600000", "DescribeConfigs: delete.retention.ms")

    # Lower delete.retention.ms: the tombstone goes at the next cleaning.
    # (AlterConfigs replaces the whole set: name every key kept.)
    res = ConfigResource(ConfigResource.Type.TOPIC, "kv", set_config={
        "cleanup.policy": "compact", "segment.bytes": "1024",
        "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "100"})
    admin.alter_configs([res])[res].result(10)
    more = "".join("g%d:y%d\n" % (i, i) for i in range(40))
    check(kcat(srv, "-P", "-t", "kv", "-p", "0", "-K", ":", input=more).returncode == 0, "more writes")
    gone = wait_until(lambda: "k7" not in latest_per_key(read_all(srv, "kv")))
    check(gone, "the tombstone is removed once older than delete.retention.ms")
    got = latest_per_key(read_all(srv, "kv"))
    check(got.get("k8") == (958, "r19-k8"), "other keys unchanged after the tombstone went")

    # A record without a key: refused as Kafka does.
    p = kcat(srv, "-P", "-t", "kv", "-p", "0", "-X", "message.send.max.retries=0", input="nokey\n")
    check(p.returncode != 0 or "INVALID_RECORD" in p.stderr or "Invalid" in p.stderr,
          "a record without a key is refused on a compacted topic (%s)" % p.stderr.strip()[-160:])
    check(all(k for _, k, _ in read_all(srv, "kv")), "no keyless record stored")


def part2(srv, admin):
    compact_topic(admin, "txkv")
    pr = Producer({"bootstrap.servers": srv.bootstrap, "transactional.id": "tx-compact"})
    pr.init_transactions(15)
    pr.begin_transaction()
    for i in range(20):
        pr.produce("txkv", key="a%d" % i, value="committed", partition=0)
    pr.commit_transaction(15)
    for rnd in range(3):
        pr.begin_transaction()
        for i in range(20):
            pr.produce("txkv", key="a%d" % i, value="aborted", partition=0)
        pr.flush(10)
        pr.abort_transaction(15)
    pr.begin_transaction()
    for i in range(40):
        pr.produce("txkv", key="f%d" % i, value="filler" * 10, partition=0)
    pr.commit_transaction(15)
    def clean():
        recs = read_all(srv, "txkv")  # kcat: read_uncommitted
        a = [(k, v) for _, k, v in recs if k.startswith("a")]
        return len(a) == 20 and all(v == "committed" for _, v in a)
    check(wait_until(clean), "the cleaner removed the aborted overwrites (kcat sees one "
          "committed value per key)")
    for iso in ("read_committed", "read_uncommitted"):
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "g-" + iso,
                      "isolation.level": iso, "auto.offset.reset": "earliest"})
        c.assign([TopicPartition("txkv", 0, 0)])
        vals = {}
        deadline = time.time() + 10
        last = time.time()
        while time.time() < deadline and time.time() - last < 2:
            m = c.poll(0.2)
            if m is not None and not m.error():
                vals.setdefault(m.key().decode(), []).append(m.value().decode())
                last = time.time()
        c.close()
        a = {k: v for k, v in vals.items() if k.startswith("a")}
        check(len(a) == 20 and all(v[-1] == "committed" for v in a.values()),
              "%s: every key's value is the committed one" % iso)
        if iso == "read_uncommitted":
            check(all("aborted" not in v for v in a.values()),
                  "aborted records were removed by the cleaner")
    pr.begin_transaction()
    pr.produce("txkv", key="a0", value="again", partition=0)
    pr.commit_transaction(15)
    check(True, "the transactional producer still commits after compaction")


def part3():
    """kill -9 at each step of a cleaner swap, then recovery."""
    for point in ("cleaned", "swap", "replaced"):
        srv = Server(extra=CLEANER, env={"RILL_CLEANER_CRASH_AT": point})
        srv.start()
        try:
            admin = AdminClient({"bootstrap.servers": srv.bootstrap})
            compact_topic(admin, "crash")
            # Write while the cleaner may already fire: a kcat that the
            # crash interrupts may fail; what it acknowledged must stay.
            acked = {}
            for r in range(12):
                if not srv.alive():
                    break
                lines = "".join("k%d:%s-%d-k%d\n" % (i, point, r, i) for i in range(30))
                p = kcat(srv, "-P", "-t", "crash", "-p", "0", "-K", ":", "-X", "acks=all",
                         "-X", "message.timeout.ms=5000", input=lines, timeout=20)
                if p.returncode == 0:
                    for i in range(30):
                        acked["k%d" % i] = "%s-%d-k%d" % (point, r, i)
            died = wait_until(lambda: not srv.alive(), timeout=20)
            check(died, "RILL_CLEANER_CRASH_AT=%s killed the server during cleaning" % point)
            out = srv.output()
            check("RILL_CLEANER_CRASH_AT=%s" % point in out, "it died at the %s step" % point)
            srv.kill()
            srv.env = {}
            srv.start()
            recs = read_all(srv, "crash")
            got = latest_per_key(recs)
            # A value from a later round than the last acknowledged one is
            # fine (written, its acknowledgement lost in the crash).
            def rnd(v):
                return int(v.split("-")[1]) if v else -1
            lost = [k for k, v in acked.items() if rnd(got.get(k, (0, None))[1]) < rnd(v)]
            check(acked and not lost, "%s: every acknowledged latest value is there (%d keys; "
                  "lost %s)" % (point, len(acked), [(k, acked[k], got.get(k)) for k in lost[:3]]))
            offs = [o for o, _, _ in recs]
            check(offs == sorted(set(offs)), "%s: offsets increase, no duplicate" % point)
            check(not [f for f in os.listdir(os.path.join(srv.data, "crash-0"))
                       if f.endswith(".cleaned") or f.endswith(".swap")],
                  "%s: no .cleaned or .swap file left after recovery" % point)
            p = kcat(srv, "-P", "-t", "crash", "-p", "0", "-K", ":", input="k0:after\n")
            check(p.returncode == 0, "%s: appends work after recovery" % point)
            # Cleaning finishes after the restart (filler rolls the segment
            # holding the k keys, so all of them become cleanable).
            filler = "".join("z%d:%s\n" % (i, "z" * 20) for i in range(40))
            kcat(srv, "-P", "-t", "crash", "-p", "0", "-K", ":", input=filler)

            def done():
                last = latest_per_key(read_all(srv, "crash"))
                ks = [k for _, k, _ in read_all(srv, "crash") if k.startswith("k")]
                return len(ks) == len(set(ks)) and last.get("k0", (0, ""))[1] == "after"
            ok = wait_until(done, timeout=30)
            check(ok, "%s: the cleaner finishes after the restart" % point)
        finally:
            srv.stop()
            srv.tmp.cleanup()


def part4():
    """The internal topics compacted; groups and transactions still right."""
    srv = Server(extra=CLEANER)
    srv.start()
    try:
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        admin.create_topics([NewTopic("in", 3, 1)])["in"].result(10)
        # Make the internal topics roll often so the cleaner has work.
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "grp",
                      "enable.auto.commit": False})
        c.commit(offsets=[TopicPartition("in", 0, 1)], asynchronous=False)
        pr = Producer({"bootstrap.servers": srv.bootstrap, "transactional.id": "tx-int"})
        pr.init_transactions(15)
        for t in ("__consumer_offsets", "__transaction_state"):
            res = ConfigResource(ConfigResource.Type.TOPIC, t, set_config={
                "cleanup.policy": "compact", "segment.bytes": "1024", "retention.ms": "-1",
                "min.cleanable.dirty.ratio": "0.01"})
            admin.alter_configs([res])[res].result(10)
            desc = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, t)])
            val = list(desc.values())[0].result(10)["cleanup.policy"].value
            check(val == "compact", "%s is compacted (cleanup.policy=%s)" % (t, val))
        for i in range(300):
            c.commit(offsets=[TopicPartition("in", p, 1000 * p + i) for p in range(3)],
                     asynchronous=False)
        for i in range(40):
            pr.begin_transaction()
            pr.produce("in", key="t%d" % i, value="v%d" % i, partition=0)
            pr.commit_transaction(15)
        # 901 offset records and about 160 transaction-state records were
        # written; compacted, each topic keeps one per key plus what its
        # active (1 KiB) segment holds.
        n = wait_until(lambda: count_records(srv, "__consumer_offsets") < 100)
        check(n, "__consumer_offsets was compacted (%d records left of 901)"
              % count_records(srv, "__consumer_offsets"))
        n = wait_until(lambda: count_records(srv, "__transaction_state") < 40)
        check(n, "__transaction_state was compacted (%d records left)"
              % count_records(srv, "__transaction_state"))
        got = c.committed([TopicPartition("in", p) for p in range(3)], timeout=10)
        check([t.offset for t in got] == [299, 1299, 2299], "committed offsets right after compaction")
        c.close()
        pr.flush(5)
        srv.stop()
        srv.start()
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "grp",
                      "enable.auto.commit": False})
        got = c.committed([TopicPartition("in", p) for p in range(3)], timeout=10)
        check([t.offset for t in got] == [299, 1299, 2299],
              "committed offsets right after compaction and a restart")
        c.close()
        pr = Producer({"bootstrap.servers": srv.bootstrap, "transactional.id": "tx-int"})
        pr.init_transactions(15)
        pr.begin_transaction()
        pr.produce("in", key="t-last", value="last", partition=0)
        pr.commit_transaction(15)
        rc = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "rc",
                       "isolation.level": "read_committed", "auto.offset.reset": "earliest"})
        rc.assign([TopicPartition("in", 0, 0)])
        vals = []
        deadline = time.time() + 10
        while time.time() < deadline and len(vals) < 41:
            m = rc.poll(0.3)
            if m is not None and not m.error():
                vals.append(m.value().decode())
        rc.close()
        check(len(vals) == 41 and vals[-1] == "last",
              "transactions after compaction of __transaction_state: %d committed values" % len(vals))
    finally:
        srv.stop()
        srv.tmp.cleanup()


def part5(srv):
    import tempfile
    with tempfile.TemporaryDirectory(prefix="rill-it-") as d:
        p = rill("topics", "create", "tc", "--config", "cleanup.policy=compact",
                 "--config", "delete.retention.ms=5000", data=d)
        check("created topic tc" in p.stdout, "rill topics create --config on a data directory")
        with open(os.path.join(d, "topics", "tc.properties")) as f:
            meta = f.read()
        check("cleanup.policy=compact" in meta and "delete.retention.ms=5000" in meta,
              "the topic's metadata keeps the policy")
        p = rill("topics", "create", "bad", "--config", "cleanup.policy=squash", data=d, check=False)
        check(p.returncode != 0, "a bad cleanup.policy is refused")
    p = rill("topics", "create", "remote", "--config", "cleanup.policy=compact,delete",
             "--bootstrap", srv.bootstrap, check=False)
    check(p.returncode == 0, "rill topics create --config through --bootstrap (%s)" % p.stderr.strip())
    admin = AdminClient({"bootstrap.servers": srv.bootstrap})
    res = ConfigResource(ConfigResource.Type.TOPIC, "remote")
    desc = admin.describe_configs([res])[res].result(10)
    check(desc["cleanup.policy"].value == "compact,delete", "cleanup.policy=compact,delete kept")


def part6():
    """SQL: a TABLE's topic is compacted, a STREAM's is not."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="rill-it-") as d:
        sql = ("CREATE TABLE prices (sym STRING, px DOUBLE, PRIMARY KEY (sym) NOT ENFORCED) "
               "WITH (format = 'json');\n"
               "CREATE TABLE p2 (sym STRING, px DOUBLE) WITH (key = 'sym', topic = 'p2t');\n"
               "CREATE STREAM ticks (sym STRING, px DOUBLE) WITH (format = 'json');\n")
        p = rill("sql", data=d, input=sql)
        check("created table prices" in p.stdout, "CREATE TABLE ... PRIMARY KEY (sym) NOT ENFORCED")

        def policy(topic):
            with open(os.path.join(d, "topics", topic + ".properties")) as f:
                return [l for l in f.read().splitlines() if l.startswith("cleanup.policy=")][0]
        check(policy("prices") == "cleanup.policy=compact", "the table's topic is compacted")
        check(policy("p2t") == "cleanup.policy=compact", "a table keyed WITH (key) too")
        check(policy("ticks") == "cleanup.policy=delete", "a stream's topic is not")
        p = rill("sql", data=d, check=False,
                 input="CREATE TABLE bad (a STRING, PRIMARY KEY (a)) WITH (key = 'b');\n")
        check("differ" in p.stdout + p.stderr, "PRIMARY KEY and a different WITH key are refused")


def part7(srv, http_port):
    """PATCH /topics/{t} (AlterConfigs underneath) keeps the compaction."""
    import http.client
    import json

    def patch(body):
        c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
        c.request("PATCH", "/topics/kv", body=body)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data
    st, data = patch(json.dumps({"retention.ms": 3600000}))
    check(st == 200, "PATCH /topics/kv retention.ms (%s)" % data[:200])
    admin = AdminClient({"bootstrap.servers": srv.bootstrap})
    res = ConfigResource(ConfigResource.Type.TOPIC, "kv")
    d = admin.describe_configs([res])[res].result(10)
    check(d["cleanup.policy"].value == "compact" and d["retention.ms"].value == "3600000",
          "a PATCH of retention.ms leaves cleanup.policy=compact")
    st, data = patch(json.dumps({"cleanup.policy": "compact,delete"}))
    d = admin.describe_configs([res])[res].result(10)
    check(st == 200 and d["cleanup.policy"].value == "compact,delete",
          "PATCH sets cleanup.policy")


def main():
    from rilltest import free_port
    hp = free_port()
    with Server(extra=CLEANER + ["--http-listen", "127.0.0.1:%d" % hp]) as srv:
        admin = AdminClient({"bootstrap.servers": srv.bootstrap})
        part1(srv, admin)
        part7(srv, hp)
        part2(srv, admin)
        part5(srv)
    part3()
    part4()
    part6()
    print("test_log_compact: all passed")


if __name__ == "__main__":
    main()
