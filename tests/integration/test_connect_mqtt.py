"""test_connect_mqtt.py - the MQTT connector (libmosquitto) against a
`mosquitto` the test starts: a source subscribed with a wildcard at QoS 1
feeds a query; its alerts go back out through a sink whose topic template
is per row (alerts/{machine_id}) at QoS 2, and a second sink at QoS 0; a
row whose template field is NULL goes to the dead-letter topic. Store and
forward: mosquitto is stopped while rows keep coming (rill's anonymous
memory stays bounded), restarted with its persistent store, and a
persistent subscriber gets every row (none lost).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, rill, wait_port  # noqa: E402
from mqttlib import Client, kcat_read  # noqa: E402

from confluent_kafka import Producer  # noqa: E402


class Mosquitto:
    def __init__(self, root):
        self.port = free_port()
        self.conf = os.path.join(root, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                    "persistence true\npersistence_location %s/\n"
                    "max_queued_messages 0\n" % (self.port, root))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, 10, self.proc)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def rss_anon_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def main():
    root = tempfile.mkdtemp(prefix="rill-mq-")
    os.chmod(root, 0o777)  # mosquitto started as root runs as "mosquitto"
    mq = Mosquitto(root)
    mq.start()
    broker = "127.0.0.1:%d" % mq.port
    sub = Client(mq.port, cid="alerts-watch", clean=False)
    sub.subscribe("alerts/#", 2)
    sub0 = Client(mq.port)
    sub0.subscribe("all/#", 0)
    try:
        with Server() as srv:
            sql = """
CREATE STREAM temps (machine_id STRING, temp DOUBLE)
  WITH (topic = 'temps', 'connector' = 'mqtt', 'mqtt.broker' = '%s',
        'mqtt.topic' = 'factory/+/temp', 'mqtt.qos' = '1');
CREATE STREAM hot WITH ('connector' = 'mqtt', 'mqtt.broker' = '%s',
  'mqtt.topic' = 'alerts/{machine_id}', 'mqtt.qos' = '2') AS
  SELECT machine_id, temp FROM temps WHERE temp > 50;
CREATE STREAM everything WITH ('connector' = 'mqtt', 'mqtt.broker' = '%s',
  'mqtt.topic' = 'all/{machine_id}', 'mqtt.qos' = '0') AS
  SELECT machine_id, temp FROM temps;
""" % (broker, broker, broker)
            r = rill("sql", data=srv.data, input=sql)
            check(r.stdout.count("started query") == 2, "a source, two sinks")
            bad = rill("sql", data=srv.data, check=False, input=(
                "CREATE STREAM z WITH ('connector' = 'mqtt', 'mqtt.broker' = "
                "'%s', 'mqtt.topic' = 'a/{nope}') AS SELECT temp FROM temps;"
                % broker))
            check(bad.returncode != 0 and "{nope} is not a column" in bad.stderr,
                  "a template naming no column is refused: %s"
                  % bad.stderr.strip())
            time.sleep(1)  # the source subscribes

            msgs = []
            for i in range(60):
                m = "m%d" % (i % 3)
                msgs.append(("factory/%s/temp" % m,
                             json.dumps({"machine_id": m, "temp": i})))
            msgs.append(("factory/nobody/temp", json.dumps({"temp": 99})))
            pub = Client(mq.port)
            infos = [pub.publish(t, v, qos=1) for t, v in msgs]
            for i in infos:
                i.wait_for_publish(10)
            pub.close()
            check(all(i.is_published() for i in infos), "61 readings "
                  "published to mosquitto at QoS 1")
            check(sub.wait_for(9, 20), "alerts arrive")
            check(sub0.wait_for(60, 20),
                  "every reading comes back on all/# at QoS 0")
            time.sleep(1)
            with sub.lock:
                got = [(m.topic, json.loads(m.payload), m.qos) for m in sub.got]
            want = [("alerts/m%d" % (i % 3),
                     {"machine_id": "m%d" % (i % 3), "temp": float(i)}, 2)
                    for i in range(51, 60)]
            check(got == want, "alerts/{machine_id} at QoS 2, in order: %s"
                  % got[:3])
            keys = kcat_read(srv.bootstrap, "temps", fmt="%k\n")
            check(keys.count("factory/m0/temp") == 20,
                  "the source keys records by MQTT topic")
            dead = kcat_read(srv.bootstrap, "everything.dlq", fmt="%s\n")
            check("a field of the topic template is NULL" in dead,
                  "a row without machine_id is dead-lettered: %s" % dead[:200])

            # Store and forward: the broker goes away.
            with sub.lock:
                sub.got.clear()
            mq.stop()
            sub.close()
            base = rss_anon_kb(srv.proc.pid)
            p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 5,
                          "log_level": 2})
            for i in range(5000):
                p.produce("temps", key="factory/m9/temp", value=json.dumps(
                    {"machine_id": "m9", "temp": 1000 + i}))
            check(p.flush(30) == 0, "5,000 rows while the broker is down")
            time.sleep(3)
            grown = rss_anon_kb(srv.proc.pid) - base
            print("anonymous RSS growth with the broker down: %d KB" % grown)
            check(grown < 32 * 1024, "RSS stays bounded while the broker is "
                  "down")
            mq.start()
            sub = Client(mq.port, cid="alerts-watch", clean=False)
            # Until every row came, counted distinct: a row sent again
            # across the reconnect must not end the wait before the last.
            deadline = time.time() + 60
            while True:
                with sub.lock:
                    n = len(set(m.payload for m in sub.got))
                if n >= 5000 or time.time() > deadline:
                    break
                time.sleep(0.2)
            ok = n >= 5000
            time.sleep(0.5)
            with sub.lock:
                temps = [json.loads(m.payload)["temp"] for m in sub.got]
            print("after the broker came back: %d messages, %d distinct"
                  % (len(temps), len(set(temps))))
            if not ok:
                print(srv.output()[-2500:])
            check(ok and set(temps) == set(float(1000 + i)
                                             for i in range(5000)),
                  "every row was delivered once the broker was back")
            check(len(temps) - len(set(temps)) <= 500,
                  "at most one batch again (QoS 2 across a reconnect)")
    finally:
        sub.close()
        sub0.close()
        mq.stop()
        shutil.rmtree(root, ignore_errors=True)
    print("test_connect_mqtt: ok")


if __name__ == "__main__":
    main()
