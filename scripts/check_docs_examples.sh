#!/usr/bin/env bash
# Runs every curl example of the docs (README.md, docs/*.md, crates/*/README.md) against a
# live `scorewatch demo --no-traffic` on a temporary data directory, with a known key, on
# a free port.
#
# Each ```bash (or ```sh) block that contains `curl` runs as one script, in document order,
# with API, KEY, PRED_ID, PRED_ID2, MODEL_VERSION and REPORT_ID set (a real prediction and
# drift report made beforehand). Every curl must answer 2xx, unless its line ends with a
# comment that starts with the status the example documents (`curl ... # 401 ...`).
# `export API=...`/`export KEY=...` lines of the docs are skipped (they point at the
# reader's own server). A block that contains `run-pipeline` first waits for the pipeline
# to be idle. Blocks run in a scratch directory (files they write go there), where
# `scorewatch` is the binary under test.
#
# A block that cannot run against the demo (benchmark commands, another machine) says so
# on the line just before its fence, with the reason:
#     <!-- check_docs_examples: skip <reason> -->
# Skipped blocks are listed with their reason. A marker without a reason or without a
# curl block after it, and a curl example in a fence other than bash/sh, fail the check:
# nothing with curl in it goes unchecked silently.
#
# Usage: scripts/check_docs_examples.sh [--bin PATH] [--verbose] [doc.md ...]
# --verbose prints every block's output (to compare it with the answers the docs show).
# Exit codes: 0 every example behaved as documented, 1 one did not (or a marker is
# wrong), 2 setup failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=""
verbose=0
docs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="${2:?--bin needs a path}"; shift 2 ;;
    -v|--verbose) verbose=1; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) docs+=("$1"); shift ;;
  esac
done
if [ ${#docs[@]} -eq 0 ]; then
  shopt -s nullglob
  docs=(README.md docs/*.md crates/*/README.md)
  shopt -u nullglob
fi
for tool in curl jq python3; do
  command -v "$tool" >/dev/null || { echo "check_docs_examples: $tool is required" >&2; exit 2; }
done

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

# Extract the blocks: python writes one script per block with EXPECT set on each curl
# line whose trailing comment starts with a status code, and one line per skipped block
# ("doc:line<TAB>reason") to skipped.tsv. Marker errors go to stderr and exit 1.
python3 - "$work" "${docs[@]}" <<'EOF'
import pathlib, re, sys
work = pathlib.Path(sys.argv[1])
FENCE = re.compile(r"^([ \t]*)```([\w+-]*)[ \t]*\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)
MARKER = re.compile(r"^[ \t]*<!--\s*check_docs_examples:\s*skip\b(.*?)-->[ \t]*$", re.M)
n = 0
skipped = []
errors = []
for doc in sys.argv[2:]:
    text = pathlib.Path(doc).read_text()
    line_of = lambda pos: text[:pos].count("\n") + 1
    for m in FENCE.finditer(text):
        lang, block = m.group(2), m.group(3)
        if not re.search(r"\bcurl\b", block):
            continue
        where = f"{doc}:{line_of(m.start())}"
        # The marker belongs to this block when it is the last non-blank line before it.
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.match(before)
        if marker:
            reason = marker.group(1).strip()
            if not reason:
                errors.append(f"{where}: the skip marker gives no reason")
            skipped.append(f"{where}\t{reason}")
            continue
        if lang not in ("bash", "sh"):
            errors.append(f"{where}: a curl example in a ```{lang or '(no language)'} fence is "
                          "not run; make it ```bash or mark it skipped with a reason")
            continue
        lines = [l for l in block.splitlines() if not re.match(r"^\s*export (API|KEY)=", l)]
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
        (work / f"block{n:03d}.sh").write_text(f"# {where}\n" + "\n".join(out) + "\n")
    # A marker must sit just before a curl block, or it skips nothing (or the wrong block).
    for marker in MARKER.finditer(text):
        after = text[marker.end():].lstrip("\n")
        fence = FENCE.match(after)
        if not fence or not re.search(r"\bcurl\b", fence.group(3)):
            errors.append(f"{doc}:{line_of(marker.start())}: a skip marker that is not "
                          "just before a block with curl")
(work / "skipped.tsv").write_text("".join(f"{s}\n" for s in skipped))
for error in errors:
    print(f"check_docs_examples: {error}", file=sys.stderr)
print(f"{n} example blocks to run, {len(skipped)} skipped, in {len(sys.argv) - 2} files",
      file=sys.stderr)
sys.exit(1 if errors else 0)
EOF

while IFS=$'\t' read -r where reason; do
  echo "--  skipped $where: $reason"
done <"$work/skipped.tsv"

if [ -z "$bin" ]; then
  # The debug binary: `cargo test` in scripts/check.sh has just built it.
  source scripts/debug_bin.sh
  bin=$(debug_bin) || { echo "check_docs_examples: cannot build scorewatch" >&2; exit 2; }
fi

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
export SCOREWATCH_BIN="$bin"
mkdir -p "$work/examples"
cat >"$work/prelude.sh" <<'EOF'
set -euo pipefail
scorewatch() { command "$SCOREWATCH_BIN" "$@"; }
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
  if ! (cd "$work/examples" && bash -c "source '$work/prelude.sh'; source '$block'") >"$work/out.txt" 2>&1; then
    echo "FAILED: example at $where" >&2
    cat "$work/out.txt" >&2
    failed=1
  elif [ "$verbose" -eq 1 ]; then
    cat "$work/out.txt"
  fi
done
ran=$(ls "$work"/block*.sh 2>/dev/null | wc -l)
skips=$(wc -l <"$work/skipped.tsv")
[ "$failed" -eq 0 ] && echo "every documented example behaved as documented ($ran blocks run, $skips skipped)"
exit "$failed"
