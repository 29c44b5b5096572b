# lib.sh - shared helpers for shell integration tests (source it).
# Each test starts and stops its own processes, by pid, on free loopback ports.
set -euo pipefail
# With pipefail, `echo "$out" | grep -q x` fails when grep -q exits at its
# first match while echo still writes (SIGPIPE): tests write
# `{ echo "$out" || true; } | grep -q x`.
RILL=${RILL:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/rill}
TMP=$(mktemp -d /tmp/rill-it.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { local port=$1 i; for i in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0; sleep 0.05; done; echo "port $port not listening" >&2; return 1; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
