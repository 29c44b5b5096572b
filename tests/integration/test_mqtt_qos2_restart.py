"""test_mqtt_qos2_restart.py - QoS 2 stays exactly once across a kill -9 of
`rill serve` for persistent sessions (raw MQTT 3.1.1 packets, so the test
decides when each acknowledgement goes):

- inbound: PUBLISH id 7 -> PUBREC; kill -9; the client resends id 7 with
  DUP: PUBREC again, not stored twice; PUBREL -> PUBCOMP; kill -9; a new
  message with id 7 is stored (the id was freed durably);
- outbound: a QoS 2 delivery left without PUBREC is resent after a kill -9
  with the same packet id and DUP, never as a new message; after its
  PUBREC the PUBREL comes, and after PUBCOMP nothing more.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import check  # noqa: E402
from mqttlib import MqttServer, enc_str, kcat_read, packet, read_packets  # noqa: E402


def connect(port, cid):
    """MQTT 3.1.1 CONNECT with clean session 0; returns (socket, session present)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    body = enc_str("MQTT") + bytes([4, 0x00]) + struct.pack(">H", 60) + enc_str(cid)
    s.sendall(packet(0x10, body))
    ack = b""
    while len(ack) < 4:  # exactly the CONNACK: what follows is the test's
        d = s.recv(4 - len(ack))
        check(d, "CONNACK for %s" % cid)
        ack += d
    check(ack[0] == 0x20 and ack[3] == 0, "CONNACK for %s" % cid)
    return s, ack[2] & 1


def publish(s, topic, payload, pid, dup=False):
    first = 0x30 | 0x04 | (0x08 if dup else 0)
    s.sendall(packet(first, enc_str(topic) + struct.pack(">H", pid) + payload))


def ack(kind, pid):
    return packet(kind, struct.pack(">H", pid))


def parse_publish(first, body):
    n = struct.unpack(">H", body[:2])[0]
    topic = body[2:2 + n].decode()
    qos = (first >> 1) & 3
    pid = struct.unpack(">H", body[2 + n:4 + n])[0] if qos else None
    payload = body[4 + n:] if qos else body[2 + n:]
    return topic, pid, bool(first & 0x08), payload


def main():
    srv = MqttServer(extra=["--set", "mqtt.map.a=in/# -> inbox"])
    srv.start()
    try:
        # ---- inbound
        c, _ = connect(srv.mqtt_port, "dev-1")
        publish(c, "in/a", b"first", 7)
        (first, body), = read_packets(c, 1)
        check(first == 0x50 and body[:2] == b"\x00\x07", "PUBREC for id 7")
        srv.kill()
        c.close()
        srv.start()
        c, present = connect(srv.mqtt_port, "dev-1")
        check(present == 1, "the session survived the kill -9")
        publish(c, "in/a", b"first", 7, dup=True)
        (first, body), = read_packets(c, 1)
        check(first == 0x50 and body[:2] == b"\x00\x07",
              "the resent id 7 gets its PUBREC again")
        c.sendall(ack(0x62, 7))
        (first, body), = read_packets(c, 1)
        check(first == 0x70 and body[:2] == b"\x00\x07", "PUBREL -> PUBCOMP")
        srv.kill()
        c.close()
        srv.start()
        c, _ = connect(srv.mqtt_port, "dev-1")
        publish(c, "in/a", b"second", 7)
        (first, body), = read_packets(c, 1)
        check(first == 0x50, "a new message with the freed id 7: PUBREC")
        c.sendall(ack(0x62, 7))
        read_packets(c, 1)
        c.close()
        values = kcat_read(srv.bootstrap, "inbox", fmt="%s\n").split()
        check(values == ["first", "second"],
              "the log holds each message once: %s" % values)

        # ---- outbound
        sub, _ = connect(srv.mqtt_port, "gw-1")
        sub.sendall(packet(0x82, struct.pack(">H", 1) + enc_str("in/#") + b"\x02"))
        (first, body), = read_packets(sub, 1)
        check(first == 0x90 and body[2] == 2, "SUBACK QoS 2")
        pub, _ = connect(srv.mqtt_port, "dev-2")
        publish(pub, "in/b", b"alert-1", 1)
        read_packets(pub, 1)
        pub.sendall(ack(0x62, 1))
        read_packets(pub, 1)
        pub.close()
        (first, body), = read_packets(sub, 1)
        topic, pid, dup, payload = parse_publish(first, body)
        check(topic == "in/b" and payload == b"alert-1" and not dup,
              "delivered at QoS 2 with id %s" % pid)
        # No PUBREC: the delivery is in flight when rill dies.
        srv.kill()
        sub.close()
        srv.start()
        sub, present = connect(srv.mqtt_port, "gw-1")
        check(present == 1, "the subscriber's session survived")
        got = read_packets(sub, 2, timeout=3)
        check(len(got) == 1, "one packet after the restart (%d)" % len(got))
        t2, pid2, dup2, p2 = parse_publish(*got[0])
        check(pid2 == pid and dup2 and p2 == b"alert-1",
              "resent with the same packet id and DUP (%s %s)" % (pid2, dup2))
        sub.sendall(ack(0x50, pid))
        (first, body), = read_packets(sub, 1)
        check(first == 0x62 and struct.unpack(">H", body[:2])[0] == pid,
              "PUBREL for the PUBREC")
        sub.sendall(ack(0x70, pid))
        time.sleep(0.3)
        srv.stop()
        sub.close()
        srv.start()
        sub, _ = connect(srv.mqtt_port, "gw-1")
        extra = read_packets(sub, 1, timeout=2)
        check(extra == [], "nothing delivered again after PUBCOMP: %s" % extra)
        sub.close()
    finally:
        print(srv.output()[-1500:])
        srv.stop()
        if srv.tmp is not None:
            srv.tmp.cleanup()
    print("test_mqtt_qos2_restart: ok")


if __name__ == "__main__":
    main()
