//! `GET /monitoring/metrics` and `POST /monitoring/metrics`.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use scorewatch_core::views::{FieldProblem, MetricsView, ModelSummary};
use scorewatch_core::{MetricName, MetricSource, MetricsEntry};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::IntoParams;

use super::responses::{
    BadRequest, Invalid, MissingKey, PayloadTooLarge, Unavailable, UnsupportedMediaType, WrongKey,
};
use crate::error::ApiError;
use crate::state::AppState;
use crate::write_gate::WriteGate;

/// Largest history page.
pub const MAX_HISTORY_LIMIT: usize = 1000;
/// Longest accepted metric name.
const MAX_NAME_LEN: usize = 64;

/// Paging of the history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Entries to return, newest first (default 50, at most 1000).
    pub limit: Option<usize>,
    /// Newest entries to skip.
    pub offset: Option<usize>,
}

/// The current model's training, validation and latest production metrics, and the
/// history newest first.
#[utoipa::path(
    tag = "monitoring",
    params(HistoryQuery),
    responses(
        (status = 200, description = "The current model's latest training, validation and production metrics, and one page of the history, newest first", body = MetricsView),
        BadRequest, MissingKey, WrongKey, Invalid,
    )
)]
#[get("/monitoring/metrics")]
pub async fn get_metrics(
    state: web::Data<AppState>,
    query: web::Query<HistoryQuery>,
) -> Result<web::Json<MetricsView>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if limit > MAX_HISTORY_LIMIT {
        return Err(ApiError::invalid(
            "limit",
            format!("must be at most {MAX_HISTORY_LIMIT}"),
        ));
    }
    let offset = query.offset.unwrap_or(0);
    let state = state.into_inner();
    let view = web::block(move || -> anyhow::Result<MetricsView> {
        let history = state.store.metrics().history()?;
        let served = state.served();
        let version = served.as_ref().map(|s| s.version.clone());
        let latest = |source: MetricSource| {
            history
                .iter()
                .rev()
                .find(|e| e.source == source && e.model_version == version)
                .cloned()
        };
        let model = served.map(|s| {
            let artifact = s.model.artifact();
            ModelSummary {
                version: s.version.clone(),
                created_at: artifact.created_at,
                threshold: artifact.threshold,
                training_rows: artifact.training_rows,
                features: s.features.clone(),
            }
        });
        Ok(MetricsView {
            model,
            training: latest(MetricSource::Training),
            validation: latest(MetricSource::Validation),
            production: latest(MetricSource::Production),
            estimated: latest(MetricSource::Estimated),
            history_total: history.len() as u64,
            history: history
                .iter()
                .rev()
                .skip(offset)
                .take(limit)
                .cloned()
                .collect(),
            predictions_total: state
                .predictions_total
                .load(std::sync::atomic::Ordering::Relaxed),
            outcomes_total: state
                .outcomes_total
                .load(std::sync::atomic::Ordering::Relaxed),
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(web::Json(view))
}

fn validate_metrics(
    body: &serde_json::Map<String, Value>,
) -> Result<BTreeMap<String, f64>, ApiError> {
    let mut problems = Vec::new();
    let mut metrics = BTreeMap::new();
    if body.is_empty() {
        problems.push(FieldProblem {
            field: "body".to_owned(),
            problem: "send at least one metric, e.g. {\"accuracy\": 0.95}".to_owned(),
        });
    }
    for (name, value) in body {
        let mut fail = |problem: String| {
            problems.push(FieldProblem {
                field: name.clone(),
                problem,
            });
        };
        let valid_name = !name.is_empty()
            && name.len() <= MAX_NAME_LEN
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid_name {
            fail(format!(
                "metric names are 1 to {MAX_NAME_LEN} letters, digits, '_', '-' or '.'"
            ));
            continue;
        }
        let Some(number) = value.as_f64().filter(|v| v.is_finite()) else {
            fail("must be a finite number".to_owned());
            continue;
        };
        if let Some((lo, hi)) = MetricName::parse(name).map(MetricName::range)
            && !(lo..=hi).contains(&number)
        {
            fail(format!("must be in [{lo}, {hi}]"));
            continue;
        }
        metrics.insert(name.clone(), number);
    }
    if problems.is_empty() {
        Ok(metrics)
    } else {
        Err(ApiError::InvalidFields(problems))
    }
}

/// Adds metrics by hand: a map of name to finite number, e.g. `{"accuracy": 0.95,
/// "precision": 0.82}`. Known metrics are range-checked. Stored as a `manual` history
/// entry of the current model that records the id (never the value) of the key used.
#[utoipa::path(
    tag = "monitoring",
    request_body(content = BTreeMap<String, f64>, example = json!({"accuracy": 0.95, "precision": 0.82})),
    responses(
        (status = 201, description = "The stored entry", body = MetricsEntry),
        Invalid, BadRequest, PayloadTooLarge, UnsupportedMediaType, MissingKey, WrongKey, Unavailable,
    ),
    security(("api_key" = []))
)]
#[post("/monitoring/metrics")]
pub async fn post_metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    gate: WriteGate,
    body: web::Json<serde_json::Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let metrics = validate_metrics(&body)?;
    let entry = MetricsEntry {
        timestamp: OffsetDateTime::now_utc(),
        source: MetricSource::Manual,
        model_version: state.served().map(|s| s.version.clone()),
        metrics,
        undefined: BTreeMap::new(),
        rows: None,
        posted_by: super::key_id(&req),
        rejected_candidate: false,
        bands: std::collections::BTreeMap::new(),
    };
    let stored = entry.clone();
    let state = state.into_inner();
    web::block(move || -> Result<(), ApiError> {
        // Past the deadline the client got a 503: then this must not write.
        gate.commit()?;
        let recorded = state.store.metrics().record(stored);
        state.storage.note(&recorded);
        recorded.map_err(ApiError::store_write)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(HttpResponse::Created().json(entry))
}
