#!/usr/bin/python3
"""test_sql_docs_joins.py - every SQL example of docs/sql.md's Joins
section runs, and gives sqlite3's answer over the same rows.

The examples are read from the page itself (the ```sql blocks between
"### Joins" and the next heading), so the page cannot drift from what
runs. Input: the smart-factory `readings` stream (2 partitions, in order
per partition, so no row is late) and a `maintenance` stream.
"""
import datetime
import json
import os
import random
import re
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import ROOT, check, rill  # noqa: E402

BASE = 1_764_000_000_000

READINGS = """CREATE STREAM readings (
    sensor_id  STRING,
    machine_id STRING,
    kind       STRING,
    value      DOUBLE,
    unit       STRING,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
"""

# What each example computes, in sqlite over tables r and m (ms times).
ORACLES = [
    ("SELECT v.machine_id, v.value, t.value FROM r v JOIN r t "
     "ON v.machine_id = t.machine_id AND t.ts BETWEEN v.ts AND v.ts + 60000 "
     "WHERE v.kind = 'vibration' AND t.kind = 'temperature'",
     ["machine_id", "vibration", "temperature"]),
    ("SELECT a.machine_id, a.value, m.action, m.ts FROM r a LEFT JOIN m "
     "ON a.machine_id = m.machine_id AND m.ts >= a.ts AND "
     "m.ts < a.ts + 600000 WHERE a.kind = 'vibration' AND a.value > 2.0",
     ["machine_id", "value", "action", "action_ts"]),
    ("SELECT COALESCE(r.machine_id, m.machine_id), "
     "COALESCE(r.ts / 60000, m.ts / 60000) * 60000, r.value, m.action "
     "FROM r FULL JOIN m ON r.machine_id = m.machine_id AND "
     "r.ts / 60000 = m.ts / 60000",
     ["machine_id", "window_start", "value", "action"]),
    ("SELECT r.machine_id, r.value, (SELECT t.line FROM t WHERE "
     "t.machine_id = r.machine_id AND t.ts <= r.ts ORDER BY t.ts DESC "
     "LIMIT 1) FROM r",
     ["machine_id", "value", "line"]),
]


def iso(ms):
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def examples():
    text = open(os.path.join(ROOT, "docs", "sql.md")).read()
    sec = text[text.index("### Joins\n"):]
    sec = sec[:sec.index("\n### ", 5)]
    return re.findall(r"```sql\n(.*?)```", sec, re.S)


def main():
    rnd = random.Random(7)
    exs = examples()
    check(len(exs) == len(ORACLES), "%d examples in docs/sql.md Joins, %d "
          "oracles here" % (len(exs), len(ORACLES)))
    tmp = tempfile.mkdtemp(prefix="rill-docs-joins-")
    data = os.path.join(tmp, "data")
    try:
        rill("topics", "create", "readings", "--partitions", "2", data=data)
        rill("topics", "create", "maintenance", "--partitions", "1",
             data=data)
        rill("topics", "create", "machines", "--partitions", "1", data=data)
        r, m = [], []
        parts = [[], []]
        for i in range(400):
            ts = BASE + i * 2000
            mach = "m-%d" % rnd.randint(1, 4)
            kind = rnd.choice(["vibration", "temperature"])
            val = round(rnd.uniform(0, 4) if kind == "vibration"
                        else rnd.uniform(50, 90), 2)
            row = {"sensor_id": "s-%d" % rnd.randint(1, 9),
                   "machine_id": mach, "kind": kind, "value": val,
                   "unit": "g", "ts": ts}
            r.append(row)
            parts[rnd.randrange(2)].append(row)
        for i in range(40):
            m.append({"machine_id": "m-%d" % rnd.randint(1, 4),
                      "action": rnd.choice(["inspect", "oil", "replace"]),
                      "ts": BASE + i * 20000 + rnd.randint(0, 5000)})
        for p in range(2):
            rill("produce", "readings", "--partition", str(p), "--quiet",
                 data=data, input="".join(
                     json.dumps(dict(x, ts=iso(x["ts"]))) + "\n"
                     for x in parts[p]))
        rill("produce", "maintenance", "--quiet", data=data, input="".join(
            json.dumps(dict(x, ts=iso(x["ts"]))) + "\n" for x in m))
        # machines: a line per machine from the start, moved now and then
        t = []
        for i in range(4):
            t.append({"machine_id": "m-%d" % (i + 1), "line": "L0",
                      "ts": BASE - 1000})
        for i in range(12):
            t.append({"machine_id": "m-%d" % rnd.randint(1, 4),
                      "line": "L%d" % (i + 1),
                      "ts": BASE + i * 60000 + rnd.randint(0, 999)})
        rill("produce", "machines", "--quiet", data=data, input="".join(
            json.dumps(dict(x, ts=iso(x["ts"]))) + "\n" for x in t))
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE r (sensor_id, machine_id, kind, value, "
                   "unit, ts)")
        db.execute("CREATE TABLE m (machine_id, action, ts)")
        db.execute("CREATE TABLE t (machine_id, line, ts)")
        db.executemany("INSERT INTO t VALUES (?, ?, ?)",
                       [tuple(x.values()) for x in t])
        db.executemany("INSERT INTO r VALUES (?, ?, ?, ?, ?, ?)",
                       [tuple(x.values()) for x in r])
        db.executemany("INSERT INTO m VALUES (?, ?, ?)",
                       [tuple(x.values()) for x in m])
        for n, (sql, (oracle, cols)) in enumerate(zip(exs, ORACLES)):
            script = os.path.join(tmp, "ex%d.sql" % n)
            with open(script, "w") as f:
                f.write("CREATE STREAM IF NOT EXISTS" + READINGS[13:] + sql)
            out = rill("run", script, "--until-idle", data=data,
                       timeout=120).stdout
            sink = re.search(r"CREATE STREAM (\w+) AS", sql)
            if sink:
                out = rill("consume", sink.group(1), data=data).stdout
            got = list(tuple(json.loads(l)[c] for c in cols)
                         for l in out.splitlines() if l.startswith("{"))
            want = []
            for row in db.execute(oracle).fetchall():
                want.append(tuple(iso(v) if cols[i] in ("action_ts",
                                                        "window_start") and v
                                  is not None else v
                                  for i, v in enumerate(row)))
            want.sort(key=repr)
            got.sort(key=repr)
            if got != want:
                print("example %d: rill %d rows, sqlite %d" %
                      (n, len(got), len(want)))
                print("  only rill:", [x for x in got if x not in want][:5])
                print("  only sqlite:", [x for x in want if x not in got][:5])
            check(got == want and len(want) > 5,
                  "docs/sql.md join example %d: %d rows as sqlite3"
                  % (n, len(got)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS test_sql_docs_joins")


if __name__ == "__main__":
    main()
