"""test_cli_bootstrap.py - the `rill` commands manage a running broker:
- `rill topics create|list|describe|alter|delete --bootstrap` against
  `rill serve` (librdkafka's admin API: CreateTopics, Metadata,
  DescribeConfigs, CreatePartitions, AlterConfigs, DeleteTopics);
- on the data directory the broker holds, a write command says so and
  points to --bootstrap (exit 1), instead of "in use by another process";
- `rill topics alter --data` on a stopped directory (persisted);
- `rill produce|consume --bootstrap`: keys placed as the local produce
  places them (murmur2), read back, one-line errors;
- `rill groups delete` and `rill groups reset-offsets` (the group as an
  argument or as kafka-consumer-groups.sh's --group; dry run, then
  --execute; --to-offset/earliest/latest/current, --shift-by,
  --to-datetime, --by-duration, TOPIC:P partitions, --all-topics) on a
  group kcat committed offsets for;
- errors are one line each (no librdkafka log lines); every subcommand
  answers --help with its usage and exit 0; rill --version; a wrong flag is
  named; a missing data directory is an error for the read-only
  commands and for topics delete / alter (none is created).

Run: /usr/bin/python3 tests/integration/test_cli_bootstrap.py
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402


def main():
    with Server() as srv:
        b = ["--bootstrap", srv.bootstrap, "--timeout", "10000"]
        p = rill("topics", "create", "orders", "--partitions", "2", "--retention-ms", "3600000", *b)
        check("created topic orders with 2 partitions" in p.stdout, "topics create --bootstrap")
        p = rill("topics", "create", "orders", "--partitions", "2", *b, check=False)
        check(p.returncode == 1 and p.stderr.count("\n") == 1 and "already exists" in p.stderr,
              "creating it again: one line, exit 1 (%r)" % p.stderr)
        p = rill("topics", "list", *b)
        check("orders" in p.stdout.split(), "topics list --bootstrap")
        p = rill("topics", "alter", "orders", "--partitions", "3", "--segment-bytes", "1048576", *b)
        check("now has 3 partitions" in p.stdout and "segment.bytes = 1048576" in p.stdout,
              "topics alter --bootstrap: partitions and a setting")
        p = rill("topics", "describe", "orders", *b)
        first = p.stdout.splitlines()[0]
        check("Partitions: 3" in first and "retention.ms: 3600000" in first and "segment.bytes: 1048576" in first,
              "alter kept retention.ms and set segment.bytes (%s)" % first)
        check(p.stdout.count("\tPartition: ") == 3, "describe lists 3 partitions")
        p = rill("topics", "alter", "orders", "--partitions", "2", *b, check=False)
        check(p.returncode == 1 and "never removed" in p.stderr, "shrinking refused with the broker's reason")

        # produce / consume --bootstrap: keys land where the local produce
        # puts them (murmur2), and read back.
        rill("topics", "create", "io", "--partitions", "3", *b)
        p = rill("produce", "io", "--key-separator", ":", *b[:2],
                 input="k1:a\nk2:b\nk3:c\nk4:d\n")
        check("produced 4 records" in p.stdout, "produce --bootstrap")
        p = rill("consume", "io", "--format", "%p %k=%s\\n", *b[:2])
        remote = sorted(p.stdout.splitlines())
        check(len(remote) == 4, "consume --bootstrap reads the 4 back (%s)" % remote)
        p = rill("consume", "io", "--from", "-1", "--partition", remote[0].split()[0],
                 "--format", "%s\\n", *b[:2])
        check(p.stdout.strip() == remote[0].split("=")[1] if remote[0].split()[0] == remote[-1].split()[0]
              else len(p.stdout.split()) == 1, "--from -1 --partition P: the last record of P")
        p = rill("consume", "nope", *b[:2], check=False)
        check(p.returncode == 1 and p.stderr.count("\n") == 1, "consume --bootstrap of a missing topic: one line")
        placement = {l.split()[1].split("=")[0]: l.split()[0] for l in remote}

        # The broker holds the data directory.
        p = rill("topics", "create", "x", "--partitions", "1", data=srv.data, check=False)
        check(p.returncode == 1 and "--bootstrap" in p.stderr and "rill serve" in p.stderr,
              "a held data directory points to --bootstrap (%r)" % p.stderr)

        # Groups: kcat commits offsets for group g1 on orders.
        subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "orders", "-p", "0"],
                       input="".join("m%d\n" % i for i in range(10)), text=True, timeout=30, check=True)
        subprocess.run(["kcat", "-b", srv.bootstrap, "-G", "g1", "-o", "beginning", "-e", "orders",
                        "-X", "enable.auto.commit=true", "-X", "auto.commit.interval.ms=100"],
                       capture_output=True, text=True, timeout=60)
        p = rill("groups", "describe", "g1", *b)
        check(any(l.split()[:3] == ["orders", "0", "10"] for l in p.stdout.splitlines()),
              "kcat committed offset 10 on orders-0 (%s)" % p.stdout)
        p = rill("groups", "reset-offsets", "g1", "--topic", "orders", "--to-offset", "4", *b)
        check("dry run" in p.stdout and any(l.split()[1:] == ["orders", "0", "4"] for l in p.stdout.splitlines()),
              "reset-offsets without --execute prints the plan")
        p = rill("groups", "describe", "g1", *b)
        check(any(l.split()[:3] == ["orders", "0", "10"] for l in p.stdout.splitlines()), "and changes nothing")
        p = rill("groups", "reset-offsets", "g1", "--topic", "orders", "--to-earliest", "--execute", *b)
        check("committed" in p.stdout, "reset-offsets --to-earliest --execute")
        p = rill("groups", "describe", "g1", *b)
        check(any(l.split()[:3] == ["orders", "0", "0"] for l in p.stdout.splitlines()),
              "the committed offset is now 0 (%s)" % p.stdout)
        out = subprocess.run(["kcat", "-b", srv.bootstrap, "-G", "g1", "-e", "orders"],
                             capture_output=True, text=True, timeout=60).stdout.split()
        check(len(out) == 10, "a consumer of g1 reads all 10 again (%d)" % len(out))
        # kafka-consumer-groups.sh's other targets and partition selection.
        def plan(*args, code=0):
            p = rill("groups", "reset-offsets", "g1", *args, *b, check=False)
            check(p.returncode == code, "reset-offsets %s: exit %d (%r)" % (" ".join(args), code, p.stderr))
            return {(l.split()[1], l.split()[2]): l.split()[3] for l in p.stdout.splitlines()
                    if len(l.split()) == 4 and l.split()[0] == "g1"}
        plan("--topic", "orders:0", "--to-offset", "10", "--execute")
        check(plan("--topic", "orders:0", "--shift-by", "-3", "--execute") == {("orders", "0"): "7"},
              "--shift-by -3 from the committed 10")
        check(plan("--topic", "orders:0", "--to-current") == {("orders", "0"): "7"}, "--to-current keeps 7")
        check(plan("--topic", "orders:0", "--shift-by", "100") == {("orders", "0"): "10"},
              "--shift-by past the end is clamped to it")
        check(plan("--topic", "orders:0", "--by-duration", "PT1H") == {("orders", "0"): "0"},
              "--by-duration PT1H: the first record of the last hour")
        check(plan("--topic", "orders:0", "--to-datetime", "2999-01-01T00:00:00.000Z") == {("orders", "0"): "10"},
              "--to-datetime after every record: the end")
        check(plan("--topic", "orders:0", "--to-datetime", "2000-01-01T00:00:00.000") == {("orders", "0"): "0"},
              "--to-datetime before every record: the first")
        got = plan("--all-topics", "--to-earliest")
        check(got.get(("orders", "0")) == "0" and all(t == "orders" for t, _ in got),
              "--all-topics: the topics the group has offsets for (%s)" % got)
        plan("--topic", "orders:7", "--to-earliest", code=1)
        plan("--topic", "orders:0", "--to-datetime", "yesterday", code=2)
        p = rill("groups", "reset-offsets", "no-commits", "--topic", "orders:0", "--shift-by", "1", *b,
                 check=False)
        check(p.returncode == 1 and "no committed offset" in p.stderr,
              "--shift-by without a committed offset: an error, not a guess (%r)" % p.stderr)
        p = rill("groups", "reset-offsets", "g1", "--topic", "orders", "--to-earliest", *b, "--to-latest",
                 check=False)
        check(p.returncode == 2, "two targets: a usage error")
        # kafka-consumer-groups.sh's --group GROUP works as well.
        p = rill("groups", "reset-offsets", "--group", "g1", "--topic", "orders:0", "--to-offset", "3",
                 "--execute", *b)
        p = rill("groups", "describe", "--group", "g1", *b)
        check(any(l.split()[:3] == ["orders", "0", "3"] for l in p.stdout.splitlines()),
              "reset-offsets / describe --group g1 (%s)" % p.stdout)
        p = rill("groups", "delete", "--group", "g1", *b)
        check("deleted group g1" in p.stdout, "groups delete --group g1")
        p = rill("groups", "list", *b)
        check("g1" not in p.stdout.split(), "the group is gone")
        p = rill("groups", "delete", "nope", *b, check=False)
        check(p.returncode == 1 and p.stderr.count("\n") == 1, "deleting an unknown group: one line (%r)" % p.stderr)
        p = rill("topics", "delete", "orders", *b)
        check("deleted topic orders" in p.stdout, "topics delete --bootstrap")
        p = rill("topics", "describe", "orders", *b, check=False)
        check(p.returncode == 1 and "not found" in p.stderr, "describe after delete: not found (no auto-creation)")
        check(srv.stop() == 0, "broker stopped")

        # The broker is gone: --data works again, alter persists.
        p = rill("topics", "create", "local", "--partitions", "1", data=srv.data)
        p = rill("topics", "alter", "local", "--partitions", "2", "--retention-ms", "1000", data=srv.data)
        p = rill("topics", "describe", "local", data=srv.data)
        check("Partitions: 2" in p.stdout and "retention.ms: 1000" in p.stdout, "topics alter --data")
        rill("produce", "local3", "--key-separator", ":", "--partitions", "3", "--quiet", data=srv.data,
             input="k1:a\nk2:b\nk3:c\nk4:d\n")
        p = rill("consume", "local3", "--format", "%p %k\\n", data=srv.data)
        local = {l.split()[1]: l.split()[0] for l in p.stdout.splitlines()}
        check(local == placement, "the broker path places keys as the local produce does (%s / %s)"
              % (local, placement))
    for cmd in ("topics", "groups", "produce", "consume", "log", "serve", "run", "sql", "queries",
                "simulate", "skew", "advise"):
        p = rill(cmd, "--help", check=False)
        check(p.returncode == 0 and "usage" in p.stdout, "rill %s --help exits 0 with its usage" % cmd)
    p = rill("--version", check=False)
    check(p.returncode == 0 and p.stdout.startswith("rill "), "rill --version (%r)" % p.stdout)
    p = rill("topics", "list", "--bogus", "1", check=False)
    check(p.returncode == 2 and "--bogus" in p.stderr, "a wrong flag is named")
    for args in (["topics", "list"], ["consume", "t"], ["topics", "delete", "t"],
                 ["topics", "alter", "t", "--partitions", "2"]):
        p = rill(*args, data="/tmp/rill-no-such-dir/data", check=False)
        check(p.returncode == 1 and "no data directory" in p.stderr and not p.stdout
              and not os.path.exists("/tmp/rill-no-such-dir"),
              "rill %s on a missing data directory is an error, and creates none" % " ".join(args))
    p = rill("topics", "list", "--bootstrap", "127.0.0.1:1", "--timeout", "1500", check=False)
    check(p.returncode == 1 and p.stderr.count("\n") == 1 and "127.0.0.1:1" in p.stderr,
          "no broker: one line naming the address (%r)" % p.stderr)
    print("test_cli_bootstrap: ok")


if __name__ == "__main__":
    main()
