"""test_cli_kcat.py - the log CLI's batches against a real client, both ways:
batches written by `rill produce --compression X` are read back through
`rill serve` by kcat (librdkafka 2.0.2, CRC checks on) for none/gzip/snappy/
lz4/zstd; batches kcat produces with each codec (raw snappy, LZ4 frames, ...)
and the murmur2 partitioner are read by `rill consume` and `rill log dump`,
with keys on the partitions Java would pick.

Run: /usr/bin/python3 tests/integration/test_cli_kcat.py
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402

from kafka.partitioner.default import murmur2  # noqa: E402

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def kcat(srv, *args, input=None, timeout=60):
    cmd = ["kcat", "-b", srv.bootstrap, "-X", "socket.timeout.ms=5000"]
    if "-C" in args:
        cmd += ["-X", "check.crcs=true"]
    cmd += list(args)
    return subprocess.run(cmd, input=input, capture_output=True, text=True,
                          timeout=timeout)


def java_partition(key, n):
    return (murmur2(key.encode()) & 0x7fffffff) % n


def main():
    lines = ["k%d:value %d %s" % (i % 37, i, "abc" * (i % 9)) for i in range(2000)]
    text = "".join(l + "\n" for l in lines)
    with tempfile.TemporaryDirectory(prefix="rill-cli-kcat-") as data:
        # 1. rill produce writes compressed batches offline.
        for c in CODECS:
            rill("produce", "rp-" + c, "--compression", c, "--key-separator", ":",
                 "--partitions", "2", "--batch-bytes", "8192", data=data, input=text)
            rill("topics", "create", "kc-" + c, "--partitions", "3", data=data)

        with Server(data=data) as srv:
            # The data dir is the broker's now: produce refuses, consume reads.
            p = rill("produce", "rp-none", data=data, input="x\n", check=False)
            check(p.returncode == 1 and "in use" in p.stderr,
                  "rill produce refuses a data dir a broker holds (%s)" % p.stderr.strip())
            p = rill("consume", "rp-none", "--max", "3", data=data)
            check(len(p.stdout.splitlines()) == 3, "rill consume reads beside the broker")

            for c in CODECS:
                p = kcat(srv, "-C", "-t", "rp-" + c, "-o", "beginning", "-e",
                         "-f", "%p %k:%s\n")
                check(p.returncode == 0, "kcat reads rill's %s batches (%s)" %
                      (c, p.stderr.strip()[-200:]))
                got = p.stdout.splitlines()
                check(sorted(g.split(" ", 1)[1] for g in got) == sorted(lines),
                      "all 2000 %s records come back through kcat" % c)
                check(all(int(g.split(" ", 1)[0]) ==
                          java_partition(g.split(" ", 1)[1].split(":")[0], 2) for g in got),
                      "rill produce placed %s keys where Java would" % c)

            # 2. kcat produces with each codec and Java's partitioner.
            for c in CODECS:
                p = kcat(srv, "-P", "-t", "kc-" + c, "-K", ":", "-z", c,
                         "-X", "partitioner=murmur2_random", "-X", "linger.ms=50",
                         input=text)
                check(p.returncode == 0, "kcat -P -z %s (%s)" % (c, p.stderr.strip()[-200:]))
            # The broker may hold the writes in its page cache; consume reads
            # the files read-only, so it sees them while the broker runs.
            for c in CODECS:
                p = rill("consume", "kc-" + c, "--format", "%p %k:%s\\n", data=data)
                got = p.stdout.splitlines()
                check(sorted(g.split(" ", 1)[1] for g in got) == sorted(lines),
                      "rill consume reads kcat's %s batches (%d records)" % (c, len(got)))
                check(all(int(g.split(" ", 1)[0]) ==
                          java_partition(g.split(" ", 1)[1].split(":")[0], 3) for g in got),
                      "kcat murmur2_random placement = rill's partitioner (%s)" % c)
                # Order within a partition is the produce order.
                for part in range(3):
                    mine = [g.split(" ", 1)[1] for g in got if g.startswith("%d " % part)]
                    want = [l for l in lines if java_partition(l.split(":")[0], 3) == part]
                    check(mine == want, "partition %d of kc-%s in produce order" % (part, c))
            # Headers written by kcat come out of %h and log dump --records.
            p = kcat(srv, "-P", "-t", "hdr", "-p", "0", "-H", "trace=abc",
                     "-H", "unit=C", input="21.5\n")
            check(p.returncode == 0, "kcat -P -H")
            p = rill("consume", "hdr", "--format", "%h|%s\n", data=data)
            check(p.stdout == "trace=abc,unit=C|21.5\n", "rill consume %%h (%r)" % p.stdout)
            p = rill("log", "dump", os.path.join(data, "hdr-0"), "--records", data=None)
            check("headers: [trace=abc, unit=C]" in p.stdout, "log dump --records shows headers")
        # 3. log dump over everything: every CRC good, codecs named.
        p = rill("log", "dump", data, check=False)
        check(p.returncode == 0 and "crcValid: BAD" not in p.stdout,
              "log dump: every batch's CRC is valid")
        for c in ["gzip", "snappy", "lz4", "zstd"]:
            check(("compresscodec: %s" % c) in p.stdout, "log dump names codec %s" % c)
    print("PASS test_cli_kcat")


if __name__ == "__main__":
    main()
