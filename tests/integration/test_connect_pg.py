"""test_connect_pg.py - the PostgreSQL sink: a windowed query's rows are
upserted on key + window into a PostgreSQL the test starts (initdb/pg_ctl
in a temp dir, loopback port); PostgreSQL is stopped mid-stream (the
sink's lag grows, rill's anonymous memory stays bounded), restarted (the
sink resumes from its committed offsets: every window lands, none twice);
then the sink's offsets are deleted and rill restarted, so it replays the
whole topic: the table is unchanged (idempotent upserts).
"""
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check, free_port, rill  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

PGBIN = "/usr/lib/postgresql/15/bin"
BASE = 1767225600000  # 2026-01-01T00:00:00Z


def as_pg(cmd, **kw):
    """Runs a PostgreSQL tool (never as root: initdb refuses)."""
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


class Pg:
    def __init__(self, root):
        self.dir = os.path.join(root, "pg")
        self.port = free_port()
        os.makedirs(self.dir)
        if os.getuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(root, pw.pw_uid, pw.pw_gid)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        r = as_pg([PGBIN + "/initdb", "-D", self.dir + "/data", "-A", "trust",
                   "-U", "postgres", "--no-sync"])
        check(r.returncode == 0, "initdb: %s" % r.stderr[-300:])

    def start(self):
        r = as_pg([PGBIN + "/pg_ctl", "-D", self.dir + "/data", "-w", "-l",
                   self.dir + "/log", "-o",
                   "-p %d -h 127.0.0.1 -k %s -F" % (self.port, self.dir),
                   "start"])
        check(r.returncode == 0, "pg_ctl start: %s" % r.stderr[-300:])

    def stop(self):
        as_pg([PGBIN + "/pg_ctl", "-D", self.dir + "/data", "-w", "-m",
               "fast", "stop"])

    def query(self, sql):
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", "-d", "postgres", "-At", "-c",
                            sql], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            return None
        return r.stdout.strip()


def produce(bootstrap, lo, hi):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                  "log_level": 2})
    for i in range(lo, hi):
        m = "m%d" % (i % 10)
        p.produce("readings", key=m, value=json.dumps(
            {"machine_id": m, "temp": float(i % 100),
             "ts": BASE + i * 100}))
        if i % 5000 == 0:
            p.poll(0)
    check(p.flush(30) == 0, "produced readings %d..%d" % (lo, hi - 1))


def rss_anon_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def wait_for(fn, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.3)
    check(False, what)


def main():
    root = tempfile.mkdtemp(prefix="rill-pg-")
    pg = Pg(root)
    pg.start()
    srv = Server(env={"RILL_WORKERS": "1"})
    try:
        srv.start()
        url = "host=127.0.0.1 port=%d dbname=postgres user=postgres " \
              "connect_timeout=3" % pg.port
        sql = """
CREATE STREAM readings (machine_id STRING, temp DOUBLE, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH (topic = 'readings', key = 'machine_id', 'watermark.idle-timeout' = '1 h');
CREATE TABLE per_machine WITH ('connector' = 'postgres', 'url' = '%s',
  'table-name' = 'per_machine', key = 'machine_id', 'sink.batch-size' = '200') AS
  SELECT machine_id, window_start, window_end, COUNT(*) AS n, MAX(temp) AS hi
  FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY machine_id, window_start, window_end;
""" % url
        out = rill("sql", data=srv.data, input=sql)
        check("started query" in out.stdout, "sink declared: %s" % out.stdout)
        # Bad options are refused with a reason.
        bad = rill("sql", data=srv.data, check=False, input=(
            "CREATE STREAM x WITH ('connector' = 'postgres', 'url' = 'x', "
            "'table-name' = 't') AS SELECT temp FROM readings;"))
        check(bad.returncode != 0 and "primary key" in bad.stderr,
              "a postgres sink without a key is refused: %s" % bad.stderr)

        # Phase 1: 20,000 readings (200 windows of 10 machines), delivered.
        produce(srv.bootstrap, 0, 20000)
        wait_for(lambda: pg.query("SELECT count(*) FROM per_machine") == "1990",
                 60, "phase 1: every fired window is in PostgreSQL")
        check(pg.query("SELECT sum(n) FROM per_machine") == "19900",
              "phase 1: the counts add up (the last window is still open)")

        # Phase 2: PostgreSQL goes away; rill keeps the rows in its log.
        pg.stop()
        base = rss_anon_kb(srv.proc.pid)
        produce(srv.bootstrap, 20000, 120000)
        time.sleep(3)
        grown = rss_anon_kb(srv.proc.pid) - base
        print("anonymous RSS growth with PostgreSQL down: %d KB" % grown)
        check(grown < 64 * 1024, "RSS stays bounded while the target is "
              "down (%d KB)" % grown)
        check(srv.alive(), "rill is still up")
        pg.start()
        wait_for(lambda: pg.query("SELECT count(*) FROM per_machine") == "11990",
                 90, "phase 2: the sink resumed and delivered the backlog")
        check(pg.query("SELECT sum(n) FROM per_machine") == "119900",
              "phase 2: no row lost, none counted twice")
        check(pg.query("SELECT count(*) FROM (SELECT machine_id, window_start "
                       "FROM per_machine GROUP BY 1, 2 HAVING count(*) > 1) d")
              == "0", "one row per key and window")

        # Phase 3: forget the offsets: a full replay changes nothing.
        before = pg.query("SELECT md5(string_agg(machine_id || window_start "
                          "|| n || hi, ',' ORDER BY machine_id, window_start)) "
                          "FROM per_machine")
        srv.stop()
        os.unlink(os.path.join(srv.data, "_connectors", "per_machine.offsets"))
        srv.start()
        time.sleep(4)
        after = pg.query("SELECT md5(string_agg(machine_id || window_start "
                         "|| n || hi, ',' ORDER BY machine_id, window_start)) "
                         "FROM per_machine")
        offs = open(os.path.join(srv.data, "_connectors",
                                 "per_machine.offsets")).read()
        check("rill-connector-offsets 1" in offs, "the replay committed "
              "offsets again")
        check(before == after and before, "a replay leaves the table as it was")
        check(pg.query("SELECT count(*) FROM per_machine") == "11990",
              "no duplicate after the replay")
    finally:
        if srv.proc is not None:
            print(srv.output()[-3000:])
        srv.stop()
        pg.stop()
        if srv.tmp is not None:
            srv.tmp.cleanup()
        shutil.rmtree(root, ignore_errors=True)
    print("test_connect_pg: ok")


if __name__ == "__main__":
    main()
