//! `GET /monitoring/metrics/segments`, and what per-segment requests share with
//! `GET /monitoring/drift?segment_by=`: the checks of the column and of `min_rows`, and
//! how core's errors become responses.

use actix_web::{get, web};
use scorewatch_core::{
    DEFAULT_MIN_SEGMENT_ROWS, MetricsSegments, MonitorError, SegmentError, SegmentOptions,
    metrics_segments_of_newest, segment_columns,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::responses::{BadRequest, Conflict, Invalid, MissingKey, Unavailable, WrongKey};
use crate::error::ApiError;
use crate::served::Served;
use crate::state::AppState;

/// The served model, or 503 before the first one.
pub(super) fn served_model(state: &AppState) -> Result<std::sync::Arc<Served>, ApiError> {
    state.served().ok_or_else(|| ApiError::NotReady {
        message: "no model is published yet; run the pipeline first".to_owned(),
    })
}

/// Checks `column` (named `field` in the query) against the model's features and
/// `min_rows`, before any work: 422 listing the valid columns.
pub(super) fn segment_options(
    served: &Served,
    field: &str,
    column: &str,
    min_rows: Option<u64>,
) -> Result<SegmentOptions, ApiError> {
    let valid = segment_columns(&served.model);
    if !valid.iter().any(|c| c == column) {
        return Err(ApiError::invalid(
            field,
            format!(
                "unknown segment column '{column}'; valid columns: {}",
                valid.join(", ")
            ),
        ));
    }
    let min_rows = min_rows.unwrap_or(DEFAULT_MIN_SEGMENT_ROWS);
    if min_rows == 0 {
        return Err(ApiError::invalid("min_rows", "must be at least 1"));
    }
    Ok(SegmentOptions { min_rows })
}

/// 422 for what the request got wrong, 409 `no_reference` when the model's training set
/// is gone or changed, 500 for the rest.
pub(super) fn segment_error(field: &str, err: MonitorError) -> ApiError {
    match err {
        MonitorError::Segment(
            err @ (SegmentError::UnknownColumn { .. } | SegmentError::TooManySegments { .. }),
        ) => ApiError::invalid(field, err.to_string()),
        MonitorError::Segment(SegmentError::BadMinRows) => {
            ApiError::invalid("min_rows", "must be at least 1")
        }
        err @ (MonitorError::ReferenceUnavailable { .. } | MonitorError::Data(_)) => {
            ApiError::Conflict {
                code: "no_reference",
                message: scorewatch_core::error_chain(&err),
            }
        }
        other => ApiError::internal(other),
    }
}

/// Which column, and how many labelled rows a segment needs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SegmentMetricsQuery {
    /// The column to segment by: one of the model's features.
    pub by: String,
    /// Fewest labelled rows a segment needs for its metrics (default 100, at least 1);
    /// thinner segments are listed with their counts and the reason.
    pub min_rows: Option<u64>,
}

/// Production metrics per segment: the newest `--drift-window` predictions of the
/// current model, split by their value of `by`; per segment the labelled rows, the
/// positive rate, AUC, Gini, KS and Brier, worst (lowest AUC) first. A segment with
/// fewer labelled rows than `min_rows`, or one class, has `null` metrics and says why in
/// `undefined`. 422 for an unknown column (the message lists the valid ones) or a column
/// with more than 100 values; 503 `not_ready` before the first model.
#[utoipa::path(
    tag = "monitoring",
    params(SegmentMetricsQuery),
    responses(
        (status = 200, description = "Metrics per segment, worst first", body = MetricsSegments),
        BadRequest, MissingKey, WrongKey, Conflict, Invalid, Unavailable,
    )
)]
#[get("/monitoring/metrics/segments")]
pub async fn metrics_segments(
    state: web::Data<AppState>,
    query: web::Query<SegmentMetricsQuery>,
) -> Result<web::Json<MetricsSegments>, ApiError> {
    let SegmentMetricsQuery { by, min_rows } = query.into_inner();
    let served = served_model(&state)?;
    let options = segment_options(&served, "by", &by, min_rows)?;
    let state = state.into_inner();
    let result = web::block(move || {
        let segments = metrics_segments_of_newest(
            &state.store,
            &served.model,
            &by,
            state.config.drift_window,
            &options,
        )?;
        // Before the first prediction: the same shape, with no segment.
        Ok::<_, MonitorError>(segments.unwrap_or_else(|| MetricsSegments {
            column: by,
            min_rows: options.min_rows,
            threshold: served.model.threshold(),
            rows: 0,
            labelled_rows: 0,
            segments: Vec::new(),
        }))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|err| segment_error("by", err))?;
    Ok(web::Json(result))
}
