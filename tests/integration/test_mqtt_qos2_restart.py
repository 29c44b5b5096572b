"""test_mqtt_qos2_restart.py - QoS 2 stays exactly once across a kill -9 of
`rill serve` for persistent sessions (raw MQTT 3.1.1 packets, so the test
decides when each acknowledgement goes):

- inbound: PUBLISH id 7 -> PUBREC; kill -9; the client resends id 7 with
  DUP: PUBREC again, not stored twice; PUBREL -> PUBCOMP; kill -9; a new
  message with id 7 is stored (the id was freed durably);
- outbound: a QoS 2 delivery left without PUBREC is resent after a kill -9
  with the same packet id and DUP, never as a new message; after its
  PUBREC the PUBREL comes, and after PUBCOMP nothing more;
- shared subscriptions ($share/g/...), two persistent members at QoS 2:
  after a kill -9 each member gets its own unacknowledged delivery again
  (same packet id, DUP) and the PUBREL of what it received; nothing is
  delivered as new twice, nothing is handed to the other member, and the
  group goes on with the next message.
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

        # ---- shared subscription, two persistent members
        members = {}
        for cid in ("member-1", "member-2"):
            m, _ = connect(srv.mqtt_port, cid)
            m.sendall(packet(0x82, struct.pack(">H", 1) +
                             enc_str("$share/g/sh/#") + b"\x02"))
            (first, body), = read_packets(m, 1)
            check(first == 0x90 and body[2] == 2, "%s: SUBACK QoS 2" % cid)
            members[cid] = m
        pub, _ = connect(srv.mqtt_port, "dev-3")
        for i in range(4):
            pub.sendall(packet(0x32, enc_str("sh/%d" % i) +
                               struct.pack(">H", 10 + i) + b"s%d" % i))
            read_packets(pub, 1)
        pub.close()
        got = {}
        for cid, m in members.items():
            got[cid] = [parse_publish(*p) for p in read_packets(m, 2, timeout=5)]
        seen = sorted(x[3] for v in got.values() for x in v)
        check(seen == [b"s0", b"s1", b"s2", b"s3"] and
              all(len(v) == 2 for v in got.values()),
              "the group spread 4 messages over its 2 members: %s" % got)
        # Per member: the first left without PUBREC, the second PUBREC'd
        # (its PUBREL came); member-2 also completes its second.
        for cid, m in members.items():
            _, pid_b, _, _ = got[cid][1]
            m.sendall(ack(0x50, pid_b))
            (first, body), = read_packets(m, 1)
            check(first == 0x62 and struct.unpack(">H", body[:2])[0] == pid_b,
                  "%s: PUBREL after PUBREC" % cid)
            if cid == "member-2":
                m.sendall(ack(0x70, pid_b))
        time.sleep(0.3)
        srv.kill()
        for m in members.values():
            m.close()
        srv.start()
        for cid in ("member-1", "member-2"):
            m, present = connect(srv.mqtt_port, cid)
            check(present == 1, "%s: the session survived" % cid)
            members[cid] = m
            pkts = read_packets(m, 3, timeout=3)
            pubs = [parse_publish(*p) for p in pkts if p[0] >> 4 == 3]
            rels = [struct.unpack(">H", p[1][:2])[0] for p in pkts
                    if p[0] == 0x62]
            (_, pid_a, _, pay_a), (_, pid_b, _, _) = got[cid]
            check(len(pubs) == 1 and pubs[0][1] == pid_a and pubs[0][2] and
                  pubs[0][3] == pay_a,
                  "%s: its unacknowledged delivery again, same id %d, DUP "
                  "(%s)" % (cid, pid_a, pubs))
            if cid == "member-1":
                check(rels == [pid_b], "member-1: PUBREL for what it "
                      "received (%s)" % rels)
            else:
                check(rels in ([], [pid_b]), "member-2: at most a PUBREL "
                      "for the completed one (%s)" % rels)
            m.sendall(ack(0x50, pid_a))
            for p in read_packets(m, 2, timeout=2):
                if p[0] == 0x62:
                    m.sendall(ack(0x70, struct.unpack(">H", p[1][:2])[0]))
            for r in rels:
                m.sendall(ack(0x70, r))
        pub, _ = connect(srv.mqtt_port, "dev-3")
        pub.sendall(packet(0x32, enc_str("sh/4") + struct.pack(">H", 20) +
                           b"s4"))
        read_packets(pub, 1)
        pub.close()
        later = []
        for m in members.values():
            later += [parse_publish(*p) for p in read_packets(m, 1, timeout=2)]
        check([(x[3], x[2]) for x in later] == [(b"s4", False)],
              "the next message goes to one member, as new: %s" % later)
        for m in members.values():
            m.close()
    finally:
        print(srv.output()[-1500:])
        srv.stop()
        if srv.tmp is not None:
            srv.tmp.cleanup()
    print("test_mqtt_qos2_restart: ok")


if __name__ == "__main__":
    main()
