"""test_http_admin_sasl.py - the REST admin routes when the only Kafka
listener is SASL_SSL (SCRAM users, ACLs on, super user admin): PATCH
/topics/{t} (settings, more partitions), POST /groups/{g}/reset-offsets and
DELETE /topics/{t} work (and GET /groups/{g} describes the group), made in process as the HTTP user (no socket to the
listener, no plaintext listener); the broker's ACLs apply to that user:
alice, with no ALTER or DELETE on the topic, is refused with 403 and the
topic is unchanged; the server logs no SASL error for the routes, and a
Kafka client over SASL_SSL sees the changes (the topic's partitions, the
group's committed offsets).
"""
import http.client
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from base64 import b64encode  # noqa: E402

from rilltest import check, free_port, rill, wait_port  # noqa: E402
from test_broker_sasl import SaslServer, add_user, make_pki  # noqa: E402


def req(port, method, path, user, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Authorization": "Basic " + b64encode(user.encode()).decode(),
         "Content-Type": "application/x-ndjson" if "partition=" in path else "application/json"}
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def main():
    from confluent_kafka import Consumer, TopicPartition

    tmp = tempfile.TemporaryDirectory(prefix="rill-admin-sasl-")
    d = tmp.name
    make_pki(d)
    data = os.path.join(d, "data")
    os.mkdir(data)
    add_user(data, "admin", "admin-secret")
    add_user(data, "alice", "alice-secret")
    hp = free_port()
    extra = ["--set", "ssl.keystore.location=" + os.path.join(d, "server.pem"),
             "--set", "ssl.key.location=" + os.path.join(d, "server.key"),
             "--set", "super.users=User:admin",
             "--http-listen", "127.0.0.1:%d" % hp]
    admin, alice = "admin:admin-secret", "alice:alice-secret"
    with SaslServer(data=data, extra=extra) as srv:
        wait_port(hp, 10, srv.proc)
        st, r = req(hp, "PUT", "/topics/orders", admin, '{"partitions": 2}')
        check(st in (200, 201), "PUT /topics/orders: %s %s" % (st, r))
        st, r = req(hp, "POST", "/topics/orders?key=none&partition=0", admin,
                    "\n".join(json.dumps({"n": i}) for i in range(10)))
        check(st == 200 and r["records"] == 10, "ingest 10 records: %s" % r)

        # alice: no ALTER, no DELETE on orders: refused by the broker's ACLs
        st, r = req(hp, "PATCH", "/topics/orders", alice, '{"retention.ms": 60000}')
        check(st == 403 and "uthoriz" in r["error"], "alice may not alter orders: %s %s" % (st, r))
        st, r = req(hp, "DELETE", "/topics/orders", alice)
        check(st == 403, "alice may not delete orders: %s %s" % (st, r))

        # admin (the super user): settings and partitions
        st, r = req(hp, "PATCH", "/topics/orders", admin, '{"retention.ms": 86400000, "partitions": 3}')
        check(st == 200 and r["config"]["retention.ms"] == 86400000 and r["config"]["partitions"] == 3,
              "PATCH over a SASL_SSL-only broker: %s %s" % (st, r))
        st, r = req(hp, "PATCH", "/topics/orders", admin, '{"retention.ms": null}')
        check(st == 200 and r["config"]["retention.ms"] != 86400000, "null: back to the default: %s" % r)
        st, r = req(hp, "PATCH", "/topics/orders", admin, '{"segment.bytes": "tiny"}')
        check(st == 400, "a value the broker refuses: 400 (%s %s)" % (st, r))

        # offsets of a group with no members
        st, r = req(hp, "POST", "/groups/dash/reset-offsets", admin, '{"topic": "orders", "to": 4}')
        check(st == 200 and r["partitions"][0] == {"partition": 0, "offset": 4},
              "reset-offsets to 4: %s %s" % (st, r))
        c = Consumer({"bootstrap.servers": srv.bootstrap, "security.protocol": "SASL_SSL",
                      "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "admin",
                      "sasl.password": "admin-secret", "ssl.ca.location": os.path.join(d, "ca.pem"),
                      "group.id": "dash", "enable.auto.commit": False})
        got = c.committed([TopicPartition("orders", 0)], timeout=15)
        md = c.list_topics("orders", timeout=15)
        c.close()
        check(got[0].offset == 4 and len(md.topics["orders"].partitions) == 3,
              "a SASL_SSL client sees the committed offset and 3 partitions: %s" % got)
        st, r = req(hp, "GET", "/groups/dash", admin)
        check(st == 200 and r["group"] == "dash" and r["lag"] == 6 and
              {"topic": "orders", "partition": 0, "committed": 4, "end": 10, "lag": 6} in r["partitions"],
              "GET /groups/dash describes the group: %s %s" % (st, r))
        st, r = req(hp, "GET", "/groups/nobody", admin)
        check(st == 404, "GET /groups/nobody: 404 (%s)" % st)
        st, r = req(hp, "POST", "/groups/dash/reset-offsets", admin, '{"topic": "orders", "to": "earliest"}')
        check(st == 200 and r["partitions"][0]["offset"] == 0, "reset to earliest: %s" % r)

        # deletion
        st, r = req(hp, "DELETE", "/topics/orders", admin)
        check(st == 200 and r == {"deleted": "orders"}, "DELETE over SASL_SSL: %s %s" % (st, r))
        st, r = req(hp, "GET", "/topics/orders", admin)
        check(st == 404, "the topic is gone (%s)" % st)
        st, r = req(hp, "DELETE", "/topics/orders", admin)
        check(st == 404, "deleting it again: 404 (%s %s)" % (st, r))
        check(srv.alive(), "server alive")
        out = srv.output()
        check("before SASL authentication" not in out and "handshake" not in out.lower(),
              "no SASL or TLS errors in the log")
        rc = srv.stop()
        check(rc == 0, "SIGTERM: exit 0 (%s)" % rc)
    print("test_http_admin_sasl: ok")


if __name__ == "__main__":
    main()
