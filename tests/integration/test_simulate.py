"""test_simulate.py - `rill simulate`, `rill skew` and `rill advise` end to end
through the real binary: determinism, bounds, formats, real-time pacing,
clean stop on SIGTERM, ground truth, throughput floor, and (when the broker
runs) delivery through librdkafka to `rill serve` with murmur2 placement.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import RILL, Server, check, rill  # noqa: E402


def murmur2(data):
    """Java's Utils.murmur2 (Kafka's key placement), written out here so the
    test checks rill's placement against an independent implementation."""
    m, h = 0x5bd1e995, (0x9747b28c ^ len(data)) & 0xffffffff
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xffffffff
        k ^= k >> 24
        k = (k * m) & 0xffffffff
        h = ((h * m) & 0xffffffff) ^ k
    rest = data[4 * n4:]
    if len(rest) >= 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if len(rest) >= 1:
        h ^= rest[0]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return h


def sim(*args, timeout=60):
    p = subprocess.run([RILL, "simulate"] + list(args), capture_output=True,
                       timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("simulate %s failed: %s" % (args, p.stderr.decode()))
    return p.stdout, p.stderr.decode()


def main():
    tmp = tempfile.mkdtemp(prefix="rill-sim-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp):

    # Determinism: same seed, same bytes; another seed, other bytes.
    a, _ = sim("--virtual-clock", "--seed", "5", "--count", "20000")
    b, _ = sim("--virtual-clock", "--seed", "5", "--count", "20000")
    c, _ = sim("--virtual-clock", "--seed", "6", "--count", "20000")
    check(hashlib.sha256(a).digest() == hashlib.sha256(b).digest(),
          "same seed gives byte-identical output")
    check(a != c, "a different seed gives different output")
    lines = a.decode().splitlines()
    check(len(lines) == 20000, "--count bounds the run exactly (%d)" % len(lines))
    rec = json.loads(lines[0])
    check(set(rec) == {"sensor_id", "machine_id", "kind", "value", "unit", "ts"},
          "JSON record fields: %s" % sorted(rec))
    check(all(len(l) < 160 for l in lines), "records are ~150 B or less")

    # Formats.
    out, _ = sim("--virtual-clock", "--count", "100", "--format", "csv")
    rows = out.decode().splitlines()
    check(len(rows) == 100 and all(len(r.split(",")) == 6 for r in rows),
          "csv: 100 rows of 6 fields")
    out, _ = sim("--virtual-clock", "--count", "100", "--format", "senml")
    packs = [json.loads(l) for l in out.decode().splitlines()]
    check(all(p[0]["bn"].startswith("m-") and "v" in p[0] and "t" in p[0]
              for p in packs), "senml: one pack per reading with bn, v, t")

    # Generic scenario: only the kinds asked for, no faults.
    out, _ = sim("--scenario", "generic", "--sensors", "10", "--kinds",
                 "temperature", "--rate", "100", "--virtual-clock",
                 "--duration", "5")
    recs = [json.loads(l) for l in out.decode().splitlines()]
    check(len(recs) == 500 and {r["kind"] for r in recs} == {"temperature"}
          and len({r["sensor_id"] for r in recs}) == 10,
          "generic: 10 temperature sensors x 10/s x 5 s = 500 readings")
    ts = [r["ts"] for r in recs]
    check(ts == sorted(ts), "generic (clean) readings arrive in event-time order")

    # Ground truth on a virtual clock.
    truth = os.path.join(tmp, "truth.jsonl")
    out, err = sim("--virtual-clock", "--duration", "60", "--seed", "3",
                   "--bearing-per-min", "20", "--truth", truth, "--stats")
    faults = [json.loads(l) for l in open(truth)]
    kinds = {f["fault"] for f in faults}
    check(len(faults) > 10 and "bearing" in kinds,
          "truth file records %d faults (%s)" % (len(faults), sorted(kinds)))
    bearing = [f for f in faults if f["fault"] == "bearing"][0]
    gap = bearing["temperature_start_ms"] - bearing["start_ms"]
    check(10000 <= gap <= 50000, "bearing: temperature rise %d ms after the spike" % gap)
    spike = [json.loads(l) for l in out.decode().splitlines()
             if b'"vibration"' in l.encode() and bearing["sensor_id"] in l]
    inside = [r["value"] for r in spike
              if bearing["start_ms"] <= r["ts"] < bearing["spike_end_ms"]]
    check(inside and min(inside) > 1.5, "vibration spike readings > 1.5 g (%d)" % len(inside))
    check("events=" in err and "wall_s=" in err, "--stats prints a summary")

    # Throughput floor with --virtual-clock (the target is >= 1M/s; the
    # floor here is low because the test machine is shared).
    t0 = time.time()
    p = subprocess.run([RILL, "simulate", "--virtual-clock", "--count", "1000000"],
                       stdout=subprocess.DEVNULL, timeout=60)
    dt = time.time() - t0
    check(p.returncode == 0 and 1e6 / dt > 200000,
          "virtual clock: %.0f events/s to /dev/null" % (1e6 / dt))

    # Real time: paced at the requested rate, open loop.
    t0 = time.time()
    out, _ = sim("--rate", "2000", "--sensors", "200", "--duration", "2", "--clean")
    dt = time.time() - t0
    n = len(out.splitlines())
    check(3600 <= n <= 4400, "real time: %d events in 2 s at 2000/s" % n)
    check(1.8 <= dt <= 4.0, "real time: took %.2f s" % dt)

    # The same seed and start time give the same bytes paced in real time
    # and with the virtual clock (faults, disorder and all), and a sink that
    # stalls for 1 s (a reader that sleeps; the pipe fills) neither slows
    # the event-time schedule nor loses a reading: open loop, the run still
    # ends at its duration with every event.
    flags = ["--seed", "3", "--rate", "2000", "--duration", "2",
             "--start-ms", "1764000000000", "--bearing-per-min", "120",
             "--stuck-per-min", "120", "--reconnect-per-min", "60"]
    virt, _ = sim("--virtual-clock", *flags)
    t0 = time.time()
    slow = subprocess.run(["bash", "-c", '"$0" simulate "$@" | (sleep 1; cat)', RILL]
                          + flags, capture_output=True, timeout=30)
    dt = time.time() - t0
    check(slow.returncode == 0 and slow.stdout == virt,
          "real time with a stalled sink == virtual clock, byte for byte (%d vs %d B)"
          % (len(slow.stdout), len(virt)))
    check(dt < 3.5, "a stalled sink does not stretch a 2 s run (%.2f s)" % dt)

    # Output modes: --output FILE is the same bytes as stdout, and the
    # ground truth is the same whatever the format.
    tj, tc = os.path.join(tmp, "tj.jsonl"), os.path.join(tmp, "tc.jsonl")
    fj, fc = os.path.join(tmp, "o.jsonl"), os.path.join(tmp, "o.csv")
    sim("--virtual-clock", *flags, "--truth", tj, "--output", fj)
    sim("--virtual-clock", *flags, "--truth", tc, "--output", fc, "--format", "csv")
    check(open(fj, "rb").read() == virt, "--output FILE == stdout, byte for byte")
    truth = open(tj, "rb").read()
    check(truth and truth == open(tc, "rb").read(),
          "the ground truth does not depend on --format")
    rows = open(fc).read().splitlines()
    check(len(rows) == len(virt.splitlines()) and all(
        r.split(",")[0] == json.loads(j)["sensor_id"] and
        int(r.split(",")[5]) == json.loads(j)["ts"]
        for r, j in zip(rows, virt.decode().splitlines())),
        "csv and json carry the same readings in the same order")

    # Every bound bounds: --count 0 / --duration 0 are usage errors (they
    # used to mean "no limit"), and a virtual-clock run (millions of
    # events/s) must have a bound.
    for bad in (["--virtual-clock"], ["--virtual-clock", "--count", "0"],
                ["--duration", "0"], ["--virtual-clock", "--duration", "-1"]):
        p = subprocess.run([RILL, "simulate"] + bad, capture_output=True,
                           timeout=10)
        check(p.returncode == 2 and not p.stdout,
              "simulate %s is a usage error" % " ".join(bad))

    # SIGTERM stops an unbounded run cleanly, with whole lines.
    path = os.path.join(tmp, "run.jsonl")
    with open(path, "wb") as f:
        proc = subprocess.Popen([RILL, "simulate", "--rate", "5000"], stdout=f)
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
    data = open(path, "rb").read()
    check(rc == 0 and len(data) > 0 and data.endswith(b"\n"),
          "SIGTERM: exit 0 with %d whole lines" % data.count(b"\n"))
    json.loads(data.splitlines()[-1])

    # Bad flags are usage errors.
    p = subprocess.run([RILL, "simulate", "--late-fraction", "2"], capture_output=True)
    check(p.returncode == 2, "invalid fraction is a usage error")
    p = subprocess.run([RILL, "simulate", "--format", "xml"], capture_output=True)
    check(p.returncode == 2, "unknown format is a usage error")

    # rill skew: the course's example, and --simulate agrees with it.
    s = rill("skew", "--sensors", "100", "--hot-share", "0.1", "--hot-traffic",
             "0.9", "--partitions", "10", "--rate", "100000", "--seed", "1",
             "--simulate").stdout
    check("max/mean" in s and "round-robin" in s and "sit idle" in s,
          "skew prints the comparison and the consumer consequence")
    last = [l for l in s.splitlines() if l.startswith("hottest share: key-based")][0]
    measured = float(last.split("key-based ")[1].split("%")[0])
    expected = float(last.split("(expected ")[1].split("%")[0])
    check(abs(measured - expected) < 0.5,
          "skew --simulate: measured hottest share %.1f%% vs %.1f%%" % (measured, expected))

    skdir = os.path.join(tmp, "skew")
    rill("skew", "--simulate", "--count", "10000", "--data", skdir)
    topics = rill("topics", "list", "--data", skdir).stdout.split()
    check("skew-by-key" in topics and "skew-round-robin" in topics,
          "skew --simulate --data keeps its two topics (%s)" % topics)
    sk = ["skew", "--sensors", "100", "--hot-share", "0.1", "--hot-traffic",
          "0.9", "--partitions", "10", "--rate", "100000", "--simulate"]
    s5a = rill(*sk, "--seed", "5").stdout
    s5b = rill(*sk, "--seed", "5").stdout
    s6 = rill(*sk, "--seed", "6").stdout
    check(s5a == s5b and s5a != s6,
          "skew --seed: same seed same report (measured counts too), another seed another")
    p = subprocess.run([RILL, "skew", "--partitions", "0"], capture_output=True)
    check(p.returncode == 2, "skew: 0 partitions is a usage error")

    # rill advise: the two course cases.
    s = rill("advise", "--events-per-s", "20000", "--latency-ms", "5000",
             "--cep-patterns", "1", "--ml", "no", "--team-kafka-experience",
             "none", "--budget-usd", "3000").stdout
    check("Recommendation: Kafka Streams-style processing with custom pattern detection" in s,
          "advise: the factory gets Kafka Streams + custom CEP")
    s = rill("advise", "--events-per-s", "200000", "--cep-patterns", "12").stdout
    check("Recommendation: Apache Flink-style" in s, "advise: 200K/s + 12 patterns gets Flink")
    d = rill("advise").stdout
    check(rill("advise", "--sensors", "2000").stdout == d,
          "advise: --sensors 2000 (10/s each) is the default factory")
    s = rill("advise", "--grow").stdout
    check("As the factory grows" in s, "advise --grow prints the growth table")

    # The embedded log: batches keyed by sensor_id, placed by murmur2.
    data = os.path.join(tmp, "data")
    sim("--virtual-clock", "--count", "50000", "--topic", "readings", "--data",
        data, "--partitions", "4", "--truth-topic", "truth",
        "--stuck-per-min", "600")
    dump = rill("log", "dump", data).stdout
    counts = {}
    for line in dump.splitlines():
        if line.startswith("Dumping "):
            part = line.split()[1].split("/")[-2]
        elif line.startswith("baseOffset:"):
            counts[part] = counts.get(part, 0) + int(line.split("count: ")[1].split()[0])
    total = sum(v for k, v in counts.items() if k.startswith("readings-"))
    check(total == 50000 and len([k for k in counts if k.startswith("readings-")]) == 4,
          "--topic: 50000 records in 4 partitions (%s)" % counts)
    check(counts.get("truth-0", 0) > 0, "--truth-topic: faults in topic truth")
    recs = rill("log", "dump", os.path.join(data, "readings-3"), "--records").stdout
    keys = {l.split(" key: ")[1].split()[0] for l in recs.splitlines() if " key: " in l}
    check(keys and all((murmur2(k.encode()) & 0x7fffffff) % 4 == 3 for k in keys),
          "--topic: every key in partition 3 hashes there (%d keys)" % len(keys))
    out = rill("consume", "readings", "--data", data, "--from", "beginning",
               "--max", "50000", timeout=120)
    n = len([l for l in out.stdout.splitlines() if l.startswith('{"sensor_id"')])
    check(n == 50000, "rill consume reads back %d of 50000" % n)

    # Through librdkafka into rill serve, when the broker is in this build.
    probe = subprocess.run([RILL, "serve", "--help"], capture_output=True)
    if probe.returncode in (0, 2) and b"not implemented" not in probe.stderr:
        try:
            with Server(extra=["--set", "num.partitions=4",
                               "--set", "auto.create.topics.enable=true"]) as srv:
                status = os.path.join(tmp, "status.json")
                sim("--virtual-clock", "--count", "5000", "--clean",
                    "--bootstrap", srv.bootstrap, "--topic", "readings",
                    "--status", status, timeout=60)
                st = json.load(open(status))
                check(sum(st["end_offsets"]) == 5000,
                      "--bootstrap: 5000 records acknowledged (%s)" % st["end_offsets"])
                # The same run into the embedded log lands on the same
                # partitions: librdkafka's murmur2_random == rill's murmur2.
                local = os.path.join(tmp, "local")
                lstatus = os.path.join(tmp, "lstatus.json")
                sim("--virtual-clock", "--count", "5000", "--clean", "--topic",
                    "readings", "--data", local, "--partitions", "4",
                    "--status", lstatus)
                lst = json.load(open(lstatus))
                check(lst["end_offsets"] == st["end_offsets"],
                      "same placement through Kafka and the embedded log (%s)" % lst["end_offsets"])
        except RuntimeError as e:
            print("skip: rill serve not usable yet (%s)" % e)
    else:
        print("skip: rill serve not in this build")


if __name__ == "__main__":
    main()
