"""test_http_acl.py - Kafka's ACLs on the HTTP API (issue 16).

`rill serve --http-listen` with users required and rill.acls.enable=true:
each route needs what the Kafka API doing the same needs, for the
principal User:<Basic user> (docs/security.md, "HTTP"), driven by curl:
  - alice (WRITE on readings) ingests; bob (READ only) gets 403 with the
    reason and nothing is stored; alice may describe readings (WRITE
    implies DESCRIBE) but not create, delete or alter topics;
  - listings, /metrics and /events need DESCRIBE on the cluster, SQL ALTER
    on it; a super user may do everything; /healthz stays open;
  - an ALLOW added with `rill acls` while the server runs applies within
    a second; a refusal is logged.

Run: /usr/bin/python3 tests/integration/test_http_acl.py
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, rill, wait_port  # noqa: E402


def curl(port, path, user=None, *args):
    cmd = ["curl", "-s", "-i", "--max-time", "20"]
    if user:
        cmd += ["-u", "%s:%s-pw" % (user, user)]
    p = subprocess.run(cmd + list(args) + ["http://127.0.0.1:%d%s" % (port, path)], capture_output=True,
                       timeout=30)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    return status, body


def ingest(port, user, topic, lines):
    return curl(port, "/topics/%s" % topic, user, "-H", "Content-Type: application/x-ndjson",
                "--data-binary", lines)


def main():
    hport = free_port()
    srv = Server(extra=["--http-listen", "127.0.0.1:%d" % hport, "--set", "http.authentication.required=true",
                        "--set", "rill.acls.enable=true", "--set", "super.users=User:admin"])
    for u in ("alice", "bob", "admin"):
        rill("users", "add", u, data=srv.data, input=u + "-pw\n")
    rill("acls", "add", "--allow", "--principal", "User:alice", "--operation", "WRITE", "--topic", "readings",
         data=srv.data)
    rill("acls", "add", "--allow", "--principal", "User:bob", "--operation", "READ", "--topic", "readings",
         data=srv.data)
    with srv:
        wait_port(hport, 10, srv.proc)
        st, body = curl(hport, "/topics/readings", "admin", "-X", "PUT")
        check(st == 201, "the super user creates readings (%d %r)" % (st, body[:100]))
        st, body = ingest(hport, "alice", "readings", '{"v":1}\n{"v":2}\n')
        check(st == 200 and json.loads(body)["records"] == 2, "alice ingests into readings (%d %r)"
              % (st, body[:100]))
        st, body = ingest(hport, "bob", "readings", '{"v":3}\n')
        check(st == 403 and b"User:bob may not WRITE TOPIC readings" in body,
              "bob may not: 403 with the reason (%d %r)" % (st, body[:120]))
        check("User:bob may not WRITE TOPIC readings" in srv.output(), "the refusal is logged")
        st, body = curl(hport, "/topics/readings", "alice")
        check(st == 200, "alice may describe readings: WRITE implies DESCRIBE (%d)" % st)
        ends = sum(p.get("end_offset", p.get("high_watermark", 0)) for p in json.loads(body).get("partitions", []))
        check(ends == 2, "two records stored, none of bob's (%s)" % body[:200])
        st, _ = curl(hport, "/topics/readings", "bob")
        check(st == 200, "bob may describe it too (READ implies DESCRIBE) (%d)" % st)
        for method, path, what in (("PUT", "/topics/other", "create a topic"),
                                   ("DELETE", "/topics/readings", "delete a topic"),
                                   ("PATCH", "/topics/readings", "alter a topic's settings")):
            st, body = curl(hport, path, "alice", "-X", method, "--data-binary", '{"retention.ms": 1000}')
            check(st == 403, "alice may not %s: 403 (%d %r)" % (what, st, body[:80]))
        for path in ("/topics", "/groups", "/metrics", "/streams", "/queries"):
            st, _ = curl(hport, path, "alice")
            check(st == 403, "alice: GET %s needs DESCRIBE on the cluster: 403 (%d)" % (path, st))
            st, _ = curl(hport, path, "admin")
            check(st == 200, "the super user: GET %s 200 (%d)" % (path, st))
        st, body = curl(hport, "/sql", "alice", "--data-binary", "SHOW STREAMS;")
        check(st == 403 and b"ALTER CLUSTER" in body, "alice: POST /sql needs ALTER on the cluster (%d %r)"
              % (st, body[:100]))
        st, body = curl(hport, "/sql", "admin", "--data-binary", "SHOW STREAMS;")
        check(st == 200, "the super user runs SQL (%d %r)" % (st, body[:100]))
        st, _ = curl(hport, "/healthz")
        check(st == 200, "/healthz stays open (%d)" % st)

        rill("acls", "add", "--allow", "--principal", "User:alice", "--operation", "DESCRIBE", "--cluster",
             data=srv.data)
        time.sleep(1.2)
        st, _ = curl(hport, "/metrics", "alice")
        check(st == 200, "an ALLOW added while running applies: alice reads /metrics (%d)" % st)
        st, _ = curl(hport, "/topics/other", "alice", "-X", "PUT")
        check(st == 403, "and still may not create topics (%d)" % st)
        check(srv.alive(), "server alive")
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0 (%s)" % rc)


if __name__ == "__main__":
    main()
