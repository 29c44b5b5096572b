"""test_sql_functions.py - Flink's scalar functions through `rill run`,
checked against Python's datetime and str over 300 random timestamps
(1900-2100, before the epoch too) and strings: EXTRACT (YEAR, QUARTER,
MONTH, WEEK, DAY, DOW, DOY, HOUR, MINUTE, SECOND, EPOCH), FLOOR/CEIL ... TO
each unit, TIMESTAMPDIFF in seconds, days, months and years, DATE_FORMAT,
TO_TIMESTAMP_LTZ, SUBSTRING (FROM/FOR and comma forms, negative starts as
Flink), REPLACE, TRIM/LTRIM/RTRIM, IF and NULLIF, NULL in, NULL out; and
plan-time refusals with line and column.
"""
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import RILL, check  # noqa: E402

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def ms_of(d):
    return (d - EPOCH) // dt.timedelta(milliseconds=1)


def of_ms(ms):
    return EPOCH + dt.timedelta(milliseconds=ms)


def iso(ms):
    d = of_ms(ms)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def floor_to(d, unit):
    if unit == "SECOND":
        return d.replace(microsecond=0)
    if unit == "MINUTE":
        return d.replace(second=0, microsecond=0)
    if unit == "HOUR":
        return d.replace(minute=0, second=0, microsecond=0)
    day = d.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "DAY":
        return day
    if unit == "WEEK":
        return day - dt.timedelta(days=d.weekday())
    if unit == "MONTH":
        return day.replace(day=1)
    if unit == "QUARTER":
        return day.replace(day=1, month=(d.month - 1) // 3 * 3 + 1)
    return day.replace(day=1, month=1)


def ceil_to(d, unit):
    f = floor_to(d, unit)
    if f == d:
        return d
    if unit in ("SECOND", "MINUTE", "HOUR", "DAY", "WEEK"):
        step = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 7 * 86400}[unit]
        return f + dt.timedelta(seconds=step)
    add = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[unit]
    m = f.month - 1 + add
    return f.replace(year=f.year + m // 12, month=m % 12 + 1)


def months_between(a, b):
    """Whole months from a to b, as Flink's TIMESTAMPDIFF(MONTH, a, b)."""
    m = (b.year - a.year) * 12 + b.month - a.month
    ra = a - floor_to(a, "MONTH")
    rb = b - floor_to(b, "MONTH")
    if m > 0 and rb < ra:
        m -= 1
    elif m < 0 and rb > ra:
        m += 1
    return m


def trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def int32_or_none(v):
    """TIMESTAMPDIFF is an INT: a difference it cannot hold is NULL, never
    a wrapped number."""
    return v if -2**31 <= v < 2**31 else None


def flink_substr(s, pos, n=None):
    if n is not None and n < 0:
        return None
    start = pos - 1 if pos > 0 else (len(s) + pos if pos < 0 else 0)
    if start < 0 or start >= len(s):
        return ""
    end = len(s) if n is None or len(s) - start < n else start + n
    return s[start:end]


UNITS_FLOOR = ["SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"]

SELECT = """SELECT id,
  EXTRACT(YEAR FROM ts) AS y, EXTRACT(QUARTER FROM ts) AS q, EXTRACT(MONTH FROM ts) AS mo,
  EXTRACT(WEEK FROM ts) AS wk, EXTRACT(DAY FROM ts) AS d, EXTRACT(DOW FROM ts) AS dow,
  EXTRACT(DOY FROM ts) AS doy, EXTRACT(HOUR FROM ts) AS h, EXTRACT(MINUTE FROM ts) AS mi,
  EXTRACT(SECOND FROM ts) AS s, EXTRACT(EPOCH FROM ts) AS ep,
  %s, %s,
  TIMESTAMPDIFF(SECOND, ts, ts2) AS dsec, TIMESTAMPDIFF(DAY, ts, ts2) AS dday,
  TIMESTAMPDIFF(MONTH, ts, ts2) AS dmon, TIMESTAMPDIFF(YEAR, ts, ts2) AS dyear,
  DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss.SSS') AS f1, DATE_FORMAT(ts, 'yy/M/d ''h''H') AS f2,
  TO_TIMESTAMP_LTZ(n, 3) AS l3, TO_TIMESTAMP_LTZ(n / 1000, 0) AS l0,
  SUBSTRING(txt FROM p FOR k) AS s1, SUBSTR(txt, p) AS s2,
  REPLACE(txt, 'ab', 'X') AS r1, TRIM(txt) AS t1, LTRIM(txt) AS t2, RTRIM(txt) AS t3,
  TRIM(BOTH 'a' FROM txt) AS t4,
  IF(k > 2, txt, 'small') AS i1, NULLIF(k, 3) AS n1
FROM r""" % (
    ", ".join("FLOOR(ts TO %s) AS f_%s" % (u, u.lower()) for u in UNITS_FLOOR),
    ", ".join("CEIL(ts TO %s) AS c_%s" % (u, u.lower()) for u in UNITS_FLOOR))


def main():
    rnd = random.Random(7)
    lo, hi = ms_of(dt.datetime(1900, 1, 1, tzinfo=UTC)), ms_of(dt.datetime(2100, 1, 1, tzinfo=UTC))
    rows = []
    for i in range(300):
        ts = rnd.randrange(lo, hi)
        if i % 10 == 0:
            ts -= ts % 86400000  # midnights: floor == ceil
        ts2 = ts + rnd.randrange(-400 * 86400000, 400 * 86400000) if i % 3 else rnd.randrange(lo, hi)
        txt = "".join(rnd.choice("ab  c") for _ in range(rnd.randrange(0, 9)))
        rows.append({"id": "r%d" % i, "ts": ts, "ts2": ts2, "n": rnd.randrange(0, 4102444800000),
                     "txt": txt, "p": rnd.randrange(-10, 10), "k": rnd.randrange(-1, 6)})
    rows.append({"id": "nulls", "ts": None, "ts2": None, "n": None, "txt": None, "p": None, "k": None})
    with tempfile.TemporaryDirectory(prefix="rill-fn-") as tmp:
        data = os.path.join(tmp, "d")
        setup = os.path.join(tmp, "setup.sql")
        with open(setup, "w") as f:
            f.write("CREATE STREAM r (id STRING, ts TIMESTAMP(3), ts2 TIMESTAMP(3), n BIGINT, "
                    "txt STRING, p INT, k INT) WITH (topic = 'r', format = 'json');\n")
        subprocess.run([RILL, "run", setup, "--data", data], check=True, capture_output=True)
        inp = os.path.join(tmp, "in.json")
        with open(inp, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        subprocess.run([RILL, "produce", "r", "--data", data, "--file", inp], check=True,
                       capture_output=True)
        q = os.path.join(tmp, "q.sql")
        with open(q, "w") as f:
            f.write(SELECT + " LIMIT %d;\n" % len(rows))
        out = subprocess.run([RILL, "run", q, "--data", data, "--until-idle"], capture_output=True,
                             text=True, timeout=120)
        check(out.returncode == 0, "the query runs (%s)" % out.stderr.strip())
        got = {}
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                d = json.loads(line)
                got[d["id"]] = d
        check(len(got) == len(rows), "%d rows out of %d" % (len(got), len(rows)))
        bad = []
        for r in rows[:-1]:
            g = got[r["id"]]
            d = of_ms(r["ts"])
            d2 = of_ms(r["ts2"])
            want = {
                "y": d.year, "q": (d.month - 1) // 3 + 1, "mo": d.month, "wk": d.isocalendar()[1],
                "d": d.day, "dow": (d.isoweekday() % 7) + 1, "doy": d.timetuple().tm_yday,
                "h": d.hour, "mi": d.minute, "s": d.second, "ep": r["ts"] // 1000,
                "dsec": int32_or_none(trunc_div(r["ts2"] - r["ts"], 1000)),
                "dday": trunc_div(r["ts2"] - r["ts"], 86400000),
                "dmon": months_between(d, d2), "dyear": trunc_div(months_between(d, d2), 12),
                "f1": d.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (d.microsecond // 1000),
                "f2": "%02d/%d/%d h%d" % (d.year % 100, d.month, d.day, d.hour),
                "l3": iso(r["n"]), "l0": iso(r["n"] // 1000 * 1000),
                "s1": flink_substr(r["txt"], r["p"], r["k"]), "s2": flink_substr(r["txt"], r["p"]),
                "r1": r["txt"].replace("ab", "X"), "t1": r["txt"].strip(" "),
                "t2": r["txt"].lstrip(" "), "t3": r["txt"].rstrip(" "), "t4": r["txt"].strip("a"),
                "i1": r["txt"] if r["k"] > 2 else "small", "n1": None if r["k"] == 3 else r["k"],
            }
            for u in UNITS_FLOOR:
                want["f_" + u.lower()] = iso(ms_of(floor_to(d, u)))
                want["c_" + u.lower()] = iso(ms_of(ceil_to(d, u)))
            for k, v in want.items():
                if g.get(k) != v:
                    bad.append((r["id"], k, g.get(k), v, r))
        check(not bad, "every function equals Python's answer (%d mismatches; first: %s)"
              % (len(bad), bad[:3]))
        n = got["nulls"]
        nulls = [k for k, v in n.items() if k not in ("id", "i1") and v is not None]
        check(not nulls and n["i1"] == "small", "NULL in gives NULL out (IF takes its ELSE): %s" % nulls)

        for sql, where, what in [
                ("SELECT FLOOR(ts TO DOW) FROM r;", "1:8", "FLOOR/CEIL(a TIMESTAMP TO"),
                ("SELECT DATE_FORMAT(ts, 'yyyy EEE') FROM r;", "1:8", "DATE_FORMAT(a TIMESTAMP"),
                ("SELECT TRIM(LEADING 'x' 'y') FROM r;", "1:25", "expected FROM in TRIM"),
                ("SELECT TIMESTAMPDIFF(FORTNIGHT, ts, ts2) FROM r;", "1:8", "TIMESTAMPDIFF(SECOND"),
                ("SELECT SUBSTRING(txt, 'a') FROM r;", "1:8", "SUBSTRING takes"),
                ("SELECT PROCTIME() FROM r;", "1:8", "unknown or unsupported function PROCTIME")]:
            with open(q, "w") as f:
                f.write(sql + "\n")
            out = subprocess.run([RILL, "run", q, "--data", data], capture_output=True, text=True,
                                 timeout=60)
            check(out.returncode == 1 and (":%s: " % where) in out.stderr and what in out.stderr,
                  "refused at %s: %s" % (where, out.stderr.strip()))


if __name__ == "__main__":
    main()
