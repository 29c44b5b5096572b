"""test_http_auth.py - users and TLS on the HTTP listener (issue 16).

`rill serve --http-listen` with http.authentication.required=true and a
user made with `rill users`, driven by curl:
  - no credentials: 401 with WWW-Authenticate: Basic; a wrong password and
    an unknown user: 401; the right ones: the API answers;
  - /healthz and /readyz stay open (probes);
  - a user added with `rill users` while the server runs can log in;
  - `--http-listen https://...` with the Kafka listener's certificate (a
    test CA made with `openssl`): curl --cacert logs in, ingests a 300 KB
    NDJSON body (many TLS records) and reads server-sent events; plain
    HTTP on that port gets no answer.

Run: /usr/bin/python3 tests/integration/test_http_auth.py
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import json  # noqa: E402
import tempfile  # noqa: E402

from rilltest import Server, check, free_port, rill, wait_port  # noqa: E402
from test_broker_sasl import make_pki  # noqa: E402


def curl(port, path, *args):
    p = subprocess.run(["curl", "-s", "-i", "--max-time", "20"] + list(args) +
                       ["http://127.0.0.1:%d%s" % (port, path)], capture_output=True, timeout=30)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    return status, head, body


def main():
    hport = free_port()
    with Server(extra=["--http-listen", "127.0.0.1:%d" % hport,
                       "--set", "http.authentication.required=true"]) as srv:
        wait_port(hport, 10, srv.proc)
        rill("users", "add", "alice", data=srv.data, input="alice-pw\n")
        st, head, _ = curl(hport, "/streams")
        check(st == 401 and b"WWW-Authenticate: Basic realm=\"rill\"" in head,
              "no credentials: 401 with a Basic challenge (%d)" % st)
        st, _, body = curl(hport, "/streams", "-u", "alice:alice-pw")
        check(st == 200, "alice with her password: 200 (%d %r)" % (st, body[:80]))
        st, _, _ = curl(hport, "/topics", "-u", "alice:alice-pw")
        check(st == 200, "again (remembered): 200 (%d)" % st)
        st, _, _ = curl(hport, "/streams", "-u", "alice:wrong")
        check(st == 401, "a wrong password: 401 (%d)" % st)
        st, _, _ = curl(hport, "/streams", "-u", "bob:bob-pw")
        check(st == 401, "an unknown user: 401 (%d)" % st)
        st, _, _ = curl(hport, "/streams", "-H", "Authorization: Basic !!!")
        check(st == 401, "garbage credentials: 401 (%d)" % st)
        st, _, _ = curl(hport, "/healthz")
        check(st == 200, "/healthz needs no login (%d)" % st)
        rill("users", "add", "bob", data=srv.data, input="bob-pw\n")
        time.sleep(1.2)
        st, _, _ = curl(hport, "/streams", "-u", "bob:bob-pw")
        check(st == 200, "a user added while the server runs gets in (%d)" % st)
        check("alice-pw" not in srv.output() and "login of user 'bob' refused" in srv.output(),
              "refusals are logged, never a password")
        check(srv.alive(), "server alive")
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0 (%s)" % rc)

    tmp = tempfile.TemporaryDirectory(prefix="rill-https-")
    d = tmp.name
    make_pki(d)
    hport = free_port()
    url = "https://127.0.0.1:%d" % hport
    with Server(extra=["--http-listen", url, "--set", "http.authentication.required=true",
                       "--set", "ssl.keystore.location=" + os.path.join(d, "server.pem"),
                       "--set", "ssl.key.location=" + os.path.join(d, "server.key")]) as srv:
        wait_port(hport, 10, srv.proc)
        rill("users", "add", "alice", data=srv.data, input="alice-pw\n")
        tls = ["--cacert", os.path.join(d, "ca.pem")]

        def scurl(path, *args):
            p = subprocess.run(["curl", "-s", "-i", "--max-time", "20"] + tls + list(args) + [url + path],
                               capture_output=True, timeout=30)
            head, _, body = p.stdout.partition(b"\r\n\r\n")
            return (int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0), body

        st, _ = scurl("/healthz")
        check(st == 200, "HTTPS /healthz with the test CA (%d)" % st)
        st, _ = scurl("/streams")
        check(st == 401, "HTTPS without credentials: 401 (%d)" % st)
        st, _ = scurl("/topics/big", "-u", "alice:alice-pw", "-X", "PUT")
        check(st == 201, "HTTPS PUT /topics/big (%d)" % st)
        lines = "".join('{"i":%d,"pad":"%s"}\n' % (i, "x" * 280) for i in range(1000))
        with open(os.path.join(d, "big.ndjson"), "w") as f:
            f.write(lines)
        st, body = scurl("/topics/big?partition=0", "-u", "alice:alice-pw", "-H",
                         "Content-Type: application/x-ndjson", "--data-binary", "@" + os.path.join(d, "big.ndjson"))
        check(st == 200 and json.loads(body)["records"] == 1000,
              "HTTPS ingest of a %d-byte body: %d %r" % (len(lines), st, body[:80]))
        p = subprocess.run(["curl", "-s", "-N", "--max-time", "3"] + tls + ["-u", "alice:alice-pw",
                           url + "/events"], capture_output=True, timeout=30)
        check(b"data:" in p.stdout, "HTTPS server-sent events stream (%r)" % p.stdout[:60])
        p = subprocess.run(["curl", "-s", "--max-time", "5", "http://127.0.0.1:%d/healthz" % hport],
                           capture_output=True, timeout=30)
        check(b"ok" not in p.stdout, "plain HTTP on the HTTPS port gets no answer")
        check(srv.alive(), "server alive")
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0 (%s)" % rc)
    tmp.cleanup()


if __name__ == "__main__":
    main()
