//! `GET /monitoring/predictions`: recent predictions, newest first, read from the log's
//! tail.

use actix_web::{get, web};
use scorewatch_core::views::{FeatureMap, FieldProblem, PredictionView, PredictionsPage};
use scorewatch_core::{FeatureKind, PredictionQuery};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::IntoParams;

use super::responses::{BadRequest, Invalid, MissingKey, WrongKey};
use crate::error::ApiError;
use crate::state::AppState;

/// Largest page.
pub const MAX_LIMIT: usize = 1000;

/// Paging and filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PredictionsQuery {
    /// Page size (default 100, at most 1000).
    pub limit: Option<usize>,
    /// Matching predictions to skip, newest first.
    pub offset: Option<usize>,
    /// Only predictions at or after this RFC 3339 instant.
    pub since: Option<String>,
    /// Only predictions at or before this RFC 3339 instant.
    pub until: Option<String>,
    /// Only predictions of this model version.
    pub model_version: Option<String>,
}

/// The `since`/`until` of a query, parsed and checked: each an RFC 3339 instant, and
/// `since` not after `until`. Problems are added to `problems`.
pub(super) fn time_range(
    since: Option<&str>,
    until: Option<&str>,
    problems: &mut Vec<FieldProblem>,
) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    let since = instant("since", since, problems);
    let until = instant("until", until, problems);
    if let (Some(since), Some(until)) = (since, until)
        && since > until
    {
        problems.push(FieldProblem {
            field: "since".to_owned(),
            problem: "must not be after until".to_owned(),
        });
    }
    (since, until)
}

fn instant(
    field: &str,
    value: Option<&str>,
    problems: &mut Vec<FieldProblem>,
) -> Option<OffsetDateTime> {
    let value = value?;
    match OffsetDateTime::parse(value, &Rfc3339) {
        Ok(at) => Some(at),
        Err(err) => {
            problems.push(FieldProblem {
                field: field.to_owned(),
                problem: format!("must be an RFC 3339 instant such as 2025-01-31T12:00:00Z: {err}"),
            });
            None
        }
    }
}

/// Recent predictions, newest first, paged and filtered.
#[utoipa::path(
    tag = "monitoring",
    params(PredictionsQuery),
    responses(
        (status = 200, description = "One page of predictions, newest first; `has_more` says whether older ones match", body = PredictionsPage),
        BadRequest, MissingKey, WrongKey, Invalid,
    )
)]
#[get("/monitoring/predictions")]
pub async fn get_predictions(
    state: web::Data<AppState>,
    query: web::Query<PredictionsQuery>,
) -> Result<web::Json<PredictionsPage>, ApiError> {
    let query = query.into_inner();
    let mut problems = Vec::new();
    let limit = query.limit.unwrap_or(PredictionQuery::DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        problems.push(FieldProblem {
            field: "limit".to_owned(),
            problem: format!("must be between 1 and {MAX_LIMIT}"),
        });
    }
    let (since, until) = time_range(
        query.since.as_deref(),
        query.until.as_deref(),
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(ApiError::InvalidFields(problems));
    }
    let offset = query.offset.unwrap_or(0);
    let state = state.into_inner();
    let page = web::block(move || -> anyhow::Result<PredictionsPage> {
        let log = state.store.predictions();
        let mut records = log.recent(&PredictionQuery {
            since,
            until,
            model_version: query.model_version,
            offset,
            limit: limit + 1,
        })?;
        let has_more = records.len() > limit;
        records.truncate(limit);
        let names = log.feature_names()?;
        let served = state.served();
        let predictions = records
            .into_iter()
            .map(|record| {
                let features: FeatureMap = names
                    .iter()
                    .zip(record.features)
                    .map(|(name, cell)| {
                        let categorical = served
                            .as_ref()
                            .and_then(|s| s.kind(name))
                            .is_some_and(|k| k == FeatureKind::Categorical);
                        (name.clone(), json_value(cell, categorical))
                    })
                    .collect();
                PredictionView {
                    prediction_id: record.prediction_id,
                    timestamp: record.timestamp,
                    model_version: record.model_version,
                    score: record.score,
                    decision: record.decision,
                    features,
                }
            })
            .collect();
        Ok(PredictionsPage {
            predictions,
            limit,
            offset,
            has_more,
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(web::Json(page))
}

/// A logged cell as JSON: null when missing, a number when it reads as one (unless the
/// served model says the feature is categorical), else a string.
fn json_value(cell: Option<String>, categorical: bool) -> Value {
    let Some(cell) = cell else {
        return Value::Null;
    };
    if !categorical
        && let Ok(x) = cell.parse::<f64>()
        && let Some(number) = serde_json::Number::from_f64(x)
    {
        return Value::Number(number);
    }
    Value::String(cell)
}
