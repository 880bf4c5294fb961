//! `GET /monitoring/performance-estimate`: the served model's performance estimated
//! without outcomes (CBPE) over its newest unlabelled predictions.

use actix_web::{get, web};
use scorewatch_core::{
    ChunkPeriod, Chunking, MonitorError, ServedEstimate, estimate_of_newest_unlabelled,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::responses::{BadRequest, Conflict, Invalid, MissingKey, Unavailable, WrongKey};
use crate::error::ApiError;
use crate::state::AppState;

/// Largest `window`: the rows are read from the log's tail and estimated in memory.
pub const MAX_WINDOW: usize = 1_000_000;

/// Which predictions, and how to chunk them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EstimateQuery {
    /// Read the newest N predictions of the served model (default: the server's drift
    /// window, `serve --drift-window`; at most 1000000); those without an outcome are
    /// estimated.
    pub window: Option<usize>,
    /// Chunks of this many consecutive rows (oldest first; the last may be shorter).
    pub chunk_size: Option<usize>,
    /// Chunks by the period of the prediction's timestamp: `1h`, `6h`, `1d`, `7d`, `1w`
    /// (days from midnight UTC, weeks from Monday). Chunks by period have no alert
    /// thresholds: the validation split they come from has no timestamps.
    pub chunk_period: Option<String>,
}

/// Checks the query: at most one way of chunking, a chunk size of at least 1, a period
/// that parses, a window in `1..=MAX_WINDOW`.
fn chunking_of(query: &EstimateQuery) -> Result<Option<Chunking>, ApiError> {
    match (query.chunk_size, &query.chunk_period) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "chunk_period",
            "give chunk_size or chunk_period, not both",
        )),
        (Some(0), None) => Err(ApiError::invalid("chunk_size", "must be at least 1")),
        (Some(size), None) => Ok(Some(Chunking::Size(size))),
        (None, Some(period)) => period
            .parse::<ChunkPeriod>()
            .map(|p| Some(Chunking::Period(p)))
            .map_err(|err| ApiError::invalid("chunk_period", err.to_string())),
        (None, None) => Ok(None),
    }
}

/// The CBPE estimate of the served model's newest unlabelled predictions: overall and per
/// chunk, each metric with its sampling error, band and alert flag (the fields of
/// `scorewatch estimate --format json`, under `estimate`). No unlabelled prediction is
/// 200 with `estimate: null` and a `reason`; a model without a calibration is 409
/// `estimate_unavailable` with the reason; bad parameters are 422.
#[utoipa::path(
    tag = "monitoring",
    params(EstimateQuery),
    responses(
        (status = 200, description = "The estimate (`estimate` is null, with a `reason`, when every prediction read has an outcome or there is none)", body = ServedEstimate),
        BadRequest, MissingKey, WrongKey, Conflict, Invalid, Unavailable,
    )
)]
#[get("/monitoring/performance-estimate")]
pub async fn get_performance_estimate(
    state: web::Data<AppState>,
    query: web::Query<EstimateQuery>,
) -> Result<web::Json<ServedEstimate>, ApiError> {
    let chunking = chunking_of(&query)?;
    let window = query.window.unwrap_or(state.config.drift_window);
    if !(1..=MAX_WINDOW).contains(&window) {
        return Err(ApiError::invalid(
            "window",
            format!("must be from 1 to {MAX_WINDOW}"),
        ));
    }
    let Some(served) = state.served() else {
        return Err(ApiError::NotReady {
            message: "no model is published yet; run the pipeline first".to_owned(),
        });
    };
    let store = std::sync::Arc::clone(&state.store);
    let result = web::block(move || {
        estimate_of_newest_unlabelled(
            &store,
            served.model.artifact(),
            &served.features,
            window,
            chunking,
        )
    })
    .await
    .map_err(ApiError::internal)?;
    match result {
        Ok(estimate) => Ok(web::Json(estimate)),
        Err(MonitorError::Unavailable(reason)) => Err(ApiError::Conflict {
            code: "estimate_unavailable",
            message: format!("performance cannot be estimated: {reason}"),
        }),
        Err(other) => Err(ApiError::internal(other)),
    }
}
