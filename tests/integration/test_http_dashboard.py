"""test_http_dashboard.py - the dashboard in a real browser: headless
Debian Chromium, driven by playwright-core (tests/browser/dashboard.js),
loads `/` from `rill serve --http-listen` with a stream and an alert query,
checks that it goes live, that the chart and the alert feed update as
records arrive, and that its numbers match the API. Screenshots are kept in
build/screenshots/ (or $RILL_SCREENSHOTS).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import ROOT, Server, check, free_port, wait_port  # noqa: E402

import http.client  # noqa: E402
import json  # noqa: E402

SETUP = """
CREATE STREAM readings (sensor_id STRING, value DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (topic = 'readings', format = 'json', partitions = 2);
CREATE STREAM alerts AS SELECT sensor_id, value, ts FROM readings WHERE value > 50;
"""


def main():
    node_modules = os.path.join(ROOT, "tests", "browser", "node_modules", "playwright-core")
    check(os.path.isdir(node_modules), "playwright-core installed (scripts/deps.sh)")
    check(os.path.exists("/usr/bin/chromium"), "Debian chromium installed (scripts/deps.sh)")
    shots = os.environ.get("RILL_SCREENSHOTS") or os.path.join(ROOT, "build", "screenshots")
    for f in ("dashboard-1.png", "dashboard-2.png", "dashboard-3.png", "dashboard-4.png", "dashboard-phone.png"):
        try:
            os.unlink(os.path.join(shots, f))
        except OSError:
            pass
    hp = free_port()
    srv = Server(extra=["--http-listen", "127.0.0.1:%d" % hp])
    srv.start()
    try:
        wait_port(hp, 10, srv.proc)
        c = http.client.HTTPConnection("127.0.0.1", hp, timeout=20)
        c.request("POST", "/sql", body=SETUP)
        r = json.loads(c.getresponse().read())
        check(r["ok"], "the stream and the alert query are created")
        texts = []
        for path in ("/", "/app.js", "/style.css"):
            c.request("GET", path)
            res = c.getresponse()
            texts.append(res.read().decode())
            check(res.status == 200, "GET %s: %d" % (path, res.status))
        check(not any("http://" in t or "https://" in t or "//cdn" in t for t in texts),
              "the page loads nothing from elsewhere (no CDN)")
        c.close()
        p = subprocess.run(["node", os.path.join(ROOT, "tests", "browser", "dashboard.js"),
                            "http://127.0.0.1:%d" % hp, shots],
                           capture_output=True, text=True, timeout=240)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr[-3000:])
        check(p.returncode == 0, "the dashboard test in Chromium passed")
        for f in ("dashboard-1.png", "dashboard-2.png", "dashboard-3.png", "dashboard-4.png",
                  "dashboard-phone.png"):
            path = os.path.join(shots, f)
            check(os.path.exists(path) and os.path.getsize(path) > 10000, "screenshot kept: %s" % path)
        rc = srv.stop()
        check(rc == 0, "rill serve stopped cleanly after the dashboard session (exit %s)" % rc)
    finally:
        srv.stop()
        srv.tmp.cleanup()


if __name__ == "__main__":
    main()
