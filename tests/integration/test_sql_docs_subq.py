#!/usr/bin/python3
"""test_sql_docs_subq.py - every SQL example of docs/sql.md's section
"Subqueries, DISTINCT, deduplication and Top-N" runs, and gives sqlite3's
answer over the same rows.

The examples are read from the page itself (the ```sql blocks between
that heading and the next one), so the page cannot drift from what runs.
Input: the smart-factory `readings` stream (2 partitions, keyed by
sensor_id, rows out of order within the 5 s watermark delay, so none is
late). Insert-only results must equal sqlite's as multisets; updating
ones (the latest reading, Top-N) by their last row per key.
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

BASE = 1_764_000_000_000  # a multiple of 20 s

READINGS = """CREATE STREAM readings (
    sensor_id  STRING,
    machine_id STRING,
    kind       STRING,
    value      DOUBLE,
    unit       STRING,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id',
        partitions = 2);
"""


def iso(ms):
    s, m = divmod(ms, 1000)
    t = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % m


def ms_of(text):
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(round(t.replace(tzinfo=datetime.timezone.utc).timestamp()
                     * 1000))


def examples():
    page = open(os.path.join(ROOT, "docs", "sql.md")).read()
    start = page.index("### Subqueries, DISTINCT, deduplication and Top-N")
    end = page.index("\n### ", start + 10)
    return re.findall(r"```sql\n(.*?)```", page[start:end], re.S)


def r6(x):
    return round(x, 6) if isinstance(x, float) else x


def main():
    rnd = random.Random(7)
    rows, seen = [], set()
    for i in range(240):
        s = rnd.randint(0, 7)
        ts = BASE + i * 400 + rnd.randint(-4000, 0)
        while ts in seen:
            ts += 1
        seen.add(ts)
        rows.append({"sensor_id": "s-%02d" % s, "machine_id": "m-%d" % (s % 3),
                     "kind": "temperature", "value": round(rnd.uniform(0, 10), 3),
                     "unit": "C", "ts": ts})
    blocks = examples()
    check(len(blocks) >= 5, "the section's examples (%d)" % len(blocks))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE r (sensor_id, machine_id, value, ts)")
    db.executemany("INSERT INTO r VALUES (?, ?, ?, ?)",
                   [(r["sensor_id"], r["machine_id"], r["value"], r["ts"])
                    for r in rows])
    for n, sql in enumerate(blocks):
        tmp = tempfile.mkdtemp(prefix="rill-docs-subq-")
        data = os.path.join(tmp, "data")
        try:
            rill("topics", "create", "readings", "--partitions", "2",
                 data=data)
            text = "".join("%s|%s\n" % (r["sensor_id"], json.dumps(
                dict(r, ts=iso(r["ts"])))) for r in rows)
            rill("produce", "readings", "--key-separator", "|", "--quiet",
                 data=data, input=text)
            script = os.path.join(tmp, "q.sql")
            with open(script, "w") as f:
                # the second site's stream reads the same topic: the union
                # holds every reading twice
                f.write(READINGS + sql.replace("'readings_site2'",
                                               "'readings'"))
            out = rill("run", script, "--until-idle", data=data, timeout=120,
                       env={"RILL_VIRTUAL_CLOCK": "1"}).stdout
            got = [json.loads(x) for x in out.splitlines()
                   if x.startswith("{")]
            if "doubled" in sql:  # a window over a subquery
                got = [(ms_of(g["window_start"]), g["n"], r6(g["doubled"]))
                       for g in got]
                want = [(a, b, r6(c)) for a, b, c in db.execute(
                    "SELECT ts - ts % 10000, COUNT(*), SUM(value * 2) FROM r "
                    "WHERE value >= 2 GROUP BY ts - ts % 10000")]
            elif "rowtime" in sql:  # cascaded windows
                got = [(ms_of(g["window_start"]), r6(g["total"]),
                        g["windows"]) for g in got]
                want = [(a, r6(b), c) for a, b, c in db.execute(
                    "SELECT ts - ts % 20000, SUM(value), COUNT(DISTINCT "
                    "sensor_id || '/' || (ts - ts % 5000)) FROM r GROUP BY "
                    "ts - ts % 20000")]
            elif "CREATE TABLE latest" in sql:
                # the first reading of each sensor (the SELECT), then the
                # latest one, as a table
                first = sorted([(g["sensor_id"], g["value"], ms_of(g["ts"]))
                                for g in got], key=repr)
                want = sorted(db.execute(
                    "SELECT sensor_id, value, ts FROM (SELECT *, ROW_NUMBER() "
                    "OVER (PARTITION BY sensor_id ORDER BY ts) AS rn FROM r) "
                    "WHERE rn = 1").fetchall(), key=repr)
                check(first == want, "example %d: the first readings equal "
                      "sqlite's (%d)" % (n + 1, len(first)))
                late = rill("consume", "readings_late", data=data,
                            check=False).stdout.strip()
                check(late == "", "no late row in order within the delay")
                last = {}
                out = rill("consume", "latest", "--format", "%k|%s\n",
                           data=data).stdout
                keyed = True
                for line in out.splitlines():
                    k, v = line.split("|", 1)
                    j = json.loads(v)
                    keyed = keyed and k == j["sensor_id"]
                    last[k] = (j["sensor_id"], j["value"], ms_of(j["ts"]))
                check(keyed and last, "the table's records are keyed by "
                      "sensor_id")
                got = list(last.values())
                want = db.execute(
                    "SELECT sensor_id, value, ts FROM (SELECT *, ROW_NUMBER() "
                    "OVER (PARTITION BY sensor_id ORDER BY ts DESC) AS rn "
                    "FROM r) WHERE rn = 1").fetchall()
            elif "PARTITION BY machine_id" in sql:
                # Top-2 per machine: the last row per (machine, rn)
                last = {}
                for g in got:
                    last[(g["machine_id"], g["rn"])] = g["value"]
                got = [(k[0], k[1], v) for k, v in last.items()]
                want = db.execute(
                    "SELECT machine_id, rn, value FROM (SELECT machine_id, "
                    "value, ROW_NUMBER() OVER (PARTITION BY machine_id ORDER "
                    "BY value DESC) AS rn FROM r) WHERE rn <= 2").fetchall()
            elif "UNION ALL" in sql:  # the union of two streams
                got = [(ms_of(g["window_start"]), g["readings"]) for g in got]
                want = db.execute(
                    "SELECT ts - ts % 60000, COUNT(*) * 2 FROM r GROUP BY "
                    "ts - ts % 60000").fetchall()
            else:  # window Top-2 over a window aggregate
                got = [(ms_of(g["window_start"]), g["rn"], g["sensor_id"],
                        r6(g["total"])) for g in got]
                want = [(a, b, c, r6(d)) for a, b, c, d in db.execute(
                    "SELECT ws, rn, sensor_id, total FROM (SELECT ws, "
                    "sensor_id, total, ROW_NUMBER() OVER (PARTITION BY ws "
                    "ORDER BY total DESC) AS rn FROM (SELECT ts - ts % 10000 "
                    "AS ws, sensor_id, SUM(value) AS total FROM r GROUP BY "
                    "ws, sensor_id)) WHERE rn <= 2")]
            got, want = sorted(got, key=repr), sorted(want, key=repr)
            if got != want:
                print("example %d:\n%s" % (n + 1, sql))
                print("  only rill:", [x for x in got if x not in want][:5])
                print("  only sqlite:", [x for x in want if x not in got][:5])
            check(got == want and got,
                  "example %d gives sqlite's answer (%d rows)" % (n + 1,
                                                                  len(got)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("PASS test_sql_docs_subq")


if __name__ == "__main__":
    main()
