"""test_sarama.py - a client that does not negotiate versions: Go's sarama
from Debian (golang-github-shopify-sarama-dev 1.22, built offline in GOPATH
mode with golang-go), configured for Kafka 2.2. It never sends ApiVersions
and opens with Metadata v5 (which rill closed the connection on when
Metadata stopped at v4), then admin calls, acks=all produce, a partition
consumer and a consumer group: tests/integration/sarama/main.go.

Run: /usr/bin/python3 tests/integration/test_sarama.py
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rilltest import Server, check  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def build(tmp):
    src = os.path.join(tmp, "src", "saramatest")
    os.makedirs(src)
    shutil.copy(os.path.join(HERE, "sarama", "main.go"), src)
    env = dict(os.environ, GO111MODULE="off", GOPATH=tmp + ":/usr/share/gocode",
               GOCACHE=os.path.join(tmp, "cache"), GOPROXY="off", GOFLAGS="")
    out = os.path.join(tmp, "saramatest")
    p = subprocess.run(["go", "build", "-o", out, "."], cwd=src, env=env,
                       capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, "sarama test program builds offline (%s)" % p.stderr[-500:])
    return out


def main():
    with tempfile.TemporaryDirectory(prefix="rill-sarama-") as tmp:
        exe = build(tmp)
        with Server() as srv:
            p = subprocess.run([exe, srv.bootstrap], capture_output=True, text=True, timeout=180)
            sys.stdout.write(p.stdout)
            check(p.returncode == 0, "sarama against rill serve (%s)" % p.stderr.strip())
            check(srv.alive(), "the broker is still up")
            check("closing" not in srv.output(), "no connection was closed for bad input")
    print("test_sarama: ok")


if __name__ == "__main__":
    main()
