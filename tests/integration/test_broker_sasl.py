"""test_broker_sasl.py - SASL and ACLs on the Kafka listener (issue 16).

Users are made with `rill users` on the data directory (a test CA with
`openssl` here for SASL_SSL), ACLs with `rill acls`. Against `rill serve`:
  - kcat and confluent-kafka, security.protocol=SASL_SSL, SCRAM-SHA-512,
    produce and consume (a consumer group included); SCRAM-SHA-256 and
    PLAIN work too; a wrong password and an unknown user are refused;
  - a request before authentication closes the connection;
  - ACLs: a topic the principal may not read answers
    TOPIC_AUTHORIZATION_FAILED, a group it may not use
    GROUP_AUTHORIZATION_FAILED, DeleteTopics needs DELETE (a super user
    may); auto-creation is off under authentication;
  - changes made with `rill users` / `rill acls` while the broker runs
    apply (a deleted user cannot log in; a DENY added takes effect);
  - CreateAcls / DescribeAcls / DeleteAcls over the wire (raw requests).

Run: /usr/bin/python3 tests/integration/test_broker_sasl.py
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402


class SaslServer(Server):
    scheme = "SASL_SSL://"
    starting = False

    @property
    def bootstrap(self):
        return (self.scheme if self.starting else "") + "127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        self.starting = True
        try:
            return super().start(timeout)
        finally:
            self.starting = False


def sh(*args, cwd):
    subprocess.run(list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d):
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rill-sasl-ca",
       "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    with open(os.path.join(d, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
       "-keyout", "server.key", "-out", "server.csr", cwd=d)
    sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
       "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "san.cnf", cwd=d)


def kcat(srv, d, user, pw, *args, mech="SCRAM-SHA-512", proto="SASL_SSL", input=None):
    cmd = ["kcat", "-b", srv.bootstrap, "-X", "security.protocol=" + proto, "-X", "sasl.mechanisms=" + mech,
           "-X", "sasl.username=" + user, "-X", "sasl.password=" + pw]
    if proto == "SASL_SSL":
        cmd += ["-X", "ssl.ca.location=" + os.path.join(d, "ca.pem")]
    return subprocess.run(cmd + list(args), input=input, capture_output=True, timeout=30)


def conf(srv, d, user, pw, **kw):
    c = {"bootstrap.servers": srv.bootstrap, "security.protocol": "SASL_SSL",
         "ssl.ca.location": os.path.join(d, "ca.pem"), "sasl.mechanism": "SCRAM-SHA-512",
         "sasl.username": user, "sasl.password": pw}
    c.update(kw)
    return c


def consume(c, n, secs=20):
    """Polls until n records or an error; returns (values, first error)."""
    got, err = [], None
    deadline = time.time() + secs
    while time.time() < deadline and len(got) < n:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                continue
            err = m.error()
            break
        got.append(m.value())
    return got, err


def add_user(data, name, pw):
    rill("users", "add", name, data=data, input=pw + "\n")


# --- raw ACL requests (PLAINTEXT listener) ---

def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def nstr(s):
    return struct.pack(">h", -1) if s is None else kstr(s)


def request(port, key, ver, body, corr=7):
    hdr = struct.pack(">hhi", key, ver, corr) + kstr("acl-test")
    msg = hdr + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        n = struct.unpack(">i", recvn(s, 4))[0]
        data = recvn(s, n)
    return data[4:]  # after the correlation id


def recvn(s, n):
    out = b""
    while len(out) < n:
        c = s.recv(n - len(out))
        if not c:
            raise RuntimeError("connection closed")
        out += c
    return out


def binding(rtype, name, pattern, principal, host, op, perm):
    return struct.pack(">b", rtype) + kstr(name) + struct.pack(">b", pattern) + kstr(principal) + kstr(host) + \
        struct.pack(">bb", op, perm)


def acl_wire_tests():
    with Server(extra=["--set", "rill.acls.enable=true", "--set", "super.users=User:ANONYMOUS"]) as srv:
        body = struct.pack(">i", 2) + binding(2, "orders", 3, "User:alice", "*", 3, 3) + \
            binding(3, "app-", 4, "User:alice", "*", 3, 3)
        r = request(srv.port, 30, 1, body)
        throttle, n = struct.unpack(">ii", r[:8])
        e1 = struct.unpack(">h", r[8:10])[0]
        check(n == 2 and e1 == 0, "CreateAcls v1: two bindings created (%d results, error %d)" % (n, e1))
        bad = struct.pack(">i", 1) + binding(2, "x", 1, "User:alice", "*", 3, 3)  # pattern ANY: invalid
        r = request(srv.port, 30, 1, bad)
        check(struct.unpack(">h", r[8:10])[0] == 42, "CreateAcls: pattern ANY refused with INVALID_REQUEST")
        lst = rill("acls", "list", data=srv.data).stdout
        check("User:alice\tREAD\tTOPIC\tLITERAL\torders" in lst and "GROUP\tPREFIXED\tapp-" in lst,
              "rill acls list shows them (%r)" % lst)
        filt = struct.pack(">b", 1) + nstr(None) + struct.pack(">b", 1) + nstr("User:alice") + nstr(None) + \
            struct.pack(">bb", 1, 1)
        r = request(srv.port, 29, 1, filt)
        err = struct.unpack(">h", r[4:6])[0]
        nres = struct.unpack(">i", r[8:12])[0]  # after throttle, error, null message
        check(err == 0 and nres == 2, "DescribeAcls v1: alice's two resources (error %d, %d)" % (err, nres))
        dfilt = struct.pack(">i", 1) + struct.pack(">b", 3) + nstr(None) + struct.pack(">b", 1) + nstr(None) + \
            nstr(None) + struct.pack(">bb", 1, 1)
        r = request(srv.port, 31, 1, dfilt)
        nmatch = struct.unpack(">i", r[4 + 4 + 2 + 2:4 + 4 + 2 + 2 + 4])[0]
        check(nmatch == 1, "DeleteAcls v1: the group binding matched and deleted (%d)" % nmatch)
        lst = rill("acls", "list", data=srv.data).stdout
        check("GROUP" not in lst and "orders" in lst, "the file keeps the topic binding only (%r)" % lst)
    with Server() as srv:
        r = request(srv.port, 29, 1, filt)
        check(struct.unpack(">h", r[4:6])[0] == 54, "ACLs off: DescribeAcls answers SECURITY_DISABLED")


def main():
    from confluent_kafka import Consumer, KafkaError, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    tmp = tempfile.TemporaryDirectory(prefix="rill-sasl-")
    d = tmp.name
    make_pki(d)
    data = os.path.join(d, "data")
    os.mkdir(data)
    add_user(data, "admin", "admin-secret")
    add_user(data, "alice", "alice-secret")
    add_user(data, "bob", "bob-secret")
    lst = rill("users", "list", data=data).stdout
    check("alice\tSCRAM-SHA-512" in lst and "bob\tSCRAM-SHA-256" in lst, "rill users list (%r)" % lst[:80])
    text = open(os.path.join(data, "security", "users")).read()
    check("alice-secret" not in text and os.stat(os.path.join(data, "security", "users")).st_mode & 0o077 == 0,
          "the users file holds no password and is private")
    rill("acls", "add", "--allow", "--principal", "User:alice", "--operation", "READ,WRITE", "--topic", "orders",
         data=data)
    rill("acls", "add", "--allow", "--principal", "User:alice", "--operation", "READ", "--group", "g1",
         data=data)

    extra = ["--set", "ssl.keystore.location=" + os.path.join(d, "server.pem"),
             "--set", "ssl.key.location=" + os.path.join(d, "server.key"),
             "--set", "super.users=User:admin"]
    with SaslServer(data=data, extra=extra) as srv:
        a = AdminClient(conf(srv, d, "admin", "admin-secret"))
        fs = a.create_topics([NewTopic("orders", 1, 1), NewTopic("secret", 1, 1)])
        for t, f in fs.items():
            f.result(15)
        check(True, "the super user creates topics over SASL_SSL")
        p = kcat(srv, d, "alice", "alice-secret", "-P", "-t", "orders", "-p", "0", input=b"k1\nk2\n")
        c = kcat(srv, d, "alice", "alice-secret", "-C", "-t", "orders", "-p", "0", "-o", "beginning", "-e")
        check(p.returncode == 0 and c.stdout.split() == [b"k1", b"k2"],
              "kcat SASL_SSL SCRAM-SHA-512: produce and consume (%r %r)" % (c.stdout[:40], p.stderr[-200:]))
        for mech in ("SCRAM-SHA-256", "PLAIN"):
            c = kcat(srv, d, "alice", "alice-secret", "-C", "-t", "orders", "-p", "0", "-o", "beginning", "-e",
                     mech=mech)
            check(c.stdout.split() == [b"k1", b"k2"], "kcat with %s works too" % mech)
        bad = kcat(srv, d, "alice", "wrong", "-L", "-m", "3")
        check(bad.returncode != 0 and b"Authentication failed" in bad.stderr,
              "a wrong password is refused (%r)" % bad.stderr[-160:])
        bad = kcat(srv, d, "mallory", "x", "-L", "-m", "3", mech="PLAIN")
        check(bad.returncode != 0, "an unknown user is refused")
        out = srv.output()
        check("alice-secret" not in out and "failed (wrong password)" in out,
              "the log says why, never the password")

        pr = Producer(conf(srv, d, "alice", "alice-secret", acks="all"))
        for i in range(50):
            pr.produce("orders", value=b"c%d" % i, partition=0)
        check(pr.flush(20) == 0, "confluent-kafka SASL_SSL SCRAM-SHA-512 produces 50 records (acks=all)")
        co = Consumer(conf(srv, d, "alice", "alice-secret", **{"group.id": "g1", "auto.offset.reset": "earliest",
                                                               "enable.partition.eof": True}))
        co.subscribe(["orders"])
        got, err = consume(co, 52)
        co.commit(asynchronous=False)
        co.close()
        check(len(got) == 52 and err is None, "a consumer group (g1) reads all 52 (%d, %s)" % (len(got), err))

        co = Consumer(conf(srv, d, "alice", "alice-secret", **{"group.id": "g1", "enable.partition.eof": True}))
        co.subscribe(["secret"])
        got, err = consume(co, 1, secs=15)
        co.close()
        check(err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED,
              "a topic alice may not read: TOPIC_AUTHORIZATION_FAILED (%s)" % err)
        co = Consumer(conf(srv, d, "alice", "alice-secret", **{"group.id": "other"}))
        co.subscribe(["orders"])
        got, err = consume(co, 1, secs=15)
        co.close()
        check(err is not None and err.code() == KafkaError.GROUP_AUTHORIZATION_FAILED,
              "a group alice may not use: GROUP_AUTHORIZATION_FAILED (%s)" % err)

        al = AdminClient(conf(srv, d, "alice", "alice-secret"))
        try:
            al.delete_topics(["secret"])["secret"].result(15)
            ok = False
        except Exception as e:  # KafkaException
            ok = e.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
        check(ok, "DeleteTopics without DELETE: TOPIC_AUTHORIZATION_FAILED")
        a.delete_topics(["secret"])["secret"].result(15)
        check(True, "the super user deletes it")

        p = kcat(srv, d, "alice", "alice-secret", "-P", "-t", "fresh", "-p", "0", "-m", "3", input=b"x\n")
        md = kcat(srv, d, "admin", "admin-secret", "-L", "-t", "fresh", "-m", "3")
        check(b"fresh" not in md.stdout or b"Broker: Unknown topic" in md.stdout,
              "auto-creation is off under authentication (%r)" % md.stdout[-160:])

        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.close()
        rill("acls", "add", "--deny", "--principal", "User:alice", "--operation", "READ", "--topic", "orders",
             data=data)
        time.sleep(1.5)
        c = kcat(srv, d, "alice", "alice-secret", "-C", "-t", "orders", "-p", "0", "-o", "beginning", "-e")
        check(b"k1" not in c.stdout and b"uthorization" in c.stderr,
              "a DENY added by rill acls while the broker runs applies (%r)" % c.stderr[-160:])
        # rill acls over the wire: CreateAcls / DescribeAcls / DeleteAcls
        # through librdkafka with a client properties file.
        props = os.path.join(d, "admin.properties")
        with open(props, "w") as f:
            f.write("security.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=admin\n"
                    "sasl.password=admin-secret\nssl.ca.location=%s\n" % os.path.join(d, "ca.pem"))
        remote = ["--bootstrap", srv.bootstrap, "--command-config", props]
        p = rill("acls", "add", "--allow", "--principal", "User:bob", "--operation", "READ,DESCRIBE",
                 "--topic", "orders", *remote, check=False)
        check(p.returncode == 0 and p.stdout.count("User:bob") == 2,
              "rill acls add --bootstrap (SASL_SSL, the super user): %r %r" % (p.stdout, p.stderr[-200:]))
        check("User:bob\tDESCRIBE\tTOPIC" in rill("acls", "list", data=data).stdout,
              "the broker wrote it to its ACL file")
        p = rill("acls", "list", "--principal", "User:bob", *remote, check=False)
        check(p.returncode == 0 and "ALLOW\tUser:bob\tREAD\tTOPIC\tLITERAL\torders" in p.stdout,
              "rill acls list --bootstrap (%r)" % p.stdout)
        p = rill("acls", "delete", "--principal", "User:bob", "--operation", "DESCRIBE", *remote, check=False)
        check(p.returncode == 0 and "DESCRIBE" in p.stdout and "User:bob\tDESCRIBE" not in
              rill("acls", "list", data=data).stdout, "rill acls delete --bootstrap (%r)" % p.stdout)
        with open(props + ".alice", "w") as f:
            f.write(open(props).read().replace("admin-secret", "alice-secret").replace("=admin", "=alice"))
        p = rill("acls", "add", "--allow", "--principal", "User:alice", "--operation", "ALL", "--topic", "*",
                 "--bootstrap", srv.bootstrap, "--command-config", props + ".alice", check=False)
        check(p.returncode != 0 and "uthoriz" in p.stderr,
              "a principal without ALTER on the cluster cannot add ACLs (%r)" % p.stderr[-160:])
        rill("users", "delete", "bob", data=data)
        bad = kcat(srv, d, "bob", "bob-secret", "-L", "-m", "3")
        check(bad.returncode != 0, "a user deleted by rill users while the broker runs cannot log in")
        check(srv.alive(), "server alive")
        del a, al
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0 (%s)" % rc)

    # A request before authentication, on SASL_PLAINTEXT.
    plain = SaslServer(extra=["--set", "allow.everyone.if.no.acl.found=true"])
    plain.scheme = "SASL_PLAINTEXT://"
    with plain as srv:
        add_user(srv.data, "carol", "carol-pw")
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        body = struct.pack(">hhi", 3, 1, 1) + kstr("x") + struct.pack(">i", -1)
        s.sendall(struct.pack(">i", len(body)) + body)
        s.settimeout(5)
        try:
            data2 = s.recv(100)
        except OSError:
            data2 = b""
        s.close()
        check(data2 == b"", "Metadata before SASL authentication: closed, not answered")
        md = kcat(srv, d, "carol", "carol-pw", "-L", proto="SASL_PLAINTEXT")
        check(md.returncode == 0 and b"1 brokers" in md.stdout,
              "allow.everyone.if.no.acl.found=true: a user without ACLs is served")
    acl_wire_tests()
    tmp.cleanup()


if __name__ == "__main__":
    main()
