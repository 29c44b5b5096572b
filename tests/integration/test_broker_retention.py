"""test_broker_retention.py - log settings of `rill serve` reach the log:
log.segment.bytes and log.retention.bytes become new topics' defaults, and
log.retention.check.interval.ms makes the flusher delete old segments while
the broker runs (seen by kcat as a log start offset above 0, and by
`rill topics describe` beside the running broker).

Run: /usr/bin/python3 tests/integration/test_broker_retention.py
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402


def describe(srv, topic):
    return rill("topics", "describe", topic, data=srv.data).stdout


def main():
    extra = ["--set", "log.segment.bytes=2048", "--set", "log.retention.bytes=8192",
             "--set", "log.retention.check.interval.ms=200",
             "--set", "rill.log.flush.bytes=4096"]
    with Server(extra=extra) as srv:
        lines = "".join("record-%05d-%s\n" % (i, "x" * 40) for i in range(3000))
        p = subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "ret", "-X", "linger.ms=0",
                            "-X", "batch.num.messages=20"],
                           input=lines, text=True, capture_output=True, timeout=60)
        check(p.returncode == 0, "kcat produced 3000 records (%s)" % p.stderr.strip()[:200])
        d = describe(srv, "ret")
        check("segment.bytes: 2048" in d and "retention.bytes: 8192" in d,
              "new topic took log.segment.bytes and log.retention.bytes")
        start = 0
        deadline = time.time() + 10
        while time.time() < deadline:
            m = re.search(r"LogStartOffset: (\d+)\tHighWatermark: (\d+)\tSizeBytes: (\d+)", describe(srv, "ret"))
            start, hwm, size = (int(x) for x in m.groups())
            if start > 0 and size < 8192 + 2048 * 2:
                break
            time.sleep(0.2)
        check(start > 0 and hwm == 3000, "retention ran while serving: log start %d, HWM %d" % (start, hwm))
        check(size < 8192 + 2048 * 2, "partition size %d bounded by retention.bytes + a segment" % size)
        p = subprocess.run(["kcat", "-b", srv.bootstrap, "-C", "-t", "ret", "-o", "beginning", "-e",
                            "-f", "%o\n"], capture_output=True, text=True, timeout=60)
        offs = [int(x) for x in p.stdout.split()]
        check(offs and offs[0] >= start and offs[-1] == 2999,
              "kcat reads from the new log start %s to 2999" % (offs[0] if offs else None))
        check(offs == list(range(offs[0], 3000)), "no gaps after retention")
    print("PASS test_broker_retention")


if __name__ == "__main__":
    main()
