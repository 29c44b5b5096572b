"""test_mqtt_simulate.py - `rill simulate --mqtt HOST:PORT --topic PREFIX`
publishes every reading at QoS 1 to PREFIX/<sensor id>; through the
mapping they land in the log topic with the sensor id as key, and an MQTT
subscriber receives each one.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import check, rill  # noqa: E402
from mqttlib import Client, MqttServer, kcat_read  # noqa: E402

N = 5000


def main():
    with MqttServer(extra=["--set", "mqtt.map.a=factory/+sensor_id -> readings key=sensor_id"]) as srv:
        sub = Client(srv.mqtt_port, cid="watch")
        sub.subscribe("factory/#", qos=1)
        r = rill("simulate", "--mqtt", "127.0.0.1:%d" % srv.mqtt_port, "--topic", "factory",
                 "--count", str(N), "--rate", "1000000", "--sensors", "20", "--seed", "7",
                 timeout=60)
        check(r.returncode == 0, "simulate --mqtt exits 0 once every PUBACK came")
        lines = kcat_read(srv.bootstrap, "readings", fmt="%k|%s\n").strip().splitlines()
        check(len(lines) == N, "%d readings in the log (%d)" % (N, len(lines)))
        bad = [l for l in lines if json.loads(l.split("|", 1)[1])["sensor_id"] != l.split("|", 1)[0]]
        check(not bad, "every record's key is its sensor id")
        check(sub.wait_for(N, timeout=20), "the subscriber received all %d (%d)" % (N, len(sub.got)))
        check(all(m.topic.startswith("factory/s-") for m in sub.got), "topics are factory/<sensor>")
        sub.close()


if __name__ == "__main__":
    main()
