"""test_match_factory.py - examples/factory.sql's pattern rules against the
simulator's ground truth.

`rill simulate --scenario factory` (400 s of virtual time, 400 sensors on
100 machines, bearing faults and dropouts injected, truth.jsonl) into a
3-partition topic keyed by sensor; then the statements of factory.sql that
use MATCH_RECOGNIZE (bearing_alerts: a vibration spike then a temperature
rise within 60 s, repartitioned by machine; silent_sensors: no reading for
2 s, WITH TIMEOUT ROWS) run with `rill run --until-idle`. Every bearing
fault whose temperature rise starts 10 s before the data ends is detected,
its rise seen within 5 s of event time after the ramp starts; no alert
without a fault; every dropout is reported within 2.5 s of its start; every
silent row is a dropout's or a machine's reconnect (held readings that come
too late).
"""
import datetime
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import ROOT, check, rill  # noqa: E402


def ms(s):
    d = datetime.datetime.strptime(s.replace("Z", ""), "%Y-%m-%dT%H:%M:%S.%f")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def main():
    tmp = tempfile.mkdtemp(prefix="rill-match-factory-")
    try:
        data = os.path.join(tmp, "data")
        truth = os.path.join(tmp, "truth.jsonl")
        rill("simulate", "--scenario", "factory", "--virtual-clock",
             "--duration", "400", "--sensors", "400", "--bearing-per-min", "3",
             "--dropout-per-min", "3", "--stuck-per-min", "0", "--topic",
             "readings", "--partitions", "3", "--truth", truth, "--seed", "11",
             data=data, timeout=120)
        src = open(os.path.join(ROOT, "examples", "factory.sql")).read()
        i = src.index("CREATE STREAM readings_fast")
        create = src[i:src.index(";", i) + 1].replace("partitions = 6", "partitions = 3")
        rules = src[src.index("\nCREATE STREAM bearing_alerts"):]
        check("silent_sensors" in rules, "factory.sql has the pattern rules")
        path = os.path.join(tmp, "q.sql")
        with open(path, "w") as f:
            f.write(create + "\n" + rules)
        r = rill("run", path, "--until-idle", data=data, timeout=300, check=False)
        check(r.returncode == 0, "rill run of the rules ends well " + r.stderr[-500:])
        alerts = [json.loads(l) for l in rill("consume", "bearing_alerts", data=data)
                  .stdout.splitlines() if l.startswith("{")]
        silent = [json.loads(l) for l in rill("consume", "silent_sensors", data=data)
                  .stdout.splitlines() if l.startswith("{")]
        faults = [json.loads(l) for l in open(truth)]
        end = max(f["end_ms"] for f in faults)
        last_ts = 1764000000000 + 400 * 1000

        def bearing_of(a):
            for f in faults:
                if (f["fault"] == "bearing" and f["machine_id"] == a["machine_id"]
                        and f["start_ms"] - 1000 <= ms(a["spike_ts"]) <= f["spike_end_ms"]):
                    return f
            return None

        bearings = [f for f in faults if f["fault"] == "bearing"]
        detectable = [f for f in bearings if f["temperature_start_ms"] + 10000 <= last_ts]
        check(len(detectable) >= 5, "the simulator injected %d detectable bearing faults"
              % len(detectable))
        found = 0
        for f in detectable:
            hits = [a for a in alerts if bearing_of(a) is f]
            if len(hits) == 1:
                delay = ms(hits[0]["rise_ts"]) - f["temperature_start_ms"]
                check(0 <= delay <= 5000, "bearing %s: rise seen %d ms after the ramp starts"
                      % (f["machine_id"], delay))
                found += 1
        check(found == len(detectable), "every detectable bearing fault alerted once: %d of %d"
              % (found, len(detectable)))
        check(all(bearing_of(a) for a in alerts), "no bearing alert without a fault (%d alerts)"
              % len(alerts))
        dropouts = [f for f in faults if f["fault"] == "dropout"]
        check(len(dropouts) >= 5, "%d dropouts injected" % len(dropouts))

        def explains(f, s):
            t = ms(s["last_seen"])
            if f["fault"] == "dropout":
                return f["sensor_id"] == s["sensor_id"] and f["start_ms"] - 2000 <= t <= f["end_ms"]
            if f["fault"] == "reconnect":
                return f["machine_id"] == s["machine_id"] and f["start_ms"] - 2000 <= t <= f["end_ms"]
            return False

        for f in dropouts:
            hits = [s for s in silent if explains(f, s)]
            check(len(hits) == 1 and ms(hits[0]["silent_at"]) - f["start_ms"] <= 2500,
                  "dropout of %s reported once, %s ms after it starts" % (
                      f["sensor_id"],
                      [ms(h["silent_at"]) - f["start_ms"] for h in hits]))
        unexplained = [s for s in silent if not any(explains(f, s) for f in faults)]
        check(not unexplained, "every silent row is a dropout or a reconnect: %s" % unexplained[:3])
        print("match_factory bearing_found=%d/%d bearing_alerts=%d dropouts_found=%d/%d "
              "silent_rows=%d truth_end_ms=%d" % (found, len(detectable), len(alerts),
                                                 len(dropouts), len(dropouts), len(silent), end))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS test_match_factory")


if __name__ == "__main__":
    main()
