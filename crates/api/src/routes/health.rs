//! `GET /health`: liveness and a few facts about the process.

use actix_web::{get, web};
use scorewatch_core::views::{Health, StorageProblem};
use time::OffsetDateTime;

use crate::prometheus::resident_memory_bytes;
use crate::state::AppState;

/// Liveness: `ok`, or `degraded` when the data directory cannot be written: its `tmp/`
/// is not writable, or the last write was refused by the disk (full, read-only) and none
/// has succeeded since. `storage` then says which file and why.
#[utoipa::path(
    tag = "service",
    responses((status = 200, description = "The service is up", body = Health))
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> web::Json<Health> {
    let storage = storage_problem(&state);
    web::Json(Health {
        status: if storage.is_none() { "ok" } else { "degraded" }.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        model_version: state.served().map(|s| s.version.clone()),
        uptime_seconds: state.started.elapsed().as_secs_f64(),
        resident_memory_bytes: resident_memory_bytes(),
        storage,
    })
}

/// The refused write, if any; else whether `tmp/` (where every write starts) is writable.
fn storage_problem(state: &AppState) -> Option<StorageProblem> {
    if let Some(problem) = state.storage_problem() {
        return Some(problem);
    }
    let tmp = state.store.layout().tmp_dir();
    let writable = std::fs::metadata(&tmp).is_ok_and(|m| m.is_dir() && !m.permissions().readonly());
    (!writable).then(|| StorageProblem {
        message: format!(
            "the data directory cannot be written: {} is not a writable directory; free \
             space or fix permissions, reads keep working",
            tmp.display()
        ),
        at: OffsetDateTime::now_utc(),
    })
}
