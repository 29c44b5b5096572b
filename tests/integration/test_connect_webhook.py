"""test_connect_webhook.py - the webhook sink (libcurl) against an HTTP
server the test runs: rows posted one by one and in batches; a 503 is
retried with backoff until it succeeds; a 400 sends the row to the
dead-letter topic with the response; store and forward: the server is
stopped mid-stream (rill's anonymous memory stays bounded while the lag
grows in the log), started again on the same port, and every row arrives
exactly once.
"""
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, rill  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

lock = threading.Lock()
got = {"/one": [], "/batch": []}
bodies = {"/batch": 0}
flaky = {"left": 2}
down = threading.Event()  # the server "crashed": open connections die too


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        if down.is_set():
            self.close_connection = True
            return
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n))
        status, reply = 200, b"ok"
        with lock:
            rows = body if isinstance(body, list) else [body]
            if self.path == "/one" and rows[0].get("seq") == 7 and flaky["left"]:
                flaky["left"] -= 1
                status, reply = 503, b"busy"
            elif self.path == "/one" and rows[0].get("seq") == 13:
                status, reply = 400, b"seq 13 is not welcome"
            else:
                got.setdefault(self.path, []).extend(r["seq"] for r in rows)
                if self.path == "/batch":
                    bodies["/batch"] += 1
        self.send_response(status)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


class Web:
    def __init__(self, port):
        self.port = port
        self.srv = None

    def start(self):
        down.clear()
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                   Handler)
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def stop(self):
        down.set()
        self.srv.shutdown()
        self.srv.server_close()
        self.t.join(5)


def produce(bootstrap, topic, lo, hi):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                  "log_level": 2})
    for i in range(lo, hi):
        p.produce(topic, value=json.dumps({"seq": i, "v": i % 7}))
        if i % 5000 == 0:
            p.poll(0)
    check(p.flush(30) == 0, "produced %s %d..%d" % (topic, lo, hi - 1))


def rss_anon_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def wait_for(fn, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return
        time.sleep(0.2)
    check(False, what)


def main():
    port = free_port()
    web = Web(port)
    web.start()
    with Server(env={"RILL_WORKERS": "1"}) as srv:
        sql = """
CREATE STREAM events (seq BIGINT, v INT) WITH (topic = 'events');
CREATE STREAM hook_one WITH ('connector' = 'webhook',
  'url' = 'http://127.0.0.1:%d/one', 'sink.retry-backoff' = '50 ms',
  'sink.max-retries' = '5') AS SELECT seq, v FROM events WHERE seq < 30;
CREATE STREAM bulk (seq BIGINT, v INT) WITH (topic = 'bulk');
CREATE STREAM hook_batch WITH ('connector' = 'webhook',
  'url' = 'http://127.0.0.1:%d/batch', 'sink.batch-size' = '500',
  'sink.retry-backoff' = '50 ms') AS SELECT seq, v FROM bulk;
""" % (port, port)
        out = rill("sql", data=srv.data, input=sql)
        check(out.stdout.count("started query") == 2, "two webhook sinks")
        bad = rill("sql", data=srv.data, check=False, input=(
            "CREATE STREAM x WITH ('connector' = 'webhook', 'url' = "
            "'ftp://x') AS SELECT seq FROM events;"))
        check(bad.returncode != 0 and "'url'" in bad.stderr,
              "a bad URL is refused: %s" % bad.stderr.strip())

        # Per row: 503 retried, 400 dead-lettered with the response.
        produce(srv.bootstrap, "events", 0, 30)
        wait_for(lambda: len(got["/one"]) >= 29, 30, "29 rows posted")
        with lock:
            one = list(got["/one"])
        check(one == [i for i in range(30) if i != 13],
              "posted in order, each once, 7 after two 503s: %s" % one[:20])
        check(flaky["left"] == 0, "the 503s were retried")
        c = Consumer({"bootstrap.servers": srv.bootstrap, "group.id": "dlq",
                      "log_level": 2})
        c.assign([TopicPartition("hook_one.dlq", 0, 0)])
        dead = None
        deadline = time.time() + 15
        while dead is None and time.time() < deadline:
            m = c.poll(0.3)
            if m is not None and not m.error():
                dead = json.loads(m.value())
        c.close()
        check(dead is not None and dead["reason"] == "HTTP 400" and
              dead["response"] == "seq 13 is not welcome" and
              json.loads(dead["value"])["seq"] == 13,
              "the refused row is in hook_one.dlq with the response: %s" % dead)

        # Batches, and store and forward.
        produce(srv.bootstrap, "bulk", 0, 20000)
        wait_for(lambda: len(got["/batch"]) >= 20000, 60, "20,000 rows posted")
        check(bodies["/batch"] <= 200, "posted in batches (%d requests)"
              % bodies["/batch"])
        web.stop()
        base = rss_anon_kb(srv.proc.pid)
        produce(srv.bootstrap, "bulk", 20000, 120000)
        time.sleep(3)
        grown = rss_anon_kb(srv.proc.pid) - base
        print("anonymous RSS growth with the webhook down: %d KB" % grown)
        check(grown < 64 * 1024, "RSS stays bounded while the target is down")
        with lock:
            check(len(got["/batch"]) == 20000, "nothing delivered while down")
        web.start()
        wait_for(lambda: len(got["/batch"]) >= 120000, 120,
                 "the backlog is delivered once the target is back")
        time.sleep(1)
        with lock:
            b = list(got["/batch"])
        check(len(b) == 120000 and sorted(b) == list(range(120000)),
              "no row lost, none twice (%d rows)" % len(b))
        check(b == sorted(b), "in order")
    web.stop()
    print("test_connect_webhook: ok")


if __name__ == "__main__":
    main()
