#!/usr/bin/env bash
# Runs every curl example of docs/api.md and docs/monitoring-guide.md against a live
# `scorewatch demo --no-traffic` on a temporary data directory, with a known key, on a
# free port.
#
# Each ```bash block that contains `curl` runs as one script, in document order, with
# API, KEY, PRED_ID, PRED_ID2, MODEL_VERSION and REPORT_ID set (a real prediction and
# drift report made beforehand). Every curl must answer 2xx, unless its line ends with a
# comment that starts with the status the example documents (`curl ... # 401 ...`).
# `export API=...`/`export KEY=...` lines of the docs are skipped (they point at the
# reader's own server).
#
# Usage: scripts/check_docs_examples.sh [--bin PATH] [doc.md ...]
# Exit codes: 0 every example behaved as documented, 1 one did not, 2 setup failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=""
docs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="${2:?--bin needs a path}"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) docs+=("$1"); shift ;;
  esac
done
[ ${#docs[@]} -gt 0 ] || docs=(docs/api.md docs/monitoring-guide.md)
for tool in curl jq python3; do
  command -v "$tool" >/dev/null || { echo "check_docs_examples: $tool is required" >&2; exit 2; }
done
if [ -z "$bin" ]; then
  # The debug binary: `cargo test` in scripts/check.sh has just built it.
  source scripts/debug_bin.sh
  bin=$(debug_bin) || { echo "check_docs_examples: cannot build scorewatch" >&2; exit 2; }
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

# A free port: bind 0, read it back, release it (the demo binds it a moment later).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export API="http://127.0.0.1:$port"
export KEY="docs-example-key-$(date +%s)"
SCOREWATCH_API_KEYS="$KEY" RUST_LOG=warn "$bin" --data-dir "$work/data" demo --no-traffic \
  --port "$port" --shutdown-timeout 5 >"$work/demo.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  if command curl -fsS "$API/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "check_docs_examples: the demo exited:" >&2; cat "$work/demo.log" >&2; exit 2
  fi
  sleep 0.2
done
command curl -fsS "$API/health" >/dev/null || { echo "demo did not come up" >&2; cat "$work/demo.log" >&2; exit 2; }

# Ids the examples refer to: two predictions and a drift report.
app=$(head -2 "$work/data/training/applications.csv" | python3 -c '
import csv, json, sys
row = next(csv.DictReader(sys.stdin)); row.pop("default")
num = lambda v: None if v == "" else float(v)
cat = {"employment_type", "home_ownership", "loan_purpose"}
print(json.dumps({k: (v or None) if k in cat else num(v) for k, v in row.items()}))')
predict() {
  command curl -fsS -X POST "$API/predict" -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
    -d "{\"features\": $app}"
}
first=$(predict)
export PRED_ID=$(jq -r .prediction_id <<<"$first")
export MODEL_VERSION=$(jq -r .model_version <<<"$first")
export PRED_ID2=$(predict | jq -r .prediction_id)
export REPORT_ID=$(command curl -fsS -X POST "$API/monitoring/drift/run" -H "X-API-Key: $KEY" | jq -r .id)

# The wrapper every example's curl goes through: prints the body, checks the status.
cat >"$work/prelude.sh" <<'EOF'
set -euo pipefail
curl() {
  local body code expect="${EXPECT:-2xx}"
  body=$(mktemp)
  code=$(command curl -sS -o "$body" -w '%{http_code}' "$@") || { rm -f "$body"; return 1; }
  cat "$body"; echo; rm -f "$body"
  case "$expect" in
    2xx) [[ "$code" == 2?? ]] ;;
    *) [ "$code" = "$expect" ] ;;
  esac || { echo "!! status $code, expected $expect: curl $*" >&2; return 1; }
  echo "   ($code as documented)" >&2
}
EOF

# Extract the blocks: python writes one script per block with EXPECT set on each curl
# line whose trailing comment starts with a status code.
python3 - "$work" "${docs[@]}" <<'EOF'
import pathlib, re, sys
work = pathlib.Path(sys.argv[1])
n = 0
for doc in sys.argv[2:]:
    text = pathlib.Path(doc).read_text()
    for m in re.finditer(r"^[ \t]*```(?:bash|sh)\n(.*?)^[ \t]*```", text, re.S | re.M):
        block = m.group(1)
        if "curl" not in block:
            continue
        line_no = text[: m.start()].count("\n") + 1
        lines = [l for l in block.splitlines() if not re.match(r"^export (API|KEY)=", l)]
        out = []
        for i, line in enumerate(lines):
            if line.lstrip().startswith("curl "):
                # The documented status is in a comment on the command's last line.
                end = i
                while lines[end].rstrip().endswith("\\") and end + 1 < len(lines):
                    end += 1
                status = re.search(r"\s#\s*([1-5]\d\d)\b[^'\"]*$", lines[end])
                if status:
                    line = f"EXPECT={status.group(1)} " + line.lstrip()
            out.append(line)
        n += 1
        (work / f"block{n:03d}.sh").write_text(
            f"# {doc}:{line_no}\n" + "\n".join(out) + "\n")
print(f"{n} example blocks", file=sys.stderr)
EOF

# A run started by one example is still going (or stopping: a cancel takes effect at the
# next stage boundary) when a later example starts another. A block that starts a run
# waits for the pipeline to be idle first, as a reader trying the examples one by one
# would, instead of racing the earlier run; the cancel example still finds its run.
wait_pipeline_idle() {
  local state
  for _ in $(seq 1 600); do
    state=$(command curl -fsS "$API/monitoring/pipeline-status" -H "X-API-Key: $KEY" | jq -r .state) || return 1
    [ "$state" != "running" ] && return 0
    sleep 0.2
  done
  echo "check_docs_examples: the pipeline was still running after 120 s" >&2
  return 1
}

failed=0
for block in "$work"/block*.sh; do
  where=$(head -1 "$block" | cut -c3-)
  echo "==> $where"
  if grep -q 'run-pipeline' "$block"; then wait_pipeline_idle || exit 2; fi
  if ! bash -c "source '$work/prelude.sh'; source '$block'" >"$work/out.txt" 2>&1; then
    echo "FAILED: example at $where" >&2
    cat "$work/out.txt" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] && echo "every documented example behaved as documented"
exit "$failed"
