//! `GET /monitoring/drift` and `POST /monitoring/drift/run`.

use actix_web::{HttpResponse, get, post, web};
use scorewatch_core::DriftReport;
use scorewatch_core::views::{DriftSummary, DriftView};
use serde::Deserialize;
use utoipa::IntoParams;

use super::responses::{
    BadRequest, Conflict, Invalid, MissingKey, NotFound, Unavailable, WrongKey,
};
use crate::error::ApiError;
use crate::state::AppState;
use crate::write_gate::WriteGate;

/// Largest `history`.
pub const MAX_HISTORY: usize = 1000;

/// Which report, and how much history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DriftQuery {
    /// Add the summaries of the newest N reports, newest first (at most 1000).
    pub history: Option<usize>,
    /// Return this report instead of the latest.
    pub id: Option<String>,
}

/// The latest drift report (or the one with `id`), and optionally the history. An `id`
/// with no report is 404; `history` over 1000 is 422.
#[utoipa::path(
    tag = "monitoring",
    params(DriftQuery),
    responses(
        (status = 200, description = "The latest report (or the one with `id`; `null` before the first) and the summaries of the newest `history` reports", body = DriftView),
        BadRequest, MissingKey, WrongKey, NotFound, Invalid,
    )
)]
#[get("/monitoring/drift")]
pub async fn get_drift(
    state: web::Data<AppState>,
    query: web::Query<DriftQuery>,
) -> Result<web::Json<DriftView>, ApiError> {
    let DriftQuery { history, id } = query.into_inner();
    let history = history.unwrap_or(0);
    if history > MAX_HISTORY {
        return Err(ApiError::invalid(
            "history",
            format!("must be at most {MAX_HISTORY}"),
        ));
    }
    let state = state.into_inner();
    let (report, summaries, id) = web::block(move || -> anyhow::Result<_> {
        let reports = state.store.drift_reports();
        let report = match &id {
            Some(id) => reports.get(id)?,
            None => reports.latest()?,
        };
        let mut summaries = Vec::new();
        if history > 0 {
            // Summaries carry no model version or row count; the full reports do.
            let listed = reports.summaries()?;
            for summary in listed.iter().rev().take(history) {
                if let Some(full) = reports.get(&summary.id)? {
                    summaries.push(DriftSummary::from(&full));
                }
            }
        }
        Ok((report, summaries, id))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    if let (None, Some(id)) = (&report, id) {
        return Err(ApiError::NotFound(format!("no drift report has id {id}")));
    }
    Ok(web::Json(DriftView {
        report,
        history: summaries,
    }))
}

/// Computes a drift report now: the newest `--drift-window` predictions of the current
/// model against its reference profile. 409 `no_predictions` before the current model
/// has scored anything; 503 `not_ready` without a model or a reference profile.
#[utoipa::path(
    tag = "monitoring",
    responses(
        (status = 201, description = "The new report", body = DriftReport),
        Conflict, Unavailable, MissingKey, WrongKey,
    ),
    security(("api_key" = []))
)]
#[post("/monitoring/drift/run")]
pub async fn run_drift(
    state: web::Data<AppState>,
    gate: WriteGate,
) -> Result<HttpResponse, ApiError> {
    let Some(served) = state.served() else {
        return Err(ApiError::NotReady {
            message: "no model is published yet; run the pipeline first".to_owned(),
        });
    };
    if served.profile.is_none() {
        return Err(ApiError::NotReady {
            message: format!("model {} has no reference profile", served.version),
        });
    }
    let state = state.into_inner();
    let report = web::block(move || {
        let report = state.run_drift(&gate);
        state.storage.note_anyhow(&report);
        report
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::write_failed)?;
    match report {
        Some(report) => Ok(HttpResponse::Created().json(report)),
        None => Err(ApiError::Conflict {
            code: "no_predictions",
            message: format!("no prediction of model {} is logged yet", served.version),
        }),
    }
}
