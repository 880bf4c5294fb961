#!/usr/bin/env bash
# Runs every fuzz target for SECONDS_PER_TARGET (default 180) one after another, with
# the limits that turn an unbounded allocation into a finding, and keeps each log in
# fuzz/logs/<target>.log. Usage: fuzz/run_all.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-180}"
cargo +nightly run --release --example seed_corpus
mkdir -p logs
for target in csv_log json_documents model_files request_body; do
    echo "==> $target for ${secs}s"
    cargo +nightly fuzz run -s none "$target" -- \
        -max_total_time="$secs" -max_len=65536 -malloc_limit_mb=512 -rss_limit_mb=1024 \
        -print_final_stats=1 >"logs/$target.log" 2>&1 || echo "$target: FINDING (see logs/$target.log)"
    grep -E '^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|cov:' "logs/$target.log" | tail -2
done
