"""test_connect_run.py - connectors in `rill run` (no `rill serve`): the
same CREATE ... WITH ('connector' = ...) statements as in rill serve.

1. `rill run --until-idle`: a file source (CSV, header skipped) feeds a
   query whose rows go out through a file sink (NDJSON): the run reads
   every line, drains the query, delivers every row, and exits 0. A second
   run after more lines (and a new file) came delivers only the new rows:
   the source and the sink resume from their saved positions.
2. `rill run` without --until-idle keeps its connectors running until
   SIGTERM: an MQTT source and an MQTT sink against a `mosquitto` the test
   starts (even with no query in the script, connectors keep it running);
   readings published to mosquitto come back as alerts.
3. A bad option is refused by `rill run` with the reason, exit 1.
4. `rill run --bootstrap` (the topics on a Kafka-protocol broker, here a
   `rill serve`): the same file source and sink, bounded.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import RILL, Server, check, rill  # noqa: E402
from mqttlib import Client  # noqa: E402
from test_connect_mqtt import Mosquitto  # noqa: E402


def write_lines(path, lo, hi, header=False):
    with open(path, "a") as f:
        if header:
            f.write("seq,machine_id,temp\n")
        for i in range(lo, hi):
            f.write("%d,m%d,%d.5\n" % (i, i % 4, i % 90))


def sink_seqs(d):
    seqs = []
    for p in sorted(glob.glob(os.path.join(d, "part-*.ndjson"))):
        with open(p) as f:
            for line in f:
                seqs.append(json.loads(line)["seq"])
    return seqs


def expect(lo, hi):
    return [i for i in range(lo, hi) if i % 90 >= 20]


SCRIPT = """
CREATE STREAM readings (seq BIGINT, machine_id STRING, temp DOUBLE)
  WITH (format = 'csv', 'connector' = 'file', 'path' = '%s',
        'file.skip-header' = 'true');
CREATE STREAM hot WITH ('connector' = 'file', 'path' = '%s') AS
  SELECT seq, machine_id, temp FROM readings WHERE temp > 20;
"""


def bounded(root):
    src = os.path.join(root, "in")
    out = os.path.join(root, "out")
    data = os.path.join(root, "data")
    os.makedirs(src)
    write_lines(os.path.join(src, "a.csv"), 0, 3000, header=True)
    script = os.path.join(root, "run.sql")
    with open(script, "w") as f:
        f.write(SCRIPT % (src, out))
    t0 = time.time()
    r = rill("run", script, "--until-idle", data=data, timeout=120,
             check=False)
    check(r.returncode == 0, "rill run --until-idle with connectors exits 0 "
          "(%.1f s): %s" % (time.time() - t0, r.stderr.strip()[-300:]))
    got = sink_seqs(out)
    want = expect(0, 3000)
    check(got == want, "every CSV line went through the query into the "
          "NDJSON sink once, in order (%d rows, want %d)"
          % (len(got), len(want)))

    # More lines in the same file and a new file: a second run (its
    # script holds no CREATE, the catalog has them) delivers only those.
    write_lines(os.path.join(src, "a.csv"), 3000, 3500)
    write_lines(os.path.join(src, "b.csv"), 3500, 4000, header=True)
    with open(script, "w") as f:
        f.write("SHOW STREAMS;\n")
    r = rill("run", script, "--until-idle", data=data, timeout=120,
             check=False)
    check(r.returncode == 0, "a second run exits 0: %s" % r.stderr[-300:])
    got = sink_seqs(out)
    want = expect(0, 4000)
    check(got == want, "the second run delivered the new lines only, once "
          "each (%d rows, want %d, duplicates %d)"
          % (len(got), len(want), len(got) - len(set(got))))

    with open(script, "w") as f:
        f.write("CREATE STREAM bad (v STRING) WITH ('connector' = 'file', "
                "'path' = '%s', 'file.nope' = 'x');\n" % src)
    r = rill("run", script, "--until-idle", data=data, check=False)
    check(r.returncode == 1 and "file.nope" in r.stderr,
          "an unknown connector option is refused with its name: %s"
          % r.stderr.strip())


def unbounded(root):
    mroot = os.path.join(root, "mq")
    os.makedirs(mroot)
    os.chmod(mroot, 0o777)
    mq = Mosquitto(mroot)
    mq.start()
    broker = "127.0.0.1:%d" % mq.port
    data = os.path.join(root, "data2")
    script = os.path.join(root, "mqtt.sql")
    with open(script, "w") as f:
        f.write("""
CREATE STREAM temps (machine_id STRING, temp DOUBLE)
  WITH ('connector' = 'mqtt', 'mqtt.broker' = '%s',
        'mqtt.topic' = 'factory/+/temp', 'mqtt.qos' = '1');
CREATE STREAM hot WITH ('connector' = 'mqtt', 'mqtt.broker' = '%s',
  'mqtt.topic' = 'alerts/{machine_id}', 'mqtt.qos' = '1') AS
  SELECT machine_id, temp FROM temps WHERE temp > 50;
""" % (broker, broker))
    sub = Client(mq.port)
    sub.subscribe("alerts/#", 1)
    proc = subprocess.Popen([RILL, "run", script, "--data", data],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the source subscribes
        check(proc.poll() is None, "rill run keeps its connectors running")
        pub = Client(mq.port)
        infos = [pub.publish("factory/m%d/temp" % (i % 3),
                             json.dumps({"machine_id": "m%d" % (i % 3),
                                         "temp": i}), qos=1)
                 for i in range(60)]
        for i in infos:
            i.wait_for_publish(10)
        pub.close()
        check(sub.wait_for(9, 30), "alerts come back over MQTT")
        time.sleep(0.5)
        with sub.lock:
            got = sorted(json.loads(m.payload)["temp"] for m in sub.got)
        check(got == [float(i) for i in range(51, 60)],
              "the 9 readings over 50, once each: %s" % got)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(30)
        check(rc == 0, "SIGTERM stops rill run cleanly (exit %d)" % rc)

        # A script with no query: the connectors alone keep rill run up.
        with open(script, "w") as f:
            f.write("SHOW STREAMS;\n")
        proc = subprocess.Popen([RILL, "run", script, "--data", data],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        check(proc.poll() is None, "the catalog's connectors alone keep "
              "rill run running")
        proc.send_signal(signal.SIGINT)
        check(proc.wait(30) == 0, "SIGINT stops it")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sub.close()
        mq.stop()


def bootstrap(root):
    src = os.path.join(root, "in3")
    out = os.path.join(root, "out3")
    os.makedirs(src)
    write_lines(os.path.join(src, "a.csv"), 0, 500, header=True)
    script = os.path.join(root, "boot.sql")
    with open(script, "w") as f:
        f.write(SCRIPT % (src, out))
    with Server() as srv:
        r = rill("run", script, "--until-idle", "--bootstrap", srv.bootstrap,
                 data=os.path.join(root, "app"), timeout=120, check=False)
        check(r.returncode == 0, "rill run --bootstrap with connectors "
              "exits 0: %s" % r.stderr.strip()[-300:])
    got = sink_seqs(out)
    check(got == expect(0, 500), "--bootstrap: every row once through the "
          "broker's topics (%d rows)" % len(got))


def main():
    root = tempfile.mkdtemp(prefix="rill-crun-")
    try:
        bounded(root)
        unbounded(root)
        bootstrap(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("test_connect_run: ok")


if __name__ == "__main__":
    main()
