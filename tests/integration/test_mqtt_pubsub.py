"""test_mqtt_pubsub.py - MQTT in `rill serve` with real clients (paho-mqtt
3.1.1 and 5, mosquitto_pub/_sub, kcat): QoS 0/1/2 into the log with the
topic mapping (key and JSON fields from topic levels), user properties as
record headers and back, Kafka in -> MQTT out, retained messages, last
will, shared subscriptions, keep-alive, and bad input that closes only
its own connection.
"""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import check  # noqa: E402
from mqttlib import (Client, MqttServer, closed_by_peer, enc_str, kcat_read,  # noqa: E402
                     packet, publish_all, raw_connect, PacketTypes, Properties)

MAP = "mqtt.map.a=factory/+machine/+sensor/reading -> readings key=sensor fields=json"


def main():
    with MqttServer(extra=["--set", MAP, "--set", "mqtt.max.packet.bytes=4096"]) as srv:
        port = srv.mqtt_port

        # --- QoS 0/1/2 in, mapped, pushed to a wildcard subscriber ---------
        sub = Client(port, cid="sub1")
        sub.subscribe("factory/#", qos=2)
        pub = Client(port, cid="pub1")
        for q in (0, 1, 2):
            pub.publish("factory/m1/s%d/reading" % q, '{"v":%d}' % q, qos=q).wait_for_publish(10)
        pub.publish("factory/unmapped", "plain", qos=1).wait_for_publish(10)
        check(sub.wait_for(4), "subscriber got 4 messages")
        got = sorted(sub.payloads())
        check(got == sorted(['{"machine":"m1","sensor":"s0","v":0}',
                             '{"machine":"m1","sensor":"s1","v":1}',
                             '{"machine":"m1","sensor":"s2","v":2}', "plain"]),
              "payloads carry the captured levels as JSON fields: %r" % got)
        topics = sorted(m.topic for m in sub.got)
        check(topics[0] == "factory/m1/s0/reading" and topics[-1] == "factory/unmapped",
              "messages keep their MQTT topic names")
        out = kcat_read(srv.bootstrap, "readings")
        lines = sorted(out.strip().splitlines())
        check(len(lines) == 3 and lines[0].startswith("s0|") and
              "mqtt.topic=factory/m1/s0/reading" in lines[0] and "machine=m1" in lines[0],
              "Kafka consumer reads mapped records with key = sensor: %r" % lines)
        out = kcat_read(srv.bootstrap, "mqtt")
        check("factory/unmapped|plain|" in out, "unmapped topic goes to the default topic")

        # --- MQTT 5 user properties -> headers -> user properties -----------
        v5 = Client(port, cid="v5sub", v5=True)
        v5.subscribe("props/#", qos=1)
        pp = Properties(PacketTypes.PUBLISH)
        pp.UserProperty = ("site", "north")
        v5.publish("props/x", "with-props", qos=1, props=pp).wait_for_publish(10)
        check(v5.wait_for(1), "v5 subscriber got the message")
        ups = getattr(v5.got[0].properties, "UserProperty", [])
        check(("site", "north") in ups, "user property round trip: %r" % ups)
        check("site=north" in kcat_read(srv.bootstrap, "mqtt"), "user property is a record header")

        # --- Kafka in -> MQTT out --------------------------------------------
        ksub = Client(port, cid="ksub")
        ksub.subscribe("alerts/#", qos=1)
        p = subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "alerts", "-K:"],
                           input="k1:hot\nk2:cold\n", text=True, timeout=20)
        check(p.returncode == 0, "kcat produced to alerts")
        check(ksub.wait_for(2, timeout=10), "Kafka records pushed to the MQTT subscriber")
        check(sorted(ksub.payloads()) == ["cold", "hot"] and ksub.got[0].topic == "alerts",
              "topic of a Kafka record is its log topic name")

        # --- retained ---------------------------------------------------------
        publish_all(port, "status/r1", ["online"], qos=1)
        pub.publish("status/r2", "busy", qos=1, retain=True).wait_for_publish(10)
        pub.publish("status/r3", "gone", qos=1, retain=True).wait_for_publish(10)
        pub.publish("status/r3", "", qos=1, retain=True).wait_for_publish(10)  # delete
        late = Client(port, cid="late")
        late.subscribe("status/#", qos=1)
        check(late.wait_for(1, timeout=5), "late subscriber got a retained message")
        time.sleep(0.3)
        check([(m.topic, m.payload, m.retain) for m in late.got] == [("status/r2", b"busy", 1)],
              "only the retained, not deleted, message, with the retain flag: %r" %
              [(m.topic, m.payload) for m in late.got])
        r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t",
                            "status/+", "-C", "1", "-W", "5", "-v"],
                           capture_output=True, text=True, timeout=10)
        check(r.stdout.strip() == "status/r2 busy", "mosquitto_sub sees the retained message")

        # --- last will ---------------------------------------------------------
        wsub = Client(port, cid="wsub")
        wsub.subscribe("wills/#", qos=1)
        w = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t",
                              "nothing", "-i", "dying", "--will-topic", "wills/dying",
                              "--will-payload", "offline", "--will-qos", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        w.send_signal(signal.SIGKILL)
        w.wait()
        check(wsub.wait_for(1, timeout=5) and wsub.payloads() == ["offline"],
              "the will of a killed client is published")
        clean = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t",
                                "x/y", "-m", "m", "--will-topic", "wills/clean",
                                "--will-payload", "no"], timeout=10)
        time.sleep(0.5)
        check(clean.returncode == 0 and wsub.payloads() == ["offline"],
              "no will after a clean DISCONNECT")

        # --- mosquitto_pub QoS 1 and 2 ----------------------------------------
        msub = Client(port, cid="msub")
        msub.subscribe("mosq/#", qos=2)
        for q in ("1", "2"):
            r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t",
                                "mosq/q" + q, "-m", "m" + q, "-q", q], timeout=10)
            check(r.returncode == 0, "mosquitto_pub -q %s acknowledged" % q)
        check(msub.wait_for(2) and sorted(msub.payloads()) == ["m1", "m2"],
              "mosquitto_pub messages delivered once each")
        check(sorted(m.qos for m in msub.got) == [2, 2], "delivered at the granted QoS 2")

        # --- shared subscriptions ---------------------------------------------
        a = Client(port, cid="ga", v5=True)
        b = Client(port, cid="gb")
        a.subscribe("$share/g/jobs/#", qos=1)
        b.subscribe("$share/g/jobs/#", qos=1)
        check(publish_all(port, "jobs/x", ["j%d" % i for i in range(40)]), "40 jobs acknowledged")
        deadline = time.time() + 10
        while time.time() < deadline and len(a.got) + len(b.got) < 40:
            time.sleep(0.05)
        time.sleep(0.3)
        union = a.payloads() + b.payloads()
        check(sorted(union) == sorted("j%d" % i for i in range(40)),
              "each job delivered to exactly one member (%d + %d)" % (len(a.got), len(b.got)))
        check(len(a.got) > 0 and len(b.got) > 0, "both members got jobs")

        # --- bad input closes only its own connection --------------------------
        s, ack = raw_connect(port)
        check(ack == b"\x20\x02\x00\x00", "raw CONNECT accepted")
        s.sendall(b"\x30\xff\xff\xff\xff\x01")  # remaining length of 5 bytes
        check(closed_by_peer(s), "malformed remaining length closes the connection")
        s, _ = raw_connect(port, "raw2")
        s.sendall(packet(0x30, enc_str("bad/+/topic") + b"x"))
        check(closed_by_peer(s), "a wildcard in a PUBLISH topic name closes the connection")
        s, _ = raw_connect(port, "raw3")
        s.sendall(packet(0x30, enc_str("big") + b"x" * 5000))
        check(closed_by_peer(s), "a packet over mqtt.max.packet.bytes closes the connection")
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(packet(0xC0, b""))  # PINGREQ before CONNECT
        check(closed_by_peer(s), "a packet before CONNECT closes the connection")
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(packet(0x10, enc_str("MQTT") + bytes([3, 2, 0, 30]) + enc_str("old")))
        check(s.recv(4) == b"\x20\x02\x00\x01", "protocol level 3 refused with CONNACK 1")
        s.close()
        # keep-alive: a raw client that stays silent past 1.5 x 1 s is closed
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(packet(0x10, enc_str("MQTT") + bytes([4, 2, 0, 1]) + enc_str("sleepy")))
        s.recv(4)
        t0 = time.time()
        check(closed_by_peer(s, 6) and time.time() - t0 < 5, "keep-alive timeout closes")

        pub.publish("factory/m9/s9/reading", '{"v":9}', qos=1).wait_for_publish(10)
        check(sub.wait_for(5), "the other clients still work")
        sub.c.unsubscribe("factory/#")
        time.sleep(0.3)
        pub.publish("factory/m9/s8/reading", '{"v":8}', qos=1).wait_for_publish(10)
        time.sleep(0.5)
        check(len(sub.got) == 5, "nothing delivered after UNSUBSCRIBE (%d)" % len(sub.got))
        for c in (sub, pub, v5, ksub, late, wsub, msub, a, b):
            c.close()
        check(srv.alive(), "server still running")
        rc = srv.stop()
        check(rc == 0, "clean shutdown")


if __name__ == "__main__":
    main()
