//! Integration tests of the PostgreSQL backend against a real server: each test gets a
//! fresh database of its own on the server `SCOREWATCH_TEST_DATABASE_URL` names (created
//! and dropped by the test), so tests run in parallel and leave nothing behind. Without
//! the variable they skip locally and fail in CI (`support::skip_or_fail`).
#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns panic on setup failure"
)]

mod alerts;
mod cluster;
mod connect;
mod documents;
mod group_commit;
mod keys;
mod migrate;
mod models;
mod outcomes;
mod predictions;
mod retention;
mod support;
