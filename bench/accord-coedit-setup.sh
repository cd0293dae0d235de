#!/usr/bin/env bash
# Prepares a co-edit benchmark against a running Accord server: registers an
# account, creates a roundtable and a `notes` document, and prints two shell
# assignments (DOC=… CK=…) for accord-loadtest's --url and --cookie.
#
#   eval "$(bench/accord-coedit-setup.sh http://127.0.0.1:18095)"
#   accord-loadtest co-edit --url ws://127.0.0.1:18095/api/v1/yjs/$DOC --cookie "accord_session=$CK" …
set -euo pipefail
base="${1:?usage: accord-coedit-setup.sh BASE_URL}"
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
email="bench-$(date +%s%N)@example.org"
curl -sf -c "$jar" -H 'content-type: application/json' -H "origin: $base" \
  -d "{\"email\":\"$email\",\"password\":\"correct horse battery staple\",\"display_name\":\"Bench\"}" \
  "$base/api/v1/auth/register" >/dev/null
rt=$(curl -sf -b "$jar" -H 'content-type: application/json' -H "origin: $base" \
  -d '{"title":"Benchmark","theme":"other"}' "$base/api/v1/roundtables" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
doc=$(curl -sf -b "$jar" -H 'content-type: application/json' -H "origin: $base" \
  -d '{"title":"Bench notes","kind":"notes"}' "$base/api/v1/roundtables/$rt/documents" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
ck=$(awk '$6=="accord_session"{print $7}' "$jar")
echo "DOC=$doc CK=$ck"
