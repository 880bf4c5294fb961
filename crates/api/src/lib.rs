//! scorewatch-api: the REST API and the admin commands of scorewatch.
//!
//! Everything lives here rather than in `main.rs` so that tests can build the app and
//! run the commands in-process.
//!
//! - [`config`]: flags and environment of `scorewatch serve`.
//! - [`startup`]: [`startup::Application`] builds and runs the server.
//! - [`routes`]: one module per resource; [`routes::configure`] registers them.
//! - [`auth`], [`error`], [`prometheus`], [`telemetry`]: the cross-cutting parts;
//!   [`write_gate`]: the handler deadline, and what keeps a timed-out write from happening.
//! - [`state`] and [`pipeline`]: the engine as the handlers see it; [`index`]: the
//!   compact prediction-id index.
//! - [`traffic`]: generated demo traffic sent over HTTP (`scorewatch demo`).

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod index;
pub mod prometheus;
pub mod routes;
pub mod run_control;
pub mod served;
pub mod startup;
pub mod state;
pub mod storage_health;
pub mod telemetry;
pub mod traffic;
pub mod training_runs;
pub mod write_gate;
