"""test_sql_shell.py - the embedded `rill sql` shell has no side effects
when it only reads, a script of CREATE ... IF NOT EXISTS runs twice, and
Ctrl-C on a terminal (a pty) ends the running SELECT or drops the
statement being typed, keeping the shell and its SET settings.

- A persistent query (q_1) exists and is RUNNING in the catalog; more
  input arrives while no process runs it. `SHOW QUERIES`, `DESCRIBE`,
  `EXPLAIN`, `SET` and a transient SELECT piped into `rill sql` start
  nothing: no "query q_1 started", its sink topic and its progress file
  are unchanged (they restarted every persistent query before).
- A statement that changes the catalog (CREATE ... IF NOT EXISTS) makes
  the session host the catalog's queries, as before.
- The setup script, every CREATE with IF NOT EXISTS, runs a second time
  with exit status 0 and changes nothing.
- On a pty: Ctrl-C during `SELECT * FROM readings` (latest offset: it
  would wait forever) brings the prompt back; Ctrl-C at the prompt and
  in the middle of a statement gives a fresh prompt (it killed the shell
  before); the SET made before is still in force (EXPLAIN shows the latest
  offset); `quit` exits 0. The same through `rill serve`, where the
  SELECT runs inside the server.
"""
import os
import pty
import select
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import RILL, Server, check, rill  # noqa: E402

SETUP = """
CREATE STREAM IF NOT EXISTS readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
CREATE TABLE IF NOT EXISTS sites (sensor_id STRING, site STRING)
  WITH (format = 'json', key = 'sensor_id');
CREATE STREAM IF NOT EXISTS hot AS
  SELECT sensor_id, value FROM readings WHERE value > 5;
CREATE TABLE IF NOT EXISTS counts AS
  SELECT sensor_id, COUNT(*) AS n FROM readings GROUP BY sensor_id;
"""


def produce(data, part, rows):
    text = "".join('{"sensor_id":"%s","value":%s,"ts":%d}\n' % r for r in rows)
    rill("produce", "readings", "--partition", str(part), "--quiet",
         data=data, input=text)


def count(data, topic):
    return len(rill("consume", topic, data=data).stdout.splitlines())


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def scripts_and_read_only(data):
    setup = os.path.join(os.path.dirname(data), "setup.sql")
    with open(setup, "w") as f:
        f.write(SETUP)
    rill("topics", "create", "readings", "--partitions", "2", data=data)
    produce(data, 0, [("a", 7, 1000), ("b", 1, 2000)])
    produce(data, 1, [("c", 9, 1500)])
    p = rill("run", setup, "--until-idle", data=data)
    check("started query q_1" in p.stdout and "started query q_2" in p.stdout,
          "first run: q_1 and q_2 started (%r)" % p.stdout)
    check(count(data, "hot") == 2, "hot holds the 2 rows over 5")

    # The same script again: every CREATE is skipped, exit 0.
    p = rill("run", setup, "--until-idle", data=data, check=False)
    check(p.returncode == 0, "second run exits 0 (%d: %s)" % (p.returncode, p.stderr))
    for what in ("stream readings", "table sites", "hot", "counts"):
        check("%s already exists (skipped)" % what in p.stdout,
              "second run skips %s" % what)
    check(count(data, "hot") == 2, "the second run wrote nothing new to hot")

    # New input while nothing runs q_1; read-only sessions must not start it.
    produce(data, 0, [("a", 8, 3000), ("b", 6, 4000)])
    progress = os.path.join(data, "_queries", "q_1.progress")
    before = read_file(progress)
    stmts = [
        "SHOW QUERIES;",
        "DESCRIBE q_1;",
        "EXPLAIN SELECT * FROM readings;",
        "SET 'scan.startup.mode' = 'earliest-offset';",
        "SELECT sensor_id FROM readings LIMIT 1;",
        "SHOW STREAMS; DESCRIBE hot;",
    ]
    for s in stmts:
        p = rill("sql", data=data, input=s + "\n", timeout=30, check=False)
        check(p.returncode == 0, "%s exits 0 (%s)" % (s, p.stderr))
        check("started" not in p.stderr,
              "%s started no query (stderr: %r)" % (s, p.stderr))
    check(count(data, "hot") == 2, "read-only sessions wrote nothing to hot")
    check(read_file(progress) == before, "q_1's progress file is unchanged")
    p = rill("sql", data=data, input="SHOW QUERIES;\n")
    check("q_1  RUNNING" in p.stdout, "q_1 is still RUNNING in the catalog")

    # A statement that writes: the session hosts the catalog's queries.
    p = rill("sql", data=data, input="CREATE STREAM IF NOT EXISTS hot AS "
             "SELECT sensor_id, value FROM readings WHERE value > 5;\n")
    check("query q_1 started" in p.stderr,
          "a writing statement resumes the queries (%r)" % p.stderr)


class Shell:
    """`rill sql` on a pty."""

    def __init__(self, data):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(RILL, [RILL, "sql", "--data", data])
        self.buf = b""

    def expect(self, text, timeout=10.0):
        """Reads until text appears; returns what came before it."""
        want = text.encode()
        deadline = time.time() + timeout
        while want not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no %r within %.0fs; got %r" % (text, timeout, self.buf))
            r, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError("the shell ended waiting for %r; got %r" % (text, self.buf))
                self.buf += chunk
        i = self.buf.index(want)
        before, self.buf = self.buf[:i], self.buf[i + len(want):]
        return before.decode(errors="replace")

    def send(self, s):
        os.write(self.fd, s.encode())

    def alive(self):
        return os.waitpid(self.pid, os.WNOHANG) == (0, 0)

    def wait(self, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = 0
                return status
            try:
                os.read(self.fd, 4096)
            except OSError:
                pass
            time.sleep(0.05)
        return None

    def kill(self):
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        os.close(self.fd)


def ctrl_c(data, remote=False):
    sh = Shell(data)
    try:
        if remote:
            sh.expect("Connected to rill serve")
        sh.expect("rill> ")
        sh.send("SET 'scan.startup.mode' = 'latest-offset';\n")
        sh.expect("set 'scan.startup.mode' = 'latest-offset'")
        sh.expect("rill> ")
        # From the latest offset, with no new input: runs until Ctrl-C.
        sh.send("SELECT sensor_id, value FROM readings;\n")
        sh.expect("SELECT sensor_id, value FROM readings;")
        time.sleep(1.0)
        check(sh.alive() and b"rill> " not in sh.buf, "the SELECT is running")
        sh.send("\x03")
        sh.expect("rill> ", timeout=5)
        check(sh.alive(), "Ctrl-C ended the SELECT, the shell goes on%s" %
              (" (inside rill serve)" if remote else ""))
        # At the prompt: a fresh prompt, not the end of the shell; sent as
        # soon as the prompt shows (a Ctrl-C landing just before the read
        # must not be lost).
        for _ in range(5):
            sh.send("\x03")
            sh.expect("rill> ", timeout=5)
        time.sleep(0.3)
        check(sh.alive(), "Ctrl-C at the prompt keeps the shell")
        # In the middle of a statement: it is dropped.
        sh.send("SELECT *\n")
        sh.expect("...> ")
        sh.send("\x03")
        sh.expect("rill> ", timeout=5)
        sh.send("EXPLAIN SELECT * FROM readings;\n")
        out = sh.expect("rill> ")
        check("from the latest offset" in out,
              "the SET survived the Ctrl-Cs (EXPLAIN: %r)" % out[-300:])
        check("FROM readings" in out and "error" not in out.lower(),
              "the dropped 'SELECT *' did not join the next statement")
        sh.send("quit\n")
        status = sh.wait()
        check(status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
              "quit exits 0 (status %r)" % status)
    finally:
        sh.kill()


def main():
    with tempfile.TemporaryDirectory(prefix="rill-it-") as tmp:
        data = os.path.join(tmp, "data")
        scripts_and_read_only(data)
        ctrl_c(data)
        # Through rill serve: Ctrl-C ends the SELECT running inside the
        # server (the shell reconnects and sends its SETs again).
        with Server(data=data) as srv:
            ctrl_c(data, remote=True)
            check(srv.alive(), "the server survived the interrupted sessions")
    print("PASS test_sql_shell")


if __name__ == "__main__":
    main()
