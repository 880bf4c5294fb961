#!/usr/bin/env bash
# The HTTP reliability suite (docs/reliability.md): the release `scorewatch serve` on a
# temporary data directory and a loopback port, SIGKILLed under load (12 rounds), under
# 64 concurrent clients (128,000 predictions), and SIGTERMed under load and during a
# pipeline run. One test at a time so that they do not compete for the cores; each prints
# its figures (rounds, acknowledged counts, lost, duplicated, elapsed, request rate).
# RELIABILITY_SEED=<n> replays the random kill and signal moments of a run.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
cargo test --release -p scorewatch-api --test reliability -- --ignored --test-threads=1 --nocapture
echo "reliability suite: $(( $(date +%s) - start )) s (including the release build)"
