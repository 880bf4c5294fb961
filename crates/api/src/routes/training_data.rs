//! `PUT /monitoring/training-data/{name}` and `GET /monitoring/training-data`: the training
//! sets a pipeline run can name, uploaded and listed through the API so that no one needs
//! a shell on the server (where the data directory's lock refuses `scorewatch train`
//! while `serve` runs).

use actix_web::{HttpResponse, get, put, web};
use scorewatch_core::views::{FieldProblem, TrainingSetList};
use scorewatch_core::{TrainingSetName, TrainingSetSummary, check_training_set};
use time::OffsetDateTime;

use super::responses::{Invalid, MissingKey, TrainingSetTooLarge, Unavailable, WrongKey};
use crate::error::ApiError;
use crate::state::AppState;
use crate::write_gate::WriteGate;

/// Lists the training sets a pipeline run can name in `training_file`, with their rows,
/// size, sha256 and the time they were last written.
#[utoipa::path(
    tag = "monitoring",
    responses(
        (status = 200, description = "Every training set, ordered by name", body = TrainingSetList),
        MissingKey, WrongKey,
    )
)]
#[get("/monitoring/training-data")]
pub async fn list_training_data(
    state: web::Data<AppState>,
) -> Result<web::Json<TrainingSetList>, ApiError> {
    let state = state.into_inner();
    let training_sets = web::block(move || state.store.training_sets().list())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(web::Json(TrainingSetList { training_sets }))
}

/// Stores a training set (the body, a CSV file with a header), creating or replacing
/// `name`; a pipeline run then trains on it with `{"training_file": name}`.
///
/// The set is checked as such a run reads it: well-formed CSV, the target column
/// `default` with labels of two classes, every other column a feature. A 422 names the
/// line and column of the first problem, and nothing is stored. The write is atomic: a run
/// that starts meanwhile reads the old set or the new one, never a part. Answers 201 for
/// a new set and 200 for a replaced one.
#[utoipa::path(
    tag = "monitoring",
    params(("name" = String, Path, description = "A plain file name such as `applications.csv`")),
    request_body(content = String, content_type = "text/csv",
        example = "monthly_income,age,region,default\n4200,35,north,0\n"),
    responses(
        (status = 201, description = "A new set was stored", body = TrainingSetSummary),
        (status = 200, description = "The set was replaced", body = TrainingSetSummary),
        Invalid, TrainingSetTooLarge, MissingKey, WrongKey, Unavailable,
    ),
    security(("api_key" = []))
)]
#[put("/monitoring/training-data/{name}")]
pub async fn put_training_data(
    state: web::Data<AppState>,
    gate: WriteGate,
    name: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let name =
        TrainingSetName::parse(&name).map_err(|err| ApiError::invalid("name", err.to_string()))?;
    let limit = state.config.training_upload_limit;
    let bytes = body
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit })?
        .map_err(|err| ApiError::BadRequest(format!("the body could not be read: {err}")))?;
    let state = state.into_inner();
    let (created, summary) = web::block(move || -> Result<_, ApiError> {
        check_training_set(&name, &bytes).map_err(|err| {
            ApiError::InvalidFields(vec![FieldProblem {
                field: "body".to_owned(),
                problem: scorewatch_core::error_chain(&err),
            }])
        })?;
        let sets = state.store.training_sets();
        let created = !sets.exists(&name).map_err(ApiError::internal)?;
        // Past the deadline the client got a 503: then this must not write.
        gate.commit()?;
        let written = sets.write(&name, &bytes);
        state.storage.note(&written);
        written.map_err(ApiError::store_write)?;
        let summary = TrainingSetSummary::of(&name, &bytes, OffsetDateTime::now_utc());
        tracing::info!(
            training_set = %name,
            rows = summary.rows,
            bytes = summary.bytes,
            sha256 = %summary.sha256,
            "training set stored"
        );
        Ok((created, summary))
    })
    .await
    .map_err(ApiError::internal)??;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(summary))
}
