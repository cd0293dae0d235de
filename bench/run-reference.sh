#!/usr/bin/env bash
# Starts the reference y-websocket server (@y/websocket-server 0.1.1 on yjs 13)
# that accord-loadtest measures Accord against. Benchmark tooling only: it is
# installed here, never in the product.
#
#   bench/run-reference.sh PORT
#
# Rooms are addressed as ws://127.0.0.1:PORT/<room-name>. `exec` keeps the
# node process at this script's PID, so `--server-pid $!` measures node itself.
set -euo pipefail
cd "$(dirname "$0")"
port="${1:?usage: run-reference.sh PORT}"
if [ ! -f node_modules/@y/websocket-server/src/server.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
HOST=127.0.0.1 PORT="$port" exec node node_modules/@y/websocket-server/src/server.js
