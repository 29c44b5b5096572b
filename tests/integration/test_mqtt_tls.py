"""test_mqtt_tls.py - TLS and users on the MQTT listener (issue 16).

`rill serve --mqtt-listen ssl://127.0.0.1:PORT` with the Kafka listener's
certificate (a test CA made with `openssl` in the test) and
mqtt.authentication.required=true, users made with `rill users`:
  - mosquitto_pub / mosquitto_sub over TLS with a user name and password
    publish and receive; the record is in the log (kcat);
  - a wrong password, an unknown user and no credentials are refused
    (CONNACK not authorized); a client that does not trust the CA fails;
    a plaintext MQTT client on the TLS port gets nothing;
  - without the setting, a SASL Kafka listener makes MQTT require users too.

Run: /usr/bin/python3 tests/integration/test_mqtt_tls.py
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, rill, wait_port  # noqa: E402
from test_broker_sasl import SaslServer, make_pki  # noqa: E402


def pub(port, d, *args, ca="ca.pem", timeout=20):
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "--cafile", os.path.join(d, ca),
           "-q", "1"] + list(args)
    return subprocess.run(cmd, capture_output=True, timeout=timeout)


def main():
    tmp = tempfile.TemporaryDirectory(prefix="rill-mqtt-tls-")
    d = tmp.name
    make_pki(d)
    data = os.path.join(d, "data")
    os.mkdir(data)
    rill("users", "add", "alice", data=data, input="alice-pw\n")
    mport = free_port()
    tls = ["--set", "ssl.keystore.location=" + os.path.join(d, "server.pem"),
           "--set", "ssl.key.location=" + os.path.join(d, "server.key")]
    with Server(data=data, extra=tls + ["--mqtt-listen", "ssl://127.0.0.1:%d" % mport,
                                        "--set", "mqtt.authentication.required=true"]) as srv:
        wait_port(mport, 10, srv.proc)
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(mport), "--cafile",
                                os.path.join(d, "ca.pem"), "-u", "alice", "-P", "alice-pw", "-t", "plant/#",
                                "-C", "1", "-W", "20", "-q", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        import time
        time.sleep(1.0)
        p = pub(mport, d, "-u", "alice", "-P", "alice-pw", "-t", "plant/line1", "-m", "over-tls")
        check(p.returncode == 0, "mosquitto_pub over TLS with alice's password (%r)" % p.stderr[-200:])
        out, err = sub.communicate(timeout=30)
        check(out.strip() == b"over-tls", "mosquitto_sub over TLS with a password receives it (%r %r)"
              % (out, err[-200:]))
        k = subprocess.run(["kcat", "-b", srv.bootstrap, "-C", "-t", "mqtt", "-o", "beginning", "-e", "-q"],
                           capture_output=True, timeout=30)
        check(b"over-tls" in k.stdout, "the record is in the log (%r)" % k.stdout[-100:])
        for args, what in ((["-u", "alice", "-P", "wrong"], "a wrong password"),
                           (["-u", "mallory", "-P", "x"], "an unknown user"),
                           ([], "no user name and password")):
            p = pub(mport, d, *args, "-t", "plant/x", "-m", "no")
            check(p.returncode != 0 and b"not auth" in p.stderr.lower(),
                  "%s: refused (%r)" % (what, p.stderr[-120:]))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=other", "-keyout", os.path.join(d, "other.key"), "-out",
                        os.path.join(d, "other.pem")], check=True, capture_output=True, timeout=60)
        p = pub(mport, d, "-u", "alice", "-P", "alice-pw", "-t", "plant/x", "-m", "no", ca="other.pem")
        check(p.returncode != 0, "a client that does not trust the CA fails")
        p = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(mport), "-u", "alice", "-P",
                            "alice-pw", "-t", "plant/x", "-m", "plain", "-q", "1"],
                           capture_output=True, timeout=20)
        check(p.returncode != 0, "a plaintext MQTT client on the TLS port gets nowhere")
        check("CONNECT of user 'alice' refused" in srv.output() and "alice-pw" not in srv.output(),
              "refusals are logged, never the password")
        check(srv.alive(), "server alive")
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0 (%s)" % rc)

    # A SASL Kafka listener: MQTT (plaintext here) requires users by itself,
    # and ACLs are on: alice may write the default topic.
    rill("acls", "add", "--allow", "--principal", "User:alice", "--operation", "WRITE", "--topic", "mqtt",
         data=data)
    mport = free_port()
    with SaslServer(data=data, extra=tls + ["--mqtt-listen", "127.0.0.1:%d" % mport]) as srv:
        wait_port(mport, 10, srv.proc)
        p = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(mport), "-t", "a", "-m", "x",
                            "-q", "1"], capture_output=True, timeout=20)
        check(p.returncode != 0, "SASL on Kafka: an MQTT client without credentials is refused")
        p = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(mport), "-t", "a", "-m", "x",
                            "-q", "1", "-u", "alice", "-P", "alice-pw"], capture_output=True, timeout=20)
        check(p.returncode == 0, "and alice gets in (%r)" % p.stderr[-120:])
    tmp.cleanup()


if __name__ == "__main__":
    main()
