#!/usr/bin/env bash
# readers against Accord (one node, SQLite, fresh database and document), as
# measured in BENCHMARKS.md: the document is grown to ~1.6 MB of Yjs state,
# then READERS clients open it at once and stay connected. Binaries come
# from target/release, or from $BIN_DIR (e.g. a copy of an older build).
#
#   bench/readers.sh READERS [more accord-loadtest readers options, e.g. --hold 20 --json]
set -euo pipefail
readers="${1:?usage: readers.sh READERS [options]}"
shift
here="$(cd "$(dirname "$0")" && pwd)"
bin="${BIN_DIR:-$here/../target/release}"
work=$(mktemp -d)
# Every reader uses the facilitator's account (read-write, as an editor's
# browser opens a document); a person never holds that many sockets.
ACCORD_MAX_SOCKETS_PER_ACCOUNT=100000 ACCORD_BIND=127.0.0.1:18096 DATABASE_URL="sqlite://$work/accord.db" RUST_LOG="${RUST_LOG:-warn}" "$bin/accord" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18096/readyz >/dev/null && break; sleep 0.2; done
eval "$("$here/accord-coedit-setup.sh" http://127.0.0.1:18096)"
status=0
"$bin/accord-loadtest" readers --url "ws://127.0.0.1:18096/api/v1/yjs/$DOC" --cookie "accord_session=$CK" \
  --readers "$readers" --server-pid "$pid" "$@" || status=$?
if [ "$status" -ne 0 ]; then echo "--- server log (last lines):" >&2; tail -n 20 "$work/server.log" >&2; fi
exit "$status"
