#!/usr/bin/env bash
# Runs locally exactly the checks CI runs (.ci/run calls this after installing what is needed).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test"
cargo test --workspace --locked
# The API suite once more, every app on a PostgreSQL database of its own: the same tests
# on the other backend (crates/api/tests/api/database.rs). `--workspace` keeps the feature
# set of the run above, so nothing is rebuilt.
if [ -n "${SCOREWATCH_TEST_DATABASE_URL:-}" ]; then
    echo "==> cargo test: the API suite on PostgreSQL"
    SCOREWATCH_TEST_BACKEND=postgres cargo test --workspace --locked --test api
else
    echo "==> the API suite on PostgreSQL: skipped (SCOREWATCH_TEST_DATABASE_URL is not set)"
fi
echo "==> cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
