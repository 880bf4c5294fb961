#!/usr/bin/env bash
# Creates the data directory's structure (data/monitoring/..., data/models/, ...), as the
# monitoring guide describes. Idempotent: existing files are kept byte for byte.
# A thin wrapper around `scorewatch init`; arguments are passed through, e.g.
#   ./scripts/initialize_metrics.sh --data-dir /srv/scorewatch/data
# Uses $SCOREWATCH_BIN, or target/release/scorewatch, building it first when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${SCOREWATCH_BIN:-target/release/scorewatch}"
if [[ ! -x "$bin" ]]; then
    echo "==> building scorewatch (cargo build --release -p scorewatch-api)" >&2
    cargo build --release -p scorewatch-api
    bin="target/release/scorewatch"
fi
exec "$bin" init "$@"
