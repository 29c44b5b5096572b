"""test_mqtt_acl.py - Kafka's ACLs on the MQTT listener (issue 16).

With users required and ACLs on, an MQTT PUBLISH needs WRITE on the log
topic its MQTT topic maps to, and a subscription reads only the log topics
the user may READ (refused when it may read none of them):
  - alice (WRITE on temps) publishes; bob (READ only) is refused: MQTT
    3.1.1 closes the connection, MQTT 5 answers PUBACK 0x87 (not
    authorized) and DISCONNECT 0x87 for QoS 0; nothing is stored;
  - bob's `plant/#` reads temps (allowed) and skips the default topic
    `mqtt` (not allowed); alice's `plant/#` is refused (SUBACK 0x80);
    alice's `alerts/#` reads `alerts`; a super user reads everything;
  - a will to a topic its user may not write is not published;
  - a DENY added with `rill acls` while the server runs applies to the
    next publish.

Run: /usr/bin/python3 tests/integration/test_mqtt_acl.py
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

import paho.mqtt.client as mqtt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mqttlib import MqttServer, enc_str, packet, read_packets, closed_by_peer  # noqa: E402
from rilltest import check, rill  # noqa: E402


def acl(data, *args):
    rill("acls", "add", "--allow", *args, data=data)


def pub(port, user, topic, msg, qos=1, extra=()):
    return subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-u", user, "-P", user + "-pw",
                           "-t", topic, "-m", msg, "-q", str(qos)] + list(extra),
                          capture_output=True, timeout=20)


def kcat_values(bootstrap, topic):
    k = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                        "-f", "%s\n"], capture_output=True, text=True, timeout=30)
    return k.stdout.split()


class Sub:
    """A paho 3.1.1 subscriber with a user name; granted QoS per filter."""

    def __init__(self, port, user, cid, will=None):
        self.got, self.granted = [], None
        self.c = mqtt.Client(client_id=cid, clean_session=True, protocol=mqtt.MQTTv311)
        self.c.username_pw_set(user, user + "-pw")
        if will:
            self.c.will_set(*will)
        self.c.on_message = lambda c, u, m: self.got.append(m.payload.decode())
        self.c.on_subscribe = lambda c, u, mid, granted: setattr(self, "granted", list(granted))
        self.c.connect("127.0.0.1", port, keepalive=30)
        self.c.loop_start()

    def subscribe(self, topic):
        self.granted = None
        self.c.subscribe(topic, 1)
        deadline = time.time() + 10
        while self.granted is None and time.time() < deadline:
            time.sleep(0.02)
        return self.granted

    def wait(self, n, timeout=10):
        deadline = time.time() + timeout
        while len(self.got) < n and time.time() < deadline:
            time.sleep(0.02)
        return list(self.got)

    def close(self, clean=True):
        if clean:
            self.c.disconnect()
        self.c.loop_stop()


def v5_connect(port, user):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    body = (enc_str("MQTT") + bytes([5, 0xC2]) + struct.pack(">H", 30) + b"\x00" + enc_str("v5-" + user)
            + enc_str(user) + enc_str(user + "-pw"))
    s.sendall(packet(0x10, body))
    pk = read_packets(s, 1)
    return s, pk


def v5_publish(topic, payload, qos, pid=1):
    body = enc_str(topic) + (struct.pack(">H", pid) if qos else b"") + b"\x00" + payload
    return packet(0x30 | (qos << 1), body)


def main():
    tmp = tempfile.TemporaryDirectory(prefix="rill-mqtt-acl-")
    data = os.path.join(tmp.name, "data")
    os.mkdir(data)
    for u in ("alice", "bob", "admin"):
        rill("users", "add", u, data=data, input=u + "-pw\n")
    acl(data, "--principal", "User:alice", "--operation", "WRITE", "--topic", "temps")
    acl(data, "--principal", "User:alice", "--operation", "READ", "--topic", "alerts")
    acl(data, "--principal", "User:bob", "--operation", "READ", "--topic", "temps")
    # The Kafka listener is plaintext here: kcat is User:ANONYMOUS.
    acl(data, "--principal", "User:ANONYMOUS", "--operation", "ALL", "--topic", "*")
    acl(data, "--principal", "User:ANONYMOUS", "--operation", "CREATE", "--cluster")
    srv = MqttServer(data=data, extra=["--set", "mqtt.authentication.required=true",
                                       "--set", "rill.acls.enable=true", "--set", "super.users=User:admin",
                                       "--set", "mqtt.map.a=plant/+line/temp -> temps key=line"])
    with srv:
        port = srv.mqtt_port
        subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "alerts"], input=b"first\n",
                       capture_output=True, timeout=30, check=True)
        bob = Sub(port, "bob", "bob-sub")
        check(bob.subscribe("plant/#") == [1], "bob's plant/# is granted (he may read temps)")
        admin = Sub(port, "admin", "admin-sub")
        check(admin.subscribe("plant/#") == [1], "a super user's plant/# is granted")
        alice = Sub(port, "alice", "alice-sub")
        check(alice.subscribe("plant/#") == [128], "alice's plant/# is refused: she may read none of "
              "its log topics (%s)" % alice.granted)
        check(alice.subscribe("alerts/#") == [1], "alice's alerts/# is granted")
        time.sleep(0.3)

        p = pub(port, "alice", "plant/l1/temp", "a1")
        check(p.returncode == 0, "alice may publish to plant/l1/temp -> temps (%r)" % p.stderr[-200:])
        p = pub(port, "alice", "plant/other", "a2")
        check(p.returncode != 0, "alice may not publish to plant/other -> the default topic mqtt")
        p = pub(port, "bob", "plant/l1/temp", "b1")
        check(p.returncode != 0, "bob may not publish (3.1.1: the connection closes) (%r)" % p.stdout)
        check("User:bob may not WRITE log topic temps" in srv.output(), "the refusal is logged")
        p = pub(port, "admin", "plant/other", "x1")
        check(p.returncode == 0, "the super user publishes to plant/other -> mqtt")
        subprocess.run(["kcat", "-b", srv.bootstrap, "-P", "-t", "alerts"], input=b"hot\n",
                       capture_output=True, timeout=30, check=True)

        check(bob.wait(1) == ["a1"], "bob receives alice's reading from temps (%s)" % bob.got)
        time.sleep(0.5)
        check(bob.got == ["a1"], "and not x1, in the default topic he may not read (%s)" % bob.got)
        check(sorted(admin.wait(2)) == ["a1", "x1"], "the super user receives both (%s)" % admin.got)
        check(alice.wait(1) == ["hot"], "alice receives the alert (%s)" % alice.got)
        check(kcat_values(srv.bootstrap, "temps") == ["a1"], "only alice's reading is stored")

        # MQTT 5: reason codes.
        s, pk = v5_connect(port, "bob")
        check(pk and pk[0][0] == 0x20 and pk[0][1][1] == 0, "bob connects with MQTT 5 (%s)" % pk)
        s.sendall(v5_publish("plant/l2/temp", b"b5", 1, pid=7))
        pk = read_packets(s, 1)
        check(pk and pk[0][0] == 0x40 and pk[0][1][:3] == b"\x00\x07\x87",
              "MQTT 5 QoS 1: PUBACK with reason 0x87 not authorized (%s)" % pk)
        s.sendall(v5_publish("plant/l2/temp", b"b6", 2, pid=8))
        pk = read_packets(s, 1)
        check(pk and pk[0][0] == 0x50 and pk[0][1][:3] == b"\x00\x08\x87",
              "MQTT 5 QoS 2: PUBREC with reason 0x87 (%s)" % pk)
        s.sendall(v5_publish("plant/l2/temp", b"b7", 0))
        pk = read_packets(s, 1)
        check(pk and pk[0][0] == 0xE0 and pk[0][1][:1] == b"\x87",
              "MQTT 5 QoS 0: DISCONNECT 0x87 (%s)" % pk)
        check(closed_by_peer(s), "and the connection closes")
        s.close()
        check(kcat_values(srv.bootstrap, "temps") == ["a1"], "nothing of bob's stored")

        # A will to a topic its user may not write is not published.
        w = Sub(port, "bob", "bob-will", will=("plant/l9/temp", "will", 1))
        time.sleep(0.3)
        w.c.loop_stop()
        w.c.socket().close()  # no DISCONNECT: the will is due
        time.sleep(1.0)
        check("plant/l9/temp'); publish refused" in srv.output(), "bob's will is refused (logged)")
        check("a1" in admin.got and "will" not in admin.got, "and not published (%s)" % admin.got)

        # A DENY added while the server runs applies within a second.
        rill("acls", "add", "--deny", "--principal", "User:alice", "--operation", "WRITE", "--topic", "temps",
             data=data)
        time.sleep(1.5)
        p = pub(port, "alice", "plant/l1/temp", "a3")
        check(p.returncode != 0, "after the DENY alice's publish is refused")
        check(kcat_values(srv.bootstrap, "temps") == ["a1"], "and not stored")
        for c in (bob, admin, alice):
            c.close()
        check(srv.alive(), "server alive")


if __name__ == "__main__":
    main()
