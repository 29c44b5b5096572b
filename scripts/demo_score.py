#!/usr/bin/env python3
"""demo_score.py - detection scoring of the factory demo against the
simulator's ground truth (`rill simulate --truth FILE`, docs/simulate.md).

  demo_score.py read EPISODES BOOTSTRAP TOPIC...   consume alert topics
  demo_score.py score TRUTH EPISODES [--final]     one summary (JSON)
  demo_score.py offline TRUTH TOPIC=ROWS.jsonl...  score rows written by
                                                   `rill consume`, offline

Rules are the alert topics of examples/factory.sql; each maps to the fault
kind it detects by its name (or a `fault` column in its rows):
  *bearing*                     bearing (onset: the temperature rise)
  *vibration*, alerts (vibration reason)
                                bearing (onset: the vibration spike)
  *temperature*, alerts (temperature reason)
                                bearing (onset: the temperature rise)
  *stuck*                       stuck
  *heartbeat*, *dropout*, *missing*, *silent*
                                dropout (a reconnect, a whole machine
                                silent, also explains them)
Other topics (statistics) are not rules. An alert is matched by its entity
(sensor_id, else machine_id) and time: the time it was read (live) or its
event time `ts` (offline) within [onset - 2 s, end + 15 s] of a fault of
its kind on that entity (or its machine). Alerts of one rule and entity
less than 30 s apart are one episode; an episode that matches no fault of
its kind is a false alarm. A fault is detected when a rule of its kind
matched it; the delay is from its onset to the first matching alert.
Recall = detected / (detected + missed); faults whose window is still open
are pending, not missed. Precision = matched episodes / episodes.
"""
import json
import os
import signal
import sys
import time
from datetime import datetime

SLACK_BEFORE_MS = 2000
SLACK_AFTER_MS = 15000
EPISODE_GAP_MS = 30000
DETECT_MS = 10000  # final line: a fault younger than this is pending
KINDS = ("bearing", "stuck", "dropout", "reconnect")


def event_ms(v):
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000.0
        except ValueError:
            return None
    return None


def rule_of(topic, row):
    """(kind, onset field, match by) of an alert row of topic, or None."""
    t = topic.lower()
    fault = row.get("fault") if isinstance(row, dict) else None
    if fault in KINDS:
        kind = fault
    elif "bearing" in t:
        kind = "bearing"
    elif "stuck" in t:
        kind = "stuck"
    elif any(w in t for w in ("heartbeat", "dropout", "missing", "silent")):
        kind = "dropout"
    elif "vibration" in t or "temperature" in t:
        kind = "bearing"
    elif t == "alerts":
        kind = "bearing"
    else:
        return None
    onset = "start_ms"
    if kind == "bearing":
        reason = str(row.get("reason", "")) + " " + str(row.get("kind", ""))
        if "bearing" in t or "temperature" in t or "temperature" in reason:
            onset = "temperature_start_ms"
    return kind, onset


def ids(row):
    """The ids an alert names: its sensors if any, else its machine."""
    out = [row[k] for k in ("sensor_id", "vibration_sensor", "temperature_sensor")
           if isinstance(row.get(k), str)]
    if not out and isinstance(row.get("machine_id"), str):
        out = [row["machine_id"]]
    return out


def load_truth(path):
    faults = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    faults.append(json.loads(line))
                except ValueError:
                    pass
    except OSError:
        pass
    return faults


def load_episodes(path):
    eps = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    eps.append(json.loads(line))
                except ValueError:
                    pass
    except OSError:
        pass
    return eps


class Episodes:
    """Alerts folded into episodes: (topic, ids) -> last alert time."""

    def __init__(self):
        self.last = {}
        self.out = []

    def add(self, topic, row, at_ms):
        r = rule_of(topic, row)
        if r is None:
            return None
        who = ids(row)
        key = (topic, tuple(who), r[1])
        prev = self.last.get(key)
        self.last[key] = at_ms
        if prev is not None and at_ms - prev < EPISODE_GAP_MS:
            return None
        ep = {"topic": topic, "kind": r[0], "onset": r[1], "ids": who,
              "at_ms": at_ms, "ts": event_ms(row.get("ts"))}
        if isinstance(row.get("machine_id"), str):
            ep["machine"] = row["machine_id"]
        self.out.append(ep)
        return ep


# The episode kinds that detect each fault kind.
DETECTED_BY = {"bearing": ("bearing",), "stuck": ("stuck",), "dropout": ("dropout",),
               "reconnect": ("dropout",)}


def matches(f, ep):
    ents = {f.get("machine_id"), f.get("sensor_id"), f.get("temperature_sensor_id")} - {None}
    # a machine-level fault (a reconnect: the whole machine silent) also
    # explains the alerts about each of its sensors
    machine_level = not f.get("sensor_id") and f.get("machine_id") is not None
    if not ents.intersection(ep["ids"]) and not (
            machine_level and ep.get("machine") == f["machine_id"]):
        return None
    onset = f.get(ep["onset"], f.get("start_ms"))
    if onset is None:
        return None
    if not (onset - SLACK_BEFORE_MS <= ep["at_ms"] <= f.get("end_ms", onset) + SLACK_AFTER_MS):
        return None
    return ep["at_ms"] - onset


def settled(f, now_ms, final, onset="start_ms"):
    """Whether fault f had its chance: its whole window passed, or (final)
    at least DETECT_MS since its onset."""
    if now_ms is None:
        return final
    if final:
        return now_ms >= f.get(onset, f.get("start_ms", 0)) + DETECT_MS
    return now_ms > f.get("end_ms", 0) + SLACK_AFTER_MS


def tally(faults, episodes, kind, now_ms, final, only_topic=None):
    fs = [f for f in faults if f.get("fault") == kind]
    onset = "start_ms"
    for ep in episodes:
        if ep["topic"] == only_topic:
            onset = ep["onset"]
    det, miss, pend, delays, hit = 0, 0, 0, [], set()
    for f in fs:
        first = None
        for i, ep in enumerate(episodes):
            if ep["kind"] not in DETECTED_BY[kind]:
                continue
            if only_topic is not None and ep["topic"] != only_topic:
                continue
            d = matches(f, ep)
            if d is None:
                continue
            hit.add(i)
            if first is None or d < first:
                first = d
        if first is not None:
            det += 1
            delays.append(first)
        elif settled(f, now_ms, final, onset):
            miss += 1
        else:
            pend += 1
    delays.sort()
    return {"injected": len(fs), "detected": det, "missed": miss, "pending": pend,
            "recall": None if det + miss == 0 else det / (det + miss),
            "delay_p50_ms": delays[len(delays) // 2] if delays else None,
            "delay_max_ms": delays[-1] if delays else None}, hit


def score(faults, episodes, now_ms=None, final=False):
    """Per fault kind (and per rule under "rules"): injected, detected,
    missed, pending, false alarms, precision, recall, delays (ms)."""
    res = {}
    explained = set()
    for k in KINDS:
        res[k], hit = tally(faults, episodes, k, now_ms, final)
        explained |= hit
    for k in KINDS:
        mine = [i for i, ep in enumerate(episodes) if ep["kind"] in DETECTED_BY[k]]
        false = sum(1 for i in mine if i not in explained)
        res[k].update({"episodes": len(mine), "false_alarms": false,
                       "precision": None if not mine else (len(mine) - false) / len(mine),
                       "rules": sorted({episodes[i]["topic"] for i in mine})})
    per = {}
    for topic in sorted({ep["topic"] for ep in episodes}):
        k = next(ep["kind"] for ep in episodes if ep["topic"] == topic)
        r, _ = tally(faults, episodes, k, now_ms, final, topic)
        mine = [i for i, ep in enumerate(episodes) if ep["topic"] == topic]
        false = sum(1 for i in mine if i not in explained)
        r.update({"kind": k, "episodes": len(mine), "false_alarms": false,
                  "precision": (len(mine) - false) / len(mine) if mine else None})
        per[topic] = r
    res["rules"] = per
    return res


def fmt_kind(k, r):
    def pct(v):
        return "-" if v is None else "%.2f" % v
    def sec(v):
        return "-" if v is None else "%.1f" % (v / 1000.0)
    if "kind" in r:
        rules = "detects " + r["kind"]
    else:
        rules = "rules: " + ", ".join(r["rules"]) if r["rules"] else "no rule"
    return ("%s: injected %d, detected %d, missed %d%s, false alarms %d, precision %s, recall %s, "
            "delay p50 %s s, max %s s (%s)" % (k, r["injected"], r["detected"], r["missed"],
            ", pending %d" % r["pending"] if r["pending"] else "", r["false_alarms"], pct(r["precision"]),
            pct(r["recall"]), sec(r["delay_p50_ms"]), sec(r["delay_max_ms"]), rules))


def cmd_read(out, bootstrap, topics):
    """Consumes every partition of the alert topics from the start and
    appends one line per new episode to out; out + '.count' holds the
    alert counts per topic. SIGTERM ends it."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "rill-demo-score",
                  "enable.auto.commit": False, "fetch.wait.max.ms": 50})
    assigned = set()
    eps = Episodes()
    f = open(out, "a")
    last_meta = 0
    while not stop:
        if time.time() - last_meta > 1 and len(assigned) < len(topics):
            last_meta = time.time()
            try:
                md = c.list_topics(timeout=1)
                tps = []
                for t in topics:
                    if t in md.topics and t not in assigned and md.topics[t].partitions:
                        tps += [TopicPartition(t, p, OFFSET_BEGINNING) for p in md.topics[t].partitions]
                        assigned.add(t)
                if tps:
                    c.incremental_assign(tps)
            except Exception:
                pass
        if not assigned:
            time.sleep(0.2)
            continue
        m = c.poll(0.1)
        if m is None or m.error():
            continue
        now = time.time() * 1000.0
        try:
            row = json.loads(m.value())
        except ValueError:
            continue
        if not isinstance(row, dict):
            continue
        ep = eps.add(m.topic(), row, now)
        if ep:
            f.write(json.dumps(ep) + "\n")
            f.flush()
    f.close()
    c.close()


def main(argv):
    if len(argv) >= 4 and argv[1] == "read":
        cmd_read(argv[2], argv[3], argv[4:])
        return 0
    if len(argv) >= 4 and argv[1] == "score":
        res = score(load_truth(argv[2]), load_episodes(argv[3]), time.time() * 1000.0,
                    "--final" in argv)
        print(json.dumps(res))
        return 0
    if len(argv) >= 3 and argv[1] == "offline":
        eps = Episodes()
        rows = []
        for spec in argv[3:]:
            topic, _, path = spec.partition("=")
            with open(path) as fh:
                for line in fh:
                    try:
                        row = json.loads(line)
                    except ValueError:
                        continue
                    if not isinstance(row, dict):
                        continue
                    t = event_ms(row.get("ts"))
                    if t is not None:
                        rows.append((t, topic, row))
        rows.sort(key=lambda r: r[0])
        for t, topic, row in rows:
            eps.add(topic, row, t)
        end = rows[-1][0] if rows else None
        res = score(load_truth(argv[2]), eps.out, end, final=True)
        for k in KINDS:
            print(fmt_kind(k, res[k]))
        for topic, r in res["rules"].items():
            print("  rule " + fmt_kind(topic, r))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
