"""test_connect_mqtt_tls.py - the MQTT connector over TLS, against a
`mosquitto` the test starts with certificates of a test CA made here with
`openssl`, on a listener that requires a client certificate.

`rill run` hosts an MQTT source ('mqtt.broker' = 'ssl://127.0.0.1:PORT',
'mqtt.tls.ca', 'mqtt.tls.cert', 'mqtt.tls.key') and an MQTT sink with the
same options: readings published to mosquitto over TLS (mosquitto_pub)
come back as alerts (mosquitto_sub over TLS). Then:
  - a sink that trusts another CA delivers nothing and logs why, its rows
    wait in the log (no row lost, none dead-lettered);
  - a sink without a client certificate is refused by the broker and
    delivers nothing;
  - TLS options without ssl:// and a missing file are refused when the
    statement runs, with the reason.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import RILL, check, free_port, rill, wait_port  # noqa: E402


def sh(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d):
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
       "2", "-subj", "/CN=rill-test-ca", "-keyout", "ca.key", "-out",
       "ca.pem", cwd=d)
    with open(os.path.join(d, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name in ("server", "client"):
        sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj",
           "/CN=" + ("127.0.0.1" if name == "server" else "rill-connector"),
           "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
        sh("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
           "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out",
           name + ".pem", "-extfile", "san.cnf", cwd=d)
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
       "2", "-subj", "/CN=other-ca", "-keyout", "other.key", "-out",
       "other.pem", cwd=d)
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)  # mosquitto drops root


def tls_args(d):
    return ["--cafile", os.path.join(d, "ca.pem"), "--cert",
            os.path.join(d, "client.pem"), "--key",
            os.path.join(d, "client.key")]


def main():
    root = tempfile.mkdtemp(prefix="rill-mqtls-")
    os.chmod(root, 0o755)
    d = os.path.join(root, "pki")
    os.makedirs(d)
    os.chmod(d, 0o755)
    make_pki(d)
    port = free_port()
    conf = os.path.join(root, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                "cafile %s/ca.pem\ncertfile %s/server.pem\n"
                "keyfile %s/server.key\nrequire_certificate true\n"
                % (port, d, d, d))
    mq = subprocess.Popen(["mosquitto", "-c", conf],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    procs = []
    try:
        wait_port(port, 10, mq)
        broker = "ssl://127.0.0.1:%d" % port
        tls = ("'mqtt.tls.ca' = '%s/ca.pem', 'mqtt.tls.cert' = "
               "'%s/client.pem', 'mqtt.tls.key' = '%s/client.key'"
               % (d, d, d))
        script = os.path.join(root, "tls.sql")
        with open(script, "w") as f:
            f.write("""
CREATE STREAM temps (machine_id STRING, temp DOUBLE)
  WITH ('connector' = 'mqtt', 'mqtt.broker' = '%s',
        'mqtt.topic' = 'factory/+/temp', %s);
CREATE STREAM hot WITH ('connector' = 'mqtt', 'mqtt.broker' = '%s',
  'mqtt.topic' = 'alerts/{machine_id}', 'mqtt.qos' = '2', %s) AS
  SELECT machine_id, temp FROM temps WHERE temp > 50;
CREATE STREAM wrong_ca WITH ('connector' = 'mqtt', 'mqtt.broker' = '%s',
  'mqtt.topic' = 'wrong/{machine_id}', 'mqtt.tls.ca' = '%s/other.pem',
  'mqtt.tls.cert' = '%s/client.pem', 'mqtt.tls.key' = '%s/client.key') AS
  SELECT machine_id, temp FROM temps;
CREATE STREAM no_cert WITH ('connector' = 'mqtt', 'mqtt.broker' = '%s',
  'mqtt.topic' = 'nocert/{machine_id}', 'mqtt.tls.ca' = '%s/ca.pem') AS
  SELECT machine_id, temp FROM temps;
""" % (broker, tls, broker, tls, broker, d, d, d, broker, d))
        sub = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t",
             "alerts/#", "-t", "wrong/#", "-t", "nocert/#", "-q", "1", "-v",
             "-W", "40", "-C", "9"] + tls_args(d),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(sub)
        data = os.path.join(root, "data")
        run = subprocess.Popen([RILL, "run", script, "--data", data],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
        procs.append(run)
        time.sleep(2)  # the source subscribes
        check(run.poll() is None, "rill run is up with TLS connectors")
        for i in range(60):
            m = "m%d" % (i % 3)
            p = subprocess.run(
                ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t",
                 "factory/%s/temp" % m, "-q", "1", "-m",
                 json.dumps({"machine_id": m, "temp": i})] + tls_args(d),
                capture_output=True, timeout=20)
            if p.returncode:
                break
        check(p.returncode == 0, "60 readings published over TLS with a "
              "client certificate (%r)" % p.stderr[-200:])
        out, _ = sub.communicate(timeout=60)
        lines = out.splitlines()
        got = sorted(json.loads(l.split(" ", 1)[1])["temp"] for l in lines
                     if l.startswith("alerts/"))
        check(got == [float(i) for i in range(51, 60)],
              "the 9 alerts came back over TLS at QoS 2: %s" % got)
        time.sleep(2)
        check(not any(l.startswith(("wrong/", "nocert/")) for l in lines),
              "nothing from the sink that trusts another CA or has no "
              "client certificate")
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=30)
        check(run.returncode == 0, "SIGTERM: rill run exits 0")
        check("connector wrong_ca: cannot connect" in err and "(TLS)" in err,
              "the certificate failure is logged: %s"
              % [l for l in err.splitlines() if "wrong_ca" in l][:2])
        check("connector no_cert:" in err and "retrying" in err,
              "the sink without a client certificate is retried: %s"
              % [l for l in err.splitlines() if "no_cert" in l][:2])
        with open(os.path.join(data, "_connectors", "wrong_ca.offsets")
                  if os.path.exists(os.path.join(
                      data, "_connectors", "wrong_ca.offsets"))
                  else os.devnull) as f:
            committed = sum(int(x.split()[1]) for x in f.read().splitlines()[1:]
                            if x and not x.startswith("state"))
        check(committed == 0, "the refused sink committed nothing: its rows "
              "wait in the log (%d)" % committed)
        dlq = rill("topics", "list", data=data).stdout
        check("wrong_ca.dlq" not in dlq and "no_cert.dlq" not in dlq,
              "nothing was dead-lettered")

        bad = os.path.join(root, "bad.sql")
        for stmt, want in (
                ("CREATE STREAM b1 (v STRING) WITH ('connector' = 'mqtt', "
                 "'mqtt.broker' = '127.0.0.1:%d', 'mqtt.topic' = 'x', "
                 "'mqtt.tls.ca' = '%s/ca.pem');" % (port, d), "needs TLS"),
                ("CREATE STREAM b2 (v STRING) WITH ('connector' = 'mqtt', "
                 "'mqtt.broker' = '%s', 'mqtt.topic' = 'x', "
                 "'mqtt.tls.ca' = '%s/nope.pem');" % (broker, d),
                 "cannot read"),
                ("CREATE STREAM b3 (v STRING) WITH ('connector' = 'mqtt', "
                 "'mqtt.broker' = '%s', 'mqtt.topic' = 'x', "
                 "'mqtt.tls.cert' = '%s/client.pem');" % (broker, d),
                 "go together")):
            with open(bad, "w") as f:
                f.write(stmt)
            r = rill("run", bad, "--until-idle", data=data, check=False)
            check(r.returncode == 1 and want in r.stderr,
                  "refused: %s" % r.stderr.strip().splitlines()[-1:])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        mq.terminate()
        mq.wait(10)
        shutil.rmtree(root, ignore_errors=True)
    print("test_connect_mqtt_tls: ok")


if __name__ == "__main__":
    main()
