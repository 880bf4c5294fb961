//! `GET /health`: liveness and a few facts about the process.

use std::path::Path;

use actix_web::{get, web};
use scorewatch_core::views::{Health, StorageProblem};

use crate::prometheus::resident_memory_bytes;
use crate::state::AppState;

/// Liveness: `ok`, or `degraded` when the data directory cannot be written: its `tmp/`
/// is not writable, or the last write was refused by the disk (full, read-only) and none
/// has succeeded since; or, with a database, the last call found it unreachable (the
/// key refresh tries it every few seconds). `storage` then says which file (relative to
/// the data directory) or what the database did not answer, and why. `backend` and
/// `replica` say which store and which replica answered.
#[utoipa::path(
    tag = "service",
    responses((status = 200, description = "The service is up", body = Health))
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> web::Json<Health> {
    let storage = storage_problem(&state).map(|problem| StorageProblem {
        message: without_locations(&state, &problem.message),
        ..problem
    });
    web::Json(Health {
        status: if storage.is_none() { "ok" } else { "degraded" }.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        model_version: state.served().map(|s| s.version.clone()),
        backend: state.store.backend().to_owned(),
        replica: state.config.replica_name.clone(),
        uptime_seconds: state.started.elapsed().as_secs_f64(),
        resident_memory_bytes: resident_memory_bytes(),
        storage,
    })
}

/// `message` without where the data is kept: the data directory's path (files named
/// relative to it) and the database's host and name (said as "--database-url").
fn without_locations(state: &AppState, message: &str) -> String {
    let message = within_data_dir(message, &state.config.data_dir);
    match &state.config.database_url {
        Some(url) => message.replace(&url.to_string(), "of --database-url"),
        None => message,
    }
}

/// `message` with the data directory's absolute path taken out, so that files are named
/// relative to it: `/health` answers without a key, and where the server keeps its data
/// is not for anyone who can reach the port (the 503 bodies, behind the key, keep it).
fn within_data_dir(message: &str, data_dir: &Path) -> String {
    let prefix = format!("{}/", data_dir.display());
    message.replace(&prefix, "")
}

/// The refused write, if any; else whether `tmp/` (where every write starts) is writable.
fn storage_problem(state: &AppState) -> Option<StorageProblem> {
    state.storage.current_problem(&state.store)
}
