//! scorewatch-api: the REST API and the admin commands of scorewatch.
//!
//! Everything lives here rather than in `main.rs` so that tests can build the app and
//! run the commands in-process.
//!
//! - [`config`]: flags and environment of `scorewatch serve`.
//! - [`startup`]: [`startup::Application`] builds and runs the server; [`starting`]
//!   answers on its port (503, `/health` saying why) while the store opens.
//! - [`routes`]: one module per resource; [`routes::configure`] registers them.
//! - [`auth`], [`error`], [`prometheus`], [`telemetry`]: the cross-cutting parts;
//!   [`write_gate`]: the handler deadline, and what keeps a timed-out write from happening.
//! - [`state`]: what the handlers share, with [`served`] (the model requests are scored
//!   with), [`storage_health`] (whether the disk takes writes), [`index`] (the compact
//!   prediction-id index) and [`feature_issues`] (data-quality issues of served
//!   predictions per feature); the background drift and metrics jobs it schedules are core's
//!   `monitoring`.
//! - [`training_runs`]: a run-pipeline request becomes a run on its own thread;
//!   [`run_control`] cancels and joins it.
//! - [`alerts`]: when alert rules are evaluated, and the worker that delivers their
//!   notifications to webhooks.
//! - [`traffic`]: generated demo traffic sent over HTTP (`scorewatch demo`).

pub mod alerts;
pub mod auth;
pub mod backend;
pub mod cli;
pub mod config;
pub mod error;
pub mod feature_issues;
pub mod horizon;
pub mod index;
pub mod prometheus;
pub mod promotions;
pub mod routes;
pub mod run_control;
pub mod served;
pub mod starting;
pub mod startup;
pub mod state;
pub mod storage_health;
pub mod telemetry;
pub mod traffic;
pub mod training_runs;
pub mod write_gate;
