"""test_serve_match.py - a persistent MATCH_RECOGNIZE query in `rill serve`:
readings produced over Kafka while it runs, its matches read from its
topic, and `rill queries describe` showing its state (rows held, bytes) and
late rows.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402


def main():
    srv = Server().start()
    try:
        data = srv.data
        rill("sql", data=data, timeout=30, input="""
CREATE STREAM readings (machine STRING, kind STRING, value DOUBLE,
  ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (topic = 'readings', format = 'json', partitions = 1);
CREATE STREAM bearing AS
SELECT machine, spike_ts, rise FROM readings MATCH_RECOGNIZE (
  PARTITION BY machine ORDER BY ts
  MEASURES V.ts AS spike_ts, LAST(T.value) - FIRST(T0.value) AS rise
  PATTERN (V X*? T0 X*? T) WITHIN INTERVAL '60' SECOND
  DEFINE V AS kind = 'vib' AND value > 2.0, T0 AS kind = 'temp',
         T AS kind = 'temp' AND value >= FIRST(T0.value) + 10);
""")
        base = 1764000000000
        rows = [("m1", "vib", 3.0, 1), ("m1", "temp", 45, 2), ("m2", "vib", 2.5, 3),
                ("m1", "temp", 57, 4), ("m2", "temp", 40, 5), ("m3", "vib", 0.1, 6),
                ("m1", "temp", 50, 8), ("m2", "temp", 44, 9),
                ("m1", "temp", 50, 3)]  # the last one is late (wm 7 s)
        text = "".join(json.dumps({"machine": m, "kind": k, "value": v,
                                   "ts": base + s * 1000}) + "\n"
                       for m, k, v, s in rows)
        rill("produce", "readings", "--bootstrap", srv.bootstrap, "--quiet",
             input=text, timeout=30)
        deadline = time.time() + 20
        out = ""
        while time.time() < deadline:
            out = rill("queries", "describe", "q_1", data=data, timeout=30).stdout
            if "rows out: 1\n" in out and "late rows: 1" in out:
                break
            time.sleep(0.2)
        print(out)
        check("rows out: 1\n" in out, "describe counts the match (one row out)")
        check("late rows: 1\n" in out, "describe counts the late row")
        state = [l for l in out.splitlines() if " match_recognize" in l]
        check(len(state) == 1, "describe shows the pattern operator")
        # m2: spike at 3 s, T0 40 at 5 s, 44 at 9 s: a partial match holds
        # its rows until WITHIN expires at 63 s; m1's last rows wait for the
        # watermark
        f = state[0].replace(",", "").split()
        entries = int(f[f.index("entries") - 1])
        nbytes = int(f[f.index("bytes") - 1])
        check(entries >= 2 and nbytes > 1000,
              "state: rows held and bytes: " + state[0])
        r = rill("consume", "bearing", "--bootstrap", srv.bootstrap, "--max", "1",
                 timeout=30, check=False)
        got = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
        check(len(got) == 1 and got[0]["machine"] == "m1" and got[0]["rise"] == 12.0,
              "the match read from topic bearing: %s" % got)
    finally:
        check(srv.stop() == 0, "rill serve stops cleanly")
    print("PASS test_serve_match")


if __name__ == "__main__":
    main()
