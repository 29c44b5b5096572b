"""rilltest.py - shared helpers for integration tests (run with /usr/bin/python3).

Every test starts and stops its own `rill` processes, by process id, on
127.0.0.1 ports picked free at run time, with data under a temporary folder.
The binary is $RILL (tests/run.sh sets it), else build/rill.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("RILL_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RILL = os.environ.get("RILL") or os.path.join(ROOT, "build", "rill")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("rill exited with %s before listening" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d not listening after %.1fs" % (port, timeout))


def rill(*args, data=None, input=None, timeout=60, check=True, env=None):
    """Runs `rill ARGS --data DATA`; returns CompletedProcess (text mode)."""
    cmd = [RILL] + list(args)
    if data is not None:
        cmd += ["--data", data]
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                       timeout=timeout, env=e)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr))
    return p


class Server:
    """`rill serve` on a free loopback port with its own data directory."""

    def __init__(self, data=None, extra=(), env=None):
        self.tmp = None
        if data is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="rill-it-")
            data = self.tmp.name
        self.data = data
        self.port = free_port()
        self.extra = list(extra)
        self.env = env
        self.proc = None
        self.log_path = os.path.join(tempfile.gettempdir(), "rill-serve-%d.log" % self.port)

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        e = dict(os.environ)
        if self.env:
            e.update(self.env)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [RILL, "serve", "--data", self.data, "--listen", self.bootstrap] + self.extra,
            stdout=self.log, stderr=subprocess.STDOUT, env=e)
        wait_port(self.port, timeout, self.proc)
        return self

    def stop(self, timeout=15.0):
        """SIGTERM and wait; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        self.log.close()
        return rc

    def kill(self):
        """SIGKILL (a crash) and wait."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self.log.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self.tmp is not None:
            self.tmp.cleanup()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


def check(cond, msg):
    """Assert that prints a message and exits non-zero (no pytest needed)."""
    if not cond:
        print("FAIL:", msg, file=sys.stderr)
        sys.exit(1)
    print("ok:", msg)
