"""test_sql_match_oracle.py - MATCH_RECOGNIZE against Python's regular
expressions.

Random per-key sequences of rows, each row satisfying a random subset of
the variables A, B, C (columns a, b, c); random patterns drawn from a
grammar (concatenation, alternation, groups, * + ? {n} {n,} {n,m} {,m} and
their reluctant forms) that maps to a Python regular expression over one
character per row (its subset of variables, '0'..'7'; variable A is the
class of the subsets holding A). The expected matches are Python's: at each
start row the preferred (backtracking) match, then the next start by AFTER
MATCH SKIP PAST LAST ROW or TO NEXT ROW. Every pattern runs with DEFINEs
over the row only and with DEFINEs that also look at the match (COUNT(*)
>= 0), with MEASURES over every row or over the last row only (no history
kept: CLASSIFIER() and a bare column), as persistent queries of one `rill
run` on the virtual clock. Each match's key, first row, last row and
CLASSIFIER() (the last row's variable) must equal the reference, in order,
per key. Every pattern also runs with ALL ROWS PER MATCH: the variable of
every row of every match (CLASSIFIER() per row) must equal a backtracking
reference written here (labelled(): Python's preference order and its rule
for empty iterations), whose match spans are checked against re first.
Usage: test_sql_match_oracle.py [SEED] (RILL=path/to/rill; default seed
fixed).
"""
import json
import os
import random
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rilltest  # noqa: E402

VARS = "ABC"
CLASS = {v: "[" + "".join(str(m) for m in range(8) if m & (1 << i)) + "]"
         for i, v in enumerate(VARS)}


def gen(rng, depth=0):
    """A pattern as (sql, python regex with named groups)."""
    r = rng.random()
    if depth > 2 or r < 0.45:
        v = rng.choice(VARS)
        node = ("var", v)
    elif r < 0.75:
        node = ("seq", [gen(rng, depth + 1) for _ in range(rng.randint(2, 3))])
    else:
        node = ("alt", [gen(rng, depth + 1) for _ in range(rng.randint(2, 3))])
    q = rng.random()
    if q < 0.5:
        quant = ""
    else:
        quant = rng.choice(["*", "+", "?", "{2}", "{1,}", "{1,3}", "{,2}", "{2,3}"])
        if rng.random() < 0.4:
            quant += "?"
    return (node, quant)


# Repetitions of groups that can match no rows (an empty iteration ends
# the repetition, as in Python), always among the patterns.
def V(v, q=""):
    return (("var", v), q)


FIXED = [
    (("seq", [(("seq", [V("A", "?"), V("B", "?")]), "+"), V("C")]), ""),
    (("seq", [(("seq", [V("A", "??"), V("B")]), "*"), V("C")]), ""),
    (("seq", [V("A"), (("seq", [V("A", "??")]), "*"), V("B")]), ""),
    (("seq", [(("alt", [V("B", "?"), V("A")]), "*"), V("C")]), ""),
    (("seq", [(("seq", [V("A", "*"), V("B", "*?")]), "{1,3}"), V("C")]), ""),
    (("seq", [V("C"), (("alt", [V("A"), (("seq", [V("B", "?")]), "")]), "+?"),
              V("B")]), ""),
    (("seq", [(("seq", [V("A", "?"), V("B", "?")]), "{2,}"), V("C")]), ""),
    (("seq", [V("B"), (("seq", [(("alt", [V("A", "?"), V("C")]), "*")]), "+")]),
     ""),
]


def to_sql(p):
    node, quant = p
    if node[0] == "var":
        s = node[1]
    elif node[0] == "seq":
        s = "(" + " ".join(to_sql(x) for x in node[1]) + ")"
    else:
        s = "(" + " | ".join(to_sql(x) for x in node[1]) + ")"
    return s + quant


def to_re(p, groups):
    node, quant = p
    if node[0] == "var":
        name = "g%d" % len(groups)
        groups.append((name, node[1]))
        s = "(?P<%s>%s)" % (name, CLASS[node[1]])
    elif node[0] == "seq":
        s = "(?:" + "".join(to_re(x, groups) for x in node[1]) + ")"
    else:
        s = "(?:" + "|".join(to_re(x, groups) for x in node[1]) + ")"
    if quant.startswith("{,"):
        quant = "{0," + quant[2:]
    return s + quant


def reference(rx, groups, text, skip_next):
    out = []
    i = 0
    while i < len(text):
        m = rx.match(text, i)
        if m and m.end() > i:
            last = None
            for name, var in groups:
                if m.group(name) is not None and m.end(name) == m.end():
                    last = var
            out.append((i, m.end() - 1, last))
            i = i + 1 if skip_next else m.end()
        else:
            i += 1
    return out


def quant_of(q):
    """(min, max or None, reluctant) of a quantifier string."""
    rel = len(q) > 1 and q.endswith("?")
    if rel:
        q = q[:-1]
    if q == "":
        return 1, 1, False
    if q == "*":
        return 0, None, rel
    if q == "+":
        return 1, None, rel
    if q == "?":
        return 0, 1, rel
    lo, _, hi = q[1:-1].partition(",")
    if not _:
        return int(lo), int(lo), rel
    return int(lo or 0), (int(hi) if hi else None), rel


def labelled(p, text, pos, labels):
    """Every way p matches text at pos, in Python's preference order (its
    backtracking, with its rule for repetitions: an optional iteration is
    not tried again after one that matched nothing), as (end, the variable
    of each row). The reference for the classifier of every row; its spans
    are checked against Python's re."""
    node, quant = p
    lo, hi, rel = quant_of(quant)

    def body(pos, labels):
        if node[0] == "var":
            v = node[1]
            if pos < len(text) and int(text[pos]) >> VARS.index(v) & 1:
                yield pos + 1, labels + [v]
        elif node[0] == "seq":
            def chain(i, pos, labels):
                if i == len(node[1]):
                    yield pos, labels
                    return
                for e, lab in labelled(node[1][i], text, pos, labels):
                    yield from chain(i + 1, e, lab)
            yield from chain(0, pos, labels)
        else:
            for x in node[1]:
                yield from labelled(x, text, pos, labels)

    def repeat(count, pos, labels, last):
        if count < lo:
            for e, lab in body(pos, labels):
                yield from repeat(count + 1, e, lab, last)
            return
        more = (hi is None or count < hi) and pos != last
        if rel:
            yield pos, labels
        if more:
            for e, lab in body(pos, labels):
                yield from repeat(count + 1, e, lab, pos)
        if not rel:
            yield pos, labels

    yield from repeat(0, pos, labels, None)


def reference_rows(p, rx, text, skip_next):
    """The matches with each row's variable: [(first row, [variables])];
    None when the labelled reference disagrees with Python's re."""
    out = []
    i = 0
    while i < len(text):
        m = rx.match(text, i)
        first = next((x for x in labelled(p, text, i, []) if x[0] > i), None)
        if (m.end() if m and m.end() > i else None) != (first[0] if first else None):
            return None
        if first:
            out.append((i, first[1]))
            i = i + 1 if skip_next else first[0]
        else:
            i += 1
    return out


def main():
    # A fixed seed by default: Python's backtracking can take exponential
    # time on some random patterns, and a test must end (any seed by hand).
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 20261207
    rng = random.Random(seed)
    print("seed %d" % seed)
    keys = ["k%d" % i for i in range(4)]
    seqs = {k: [rng.choice([1, 2, 4, 3, 5, 6, 7, 0, 1, 2, 4])
                for _ in range(rng.randint(15, 40))] for k in keys}
    rows = []
    t = 0
    pos = {k: 0 for k in keys}
    order = [k for k in keys for _ in seqs[k]]
    rng.shuffle(order)
    for k in order:
        m = seqs[k][pos[k]]
        rows.append({"k": k, "i": pos[k], "a": m & 1, "b": (m >> 1) & 1,
                     "c": (m >> 2) & 1, "ts": 1764000000000 + t})
        pos[k] += 1
        t += 1000
    patterns = []
    for p in FIXED:
        groups = []
        rx = re.compile(to_re(p, groups))
        patterns.append((to_sql(p), rx, groups, p))
    while len(patterns) < 32:
        p = gen(rng)
        groups = []
        rx_text = to_re(p, groups)
        rx = re.compile(rx_text)
        if rx.fullmatch(""):
            continue  # rill refuses these (docs/sql.md)
        patterns.append((to_sql(p), rx, groups, p))
    tmp = tempfile.mkdtemp(prefix="rill-match-oracle-")
    try:
        data = os.path.join(tmp, "data")
        data2 = os.path.join(tmp, "data2")  # the ALL ROWS PER MATCH run
        for d in (data, data2):
            rilltest.rill("topics", "create", "rows", "--partitions", "1", data=d)
            rilltest.rill("produce", "rows", "--quiet", data=d,
                          input="".join(json.dumps(r) + "\n" for r in rows))
        script = ["CREATE STREAM rows (k STRING, i INT, a INT, b INT, c INT, "
                  "ts TIMESTAMP(3), WATERMARK FOR ts AS ts) "
                  "WITH (topic = 'rows', format = 'json');"]
        runs = []
        every = []  # ALL ROWS PER MATCH: the variable of every row
        script2 = []  # a second run (at most 256 queries run at once)
        for n, (sql, rx, groups, tree) in enumerate(patterns):
            used = [v for v in VARS if CLASS[v] in rx.pattern]
            defs = ",\n  ".join("%s AS %s = 1" % (v, v.lower()) for v in used)
            for skip_next in (0, 1):
                name = "rows_%d_%d" % (n, skip_next)
                script2.append(
                    "CREATE STREAM %s AS SELECT k, i, cls, mn FROM rows "
                    "MATCH_RECOGNIZE (\n PARTITION BY k ORDER BY ts\n"
                    " MEASURES CLASSIFIER() AS cls, MATCH_NUMBER() AS mn\n"
                    " ALL ROWS PER MATCH\n AFTER MATCH SKIP %s\n"
                    " PATTERN (%s)\n DEFINE %s);" % (
                        name, "TO NEXT ROW" if skip_next else "PAST LAST ROW",
                        sql, defs))
                every.append((name, sql, tree, rx, skip_next))
            for mode in range(8):
                general = mode & 1
                skip_next = (mode >> 1) & 1
                light = mode >> 2
                extra = " AND COUNT(*) >= 0" if general else ""
                used = [v for v in VARS if CLASS[v] in rx.pattern]
                defs = ",\n  ".join("%s AS %s = 1%s" % (v, v.lower(), extra)
                                    for v in used)
                name = "out_%d_%d" % (n, mode)
                script.append(
                    "CREATE STREAM %s AS SELECT * FROM rows MATCH_RECOGNIZE (\n"
                    " PARTITION BY k ORDER BY ts\n"
                    " MEASURES %s\n"
                    " ONE ROW PER MATCH\n"
                    " AFTER MATCH SKIP %s\n"
                    " PATTERN (%s)\n"
                    " DEFINE %s);" % (
                        name,
                        "i AS last_i, CLASSIFIER() AS cls" if light else
                        "FIRST(i) AS first_i, LAST(i) AS last_i, "
                        "CLASSIFIER() AS cls",
                        "TO NEXT ROW" if skip_next else "PAST LAST ROW", sql,
                        defs))
                runs.append((name, sql, rx, groups, skip_next, general, light))
        path = os.path.join(tmp, "q.sql")
        with open(path, "w") as f:
            f.write("\n".join(script) + "\n")
        p = rilltest.rill("run", path, "--until-idle", data=data, timeout=120,
                          env={"RILL_VIRTUAL_CLOCK": "1"}, check=False)
        rilltest.check(p.returncode == 0, "rill run ends well %s" % p.stderr[-2000:])
        path2 = os.path.join(tmp, "q2.sql")
        with open(path2, "w") as f:
            f.write("\n".join(script[:1] + script2) + "\n")
        p = rilltest.rill("run", path2, "--until-idle", data=data2, timeout=120,
                          env={"RILL_VIRTUAL_CLOCK": "1"}, check=False)
        rilltest.check(p.returncode == 0,
                       "rill run (ALL ROWS PER MATCH) ends well %s" % p.stderr[-2000:])
        failures = 0
        total = 0
        for name, sql, rx, groups, skip_next, general, light in runs:
            got = {k: [] for k in keys}
            c = rilltest.rill("consume", name, data=data)
            for line in c.stdout.splitlines():
                line = line.strip()
                if not line.startswith("{"):
                    continue
                o = json.loads(line)
                got[o["k"]].append((None if light else o["first_i"],
                                    o["last_i"], o["cls"]))
            for k in keys:
                text = "".join(str(m) for m in seqs[k])
                want = reference(rx, groups, text, skip_next)
                if light:  # rows of no variable kept: the last row only
                    want = [(None, b, c) for a, b, c in want]
                total += len(want)
                if got[k] != want:
                    failures += 1
                    if failures <= 5:
                        print("MISMATCH pattern %s skip %s general %d key %s text %s\n"
                              "  regex %s\n  want %s\n  got  %s" % (
                                  sql, "next" if skip_next else "past", general,
                                  k, text, rx.pattern, want, got[k]))
        rows_total = 0
        for name, sql, tree, rx, skip_next in every:
            got = {k: {} for k in keys}
            for line in rilltest.rill("consume", name, data=data2).stdout.splitlines():
                if line.strip().startswith("{"):
                    o = json.loads(line)
                    got[o["k"]].setdefault(o["mn"], []).append((o["i"], o["cls"]))
            for k in keys:
                text = "".join(str(m) for m in seqs[k])
                want = reference_rows(tree, rx, text, skip_next)
                if want is None:
                    failures += 1
                    print("REFERENCE DISAGREES WITH re: %s key %s text %s" % (sql, k, text))
                    continue
                want = [[(a + j, v) for j, v in enumerate(labs)] for a, labs in want]
                have = [got[k][mn] for mn in sorted(got[k])]
                rows_total += sum(len(x) for x in want)
                if have != want:
                    failures += 1
                    if failures <= 5:
                        print("MISMATCH (rows) pattern %s skip %s key %s text %s\n"
                              "  want %s\n  got  %s" % (
                                  sql, "next" if skip_next else "past", k,
                                  text, want, have))
        print("%d queries, %d expected matches, %d rows classified, "
              "%d mismatching keys" % (len(runs) + len(every), total,
                                       rows_total, failures))
        rilltest.check(total > 0, "the reference has matches")
        rilltest.check(failures == 0, "every match equals the reference (seed %d)" % seed)
        print("ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
