//! Reliability suite against the real `scorewatch serve` binary: SIGKILL under load,
//! 64 concurrent clients, SIGTERM under load and during a pipeline run; on PostgreSQL,
//! several replicas on one database acting as one service, the database going away under
//! load and a replica killed (SIGKILL) beside another.
//!
//! Each test starts the binary Cargo built for this profile on a temporary data
//! directory and a loopback port, and drives it with blocking reqwest clients on
//! threads. They are `#[ignore]`d so that `cargo test` stays fast; run them with
//! `scripts/reliability.sh` (release build, one at a time, figures printed).

mod concurrency;
mod crash;
mod database_faults;
mod replicas;
mod sigterm;
// One skip policy for every crate's tests (`SCOREWATCH_TESTS_REQUIRE_ALL`).
#[path = "../../../core/tests/support/skip.rs"]
mod skip;
mod support;
