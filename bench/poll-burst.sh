#!/usr/bin/env bash
# poll-burst against Accord, as measured in BENCHMARKS.md. Release binaries
# are taken from target/release (build them first:
# cargo build --release -p accord-server -p accord-loadtest).
#
#   bench/poll-burst.sh one N     # one node, SQLite, fresh database
#   bench/poll-burst.sh two N     # two nodes, fresh PostgreSQL database, shared Redis
set -euo pipefail
mode="${1:?usage: poll-burst.sh one|two N}"
n="${2:?usage: poll-burst.sh one|two N}"
bin="$(cd "$(dirname "$0")/.." && pwd)/target/release"
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
# Every simulated phone joins from 127.0.0.1: lift the per-address cap on new
# audience members (default 5000 per 10 minutes) far above any N run here.
export ACCORD_JOIN_NEW_MEMBERS_PER_IP=1000000
wait_ready() { for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return; sleep 0.2; done; echo "port $1 not ready" >&2; exit 1; }
case "$mode" in
  one)
    ACCORD_BIND=127.0.0.1:18100 DATABASE_URL="sqlite://$work/accord.db" RUST_LOG=warn "$bin/accord" serve >"$work/a.log" 2>&1 &
    pids+=($!); wait_ready 18100
    "$bin/accord-loadtest" poll-burst --base http://127.0.0.1:18100 --clients "$n" --window 10 --server-pid "${pids[0]}"
    ;;
  two)
    db="pb_${n}_$(date +%H%M%S)"
    psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db"
    url="postgres://postgres@127.0.0.1:5432/$db"
    ACCORD_BIND=127.0.0.1:18101 DATABASE_URL="$url" REDIS_URL=redis://127.0.0.1:6379 RUST_LOG=warn "$bin/accord" serve >"$work/a.log" 2>&1 &
    pids+=($!); wait_ready 18101   # the first node runs the migrations
    ACCORD_BIND=127.0.0.1:18102 DATABASE_URL="$url" REDIS_URL=redis://127.0.0.1:6379 RUST_LOG=warn "$bin/accord" serve >"$work/b.log" 2>&1 &
    pids+=($!); wait_ready 18102
    "$bin/accord-loadtest" poll-burst --base http://127.0.0.1:18101,http://127.0.0.1:18102 --clients "$n" --window 10 \
      --server-pid "${pids[0]},${pids[1]}" --redis 127.0.0.1:6379
    ;;
  *) echo "usage: poll-burst.sh one|two N" >&2; exit 2 ;;
esac
