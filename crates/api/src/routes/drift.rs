//! `GET /monitoring/drift` and `POST /monitoring/drift/run`.

use actix_web::{HttpResponse, get, post, web};
use scorewatch_core::views::{DriftSummary, DriftView};
use scorewatch_core::{DriftReport, drift_segments_of_newest};
use serde::Deserialize;
use utoipa::IntoParams;

use super::responses::{
    BadRequest, Conflict, Invalid, MissingKey, NotFound, Unavailable, WrongKey,
};
use super::segments::{segment_error, segment_options, served_model};
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
    /// Also compute drift per segment of this column (one of the model's features): the
    /// newest `--drift-window` predictions of each segment against the same segment of
    /// the model's training set, worst first, in `by_segment`.
    pub segment_by: Option<String>,
    /// With `segment_by`: fewest rows a segment needs on each side to be judged
    /// (default 100, at least 1); thinner segments are listed, never judged.
    pub min_rows: Option<u64>,
}

/// The latest drift report (or the one with `id`), and optionally the history. An `id`
/// with no report is 404; `history` over 1000 is 422.
///
/// With `segment_by`, `by_segment` holds drift per segment, computed for this request and
/// not stored. An unknown column is 422 listing the valid columns; 409 `no_reference`
/// when the model's training set is gone or changed since it was trained; 503
/// `not_ready` before the first model.
#[utoipa::path(
    tag = "monitoring",
    params(DriftQuery),
    responses(
        (status = 200, description = "The latest report (or the one with `id`; `null` before the first) and the summaries of the newest `history` reports", body = DriftView),
        BadRequest, MissingKey, WrongKey, NotFound, Conflict, Invalid, Unavailable,
    )
)]
#[get("/monitoring/drift")]
pub async fn get_drift(
    state: web::Data<AppState>,
    query: web::Query<DriftQuery>,
) -> Result<web::Json<DriftView>, ApiError> {
    let DriftQuery {
        history,
        id,
        segment_by,
        min_rows,
    } = query.into_inner();
    let history = history.unwrap_or(0);
    if history > MAX_HISTORY {
        return Err(ApiError::invalid(
            "history",
            format!("must be at most {MAX_HISTORY}"),
        ));
    }
    let by_segment = match segment_by {
        None => None,
        Some(column) => {
            let served = served_model(&state)?;
            let options = segment_options(&served, "segment_by", &column, min_rows)?;
            let state = state.clone().into_inner();
            web::block(move || {
                let training = served.training_reference(&state.store)?;
                drift_segments_of_newest(
                    &state.store,
                    &served.model,
                    &training,
                    &column,
                    state.config.drift_window,
                    &options,
                )
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(|err| segment_error("segment_by", err))?
        }
    };
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
        by_segment,
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
