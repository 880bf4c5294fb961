//! scorewatch-api: the REST API and the admin commands of scorewatch.
//!
//! Everything lives here rather than in `main.rs` so that tests can build the app and
//! run the commands in-process.

pub mod cli;
