//! `POST /monitoring/outcomes`: late labels by prediction id.

use std::collections::HashSet;

use actix_web::{HttpResponse, post, web};
use scorewatch_core::OutcomeRecord;
use scorewatch_core::views::{
    FieldProblem, OutcomeItem, OutcomeResult, OutcomeStatus, OutcomesRequest, OutcomesResponse,
};
use time::OffsetDateTime;

use super::responses::{
    BadRequest, Conflict, MissingKey, NotFound, OutcomeInvalid, PayloadTooLarge, Unavailable,
    UnsupportedMediaType, WrongKey,
};
use crate::error::ApiError;
use crate::horizon::OutcomeHorizon;
use crate::state::AppState;

fn check(items: &[OutcomeItem], batch: bool, limit: usize) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    if batch && items.is_empty() {
        problems.push(FieldProblem {
            field: "outcomes".to_owned(),
            problem: "must not be empty".to_owned(),
        });
    }
    if items.len() > limit {
        problems.push(FieldProblem {
            field: "outcomes".to_owned(),
            problem: format!("{} outcomes exceed the batch limit of {limit}", items.len()),
        });
    }
    for (i, item) in items.iter().enumerate() {
        let prefix = if batch {
            format!("outcomes[{i}].")
        } else {
            String::new()
        };
        if item.prediction_id.trim().is_empty() {
            problems.push(FieldProblem {
                field: format!("{prefix}prediction_id"),
                problem: "must not be empty".to_owned(),
            });
        }
        if item.actual > 1 {
            problems.push(FieldProblem {
                field: format!("{prefix}actual"),
                problem: "must be 0 or 1".to_owned(),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidFields(problems))
    }
}

/// Judges each item against the id index (and, for an id this replica has not seen, the
/// store), writes the accepted outcomes and marks them; returns each item's result and
/// how many were accepted. A single outcome that is not accepted is its error.
fn record(
    state: &AppState,
    items: &[OutcomeItem],
    batch: bool,
) -> Result<(Vec<OutcomeResult>, usize), ApiError> {
    let timestamp = OffsetDateTime::now_utc();
    let horizon = OutcomeHorizon::new(state.config.outcome_horizon_days);
    let mut results = Vec::with_capacity(items.len());
    let mut accepted = Vec::new();
    {
        // Held across the append so two concurrent posts of one id cannot both succeed.
        let mut index = state.index();
        let mut in_batch = HashSet::new();
        for item in items {
            let mut recorded = index.outcome_recorded(&item.prediction_id);
            // An id this replica has not seen may have been logged by another replica on
            // the database since this one started: the store knows.
            if recorded.is_none()
                && horizon.refusal(&item.prediction_id, timestamp).is_none()
                && state
                    .store
                    .predictions()
                    .logged(&item.prediction_id)
                    .map_err(ApiError::write_failed)?
                    == Some(true)
            {
                index.insert_predictions(std::iter::once(item.prediction_id.as_str()));
                recorded = Some(false);
            }
            let status = match recorded {
                None if horizon.refusal(&item.prediction_id, timestamp).is_some() => {
                    OutcomeStatus::OutsideOutcomeHorizon
                }
                None => OutcomeStatus::UnknownId,
                Some(true) => OutcomeStatus::Duplicate,
                Some(false) if !in_batch.insert(item.prediction_id.as_str()) => {
                    OutcomeStatus::Duplicate
                }
                Some(false) => {
                    accepted.push(OutcomeRecord {
                        prediction_id: item.prediction_id.clone(),
                        timestamp,
                        actual: item.actual,
                    });
                    OutcomeStatus::Accepted
                }
            };
            results.push(OutcomeResult {
                prediction_id: item.prediction_id.clone(),
                status,
            });
        }
        if !batch {
            match results[0].status {
                OutcomeStatus::UnknownId => {
                    return Err(ApiError::NotFound(format!(
                        "no prediction has id {}",
                        items[0].prediction_id
                    )));
                }
                OutcomeStatus::Duplicate => {
                    return Err(ApiError::Conflict {
                        code: "duplicate_outcome",
                        message: format!(
                            "an outcome for prediction {} was already recorded",
                            items[0].prediction_id
                        ),
                    });
                }
                OutcomeStatus::OutsideOutcomeHorizon => {
                    return Err(ApiError::OutsideOutcomeHorizon {
                        message: horizon
                            .refusal(&items[0].prediction_id, timestamp)
                            .unwrap_or_default(),
                    });
                }
                OutcomeStatus::Accepted => {}
            }
        }
        if !accepted.is_empty() {
            let appended = state.store.outcomes().append(&accepted);
            state.storage.note(&appended);
            appended.map_err(ApiError::store_write)?;
            for record in &accepted {
                index.mark(&record.prediction_id);
            }
        }
    }
    Ok((results, accepted.len()))
}

/// Records observed labels. A batch (`{"outcomes": [...]}`) reports each item as
/// `accepted`, `unknown_id`, `duplicate` or `outside_outcome_horizon`; a single outcome
/// for an unknown id is 404, a second outcome for the same id is 409, and one for a
/// prediction older than `--outcome-horizon-days` is 422 `outside_outcome_horizon`. Production metrics are recomputed every
/// `--metrics-every` outcomes.
#[utoipa::path(
    tag = "monitoring",
    request_body = OutcomesRequest,
    responses(
        (status = 200, description = "Per-item results", body = OutcomesResponse),
        NotFound, Conflict, OutcomeInvalid, BadRequest, PayloadTooLarge, UnsupportedMediaType, MissingKey, WrongKey, Unavailable,
    ),
    security(("api_key" = []))
)]
#[post("/monitoring/outcomes")]
pub async fn post_outcomes(
    state: web::Data<AppState>,
    body: web::Json<OutcomesRequest>,
) -> Result<HttpResponse, ApiError> {
    let (items, batch) = match body.into_inner() {
        OutcomesRequest::Batch { outcomes } => (outcomes, true),
        OutcomesRequest::One(item) => (vec![item], false),
    };
    check(&items, batch, state.config.batch_limit)?;
    // The index lock is held across the store's write (with a database, a commit): on
    // the blocking pool, so that a wait for it never holds an actix worker, of which
    // there is one per core, away from `/predict`.
    let recorder = state.clone();
    let (results, count) = web::block(move || record(&recorder, &items, batch))
        .await
        .map_err(ApiError::internal)??;
    state.into_inner().count_outcomes(count as u64);
    Ok(HttpResponse::Ok().json(OutcomesResponse {
        accepted: count,
        results,
    }))
}
