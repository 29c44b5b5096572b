"""test_http_auth.py - users on the HTTP listener (issue 16).

`rill serve --http-listen` with http.authentication.required=true and a
user made with `rill users`, driven by curl:
  - no credentials: 401 with WWW-Authenticate: Basic; a wrong password and
    an unknown user: 401; the right ones: the API answers;
  - /healthz and /readyz stay open (probes);
  - a user added with `rill users` while the server runs can log in.

Run: /usr/bin/python3 tests/integration/test_http_auth.py
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, rill, wait_port  # noqa: E402


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


if __name__ == "__main__":
    main()
