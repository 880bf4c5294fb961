#!/usr/bin/env bash
# The performance suite of PRODUCT.md's targets, on release builds, with seeded data.
#
#   scripts/bench.sh [drift] [criterion] [api] [postgres]   (no argument: the first three)
#
# `postgres` measures the PostgreSQL backend (docs/scaling.md) and needs
# BENCH_DATABASE_URL: a URL whose role may create databases (its database is only used to
# connect); the part creates and drops the database `scorewatch_bench` beside it. It
# measures /predict with wrk on the file backend, one replica and two replicas in the same
# run (BENCH_PG_CONNECTIONS per server, 32), the idle RSS of a replica, and a drift report
# over BENCH_PG_DRIFT_ROWS (1000000) predictions read from the database. BENCH_KEEP_DB=1
# keeps the database at the end.
#
# Environment: BENCH_DIR (default /tmp/scorewatch-bench; everything generated goes
# there), BENCH_PORT (18731), BENCH_SECONDS (wrk duration, 30), BENCH_CONNECTIONS (64),
# BENCH_DRIFT_RUNS (3), BENCH_LOG_ROWS (1000000), BENCH_CURL_RUNS (200), BENCH_WRK_RUNS
# (wrk runs on the 1M-row log, 3; each is a row, then the median p99 of them),
# BENCH_BIN (a `scorewatch` release binary to measure instead of building this checkout's,
# for before/after comparisons of the API; the build is skipped, and `fill_log` must have
# been built once: `cargo build --release -p scorewatch-api --example fill_log`).
#
# Loopback only; every server it starts is stopped on exit. Not part of CI: run it on a
# quiet machine for the figures in docs/performance.md (it prints the load average
# beside each section, because wall-clock figures on a shared machine are upper bounds).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${BENCH_DIR:-/tmp/scorewatch-bench}
PORT=${BENCH_PORT:-18731}
SECONDS_LOAD=${BENCH_SECONDS:-30}
CONNS=${BENCH_CONNECTIONS:-64}
DRIFT_RUNS=${BENCH_DRIFT_RUNS:-3}
LOG_ROWS=${BENCH_LOG_ROWS:-1000000}
CURL_RUNS=${BENCH_CURL_RUNS:-200}
WRK_RUNS=${BENCH_WRK_RUNS:-3}
KEY=bench-key
# The target directory as cargo sees it: CARGO_TARGET_DIR, .cargo/config or $ROOT/target.
TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --locked \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])') \
    || { echo "bench.sh: cargo metadata failed; cannot find the target directory" >&2; exit 2; }
BIN="${BENCH_BIN:-$TARGET/release/scorewatch}"
SUMMARY="$DIR/summary.tsv"
SERVER_PID=
STARTUP_MS=

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(drift criterion api)
PG_CONNS=${BENCH_PG_CONNECTIONS:-32}
PG_DRIFT_ROWS=${BENCH_PG_DRIFT_ROWS:-1000000}
want() { local p; for p in "${parts[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

# Servers started by the postgres part (several at once).
EXTRA_PIDS=()
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
    fi
    for pid in "${EXTRA_PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" | tee -a "$SUMMARY"; }
need() { command -v "$1" >/dev/null || { echo "bench.sh: $1 is required ($2)" >&2; exit 2; }; }

need python3 "for the data generators and the statistics"
need curl "for the API measurements"
[ -x /usr/bin/time ] || { echo "bench.sh: /usr/bin/time is required (apt-get install time)" >&2; exit 2; }

mkdir -p "$DIR"
: > "$SUMMARY"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo)"
echo "load average at start: $(load)"

if [ -n "${BENCH_BIN:-}" ]; then
    [ -x "$BIN" ] || { echo "bench.sh: BENCH_BIN=$BIN is not an executable" >&2; exit 2; }
    ! want api || [ -x "$TARGET/release/examples/fill_log" ] \
        || { echo "bench.sh: build fill_log once: cargo build --release -p scorewatch-api --example fill_log" >&2; exit 2; }
    echo "== measuring $BIN (not built here)"
else
    echo "== building (release)"
    (cd "$ROOT" && cargo build --release -p scorewatch-api --bin scorewatch --example fill_log)
fi

# median and p99 (nearest rank) and min/max of numbers on stdin.
stats() {
    python3 -c '
import sys
v = sorted(float(x) for x in sys.stdin.read().split())
n = len(v)
med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
p99 = v[min(n - 1, max(0, -(-99 * n // 100) - 1))]
print(f"median {med:.3f} p99 {p99:.3f} min {v[0]:.3f} max {v[-1]:.3f} (n={n})")'
}

rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
# Resident memory split: anonymous (heap, stacks, the index) and file-backed (the
# binary's and libraries' pages), from smaps_rollup.
rss_split() { awk '/^Anonymous:/ {a=$2} /^Pss_File:/ {f=$2} END {printf "anon %.1f, file %.1f", a/1024, f/1024}' "/proc/$1/smaps_rollup"; }
hwm_mb() { awk '/^VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

if want drift; then
    echo "== drift CLI, 500k x 500k rows x 23 columns, $DRIFT_RUNS runs (load $(load))"
    if [ ! -f "$DIR/drift/current.csv" ]; then
        python3 "$ROOT/scripts/gen_drift_data.py" --rows 500000 --seed 7 --out "$DIR/drift"
    fi
    : > "$DIR/drift.times"
    for i in $(seq "$DRIFT_RUNS"); do
        /usr/bin/time -v "$BIN" drift --reference "$DIR/drift/reference.csv" \
            --current "$DIR/drift/current.csv" --format json > /dev/null 2> "$DIR/drift.$i.time"
        awk -F': ' '
            /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = (n == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
            /User time/ { user = $2 } /System time/ { sys = $2 }
            /Maximum resident/ { rss = $2 / 1024 }
            END { printf "%.2f %.2f %.1f\n", wall, user + sys, rss }' "$DIR/drift.$i.time" >> "$DIR/drift.times"
    done
    row "drift wall s (target < 2)" "$(cut -d' ' -f1 "$DIR/drift.times" | stats)" "load $(load)"
    row "drift CPU s user+sys" "$(cut -d' ' -f2 "$DIR/drift.times" | stats)" ""
    row "drift peak RSS MB (target < 250)" "$(cut -d' ' -f3 "$DIR/drift.times" | stats)" ""
fi

if want criterion; then
    echo "== criterion benches (load $(load))"
    (cd "$ROOT" && cargo bench -p scorewatch-core --bench drift --bench model -- \
        --warm-up-time 1 --measurement-time 3) | grep -E '^[a-z_/0-9 ]+$|time:' || true
    # Criterion keeps a group's benchmark in criterion/<group>/<name>, but a plain
    # bench_function id "model/x" in criterion/model_x (it replaces the slash).
    for bench in model/train_100k_rows model_score_one_application model_validate_and_score_json \
        quality_check_one_application; do
        est="$TARGET/criterion/$bench/new/estimates.json"
        if [ -f "$est" ]; then
            row "$bench ms" "$(python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['median']; print(f\"median {e['point_estimate']/1e6:.6f} (95% CI {e['confidence_interval']['lower_bound']/1e6:.6f}-{e['confidence_interval']['upper_bound']/1e6:.6f})\")" "$est")" "load $(load)"
        else
            echo "bench.sh: no criterion estimates at $est" >&2
        fi
    done
fi

start_server() {
    local data=$1 log=$2 t0
    t0=$(date +%s%N)
    SCOREWATCH_API_KEYS=$KEY RUST_LOG=${BENCH_RUST_LOG:-info} "$BIN" --data-dir "$data" serve \
        --host 127.0.0.1 --port "$PORT" > "$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 3000); do
        if curl -sf -o /dev/null "http://127.0.0.1:$PORT/health"; then
            STARTUP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died; see $log" >&2; exit 1; }
        sleep 0.01
    done
    echo "server did not answer /health within 30 s; see $log" >&2
    exit 1
}

stop_server() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# Runs wrk against /predict; prints the server's peak resident memory (VmHWM: the
# kernel's high-water mark, exact, and read once at the end, since sampling RSS with a
# process every half second took CPU from the run and showed in its p99).
load_test() {
    local out=$1
    wrk -t2 -c"$CONNS" -d"${SECONDS_LOAD}s" --latency -s "$DIR/predict.lua" \
        "http://127.0.0.1:$PORT/predict" > "$out"
    hwm_mb "$SERVER_PID"
}

wrk_row() {
    local label=$1 out=$2 rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$out")
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    local errors
    errors=$(grep -E 'Non-2xx|Socket errors' "$out" | tr '\n' ' ' || true)
    row "$label" "req/s $rps, p50 $p50, p99 $p99 ${errors}" "load $(load)"
}

# Writes $DIR/predict.lua: wrk's POST /predict of one generated application.
predict_lua() {
    python3 - "$1" "$KEY" > "$DIR/predict.lua" <<'PY'
import csv, json, sys
with open(sys.argv[1]) as f:
    row = next(csv.DictReader(f))
row.pop("default", None)
features = {}
for name, cell in row.items():
    if cell == "":
        features[name] = None
    else:
        try:
            features[name] = float(cell)
        except ValueError:
            features[name] = cell
body = json.dumps({"features": features})
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/json"')
print(f'wrk.headers["X-API-Key"] = "{sys.argv[2]}"')
print(f"wrk.body = {json.dumps(body)}")
PY
}

if want api; then
    need wrk "apt-get install -y wrk"
    echo "== API (load $(load))"
    DATA="$DIR/api-data"
    rm -rf "$DATA"
    mkdir -p "$DATA/training"
    "$BIN" generate --rows 20000 --seed 7 --out "$DATA/training/applications.csv" > /dev/null
    "$BIN" --data-dir "$DATA" train --data "$DATA/training/applications.csv" > "$DIR/train.log" 2>&1 || true
    [ -d "$DATA/models" ] || { echo "training failed; see $DIR/train.log" >&2; exit 1; }
    predict_lua "$DATA/training/applications.csv"

    start_server "$DATA" "$DIR/serve1.log"
    ms=$STARTUP_MS
    sleep 2
    row "start to first /health ms, empty log" "$ms" "load $(load)"
    row "RSS idle MB, empty log (target < 30)" "$(rss_mb "$SERVER_PID")" "$(rss_split "$SERVER_PID")"
    peak=$(load_test "$DIR/wrk1.txt")
    wrk_row "POST /predict 64 conn ${SECONDS_LOAD}s, empty log at start (target >= 20000 req/s, p99 < 5 ms)" "$DIR/wrk1.txt"
    row "RSS under load MB, peak (VmHWM)" "$peak" "RSS after the run $(rss_mb "$SERVER_PID")"
    stop_server

    # The large-log figures start from exactly LOG_ROWS rows each time: a directory with
    # the same model and a generated log, cut back to that size (and restarted) before
    # every wrk run, since a run at tens of thousands of requests a second adds a million
    # rows or more.
    BIG="$DIR/api-log"
    rm -rf "$BIG"
    mkdir -p "$BIG"
    cp -a "$DATA/models" "$BIG/"
    "$TARGET/release/examples/fill_log" "$BIG" "$LOG_ROWS" 7
    LOG="$BIG/monitoring/predictions_log.csv"
    size=$(stat -c %s "$LOG")
    rows=$(( $(wc -l < "$LOG") - 1 ))
    reset_big_log() {
        truncate -s "$size" "$LOG"
        rm -f "$BIG/monitoring/drift_reports.json" "$BIG/monitoring/model_metrics.json"
    }

    start_server "$BIG" "$DIR/serve2.log"
    ms=$STARTUP_MS
    sleep 2
    row "start to first /health ms, $rows-row log" "$ms" "load $(load)"
    row "RSS idle MB, $rows-row log (target < 30)" "$(rss_mb "$SERVER_PID")" "$(rss_split "$SERVER_PID"); VmHWM $(hwm_mb "$SERVER_PID")"
    for _ in $(seq "$CURL_RUNS"); do
        curl -s -o /dev/null -w '%{time_total}\n' \
            "http://127.0.0.1:$PORT/monitoring/predictions?limit=100"
    done | awk '{print $1 * 1000}' > "$DIR/recent.ms"
    row "GET /monitoring/predictions?limit=100 ms, $rows-row log (target < 10)" "$(stats < "$DIR/recent.ms")" "load $(load)"
    stop_server
    peak=0
    : > "$DIR/p99.ms"
    for i in $(seq "$WRK_RUNS"); do
        reset_big_log
        start_server "$BIG" "$DIR/serve2.$i.log"
        sleep 2
        p=$(load_test "$DIR/wrk2.$i.txt")
        peak=$(python3 -c "print(max($peak, $p))")
        wrk_row "POST /predict 64 conn ${SECONDS_LOAD}s, $rows-row log at start, run $i" "$DIR/wrk2.$i.txt"
        awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
            print (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v }' "$DIR/wrk2.$i.txt" >> "$DIR/p99.ms"
        stop_server
    done
    row "POST /predict p99 ms over $WRK_RUNS runs (target < 5)" "$(stats < "$DIR/p99.ms")" "load $(load)"
    row "RSS under load MB, $rows-row log at start, peak (VmHWM) of the runs (target < 150)" "$peak" ""
fi


# Starts `serve` on the bench database at port $1 with data dir $2 (logs only), extra
# arguments after; sets REPLICA_PID once /health answers.
start_replica() {
    local port=$1 data=$2 pid
    shift 2
    if curl -s -o /dev/null "http://127.0.0.1:$port/health"; then
        echo "bench.sh: port $port is taken by another server" >&2
        exit 1
    fi
    SCOREWATCH_API_KEYS=$KEY RUST_LOG=${BENCH_RUST_LOG:-warn} "$BIN" --data-dir "$data" \
        --database-url "$PG_URL" serve --host 127.0.0.1 --port "$port" "$@" \
        > "$data.log" 2>&1 &
    pid=$!
    EXTRA_PIDS+=("$pid")
    for _ in $(seq 3000); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/health" && { REPLICA_PID=$pid; return 0; }
        kill -0 "$pid" 2>/dev/null || { echo "replica died; see $data.log" >&2; exit 1; }
        sleep 0.01
    done
    echo "replica on port $port did not answer /health within 30 s; see $data.log" >&2
    exit 1
}

stop_replicas() {
    for pid in "${EXTRA_PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    done
    EXTRA_PIDS=()
}

# wrk on /predict of each port at once, $PG_CONNS connections each; one summary row with
# the summed req/s and the worst p99.
wrk_replicas() {
    local label=$1 tag=$2
    shift 2
    local port pids=() outs=()
    for port in "$@"; do
        wrk -t1 -c"$PG_CONNS" -d"${SECONDS_LOAD}s" --latency -s "$DIR/predict.lua" \
            "http://127.0.0.1:$port/predict" > "$DIR/wrk-$tag-$port.txt" &
        pids+=($!)
        outs+=("$DIR/wrk-$tag-$port.txt")
    done
    wait "${pids[@]}"
    python3 - "$label" "${outs[@]}" <<'PY' | tee -a "$SUMMARY"
import re, sys
label, outs = sys.argv[1], sys.argv[2:]
def ms(text):
    value, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps, p50, p99, errors = 0.0, 0.0, 0.0, []
for path in outs:
    text = open(path).read()
    rps += float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
    p50 = max(p50, ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)))
    p99 = max(p99, ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)))
    errors += re.findall(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", text)
print(f"{label}\treq/s {rps:.0f}, p50 {p50:.2f} ms, p99 {p99:.2f} ms (worst server) {' '.join(errors)}\t")
PY
}

if want postgres; then
    need wrk "apt-get install -y wrk"
    need psql "apt-get install -y postgresql-client"
    [ -n "${BENCH_DATABASE_URL:-}" ] \
        || { echo "bench.sh: the postgres part needs BENCH_DATABASE_URL (a role that may create databases)" >&2; exit 2; }
    PG_URL="${BENCH_DATABASE_URL%/*}/scorewatch_bench"
    echo "== PostgreSQL backend, synchronous_commit $(psql "$BENCH_DATABASE_URL" -tAc 'SHOW synchronous_commit') (load $(load))"
    psql -q "$BENCH_DATABASE_URL" -c 'DROP DATABASE IF EXISTS scorewatch_bench WITH (FORCE)' -c 'CREATE DATABASE scorewatch_bench'
    PGDIR="$DIR/pg"
    rm -rf "$PGDIR"
    mkdir -p "$PGDIR/files/training"
    "$BIN" generate --rows 20000 --seed 7 --out "$PGDIR/files/training/applications.csv" > /dev/null
    predict_lua "$PGDIR/files/training/applications.csv"
    "$BIN" --data-dir "$PGDIR/files" train --data "$PGDIR/files/training/applications.csv" > "$PGDIR/train-files.log" 2>&1
    "$BIN" --data-dir "$PGDIR/cli" --database-url "$PG_URL" train \
        --data "$PGDIR/files/training/applications.csv" > "$PGDIR/train-pg.log" 2>&1

    # The file backend in the same run, for the ratio.
    SCOREWATCH_API_KEYS=$KEY RUST_LOG=warn "$BIN" --data-dir "$PGDIR/files" serve \
        --host 127.0.0.1 --port "$PORT" > "$PGDIR/files.log" 2>&1 &
    EXTRA_PIDS+=($!)
    for _ in $(seq 3000); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.01; done
    wrk_replicas "POST /predict, file backend, 1 server x $PG_CONNS conn ${SECONDS_LOAD}s" files "$PORT"
    stop_replicas

    start_replica "$((PORT + 1))" "$PGDIR/r1"
    sleep 2
    row "RSS idle MB, one replica on PostgreSQL (target < 30)" "$(rss_mb "$REPLICA_PID")" "$(rss_split "$REPLICA_PID")"
    wrk_replicas "POST /predict, PostgreSQL, 1 replica x $PG_CONNS conn ${SECONDS_LOAD}s" one "$((PORT + 1))"
    start_replica "$((PORT + 2))" "$PGDIR/r2"
    wrk_replicas "POST /predict, PostgreSQL, 2 replicas x $PG_CONNS conn ${SECONDS_LOAD}s (target >= 15000 req/s, p99 < 20 ms)" two "$((PORT + 1))" "$((PORT + 2))"
    stop_replicas

    # The drift window: the newest PG_DRIFT_ROWS predictions, logged through the API in
    # batches (the wrk runs above logged single ones), then one report over all of them.
    python3 - "$PGDIR/files/training/applications.csv" "$PGDIR/batch.json" <<'PY'
import csv, json, sys
rows = []
with open(sys.argv[1]) as f:
    for row in csv.DictReader(f):
        row.pop("default", None)
        rows.append({k: (None if v == "" else (float(v) if v.replace(".", "", 1).replace("-", "", 1).isdigit() else v)) for k, v in row.items()})
        if len(rows) == 1000:
            break
json.dump({"instances": rows}, open(sys.argv[2], "w"))
PY
    start_replica "$((PORT + 1))" "$PGDIR/r3" --drift-window "$PG_DRIFT_ROWS" --drift-every 0
    have=$(psql "$PG_URL" -tAc 'SELECT count(*) FROM predictions')
    echo "filling the log to $PG_DRIFT_ROWS rows (has $have)"
    need_batches=$(( (PG_DRIFT_ROWS - have + 999) / 1000 ))
    seq "$need_batches" \
        | xargs -P 4 -I{} curl -sS --fail-with-body -o /dev/null -H "X-API-Key: $KEY" \
            -H 'Content-Type: application/json' --data-binary "@$PGDIR/batch.json" \
            "http://127.0.0.1:$((PORT + 1))/predict"
    rows=$(psql "$PG_URL" -tAc 'SELECT count(*) FROM predictions')
    : > "$PGDIR/drift.s"
    for _ in $(seq "$DRIFT_RUNS"); do
        curl -sf -o "$PGDIR/drift.json" -w '%{time_total}\n' -X POST -H "X-API-Key: $KEY" \
            "http://127.0.0.1:$((PORT + 1))/monitoring/drift/run" >> "$PGDIR/drift.s"
    done
    window=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['current']['rows'])" "$PGDIR/drift.json")
    row "POST /monitoring/drift/run s, window $window of $rows rows in PostgreSQL (target < 3)" "$(stats < "$PGDIR/drift.s")" "load $(load); VmHWM $(hwm_mb "$REPLICA_PID") MB"
    stop_replicas
    # BENCH_KEEP_DB=1 keeps it for a closer look (psql "$PG_URL").
    # An autovacuum worker busy on the new rows belongs to the superuser, which FORCE may
    # not terminate for this role: try again once it has finished.
    if [ -z "${BENCH_KEEP_DB:-}" ]; then
        for attempt in $(seq 30); do
            psql -q "$BENCH_DATABASE_URL" -c 'DROP DATABASE IF EXISTS scorewatch_bench WITH (FORCE)' \
                2> "$PGDIR/drop.err" && break
            [ "$attempt" -lt 30 ] || { cat "$PGDIR/drop.err" >&2; exit 1; }
            sleep 2
        done
    fi
fi

echo
echo "== summary (also in $SUMMARY)"
column -t -s $'\t' "$SUMMARY"
echo "load average at end: $(load)"
