//! Integration tests: the real server on port 0 with a fresh data directory per test.

mod alert_rules;
mod alerts;
mod archives;
mod auth;
mod data_quality;
mod database;
mod disk_faults;
mod drift;
mod errors;
mod estimate;
mod health;
mod helpers;
mod hostile;
mod invalid_model;
mod metrics;
mod openapi;
mod outcomes;
mod pipeline;
mod postgres;
mod postgres_keys;
mod predict;
mod predictions;
mod prometheus_rules;
mod report;
mod restart;
mod retention;
mod segments;
mod training_data;
mod transfer;
// One skip policy for every crate's tests (`SCOREWATCH_TESTS_REQUIRE_ALL`).
#[path = "../../../core/tests/support/skip.rs"]
mod skip;
