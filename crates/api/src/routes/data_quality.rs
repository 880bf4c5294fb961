//! `GET /monitoring/data-quality`: the data quality of the newest predictions.

use actix_web::{get, web};
use scorewatch_core::{DataQualitySummary, data_quality_of_newest};
use serde::Deserialize;
use utoipa::IntoParams;

use super::responses::{BadRequest, Invalid, MissingKey, Unavailable, WrongKey};
use crate::error::ApiError;
use crate::state::AppState;

/// Largest `rows`: the summary reads that many rows of the log on every call.
pub const MAX_ROWS: usize = 100_000;

/// How many predictions to summarize.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DataQualityQuery {
    /// The newest N predictions of the current model (1 to 100000; default: the drift
    /// window, `--drift-window`).
    pub rows: Option<usize>,
}

/// Per feature of the current model, the shares of missing values, numeric values outside
/// the training range and categories unseen in training among its newest `rows`
/// predictions (0 rows before the first). `rows` of 0 or over 100000 is 422; 503
/// `not_ready` without a model or a reference profile.
#[utoipa::path(
    tag = "monitoring",
    params(DataQualityQuery),
    responses(
        (status = 200, description = "The summary of the window, one entry per profile feature", body = DataQualitySummary),
        BadRequest, MissingKey, WrongKey, Invalid, Unavailable,
    )
)]
#[get("/monitoring/data-quality")]
pub async fn get_data_quality(
    state: web::Data<AppState>,
    query: web::Query<DataQualityQuery>,
) -> Result<web::Json<DataQualitySummary>, ApiError> {
    let rows = query.rows.unwrap_or(state.config.drift_window);
    if rows == 0 || rows > MAX_ROWS {
        return Err(ApiError::invalid(
            "rows",
            format!("must be between 1 and {MAX_ROWS}"),
        ));
    }
    let Some(served) = state.served() else {
        return Err(ApiError::NotReady {
            message: "no model is published yet; run the pipeline first".to_owned(),
        });
    };
    let Some(profile) = served.profile.clone() else {
        return Err(ApiError::NotReady {
            message: format!("model {} has no reference profile", served.version),
        });
    };
    let state = state.into_inner();
    let summary =
        web::block(move || data_quality_of_newest(&state.store, &served.version, &profile, rows))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
    Ok(web::Json(summary))
}
