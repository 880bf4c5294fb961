# Sourced by the scripts that run the server: `bin=$(debug_bin)` builds the debug
# `scorewatch` and prints its path. cargo decides whether it is up to date (a no-op
# after `cargo test`), so a script never runs a stale binary, and the path comes from
# cargo itself, which follows CARGO_TARGET_DIR and .cargo/config.
debug_bin() {
  cargo build --locked -p scorewatch-api --bin scorewatch >&2 || return 1
  local target
  target=$(cargo metadata --format-version 1 --no-deps --locked \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])') || return 1
  echo "$target/debug/scorewatch"
}
