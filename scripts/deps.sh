#!/usr/bin/env bash
# Installs the Debian packages rill needs to build, test and benchmark.
# Idempotent: when every package is present it prints nothing and changes nothing.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

PKGS=(
  gcc make pkg-config clang libclang-rt-14-dev clang-format
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev librdkafka-dev
  kcat python3 python3-kafka python3-confluent-kafka python3-paho-mqtt
  sqlite3 redis-server mosquitto mosquitto-clients
  postgresql libpq-dev procps libedit-dev libssl-dev openssl
  libmosquitto-dev libcurl4-openssl-dev libprotobuf-c-dev protobuf-c-compiler
  golang-go golang-github-shopify-sarama-dev
  prometheus chromium
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# The dashboard's browser test drives Debian's chromium with playwright-core
# from npm, installed into tests/browser/node_modules (ignored by git).
npm_deps() {
  local dir; dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  [ -d "$dir/node_modules/playwright-core" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "deps.sh: npm not found; install Node.js and npm for the browser test" >&2
    return 1
  fi
  echo "deps.sh: npm install in tests/browser" >&2
  (cd "$dir" && npm install --no-audit --no-fund --silent)
}
if [ ${#missing[@]} -eq 0 ]; then
  npm_deps
  exit $?
fi

echo "deps.sh: installing missing Debian packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "deps.sh: not root and no sudo; install these by hand: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts some of these services on install; tests start their own.
for svc in redis-server mosquitto postgresql; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
npm_deps
echo "deps.sh: done" >&2
