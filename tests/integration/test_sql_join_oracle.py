#!/usr/bin/python3
"""test_sql_join_oracle.py - interval and window joins against sqlite3's
join.

Random out-of-order streams `readings` and `events` (1-3 partitions each,
NULL keys, rows far behind the watermark) are joined by `rill run
--until-idle` (INNER, LEFT, RIGHT, FULL OUTER; bounds written with BETWEEN
or with >= / <), once as a transient SELECT and once through CREATE STREAM
... AS; then window joins of TUMBLE windows (both spellings: the TVF or
Flink's subquery), and temporal joins (FOR SYSTEM_TIME AS OF: each reading
with the latest version of its key at or before its time). The end of input closes every interval, so every result is
final: rill's rows must equal, as a multiset, sqlite3's join of the same
rows minus those rill reported late (EMIT LATE INTO), which must be rows
that were really out of order.
"""
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import check, rill  # noqa: E402

BASE = 1_700_000_000_000  # event time origin, ms
KINDS = ["INNER", "LEFT", "RIGHT", "FULL OUTER"]


def iso(ms):
    s, m = divmod(ms, 1000)
    import datetime
    t = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % m


def make_rows(rnd, n, first_id, nkeys):
    rows = []
    for i in range(n):
        ts = BASE + i * 1000 + rnd.randint(-4000, 4000)
        if rnd.random() < 0.05:
            ts -= rnd.randint(20_000, 60_000)  # far behind: mostly late
        k = None if rnd.random() < 0.05 else "k%d" % rnd.randint(0, nkeys - 1)
        rows.append({"id": first_id + i, "k": k, "ts": ts})
    return rows


def produce(data, topic, parts, rows, rnd, stamp):
    """Rows in arrival order, a few at a time into random partitions, each
    chunk its own record batch with its own arrival stamp."""
    i = 0
    while i < len(rows):
        n = rnd.randint(1, 6)
        chunk = rows[i:i + n]
        i += n
        p = rnd.randrange(parts)
        text = "".join(json.dumps({"id": r["id"], "k": r["k"],
                                   "ts": iso(r["ts"])}) + "\n" for r in chunk)
        stamp[0] += 1000
        yield (stamp[0], topic, p, text)


def run_case(seed, kind, persistent, window=False, temporal=False):
    rnd = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="rill-join-oracle-")
    data = os.path.join(tmp, "data")
    try:
        pr, pe = rnd.randint(1, 3), rnd.randint(1, 2)
        dr, de = rnd.choice([0, 1, 3]), rnd.choice([0, 2])
        nkeys = rnd.randint(2, 6)
        lo, hi = -rnd.randint(0, 5), rnd.randint(0, 5)  # seconds
        rrows = make_rows(rnd, 150, 0, nkeys)
        erows = make_rows(rnd, 120, 100000, nkeys)
        if temporal:
            # versions of one key never tie on time (which of two ties
            # wins is their arrival order, not the oracle's business)
            seen = set()
            for x in erows:
                while x["ts"] in seen:
                    x["ts"] += 1
                seen.add(x["ts"])
        rill("topics", "create", "readings", "--partitions", str(pr), data=data)
        rill("topics", "create", "events", "--partitions", str(pe), data=data)
        stamp = [1_000_000_000_000]
        chunks = list(produce(data, "readings", pr, rrows, rnd, stamp))
        stamp2 = [1_000_000_000_000]
        chunks += list(produce(data, "events", pe, erows, rnd, stamp2))
        # interleave the two streams by arrival stamp
        chunks.sort(key=lambda c: (c[0], c[1]))
        for st, topic, p, text in chunks:
            rill("produce", topic, "--partition", str(p), "--timestamp",
                 str(st), "--quiet", data=data, input=text)
        if rnd.random() < 0.5:
            cond = ("r.ts BETWEEN e.ts + INTERVAL '%d' SECOND AND e.ts + "
                    "INTERVAL '%d' SECOND" % (lo, hi)) if lo >= 0 else (
                "r.ts BETWEEN e.ts - INTERVAL '%d' SECOND AND e.ts + "
                "INTERVAL '%d' SECOND" % (-lo, hi))
            lo_ms, hi_ms = lo * 1000, hi * 1000
        else:
            # e.ts > r.ts - hi and r.ts - lo >= e.ts: r.ts - e.ts in
            # [lo, hi) ms, strict on the upper side
            cond = ("e.ts > r.ts - INTERVAL '%d' SECOND AND "
                    "e.ts <= r.ts + INTERVAL '%d' SECOND" % (hi, -lo)) if lo <= 0 else None
            lo_ms, hi_ms = lo * 1000, hi * 1000 - 1
            if cond is None:
                cond = ("r.ts BETWEEN e.ts AND e.ts + INTERVAL '%d' SECOND" % hi)
                lo_ms, hi_ms = 0, hi * 1000
        select = ("SELECT r.id AS rid, e.id AS eid FROM readings r %s JOIN "
                  "events e ON r.k = e.k AND %s EMIT LATE INTO late_rows"
                  % (kind, cond))
        if window:
            # a window join of TUMBLE(w s): rows of one key and window
            w = rnd.choice([2, 5, 10])
            tvf = "TABLE(TUMBLE(TABLE %s, DESCRIPTOR(ts), INTERVAL '%d' SECOND))"
            if rnd.random() < 0.5:
                fr = ("(SELECT * FROM %s) r %s JOIN (SELECT * FROM %s) e"
                      % (tvf % ("readings", w), kind, tvf % ("events", w)))
            else:
                fr = ("%s r %s JOIN %s e"
                      % (tvf % ("readings", w), kind, tvf % ("events", w)))
            select = ("SELECT r.id AS rid, e.id AS eid FROM %s ON r.k = e.k "
                      "AND r.window_start = e.window_start AND r.window_end "
                      "= e.window_end EMIT LATE INTO late_rows" % fr)
            cond = "TUMBLE %d s" % w
        if temporal:
            select = ("SELECT r.id AS rid, e.id AS eid FROM readings r %s "
                      "JOIN events FOR SYSTEM_TIME AS OF r.ts AS e ON r.k = "
                      "e.k EMIT LATE INTO late_rows" % kind)
            cond = "FOR SYSTEM_TIME AS OF"
        ddl = ("CREATE STREAM readings (id BIGINT, k STRING, ts TIMESTAMP(3), "
               "WATERMARK FOR ts AS ts - INTERVAL '%d' SECOND) WITH (topic = "
               "'readings', format = 'json');\n"
               "CREATE STREAM events (id BIGINT, k STRING, ts TIMESTAMP(3), "
               "WATERMARK FOR ts AS ts - INTERVAL '%d' SECOND) WITH (topic = "
               "'events', format = 'json'%s);\n"
               % (dr, de, ", key = 'k'" if temporal else ""))
        script = os.path.join(tmp, "q.sql")
        with open(script, "w") as f:
            f.write(ddl)
            f.write(("CREATE STREAM joined AS " + select + ";\n")
                    if persistent else select + ";\n")
        out = rill("run", script, "--until-idle", data=data, timeout=120,
                   env={"RILL_VIRTUAL_CLOCK": "1"}).stdout
        if persistent:
            out = rill("consume", "joined", data=data).stdout
        got = sorted([(json.loads(l)["rid"], json.loads(l)["eid"])
                      for l in out.splitlines() if l.startswith("{")],
                     key=repr)
        late = [json.loads(l) for l in
                rill("consume", "late_rows", data=data).stdout.splitlines()]
        late_ids = {r["id"] for r in late}
        # a late row is at or below a watermark some other row set: it
        # must be behind the largest event time seen in the two streams
        allts = max(r["ts"] for r in rrows + erows)
        for r in late:
            row = next(x for x in rrows + erows if x["id"] == r["id"])
            if row["ts"] >= allts:
                check(False, "late row %r is the newest" % r)
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE r (id, k, ts)")
        db.execute("CREATE TABLE e (id, k, ts)")
        db.executemany("INSERT INTO r VALUES (?, ?, ?)",
                       [(x["id"], x["k"], x["ts"]) for x in rrows
                        if x["id"] not in late_ids])
        db.executemany("INSERT INTO e VALUES (?, ?, ?)",
                       [(x["id"], x["k"], x["ts"]) for x in erows
                        if x["id"] not in late_ids])
        if temporal:
            want = db.execute(
                "SELECT rid, eid FROM (SELECT r.id AS rid, (SELECT e.id FROM "
                "e WHERE e.k = r.k AND e.ts <= r.ts ORDER BY e.ts DESC "
                "LIMIT 1) AS eid FROM r)%s"
                % (" WHERE eid IS NOT NULL" if kind == "INNER" else "")
            ).fetchall()
        elif window:
            want = db.execute(
                "SELECT r.id, e.id FROM r %s JOIN e ON r.k = e.k AND "
                "r.ts / ? = e.ts / ?" % kind, (w * 1000, w * 1000)).fetchall()
        else:
            want = db.execute(
                "SELECT r.id, e.id FROM r %s JOIN e ON r.k = e.k AND "
                "r.ts - e.ts BETWEEN ? AND ?" % kind,
                (lo_ms, hi_ms)).fetchall()
        want = sorted(want, key=repr)
        if got != want:
            print("seed %d %s persistent=%s: %d rows, sqlite %d; cond %s"
                  % (seed, kind, persistent, len(got), len(want), cond))
            print("  only rill:", [x for x in got if x not in want][:10])
            print("  only sqlite:", [x for x in want if x not in got][:10])
        check(got == want, "join equals sqlite's (seed %d, %s)" % (seed, kind))
        check(len(late) < (len(rrows) + len(erows)) // 2,
              "fewer than half the rows late (%d)" % len(late))
        return len(got), len(late)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    total = 0
    seeds = int(os.environ.get("JOIN_ORACLE_SEEDS", "8"))
    for seed in range(seeds):
        kind = KINDS[seed % len(KINDS)]
        n, nl = run_case(seed, kind, persistent=seed % 2 == 1)
        total += n
        print("ok: seed %d %s: %d rows, %d late" % (seed, kind, n, nl))
    for seed in range(100, 100 + max(4, seeds // 2)):
        kind = KINDS[seed % len(KINDS)]
        n, nl = run_case(seed, kind, persistent=seed % 2 == 1, window=True)
        total += n
        print("ok: window join, seed %d %s: %d rows, %d late"
              % (seed, kind, n, nl))
    for seed in range(200, 200 + max(4, seeds // 2)):
        kind = ["INNER", "LEFT"][seed % 2]
        n, nl = run_case(seed, kind, persistent=seed % 3 == 1, temporal=True)
        total += n
        print("ok: temporal join, seed %d %s: %d rows, %d late"
              % (seed, kind, n, nl))
    check(total > 0, "some rows joined")
    print("PASS test_sql_join_oracle")


if __name__ == "__main__":
    main()
