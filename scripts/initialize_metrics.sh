#!/usr/bin/env bash
# Creates the data directory's structure (data/monitoring/..., data/models/, ...), as the
# monitoring guide describes. Idempotent: existing files are kept byte for byte.
# A thin wrapper around `scorewatch init`; arguments are passed through, e.g.
#   ./scripts/initialize_metrics.sh --data-dir /srv/scorewatch/data
# Paths are relative to the repository root (the default data directory is ./data there).
# Uses $SCOREWATCH_BIN, or the release build of scorewatch, built first when missing or
# stale: cargo decides (a no-op when it is up to date) and names the target directory,
# so a CARGO_TARGET_DIR outside the clone is found too.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${SCOREWATCH_BIN:-}"
if [[ -z "$bin" ]]; then
    echo "==> cargo build --release -p scorewatch-api (a no-op when up to date)" >&2
    cargo build --release --locked -p scorewatch-api --bin scorewatch
    target=$(cargo metadata --format-version 1 --no-deps --locked \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    bin="$target/release/scorewatch"
fi
exec "$bin" init "$@"
