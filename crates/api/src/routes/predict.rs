//! `POST /predict`: score one application or a batch, log every prediction, answer.
//!
//! The hot path takes one read lock to clone the served model's `Arc`, validates and
//! scores in memory, checks the values against the reference profile (data quality,
//! counted per feature once the batch is logged; observed, never a reason to refuse),
//! appends the batch to the log with one write, and records the ids in the outcome
//! index; no file is read.

use std::sync::Arc;

use actix_web::{HttpResponse, post, web};
use scorewatch_core::views::{BatchPredictResponse, FieldProblem, PredictRequest, PredictResponse};
use scorewatch_core::{FILE_BACKEND, FeatureValue, IssueKind, PredictionRecord, StoreError};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::responses::{
    BadRequest, Invalid, MissingKey, PayloadTooLarge, Unavailable, UnsupportedMediaType, WrongKey,
};
use crate::error::ApiError;
use crate::served::Served;
use crate::state::AppState;

type Fields = Map<String, Value>;

/// The two accepted shapes, with every shape problem named.
fn shape(body: Value, batch_limit: usize) -> Result<(Vec<Fields>, bool), ApiError> {
    let Value::Object(mut top) = body else {
        return Err(ApiError::invalid(
            "body",
            "must be an object: {\"features\": {...}} or {\"instances\": [{...}, ...]}",
        ));
    };
    let mut problems = Vec::new();
    for key in top.keys() {
        if key != "features" && key != "instances" {
            problems.push(FieldProblem {
                field: key.clone(),
                problem: "unknown field; expected features or instances".to_owned(),
            });
        }
    }
    let result = match (top.remove("features"), top.remove("instances")) {
        (Some(Value::Object(one)), None) => Some((vec![one], false)),
        (Some(_), None) => {
            problems.push(problem(
                "features",
                "must be an object of feature name to value",
            ));
            None
        }
        (None, Some(Value::Array(items))) => {
            if items.is_empty() {
                problems.push(problem("instances", "must not be empty"));
            }
            if items.len() > batch_limit {
                problems.push(problem(
                    "instances",
                    &format!(
                        "{} instances exceed the batch limit of {batch_limit}",
                        items.len()
                    ),
                ));
            }
            let mut maps = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::Object(map) => maps.push(map),
                    _ => problems.push(problem(&format!("instances[{i}]"), "must be an object")),
                }
            }
            Some((maps, true))
        }
        (None, Some(_)) => {
            problems.push(problem("instances", "must be an array of objects"));
            None
        }
        (Some(_), Some(_)) => {
            problems.push(problem(
                "body",
                "send either features or instances, not both",
            ));
            None
        }
        (None, None) => {
            problems.push(problem(
                "body",
                "expected {\"features\": {...}} or {\"instances\": [...]}",
            ));
            None
        }
    };
    match result {
        Some(ok) if problems.is_empty() => Ok(ok),
        _ => Err(ApiError::InvalidFields(problems)),
    }
}

fn problem(field: &str, problem: &str) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        problem: problem.to_owned(),
    }
}

fn cell(value: Option<FeatureValue>) -> Option<String> {
    match value? {
        FeatureValue::Number(x) => Some(x.to_string()),
        FeatureValue::Category(c) => Some(c),
    }
}

/// Data-quality issues of a request's predictions, `(feature index, kind)`. Empty (and
/// so never allocated) in the common case of clean applications.
type Issues = Vec<(usize, IssueKind)>;

/// Validates and scores every instance; with the records, the data-quality issues of
/// their values, counted by the caller once the predictions are logged (an invalid or
/// unlogged request is not a served prediction).
fn score_all(
    served: &Served,
    instances: &[Fields],
    batch: bool,
) -> Result<(Vec<PredictionRecord>, Issues), ApiError> {
    let mut problems = Vec::new();
    let mut issues = Issues::new();
    let mut records = Vec::with_capacity(instances.len());
    let timestamp = OffsetDateTime::now_utc();
    let threshold = served.model.threshold();
    for (i, fields) in instances.iter().enumerate() {
        match served.model.validate(fields) {
            Ok(values) => {
                if !problems.is_empty() {
                    continue;
                }
                let score = served.model.score(&values);
                served
                    .quality
                    .check(&values, |feature, kind| issues.push((feature, kind)));
                records.push(PredictionRecord {
                    prediction_id: uuid::Uuid::now_v7().to_string(),
                    timestamp,
                    model_version: served.version.clone(),
                    score,
                    decision: u8::from(score >= threshold),
                    features: values.into_iter().map(cell).collect(),
                });
            }
            Err(err) => {
                for (field, kind) in err.problems {
                    let text = match kind {
                        scorewatch_core::FieldProblem::Missing => {
                            "missing (send null for a missing value)".to_owned()
                        }
                        scorewatch_core::FieldProblem::Unknown => {
                            "unknown field: not a feature of the model".to_owned()
                        }
                        scorewatch_core::FieldProblem::WrongType { expected } => {
                            format!("must be a {expected} or null")
                        }
                    };
                    let field = if batch {
                        format!("instances[{i}].{field}")
                    } else {
                        format!("features.{field}")
                    };
                    problems.push(FieldProblem {
                        field,
                        problem: text,
                    });
                }
            }
        }
    }
    if problems.is_empty() {
        Ok((records, issues))
    } else {
        Err(ApiError::InvalidFields(problems))
    }
}

/// Logs `records`, returning them with the store's answer.
///
/// The file backend's append is a buffered write to a local file, done in place: it
/// costs less than the hop to the blocking pool would. A database append
/// waits for its batch's commit (group commit): in place it would hold one of the few
/// actix workers (one per core) for the round trip, so no more requests than workers
/// could share a batch; on the blocking pool every waiting request joins the next batch.
async fn append(
    state: &web::Data<AppState>,
    served: &Arc<Served>,
    records: Vec<PredictionRecord>,
) -> Result<(Vec<PredictionRecord>, Result<(), StoreError>), ApiError> {
    if state.store.backend() == FILE_BACKEND {
        let appended = state.store.predictions().append(&served.features, &records);
        return Ok((records, appended));
    }
    let (store, served) = (Arc::clone(&state.store), Arc::clone(served));
    web::block(move || {
        let appended = store.predictions().append(&served.features, &records);
        (records, appended)
    })
    .await
    .map_err(ApiError::internal)
}

/// Scores one application (`{"features": {...}}`) or a batch (`{"instances": [...]}`)
/// with the current model. Every prediction is in `predictions_log.csv` before the
/// answer is sent; an invalid request logs nothing.
#[utoipa::path(
    tag = "predictions",
    request_body = PredictRequest,
    responses(
        (status = 200, description = "One prediction, or `{\"predictions\": [...]}` for a batch", body = PredictResponse),
        BadRequest, MissingKey, WrongKey, PayloadTooLarge, UnsupportedMediaType, Invalid, Unavailable,
    ),
    security(("api_key" = []))
)]
#[post("/predict")]
pub async fn predict(
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (instances, batch) = shape(body.into_inner(), state.config.batch_limit)?;
    let Some(served) = state.served() else {
        return Err(ApiError::NotReady {
            message: "no model is published yet; train one with POST /monitoring/run-pipeline \
                      (or `scorewatch train`)"
                .to_owned(),
        });
    };
    let (records, issues) = score_all(&served, &instances, batch)?;
    let (records, appended) = append(&state, &served, records).await?;
    state.storage.note(&appended);
    appended.map_err(|err| match err {
        StoreError::InvalidRecord { .. } => ApiError::invalid("features", err.to_string()),
        other => ApiError::store_write(other),
    })?;
    state
        .index()
        .insert_predictions(records.iter().map(|r| r.prediction_id.as_str()));
    served.record_issues(&issues);
    state.into_inner().count_predictions(records.len() as u64);
    let mut answers = records.into_iter().map(|r| PredictResponse {
        prediction_id: r.prediction_id,
        score: r.score,
        decision: r.decision,
        model_version: r.model_version,
    });
    if batch {
        Ok(HttpResponse::Ok().json(BatchPredictResponse {
            predictions: answers.collect(),
        }))
    } else {
        let one = answers
            .next()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no prediction scored")))?;
        Ok(HttpResponse::Ok().json(one))
    }
}
