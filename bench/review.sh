#!/usr/bin/env bash
# review against Accord (one node, SQLite, fresh database and document), as
# measured in BENCHMARKS.md. Release binaries come from target/release.
#
#   bench/review.sh [more accord-loadtest review options, e.g. --blocks 300 --words 100]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../target/release"
work=$(mktemp -d)
ACCORD_BIND=127.0.0.1:18097 DATABASE_URL="sqlite://$work/accord.db" RUST_LOG=warn "$bin/accord" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18097/readyz >/dev/null && break; sleep 0.2; done
eval "$("$here/accord-coedit-setup.sh" http://127.0.0.1:18097)"
"$bin/accord-loadtest" review --server-http http://127.0.0.1:18097 --doc "$DOC" --cookie "accord_session=$CK" \
  --db "$work/accord.db" "$@"
