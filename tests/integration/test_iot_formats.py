"""test_iot_formats.py - the IoT payload formats end to end in `rill serve`:
Sparkplug B payloads published over MQTT (paho) into rill's own listener,
SenML CBOR packs and InfluxDB line protocol produced over Kafka, read by
SQL streams (format = 'sparkplug' | 'senml-cbor' | 'influx'); and line
protocol out: a query's rows written by a file sink (file.format =
'influx') and posted by a webhook sink (webhook.format = 'influx') to an
HTTP server standing in for InfluxDB's write API.
"""
import glob
import http.server
import json
import os
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import check, free_port, rill  # noqa: E402
from mqttlib import Client, MqttServer  # noqa: E402

from confluent_kafka import Producer  # noqa: E402


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def fld(num, wire, payload):
    k = varint(num << 3 | wire)
    if wire == 0:
        return k + varint(payload)
    if wire == 2:
        return k + varint(len(payload)) + payload
    return k + payload


def sparkplug(ts, seq, metrics):
    p = fld(1, 0, ts)
    for name, dt, value in metrics:
        m = fld(1, 2, name.encode()) + fld(4, 0, dt)
        if dt == 10:
            m += fld(13, 1, struct.pack("<d", value))
        elif dt == 3:
            m += fld(10, 0, value & 0xFFFFFFFF)
        elif dt == 11:
            m += fld(14, 0, int(value))
        p += fld(2, 2, m)
    return p + fld(3, 0, seq)


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    return bytes([major << 5 | 25]) + struct.pack(">H", n)


def cbor(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x)
                                               for k, x in v.items())


posted = []


class Influx(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        posted.append((self.path, self.headers.get("Content-Type"),
                       self.rfile.read(n).decode()))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def select(data, sql, timeout=20):
    r = rill("sql", data=data, input=sql, timeout=timeout)
    return [json.loads(line) for line in r.stdout.splitlines()
            if line.startswith("{")]


def main():
    web_port = free_port()
    web = http.server.ThreadingHTTPServer(("127.0.0.1", web_port), Influx)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    out = tempfile.mkdtemp(prefix="rill-lp-")
    srv = MqttServer(extra=["--set", "mqtt.map.a=spBv1.0/+group/DDATA/+node/"
                            "+device -> plant key=device"])
    srv.start()
    try:
        setup = """
CREATE STREAM plant (name STRING, ts TIMESTAMP(3), datatype INT, value DOUBLE,
  int_value BIGINT, bool_value BOOLEAN, seq BIGINT)
  WITH (topic = 'plant', format = 'sparkplug');
CREATE STREAM packs (name STRING, unit STRING, value DOUBLE, ts TIMESTAMP(3))
  WITH (topic = 'packs', format = 'senml-cbor');
CREATE STREAM cpu (measurement STRING, host STRING, usage DOUBLE,
  cores BIGINT, time TIMESTAMP(3))
  WITH (topic = 'cpu', format = 'influx');
CREATE STREAM busy WITH ('connector' = 'file', 'path' = '%s',
  'file.format' = 'influx', 'influx.tags' = 'host') AS
  SELECT measurement, host, usage, cores, time FROM cpu WHERE usage > 50;
CREATE STREAM busy_hook WITH ('connector' = 'webhook',
  'url' = 'http://127.0.0.1:%d/api/v2/write?bucket=plant',
  'webhook.format' = 'influx', 'influx.measurement' = 'busy',
  'influx.tags' = 'host', 'sink.batch-size' = '100', topic = 'busy2') AS
  SELECT host, usage, time FROM cpu WHERE usage > 50;
""" % (out, web_port)
        r = rill("sql", data=srv.data, input=setup)
        check(r.stdout.count("created stream") == 5, "five streams")
        bad = rill("sql", data=srv.data, check=False, input=(
            "CREATE STREAM x (name STRING, nope DOUBLE) WITH "
            "(format = 'sparkplug');"))
        check(bad.returncode != 0 and "cannot fill these columns" in
              bad.stderr, "a column Sparkplug cannot fill is refused")

        # Sparkplug B over MQTT.
        c = Client(srv.mqtt_port)
        payload = sparkplug(1700000000000, 7, [("temp", 10, 21.5),
                                               ("rpm", 3, -5),
                                               ("running", 11, True)])
        info = c.publish("spBv1.0/line1/DDATA/edge1/press3", payload, qos=1)
        info.wait_for_publish(10)
        c.close()
        rows = select(srv.data, "SELECT name, ts, datatype, value, int_value, "
                      "bool_value, seq FROM plant LIMIT 3;")
        check(rows == [
            {"name": "temp", "ts": "2023-11-14T22:13:20.000Z", "datatype": 10,
             "value": 21.5, "int_value": None, "bool_value": None, "seq": 7},
            {"name": "rpm", "ts": "2023-11-14T22:13:20.000Z", "datatype": 3,
             "value": -5.0, "int_value": -5, "bool_value": None, "seq": 7},
            {"name": "running", "ts": "2023-11-14T22:13:20.000Z",
             "datatype": 11, "value": None, "int_value": None,
             "bool_value": True, "seq": 7}],
              "Sparkplug B metrics as rows: %s" % rows)

        # SenML CBOR and line protocol over Kafka.
        p = Producer({"bootstrap.servers": srv.bootstrap, "log_level": 2})
        p.produce("packs", value=cbor([{-2: "urn:dev:1:", -3: 1.7e9, 0: "temp",
                                        1: "Cel", 2: 22.5},
                                       {0: "hum", 1: "%RH", 2: 40, 6: 1}]))
        lines = []
        for i in range(100):
            lines.append("cpu,host=h%d usage=%d,cores=%di %d" % (
                i % 4, i, 4 + i % 2, (1700000000000 + i) * 1000000))
        for k in range(0, 100, 25):
            p.produce("cpu", value="\n".join(lines[k:k + 25]).encode())
        check(p.flush(10) == 0, "produced a CBOR pack and 100 lines")
        rows = select(srv.data, "SELECT name, unit, value, ts FROM packs "
                      "LIMIT 2;")
        check(rows == [
            {"name": "urn:dev:1:temp", "unit": "Cel", "value": 22.5,
             "ts": "2023-11-14T22:13:20.000Z"},
            {"name": "urn:dev:1:hum", "unit": "%RH", "value": 40.0,
             "ts": "2023-11-14T22:13:21.000Z"}],
              "SenML CBOR records as rows: %s" % rows)
        rows = select(srv.data, "SELECT host, usage, cores, time FROM cpu "
                      "LIMIT 2;")
        check(rows[1] == {"host": "h1", "usage": 1.0, "cores": 5,
                          "time": "2023-11-14T22:13:20.001Z"},
              "line protocol as rows: %s" % rows)

        # Line protocol out.
        want = ["cpu,host=h%d usage=%s,cores=%di %d" % (
            i % 4, "%d.0" % i, 4 + i % 2, (1700000000000 + i) * 1000000)
            for i in range(51, 100)]
        deadline = time.time() + 20
        got = []
        while time.time() < deadline:
            got = []
            for f in sorted(glob.glob(os.path.join(out, "part-*.lp"))):
                got += open(f).read().splitlines()
            if len(got) >= len(want):
                break
            time.sleep(0.2)
        check(got == want, "the file sink wrote line protocol (%d lines): %s"
              % (len(got), got[:2]))
        deadline = time.time() + 20
        while time.time() < deadline and sum(
                b.count("\n") for _, _, b in posted) < 49:
            time.sleep(0.2)
        body = "".join(b for _, _, b in posted).splitlines()
        check(body == [w.replace("cpu,", "busy,").replace(",cores=4i", "")
                       .replace(",cores=5i", "") for w in want],
              "the webhook posted line protocol: %s" % body[:2])
        check(all(path == "/api/v2/write?bucket=plant" and
                  ctype.startswith("text/plain") for path, ctype, _ in posted),
              "to the write API, as text/plain")
    finally:
        srv.stop()
        if srv.tmp is not None:
            srv.tmp.cleanup()
        web.shutdown()
    print("test_iot_formats: ok")


if __name__ == "__main__":
    main()
