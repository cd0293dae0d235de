#!/usr/bin/env bash
# co-edit against Accord (one node, SQLite, fresh database and document), as
# measured in BENCHMARKS.md. Release binaries come from target/release.
#
#   bench/co-edit.sh EDITORS SECONDS [more accord-loadtest co-edit options, e.g. --replicas 4]
set -euo pipefail
editors="${1:?usage: co-edit.sh EDITORS SECONDS [options]}"
seconds="${2:?usage: co-edit.sh EDITORS SECONDS [options]}"
shift 2
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../target/release"
work=$(mktemp -d)
# 500 editors share one account here; a person never holds that many sockets.
ACCORD_MAX_SOCKETS_PER_ACCOUNT=100000 ACCORD_BIND=127.0.0.1:18095 DATABASE_URL="sqlite://$work/accord.db" RUST_LOG=warn "$bin/accord" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18095/readyz >/dev/null && break; sleep 0.2; done
eval "$("$here/accord-coedit-setup.sh" http://127.0.0.1:18095)"
"$bin/accord-loadtest" co-edit --url "ws://127.0.0.1:18095/api/v1/yjs/$DOC" --cookie "accord_session=$CK" \
  --server-http http://127.0.0.1:18095 --editors "$editors" --rate 5 --duration "$seconds" --server-pid "$pid" "$@"
