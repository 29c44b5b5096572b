#!/usr/bin/python3
"""test_sql_rank_oracle.py - deduplication, Top-N, window Top-N, SELECT
DISTINCT, cascaded windows and UNION ALL against sqlite3.

A random out-of-order stream `readings` (1-3 partitions; keyed by k, so
the operators run where the key is, or not keyed, so the plan
repartitions; some rows far behind the watermark) is read by `rill run
--until-idle` with one query per operator, each written as Flink writes
it (ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) filtered by rn = 1
or rn <= N in the outer query). The end of input closes everything, so:
- insert-only results (first row, window Top-N, DISTINCT, cascaded
  windows) must equal, as multisets, sqlite3's answer over the rows minus
  those rill reported late (EMIT LATE INTO), which must be rows that were
  really behind (an earlier row of a key whose first row was final; a row
  of a window that had closed);
- updating results (last row, Top-N per key) are upserts: the last row
  written for each key (and rank) must equal sqlite3's answer over every
  row.
"""
import datetime
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import check, rill  # noqa: E402

BASE = 1_700_000_000_000  # a multiple of every window size used


def iso(ms):
    s, m = divmod(ms, 1000)
    t = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % m


def ms_of(text):
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    t = t.replace(tzinfo=datetime.timezone.utc)
    return int(round(t.timestamp() * 1000))


def make_rows(rnd, n, nkeys, delay, keyed):
    rows, seen_ts, seen_v = [], set(), set()
    for i in range(n):
        ts = BASE + i * 700 + rnd.randint(-delay * 1000 + 1, 0)
        if rnd.random() < 0.06:
            ts -= rnd.randint(15_000, 40_000)  # far behind: mostly late
        while ts in seen_ts:  # no ties on time (nor on v): arrival order
            ts += 1           # is not the oracle's business
        seen_ts.add(ts)
        v = round(rnd.uniform(0, 100), 3)
        while v in seen_v:
            v = round(v + 0.001, 3)
        seen_v.add(v)
        k = None if (not keyed and rnd.random() < 0.05) else \
            "k%d" % rnd.randint(0, nkeys - 1)
        rows.append({"id": i, "k": k, "v": v, "ts": ts})
    return rows


def produce(data, parts, rows, rnd, keyed):
    """A few rows at a time, each chunk its own record batch with its own
    arrival stamp: keyed by k (murmur2 picks the partition), or into a
    random partition."""
    i, stamp = 0, 1_000_000_000_000
    while i < len(rows):
        n = rnd.randint(1, 5)
        chunk = rows[i:i + n]
        i += n
        stamp += 1000
        rec = [json.dumps({"id": r["id"], "k": r["k"], "v": r["v"],
                           "ts": iso(r["ts"])}) for r in chunk]
        if keyed:
            text = "".join("%s|%s\n" % (r["k"], j) for r, j in zip(chunk, rec))
            rill("produce", "readings", "--key-separator", "|",
                 "--timestamp", str(stamp), "--quiet", data=data, input=text)
        else:
            rill("produce", "readings", "--partition",
                 str(rnd.randrange(parts)), "--timestamp", str(stamp),
                 "--quiet", data=data, input="".join(j + "\n" for j in rec))


def run(data, tmp, ddl, sql):
    script = os.path.join(tmp, "q.sql")
    with open(script, "w") as f:
        f.write(ddl + sql + ";\n")
    out = rill("run", script, "--until-idle", data=data, timeout=120,
               env={"RILL_VIRTUAL_CLOCK": "1"}).stdout
    return [json.loads(line) for line in out.splitlines()
            if line.startswith("{")]


def consume(data, topic):
    p = rill("consume", topic, data=data, check=False)
    return [json.loads(line) for line in p.stdout.splitlines()
            if line.startswith("{")]


def run_case(seed):
    rnd = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="rill-rank-oracle-")
    data = os.path.join(tmp, "data")
    try:
        parts = rnd.randint(1, 3)
        keyed = parts > 1 and rnd.random() < 0.5
        delay = rnd.choice([1, 2, 4])
        rows = make_rows(rnd, 160, rnd.randint(2, 6), delay, keyed)
        byid = {r["id"]: r for r in rows}
        rill("topics", "create", "readings", "--partitions", str(parts),
             data=data)
        produce(data, parts, rows, rnd, keyed)
        ddl = ("CREATE STREAM IF NOT EXISTS readings (id BIGINT, k STRING, "
               "v DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL "
               "'%d' SECOND) WITH (topic = 'readings', format = 'json'%s);\n"
               % (delay, ", key = 'k'" if keyed else ""))
        what = "seed %d (%d partitions, %s, delay %d s)" % (
            seed, parts, "keyed" if keyed else "not keyed", delay)

        def db_of(exclude):
            db = sqlite3.connect(":memory:")
            db.execute("CREATE TABLE r (id, k, v, ts)")
            db.executemany("INSERT INTO r VALUES (?, ?, ?, ?)",
                           [(r["id"], r["k"], r["v"], r["ts"]) for r in rows
                            if r["id"] not in exclude])
            return db

        def same(got, want, name):
            got, want = sorted(got, key=repr), sorted(want, key=repr)
            if got != want:
                print("%s, %s: rill %d rows, sqlite %d" % (
                    what, name, len(got), len(want)))
                print("  only rill:", [x for x in got if x not in want][:8])
                print("  only sqlite:", [x for x in want if x not in got][:8])
            check(got == want, "%s equals sqlite's (%s)" % (name, what))

        # 1. deduplication, first row per key
        got = run(data, tmp, ddl,
                  "SELECT id, k FROM (SELECT *, ROW_NUMBER() OVER (PARTITION "
                  "BY k ORDER BY ts) AS rn FROM readings) WHERE rn = 1 "
                  "EMIT LATE INTO late_first")
        late = {r["id"] for r in consume(data, "late_first")}
        first_ts = {r["k"]: byid[r["id"]]["ts"] for r in got}
        check(all(byid[i]["ts"] < first_ts.get(byid[i]["k"], -1)
                  for i in late),
              "every late row comes before its key's first row (%s)" % what)
        check(len(got) == len({r["k"] for r in got}), "one row per key")
        want = db_of(late).execute(
            "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY k "
            "ORDER BY ts) AS rn FROM r) WHERE rn = 1").fetchall()
        same([(r["id"],) for r in got], want, "first row")

        # 2. deduplication, last row per key: upserts of k
        got = run(data, tmp, ddl,
                  "SELECT k, id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION "
                  "BY k ORDER BY ts DESC) AS rn FROM readings) WHERE rn = 1")
        final, newer = {}, True
        for r in got:
            newer = newer and (r["k"] not in final or byid[r["id"]]["ts"] >=
                               byid[final[r["k"]]]["ts"])
            final[r["k"]] = r["id"]
        check(newer, "every update of a last row is newer (%s)" % what)
        want = db_of(set()).execute(
            "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY k "
            "ORDER BY ts DESC) AS rn FROM r) WHERE rn = 1").fetchall()
        same([(i,) for i in final.values()], want, "last row")

        # 3. Top-3 per key by v: upserts of (k, rn)
        got = run(data, tmp, ddl,
                  "SELECT k, rn, id FROM (SELECT k, id, v, ROW_NUMBER() OVER "
                  "(PARTITION BY k ORDER BY v DESC) AS rn FROM readings) "
                  "WHERE rn <= 3")
        final = {}
        for r in got:
            final[(r["k"], r["rn"])] = r["id"]
        want = db_of(set()).execute(
            "SELECT k, rn, id FROM (SELECT k, id, ROW_NUMBER() OVER "
            "(PARTITION BY k ORDER BY v DESC) AS rn FROM r) WHERE rn <= 3"
        ).fetchall()
        same([(k, rn, i) for (k, rn), i in final.items()], want, "Top-3")

        # 4. window Top-2 by v per 10 s TUMBLE window
        got = run(data, tmp, ddl,
                  "SELECT window_start, rn, id FROM (SELECT id, v, "
                  "window_start, window_end, ROW_NUMBER() OVER (PARTITION BY "
                  "window_start, window_end ORDER BY v DESC) AS rn FROM "
                  "TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' "
                  "SECOND))) WHERE rn <= 2 EMIT LATE INTO late_wtop")
        late = {r["id"] for r in consume(data, "late_wtop")}
        check(all(byid[i]["ts"] < max(r["ts"] for r in rows) for i in late),
              "late window rows are behind")
        want = db_of(late).execute(
            "SELECT ws, rn, id FROM (SELECT id, ts - ts % 10000 AS ws, "
            "ROW_NUMBER() OVER (PARTITION BY ts - ts % 10000 ORDER BY v "
            "DESC) AS rn FROM r) WHERE rn <= 2").fetchall()
        same([(ms_of(r["window_start"]), r["rn"], r["id"]) for r in got],
             want, "window Top-2")

        # 5. SELECT DISTINCT
        got = run(data, tmp, ddl,
                  "SELECT DISTINCT k FROM readings WHERE v > 50")
        check(len(got) == len({r["k"] for r in got}), "no duplicates")
        want = db_of(set()).execute(
            "SELECT DISTINCT k FROM r WHERE v > 50").fetchall()
        same([(r["k"],) for r in got], want, "DISTINCT")

        # 6. cascaded windows: 5 s counts per key, summed per 20 s, and
        # the window Top-1 key of each 5 s window (over the aggregate)
        got = run(data, tmp, ddl,
                  "SELECT window_start, SUM(n) AS n, COUNT(*) AS groups FROM "
                  "TABLE(TUMBLE(TABLE (SELECT k, window_time AS wt, COUNT(*) "
                  "AS n FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), "
                  "INTERVAL '5' SECOND)) GROUP BY k, window_start, window_end, "
                  "window_time EMIT LATE INTO late_c), DESCRIPTOR(wt), "
                  "INTERVAL '20' SECOND)) GROUP BY window_start, window_end")
        late = {r["id"] for r in consume(data, "late_c")}
        want = db_of(late).execute(
            "SELECT ts - ts % 20000, COUNT(*), COUNT(DISTINCT (ts - ts % "
            "5000) || '/' || IFNULL(k, '~')) FROM r GROUP BY ts - ts % 20000"
        ).fetchall()
        same([(ms_of(r["window_start"]), r["n"], r["groups"]) for r in got],
             want, "cascaded windows")
        got = run(data, tmp, ddl,
                  "SELECT window_start, k, n FROM (SELECT *, ROW_NUMBER() "
                  "OVER (PARTITION BY window_start, window_end ORDER BY n "
                  "DESC, k) AS rn FROM (SELECT k, window_start, window_end, "
                  "COUNT(*) AS n FROM TABLE(TUMBLE(TABLE readings, "
                  "DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY k, "
                  "window_start, window_end EMIT LATE INTO late_t)) WHERE "
                  "rn = 1")
        late = {r["id"] for r in consume(data, "late_t")}
        want = db_of(late).execute(
            "SELECT ws, k, n FROM (SELECT ws, k, n, ROW_NUMBER() OVER "
            "(PARTITION BY ws ORDER BY n DESC, k) AS rn FROM (SELECT ts - ts "
            "% 5000 AS ws, k, COUNT(*) AS n FROM r GROUP BY ws, k)) WHERE "
            "rn = 1").fetchall()
        same([(ms_of(r["window_start"]), r["k"], r["n"]) for r in got], want,
             "window Top-1 over an aggregate")
        # 7. UNION ALL of two filters of the stream (the same stream
        # twice), counted per 10 s window over the union's event time
        got = run(data, tmp, ddl,
                  "SELECT window_start, COUNT(*) AS n, SUM(v) AS s FROM "
                  "TABLE(TUMBLE(TABLE (SELECT id, 1 AS b, v, ts FROM readings "
                  "WHERE v > 30 UNION ALL SELECT id, 2, v * 2, ts FROM "
                  "readings WHERE v <= 60), DESCRIPTOR(ts), INTERVAL '10' "
                  "SECOND)) GROUP BY window_start, window_end EMIT LATE INTO "
                  "late_u")
        late = {(r["id"], r["b"]) for r in consume(data, "late_u")}
        db = db_of(set())
        db.execute("CREATE TABLE late (id, b)")
        db.executemany("INSERT INTO late VALUES (?, ?)", sorted(late))
        want = db.execute(
            "SELECT ts - ts % 10000, COUNT(*), ROUND(SUM(v), 6) FROM (SELECT "
            "id, 1 AS b, v, ts FROM r WHERE v > 30 UNION ALL SELECT id, 2, "
            "v * 2, ts FROM r WHERE v <= 60) u WHERE NOT EXISTS (SELECT 1 "
            "FROM late l WHERE l.id = u.id AND l.b = u.b) GROUP BY ts - ts "
            "% 10000").fetchall()
        same([(ms_of(r["window_start"]), r["n"], round(r["s"], 6))
              for r in got], want, "UNION ALL per window")
    finally:
        if not os.environ.get("RANK_ORACLE_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    seeds = int(os.environ.get("RANK_ORACLE_SEEDS", "6"))
    for seed in range(int(os.environ.get("RANK_ORACLE_FIRST", "0")), seeds):
        run_case(seed)
        print("ok: seed %d" % seed)
    print("PASS test_sql_rank_oracle")


if __name__ == "__main__":
    main()
