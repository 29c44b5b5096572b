"""test_mqtt_sessions.py - persistent MQTT sessions (clean start = 0) over
`kill -9` of `rill serve`: a gateway subscribed at QoS 1 that was offline,
then slow, then cut off by the crash, receives after the restart every
message whose PUBACK a publisher got (PUBACK after fsync here), with
duplicates allowed and nothing lost; an MQTT 5 session with an expiry
resumes too, and a clean session starts empty. Receive Maximum bounds
what is in flight; in-flight deliveries are resent on reconnect with their
packet ids and DUP. Then MQTT in -> a
persistent SQL query -> MQTT out and Kafka in -> the same query -> MQTT
out.
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import check, rill  # noqa: E402
from mqttlib import (Client, MqttServer, enc_str, packet, publish_all,  # noqa: E402
                     read_packets)

from confluent_kafka import Producer  # noqa: E402

MAP = "mqtt.map.r=sensors/+sensor_id/reading -> readings key=sensor_id fields=json"
QUERY = """
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id');
CREATE STREAM alerts AS SELECT sensor_id, value FROM readings WHERE value > 5;
"""


STARTED = []


def crash_test(tmp):
    data = os.path.join(tmp, "crash")
    extra = ["--set", "mqtt.fsync.ack=true", "--set", "mqtt.max.inflight=4"]
    srv = MqttServer(data=data, extra=extra).start()
    STARTED.append(srv)
    port = srv.mqtt_port
    gw = Client(port, cid="gateway", clean=False)
    gw.subscribe("plant/#", qos=1)
    gw.close()  # offline while the first 200 are published
    v5 = Client(port, cid="gw5", v5=True, clean=True, session_expiry=3600)
    v5.subscribe("plant/#", qos=1)
    v5.close()
    first = ["m%03d" % i for i in range(200)]
    check(publish_all(port, "plant/line1", first), "200 QoS 1 messages acknowledged")

    gw = Client(port, cid="gateway", clean=False, delay=0.01)
    check(gw.session_present, "session present on reconnect")
    check(gw.wait_for(30, timeout=15), "gateway receiving (slowly)")
    srv.kill()
    before = set(gw.payloads())
    gw.close()
    check(len(before) < 200, "crash came mid-delivery (%d of 200 received)" % len(before))

    srv = MqttServer(data=data, extra=extra, mqtt_port=port).start()
    STARTED.append(srv)
    gw = Client(port, cid="gateway", clean=False)
    check(gw.session_present, "session survives kill -9")
    more = ["n%03d" % i for i in range(50)]
    check(publish_all(port, "plant/line2", more), "50 more acknowledged after the restart")
    want = set(first) | set(more)
    deadline = time.time() + 20
    while time.time() < deadline and not want <= (before | set(gw.payloads())):
        time.sleep(0.05)
    after = set(gw.payloads())
    missing = want - (before | after)
    check(not missing, "nothing acknowledged lost (missing %d: %s)" % (len(missing), sorted(missing)[:5]))
    print("info: %d messages delivered twice (before the crash and after)" % len(before & after))
    gw.close()

    v5 = Client(port, cid="gw5", v5=True, clean=False, session_expiry=3600)
    check(v5.session_present, "MQTT 5 session with expiry resumed")
    check(v5.wait_for(250, timeout=20), "MQTT 5 session got all 250 (%d)" % len(v5.got))
    check(set(v5.payloads()) == want, "MQTT 5 session got exactly the published set")
    v5.close()

    c = Client(port, cid="gateway", clean=True)
    check(not c.session_present, "clean session starts empty")
    c.close()
    c = Client(port, cid="gateway", clean=False)
    check(not c.session_present, "the clean connect ended the stored session")
    c.close()
    check(srv.stop() == 0, "clean shutdown")


def query_test(tmp):
    data = os.path.join(tmp, "query")
    with MqttServer(data=data, extra=["--set", MAP]) as srv:
        port = srv.mqtt_port
        script = os.path.join(tmp, "q.sql")
        with open(script, "w") as f:
            f.write(QUERY)
        rill("run", script, data=data, timeout=30)
        sub = Client(port, cid="dash", v5=True)
        sub.subscribe("alerts", qos=1)
        now = int(time.time() * 1000)
        pub = Client(port, cid="dev")
        for sid, v in (("s1", 1.0), ("s2", 7.5), ("s3", 9.0)):
            pub.publish("sensors/%s/reading" % sid,
                        json.dumps({"value": v, "ts": now}), qos=1).wait_for_publish(10)
        check(sub.wait_for(2, timeout=15), "alerts from MQTT readings pushed to MQTT")
        rows = sorted(json.loads(p)["sensor_id"] for p in sub.payloads())
        check(rows == ["s2", "s3"], "the query's rows arrive over MQTT: %r" % rows)

        p = Producer({"bootstrap.servers": srv.bootstrap, "linger.ms": 0, "log_level": 2})
        p.produce("readings", key="k9",
                  value=json.dumps({"sensor_id": "k9", "value": 42.0, "ts": now}))
        check(p.flush(10) == 0, "Kafka producer wrote a reading")
        check(sub.wait_for(3, timeout=15), "Kafka in -> query -> MQTT out")
        check(json.loads(sub.got[2].payload)["sensor_id"] == "k9", "the Kafka reading's alert")
        t0 = time.time()
        pub.publish("sensors/s4/reading", json.dumps({"value": 6.0, "ts": now}), qos=1)
        check(sub.wait_for(4, timeout=10), "one more alert")
        check(time.time() - t0 < 2.0, "pushed promptly (%.0f ms)" % ((time.time() - t0) * 1000))
        sub.close()
        pub.close()


def raw_session(port, cid, qos):
    """A raw 3.1.1 client with clean session 0 subscribed to inflight/#."""
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(packet(0x10, enc_str("MQTT") + bytes([4, 0]) + b"\x00\x3c" + enc_str(cid)))
    return s


def resend_test(tmp):
    """Unacknowledged deliveries go again on reconnect: same packet ids,
    DUP set, QoS 1 and 2; a PUBREC'd QoS 2 one gets its PUBREL again and is
    not published twice."""
    with MqttServer(data=os.path.join(tmp, "resend")) as srv:
        port = srv.mqtt_port
        s = raw_session(port, "raw-gw", 2)
        first = read_packets(s, 1)
        check(first[0][0] == 0x20, "CONNACK")
        s.sendall(packet(0x82, b"\x00\x01" + enc_str("inflight/#") + b"\x02"))
        check(read_packets(s, 1)[0][0] == 0x90, "SUBACK")
        check(publish_all(port, "inflight/a", ["one", "two", "three"], qos=2), "3 published")
        pubs = read_packets(s, 3)
        check([p[0] for p in pubs] == [0x34] * 3, "3 QoS 2 PUBLISH, no DUP: %r" % [hex(p[0]) for p in pubs])
        pids = [p[1][2 + 10:2 + 10 + 2] for p in pubs]  # topic "inflight/a" is 10 bytes
        s.sendall(packet(0x50, pids[0]))  # PUBREC the first only
        rel = read_packets(s, 1)
        check(rel[0][0] == 0x62 and rel[0][1] == pids[0], "PUBREL for the first")
        s.close()  # gone without PUBCOMP, the other two unacknowledged
        time.sleep(0.3)
        s = raw_session(port, "raw-gw", 2)
        got = read_packets(s, 4)
        check(got[0][0] == 0x20 and got[0][1][0] == 1, "session present")
        check(got[1][0] == 0x62 and got[1][1] == pids[0], "PUBREL sent again for the received one")
        again = got[2:]
        check([p[0] for p in again] == [0x3c, 0x3c], "the other two again with DUP: %r" % [hex(p[0]) for p in again])
        check([p[1][12:14] for p in again] == pids[1:], "with their packet ids")
        check([p[1][14:] for p in again] == [b"two", b"three"], "and their payloads")
        s.close()


def window_test(tmp):
    """Receive Maximum is the prefetch: an MQTT 5 subscriber announcing 2
    has at most 2 unacknowledged deliveries; each PUBACK lets one more go."""
    import socket
    with MqttServer(data=os.path.join(tmp, "window")) as srv:
        port = srv.mqtt_port
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        props = b"\x03\x21\x00\x02"  # 3 bytes: Receive Maximum = 2
        s.sendall(packet(0x10, enc_str("MQTT") + bytes([5, 2]) + b"\x00\x3c" + props + enc_str("slow5")))
        check(read_packets(s, 1)[0][0] == 0x20, "v5 CONNACK")
        s.sendall(packet(0x82, b"\x00\x01\x00" + enc_str("win/#") + b"\x01"))
        check(read_packets(s, 1)[0][0] == 0x90, "SUBACK")
        check(publish_all(port, "win/x", ["w%d" % i for i in range(10)]), "10 published")
        got = read_packets(s, 3, timeout=1.0)
        check(len(got) == 2, "only 2 delivered while unacknowledged (%d)" % len(got))
        for i in range(8):
            # the oldest unacknowledged: topic "win/x" (2 + 5), packet id
            s.sendall(packet(0x40, got[-2][1][7:9]))
            more = read_packets(s, 2, timeout=1.0)
            check(len(more) == 1, "one PUBACK, one more delivery (%d)" % len(more))
            got = [got[-1], more[0]]
        payloads = got[-1][1][10:]
        check(payloads == b"w9", "in order to the last (%r)" % payloads)
        s.close()


def main():
    with tempfile.TemporaryDirectory(prefix="rill-mqtt-") as tmp:
        window_test(tmp)
        resend_test(tmp)
        try:
            crash_test(tmp)
        finally:
            # A failed check exits through here: stop what crash_test started.
            for srv in STARTED:
                if srv.alive():
                    srv.kill()
        query_test(tmp)


if __name__ == "__main__":
    main()
