//! `GET /health`: liveness and a few facts about the process.

use actix_web::{get, web};
use scorewatch_core::views::Health;

use crate::prometheus::resident_memory_bytes;
use crate::state::AppState;

/// Liveness: `ok`, or `degraded` when the data directory cannot be written: its `tmp/`
/// is not writable, or the last write was refused by the disk (full, read-only) and none
/// has succeeded since.
#[utoipa::path(
    tag = "service",
    responses((status = 200, description = "The service is up", body = Health))
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> web::Json<Health> {
    let tmp = state.store.layout().tmp_dir();
    let writable = std::fs::metadata(&tmp).is_ok_and(|m| m.is_dir() && !m.permissions().readonly());
    let writable = writable && !state.storage_failing();
    web::Json(Health {
        status: if writable { "ok" } else { "degraded" }.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        model_version: state.served().map(|s| s.version.clone()),
        uptime_seconds: state.started.elapsed().as_secs_f64(),
        resident_memory_bytes: resident_memory_bytes(),
    })
}
