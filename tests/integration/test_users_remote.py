"""test_users_remote.py - `rill users add|list|delete --bootstrap` (issue 16):
SCRAM users of a running broker managed over the Kafka protocol
(DescribeUserScramCredentials / AlterUserScramCredentials), with TLS and
SASL from a client properties file, as `rill acls --bootstrap`:
  - over SASL_SSL with SCRAM-SHA-512 as the super user: add a user (the
    password on stdin), who can then log in with kcat (SCRAM-SHA-512 and
    -256); list shows it; delete it, and its login is refused;
  - the same file the local `rill users --data` edits;
  - a user without ALTER on the cluster is refused
    (CLUSTER_AUTHORIZATION_FAILED), a wrong password
    (SASL_AUTHENTICATION_FAILED), a CA that does not sign the server's
    certificate (verify failed), SASL/PLAIN as the login works;
  - on a plaintext broker without ACLs no properties file is needed.

Run: /usr/bin/python3 tests/integration/test_users_remote.py
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, rill  # noqa: E402
from test_broker_sasl import SaslServer, kcat, make_pki, sh  # noqa: E402


def props(d, name, user, pw, mech="SCRAM-SHA-512", ca="ca.pem"):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write("security.protocol=SASL_SSL\nsasl.mechanism=%s\nsasl.username=%s\nsasl.password=%s\n"
                "ssl.ca.location=%s\n" % (mech, user, pw, os.path.join(d, ca)))
    return path


def main():
    tmp = tempfile.TemporaryDirectory(prefix="rill-users-remote-")
    d = tmp.name
    make_pki(d)
    data = os.path.join(d, "data")
    os.mkdir(data)
    rill("users", "add", "admin", data=data, input="admin-secret\n")
    rill("users", "add", "alice", data=data, input="alice-secret\n")
    admin = props(d, "admin.properties", "admin", "admin-secret")
    extra = ["--set", "ssl.keystore.location=" + os.path.join(d, "server.pem"),
             "--set", "ssl.key.location=" + os.path.join(d, "server.key"),
             "--set", "super.users=User:admin"]
    with SaslServer(data=data, extra=extra) as srv:
        remote = ["--bootstrap", srv.bootstrap, "--command-config", admin]
        p = rill("users", "add", "carol", *remote, input="carol-pw\n", check=False)
        check(p.returncode == 0 and "added carol" in p.stdout,
              "rill users add --bootstrap over SASL_SSL (%r %r)" % (p.stdout, p.stderr[-200:]))
        for mech in ("SCRAM-SHA-512", "SCRAM-SHA-256"):
            k = kcat(srv, d, "carol", "carol-pw", "-L", "-m", "5", mech=mech)
            check(k.returncode == 0, "carol logs in with kcat, %s (%r)" % (mech, k.stderr[-160:]))
        p = rill("users", "list", *remote, check=False)
        check(p.returncode == 0 and "carol\tSCRAM-SHA-256\titerations=4096" in p.stdout and
              "carol\tSCRAM-SHA-512" in p.stdout and "alice\tSCRAM-SHA-512" in p.stdout,
              "rill users list --bootstrap (%r %r)" % (p.stdout, p.stderr[-200:]))
        local = rill("users", "list", data=data).stdout
        check("carol\tSCRAM-SHA-512" in local, "the broker wrote the same users file (%r)" % local)
        text = open(os.path.join(data, "security", "users")).read()
        check("carol-pw" not in text, "no password in the file")
        p = rill("users", "add", "dan", "--mechanism", "SCRAM-SHA-256", "--iterations", "8192", *remote,
                 input="dan-pw\n", check=False)
        lst = rill("users", "list", *remote).stdout
        check(p.returncode == 0 and "dan\tSCRAM-SHA-256\titerations=8192" in lst and
              "dan\tSCRAM-SHA-512" not in lst, "one mechanism and an iteration count (%r)" % lst)

        p = rill("users", "delete", "carol", *remote, check=False)
        check(p.returncode == 0 and "deleted carol" in p.stdout, "rill users delete --bootstrap (%r %r)"
              % (p.stdout, p.stderr[-200:]))
        k = kcat(srv, d, "carol", "carol-pw", "-L", "-m", "3")
        check(k.returncode != 0, "carol's login is refused after the delete")
        p = rill("users", "delete", "carol", *remote, check=False)
        check(p.returncode == 1 and "no user carol" in p.stderr, "deleting her again: no such user (%r)"
              % p.stderr[-160:])

        p = rill("users", "add", "mallory", "--bootstrap", srv.bootstrap, "--command-config",
                 props(d, "alice.properties", "alice", "alice-secret"), input="x\n", check=False)
        check(p.returncode == 1 and "CLUSTER_AUTHORIZATION_FAILED" in p.stderr,
              "alice (no ALTER on the cluster) is refused (%r)" % p.stderr[-200:])
        check("mallory" not in rill("users", "list", data=data).stdout, "and nothing was written")
        p = rill("users", "list", "--bootstrap", srv.bootstrap, "--command-config",
                 props(d, "bad.properties", "admin", "wrong"), check=False)
        check(p.returncode == 1 and "SASL_AUTHENTICATION_FAILED" in p.stderr,
              "a wrong password: SASL_AUTHENTICATION_FAILED (%r)" % p.stderr[-200:])
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other",
           "-keyout", "other.key", "-out", "other.pem", cwd=d)
        p = rill("users", "list", "--bootstrap", srv.bootstrap, "--command-config",
                 props(d, "other.properties", "admin", "admin-secret", ca="other.pem"), check=False)
        check(p.returncode == 1 and "certificate" in p.stderr,
              "a CA that did not sign the server's certificate: refused (%r)" % p.stderr[-200:])
        p = rill("users", "list", "--bootstrap", srv.bootstrap, "--command-config",
                 props(d, "plain.properties", "admin", "admin-secret", mech="PLAIN"), check=False)
        check(p.returncode == 0 and "alice" in p.stdout, "SASL/PLAIN as the login works (%r)" % p.stderr[-200:])
        check(srv.alive(), "server alive")

    with Server() as srv:
        p = rill("users", "add", "erin", "--bootstrap", srv.bootstrap, input="erin-pw\n", check=False)
        check(p.returncode == 0, "plaintext, ACLs off: no properties file needed (%r)" % p.stderr[-200:])
        check("erin\tSCRAM-SHA-512" in rill("users", "list", data=srv.data).stdout, "erin is in the file")
    tmp.cleanup()


if __name__ == "__main__":
    main()
