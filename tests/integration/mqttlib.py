"""mqttlib.py - helpers for the MQTT integration tests: a `rill serve` with
an MQTT listener, paho-mqtt clients that collect what they receive, and a
few raw-socket packets for the malformed-input checks.
"""
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, free_port, wait_port  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402


class MqttServer(Server):
    """`rill serve` with --mqtt-listen on its own free port."""

    def __init__(self, data=None, extra=(), env=None, mqtt_port=None):
        self.mqtt_port = mqtt_port or free_port()
        super().__init__(data=data, extra=list(extra) + [
            "--mqtt-listen", "127.0.0.1:%d" % self.mqtt_port], env=env)

    def start(self, timeout=10.0):
        super().start(timeout)
        wait_port(self.mqtt_port, timeout, self.proc)
        return self


class Client:
    """A paho client on a background loop; messages land in self.got."""

    def __init__(self, port, cid="", v5=False, clean=True, delay=0.0,
                 session_expiry=None, will=None):
        self.v5 = v5
        self.got = []
        self.lock = threading.Lock()
        self.delay = delay
        self.connected = threading.Event()
        self.subacked = threading.Event()
        self.rc = None
        self.session_present = None
        if v5:
            self.c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv5)
        else:
            self.c = mqtt.Client(client_id=cid, clean_session=clean,
                                 protocol=mqtt.MQTTv311)
        self.c.on_message = self._on_message
        self.c.on_connect = self._on_connect
        self.c.on_subscribe = lambda *a: self.subacked.set()
        if will:
            self.c.will_set(*will)
        props = None
        kw = {}
        if v5:
            kw["clean_start"] = clean
            if session_expiry is not None:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = session_expiry
            kw["properties"] = props
        self.c.connect("127.0.0.1", port, keepalive=30, **kw)
        self.c.loop_start()
        if not self.connected.wait(10):
            raise RuntimeError("no CONNACK")

    def _on_connect(self, c, userdata, flags, rc, *rest):
        self.rc = rc
        self.session_present = flags.get("session present")
        self.connected.set()

    def _on_message(self, c, userdata, msg):
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.got.append(msg)

    def subscribe(self, topic, qos=1):
        self.subacked.clear()
        self.c.subscribe(topic, qos)
        if not self.subacked.wait(10):
            raise RuntimeError("no SUBACK")

    def payloads(self):
        with self.lock:
            return [m.payload.decode() for m in self.got]

    def wait_for(self, n, timeout=15.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.got) >= n:
                    return True
            time.sleep(0.02)
        return False

    def publish(self, topic, payload, qos=1, retain=False, props=None):
        info = self.c.publish(topic, payload, qos=qos, retain=retain,
                              properties=props)
        return info

    def close(self):
        try:
            self.c.disconnect()
        except Exception:
            pass
        self.c.loop_stop()


def publish_all(port, topic, payloads, qos=1, v5=False):
    """Publishes and waits until every message is acknowledged."""
    c = Client(port, v5=v5)
    infos = [c.publish(topic, p, qos=qos) for p in payloads]
    for i in infos:
        i.wait_for_publish(10)
    ok = all(i.is_published() for i in infos)
    c.close()
    return ok


def kcat_read(bootstrap, topic, fmt="%k|%s|%h\n", timeout=20):
    p = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-e",
                        "-q", "-f", fmt], capture_output=True, text=True,
                       timeout=timeout)
    return p.stdout


def enc_str(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def packet(first, body):
    n = len(body)
    rl = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        rl += bytes([byte | (0x80 if n else 0)])
        if not n:
            break
    return bytes([first]) + rl + body


def raw_connect(port, cid="raw"):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    body = enc_str("MQTT") + bytes([4, 0x02]) + struct.pack(">H", 30) + enc_str(cid)
    s.sendall(packet(0x10, body))
    ack = s.recv(4)
    return s, ack


def closed_by_peer(s, timeout=5.0):
    s.settimeout(timeout)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def read_packets(s, n, timeout=5.0):
    """Reads n whole packets from a raw socket: [(first byte, body)]."""
    s.settimeout(timeout)
    buf = b""
    out = []
    while len(out) < n:
        # parse what is buffered
        while len(buf) >= 2:
            mult, rl, i = 1, 0, 1
            while True:
                if i >= len(buf):
                    break
                b = buf[i]
                rl += (b & 0x7F) * mult
                mult *= 128
                i += 1
                if not b & 0x80:
                    break
            if i >= len(buf) and (buf[i - 1] & 0x80):
                break
            if len(buf) < i + rl:
                break
            out.append((buf[0], buf[i:i + rl]))
            buf = buf[i + rl:]
            if len(out) == n:
                return out
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
    return out
