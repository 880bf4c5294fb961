#!/usr/bin/env bash
# Property-based tests of the served OpenAPI document with schemathesis: every operation
# of `/openapi.json` gets a bounded number of generated requests (valid and invalid), and
# every answer must be no 5xx, match its documented status codes, content type and
# response schema.
#
# Starts `scorewatch serve` on a temporary data directory (a model trained first, so
# /predict and the drift run answer) on a free loopback port with a known API key, and
# stops it on exit.
#
# Usage: scripts/schemathesis.sh [--bin PATH] [--max-examples N] [--seed N]
# Exit codes: 0 no failure, 1 schemathesis found failures, 2 setup failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: a newer schemathesis may add checks or change how it generates data.
SCHEMATHESIS_VERSION=4.32.5
bin=""
max_examples=50
seed=20260301
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="${2:?--bin needs a path}"; shift 2 ;;
    --max-examples) max_examples="${2:?}"; shift 2 ;;
    --seed) seed="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "schemathesis.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

installed=$(python3 -m pip show schemathesis 2>/dev/null | sed -n 's/^Version: //p' || true)
if [ "$installed" != "$SCHEMATHESIS_VERSION" ]; then
  python3 -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION" >&2 \
    || { echo "schemathesis.sh: cannot install schemathesis $SCHEMATHESIS_VERSION" >&2; exit 2; }
fi
st=(python3 -m schemathesis.cli)
"${st[@]}" --version >/dev/null 2>&1 || st=(st)

if [ -z "$bin" ]; then
  # Built fresh (a no-op when up to date): a binary merely present may be stale.
  source scripts/debug_bin.sh
  bin=$(debug_bin) || { echo "schemathesis.sh: cannot build scorewatch" >&2; exit 2; }
fi

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
"$bin" --data-dir "$data" init >/dev/null
"$bin" generate --rows 2000 --seed 7 --out "$data/training/applications.csv" >/dev/null
RUST_LOG=warn "$bin" --data-dir "$data" train >"$work/train.log" 2>&1 \
  || { echo "schemathesis.sh: training failed:" >&2; cat "$work/train.log" >&2; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
api="http://127.0.0.1:$port"
key="schemathesis-key-$(date +%s)"
# drift-every/metrics-every low so that generated traffic also runs the background jobs.
SCOREWATCH_API_KEYS="$key" RUST_LOG=warn "$bin" serve --data-dir "$data" --host 127.0.0.1 \
  --port "$port" --workers 2 --shutdown-timeout 5 --drift-every 50 --metrics-every 10 \
  >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  if curl -fsS "$api/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "schemathesis.sh: the server exited:" >&2; cat "$work/serve.log" >&2; exit 2
  fi
  sleep 0.2
done
curl -fsS "$api/health" >/dev/null || { echo "server did not come up" >&2; cat "$work/serve.log" >&2; exit 2; }

status=0
# One worker: hypothesis describes lambdas by parsing their source with `ast`, which
# CPython 3.11 does not do safely from several threads ("AST constructor recursion depth
# mismatch", an error of the tool, not of the API).
timeout 170 "${st[@]}" run "$api/openapi.json" \
  --header "X-API-Key: $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --workers 1 \
  --request-timeout 30 \
  --suppress-health-check too_slow,filter_too_much \
  --report junit --report-dir "$work/report" \
  || status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "schemathesis.sh: the server died during the run:" >&2
  tail -50 "$work/serve.log" >&2
  exit 1
fi
if grep -q "panicked" "$work/serve.log"; then
  echo "schemathesis.sh: the server panicked:" >&2
  grep -B2 -A10 "panicked" "$work/serve.log" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "schemathesis.sh: failures found (exit $status); server log tail:" >&2
  tail -20 "$work/serve.log" >&2
  exit 1
fi
echo "schemathesis.sh: no failure"
