#!/usr/bin/env bash
# Validates the OpenAPI document the server really serves, against the OpenAPI
# specification, with openapi-spec-validator (pinned, pip-installed if missing): every
# error fails the check, listed with where it is in the document.
#
# Starts the debug `scorewatch serve` (built fresh by cargo, so never a stale binary) on a
# temporary data directory and a free loopback port, fetches /openapi.json and stops the
# server on exit. The document does not depend on the data, so no model is trained.
#
# Usage: scripts/check_openapi.sh [--bin PATH]
# Exit codes: 0 valid, 1 the document has errors, 2 setup failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: a newer validator may check more, which should be a deliberate upgrade.
VALIDATOR_VERSION=0.9.0
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="${2:?--bin needs a path}"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "check_openapi.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

installed=$(python3 -m pip show openapi-spec-validator 2>/dev/null | sed -n 's/^Version: //p' || true)
if [ "$installed" != "$VALIDATOR_VERSION" ]; then
  python3 -m pip install --quiet "openapi-spec-validator==$VALIDATOR_VERSION" >&2 \
    || { echo "check_openapi.sh: cannot install openapi-spec-validator $VALIDATOR_VERSION" >&2; exit 2; }
fi

if [ -z "$bin" ]; then
  source scripts/debug_bin.sh
  bin=$(debug_bin) || { echo "check_openapi.sh: cannot build scorewatch" >&2; exit 2; }
fi
[ -x "$bin" ] || { echo "check_openapi.sh: no executable at $bin" >&2; exit 2; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

data="$work/data"
"$bin" --data-dir "$data" init >/dev/null \
  || { echo "check_openapi.sh: scorewatch init failed" >&2; exit 2; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
api="http://127.0.0.1:$port"
RUST_LOG=warn "$bin" serve --data-dir "$data" --host 127.0.0.1 --port "$port" --workers 1 \
  --shutdown-timeout 5 >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  if curl -fsS "$api/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "check_openapi.sh: the server exited:" >&2; cat "$work/serve.log" >&2; exit 2
  fi
  sleep 0.2
done
curl -fsS "$api/openapi.json" -o "$work/openapi.json" \
  || { echo "check_openapi.sh: GET /openapi.json failed" >&2; cat "$work/serve.log" >&2; exit 2; }

# Every error, not only the first; the validator exits non-zero when it finds any.
if ! python3 -m openapi_spec_validator --validation-errors all "$work/openapi.json" >"$work/report" 2>&1; then
  sed "s|$work/||" "$work/report" >&2
  echo "check_openapi.sh: the served /openapi.json is not a valid OpenAPI document" >&2
  exit 1
fi
echo "check_openapi.sh: /openapi.json is valid ($(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["openapi"])' "$work/openapi.json"), openapi-spec-validator $VALIDATOR_VERSION)"
