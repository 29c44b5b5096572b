"""test_broker_tls.py - TLS on the Kafka listener (issue 16, security).

A test CA, a server certificate for 127.0.0.1 and a client certificate are
made with `openssl` here. Then, against `rill serve` with
listeners=SSL://127.0.0.1:PORT:
  - kcat and confluent-kafka with security.protocol=ssl produce and consume
    (Fetch answers go through TLS: no sendfile);
  - a client that does not trust the CA fails, the server lives on;
  - a plaintext client on the TLS port gets nothing and is closed;
  - with ssl.client.auth=required, a client without a certificate is refused
    and one with a certificate from the CA works.

Run: /usr/bin/python3 tests/integration/test_broker_tls.py
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402


class TlsServer(Server):
    """`rill serve --listen SSL://127.0.0.1:PORT`."""
    starting = False

    @property
    def bootstrap(self):
        return ("SSL://" if self.starting else "") + "127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        self.starting = True
        try:
            return super().start(timeout)
        finally:
            self.starting = False


def sh(*args, cwd):
    subprocess.run(list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d):
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rill-test-ca",
       "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    with open(os.path.join(d, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, cn in (("server", "127.0.0.1"), ("client", "alice")):
        sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % cn,
           "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
        sh("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
           "-CAcreateserial", "-days", "2", "-out", name + ".pem", "-extfile", "san.cnf", cwd=d)
    # A second CA nobody trusts.
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other-ca",
       "-keyout", "other.key", "-out", "other.pem", cwd=d)


def kcat(srv, d, *args, extra=(), input=None):
    cmd = ["kcat", "-b", srv.bootstrap, "-X", "security.protocol=ssl",
           "-X", "ssl.ca.location=" + os.path.join(d, "ca.pem")] + list(extra) + list(args)
    return subprocess.run(cmd, input=input, capture_output=True, timeout=30)


def main():
    tmp = tempfile.TemporaryDirectory(prefix="rill-tls-")
    d = tmp.name
    make_pki(d)
    base = ["--set", "ssl.keystore.location=" + os.path.join(d, "server.pem"),
            "--set", "ssl.key.location=" + os.path.join(d, "server.key")]
    with TlsServer(extra=base) as srv:
        p = kcat(srv, d, "-P", "-t", "sec", "-p", "0", input=b"one\ntwo\n")
        check(p.returncode == 0, "kcat produces over TLS (%s)" % p.stderr[-200:])
        big = b"x" * 300000  # a Fetch answer several TLS records long
        p = kcat(srv, d, "-P", "-t", "sec", "-p", "0", extra=["-X", "message.max.bytes=1000000"], input=big + b"\n")
        c = kcat(srv, d, "-C", "-t", "sec", "-p", "0", "-o", "beginning", "-e")
        check(c.stdout.split(b"\n")[:3] == [b"one", b"two", big], "kcat consumes over TLS (%d bytes)" % len(c.stdout))

        from confluent_kafka import Consumer, Producer, TopicPartition
        conf = {"bootstrap.servers": srv.bootstrap, "security.protocol": "ssl",
                "ssl.ca.location": os.path.join(d, "ca.pem")}
        pr = Producer(dict(conf, **{"acks": "all"}))
        for i in range(100):
            pr.produce("sec", value=b"c%d" % i, partition=0)
        check(pr.flush(15) == 0, "confluent-kafka produces 100 records over TLS (acks=all)")
        co = Consumer(dict(conf, **{"group.id": "tls", "enable.auto.commit": False,
                                    "enable.partition.eof": True}))
        co.assign([TopicPartition("sec", 0, 0)])
        got = []
        for _ in range(400):
            m = co.poll(0.5)
            if m is None:
                continue
            if m.error():
                break
            got.append(m.value())
        co.close()
        check(len(got) == 103 and got[-1] == b"c99", "confluent-kafka reads all 103 back (%d: %r)" % (len(got), [g[:8] for g in got[:4]]))

        bad = subprocess.run(["kcat", "-b", srv.bootstrap, "-X", "security.protocol=ssl",
                              "-X", "ssl.ca.location=" + os.path.join(d, "other.pem"), "-L", "-m", "3"],
                             capture_output=True, timeout=30)
        check(bad.returncode != 0, "a client that does not trust the server's CA fails")
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        body = struct.pack(">hhih", 18, 0, 1, -1)
        s.sendall(struct.pack(">i", len(body)) + body)
        s.settimeout(5)
        try:
            data = s.recv(100)
        except OSError:
            data = b""
        check(not data.startswith(struct.pack(">i", 1)[:2]) and len(data) < 100,
              "a plaintext Kafka request on the TLS port is not answered as Kafka (%r)" % data[:16])
        s.close()
        check(srv.alive(), "server alive")
        c = kcat(srv, d, "-L")
        check(c.returncode == 0, "and still serves TLS clients")
        modes = []
        for root, dirs, files in os.walk(srv.data):
            for n in dirs + files:
                st = os.lstat(os.path.join(root, n))
                if not os.path.islink(os.path.join(root, n)):
                    modes.append((n, st.st_mode & 0o777))
        world = [(n, oct(m)) for n, m in modes if m & 0o007]
        check(modes and not world, "data files and folders have no world access (%s)" % world[:3])
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0 (no leak under the ASan build) (%s)" % rc)

    req = ["--set", "ssl.client.auth=required", "--set", "ssl.truststore.location=" + os.path.join(d, "ca.pem")]
    with TlsServer(extra=base + req) as srv:
        p = kcat(srv, d, "-L", "-m", "3")
        check(p.returncode != 0, "ssl.client.auth=required: no client certificate, refused")
        mine = ["-X", "ssl.certificate.location=" + os.path.join(d, "client.pem"),
                "-X", "ssl.key.location=" + os.path.join(d, "client.key")]
        p = kcat(srv, d, "-P", "-t", "m", "-p", "0", extra=mine, input=b"hello\n")
        c = kcat(srv, d, "-C", "-t", "m", "-p", "0", "-o", "beginning", "-e", extra=mine)
        check(p.returncode == 0 and c.stdout.strip() == b"hello", "with a certificate from the CA: works")
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0 (%s)" % rc)
    tmp.cleanup()


if __name__ == "__main__":
    main()
