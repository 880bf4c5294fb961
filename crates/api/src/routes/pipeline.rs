//! `POST /monitoring/run-pipeline`, `POST /monitoring/pipeline/cancel` and
//! `GET /monitoring/pipeline-status`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use scorewatch_core::PipelineStatus;
use scorewatch_core::views::{RunAccepted, RunPipelineRequest};
use serde_json::Value;

use super::responses::{
    BadRequest, Conflict, Invalid, MissingKey, PayloadTooLarge, Unavailable, UnsupportedMediaType,
    WrongKey,
};
use crate::error::{ApiError, from_serde_json};
use crate::run_control::STATUS_URL;
use crate::state::AppState;
use crate::training_runs;

/// The body field that overrides `--min-production-rows` for one run.
const MIN_PRODUCTION_ROWS: &str = "min_production_rows";

/// The body is optional; when present it must be JSON.
fn parse_request(req: &HttpRequest, body: &[u8]) -> Result<RunPipelineRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(RunPipelineRequest::default());
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let value: Value = serde_json::from_slice(body).map_err(|err| from_serde_json(&err))?;
    check_min_production_rows(&value)?;
    serde_json::from_value(value).map_err(|err| from_serde_json(&err))
}

/// serde's own message for a bad count ("invalid type: integer `-1`, expected usize")
/// names neither the field nor what it means; this one does.
fn check_min_production_rows(body: &Value) -> Result<(), ApiError> {
    match body.get(MIN_PRODUCTION_ROWS) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| usize::try_from(n).is_ok()) => Ok(()),
        Some(other) => Err(ApiError::invalid(
            MIN_PRODUCTION_ROWS,
            format!(
                "must be a whole number of labelled production rows, 0 or more (got {other}); \
                 omit it for the server's --min-production-rows"
            ),
        )),
    }
}

/// Starts the training pipeline on a background thread; 409 while a run is in progress,
/// 422 naming the field when the request (such as its training file or
/// `min_production_rows`) is invalid, 503 when the data directory cannot record the run.
/// `min_production_rows` overrides the server's `--min-production-rows` for this run.
#[utoipa::path(
    tag = "pipeline",
    request_body(content = Option<RunPipelineRequest>, description = "Optional; defaults train on data/training/applications.csv plus labelled production rows once there are `--min-production-rows` of them"),
    responses(
        (status = 202, description = "Started", body = RunAccepted),
        Conflict, Invalid, BadRequest, PayloadTooLarge, UnsupportedMediaType, MissingKey, WrongKey, Unavailable,
    ),
    security(("api_key" = []))
)]
#[post("/monitoring/run-pipeline")]
pub async fn run_pipeline(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let request = parse_request(&req, &body)?;
    training_runs::validate_request(&state, &request)?;
    let state = state.into_inner();
    let accepted = training_runs::start(&state, &request)?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, STATUS_URL))
        .json(accepted))
}

/// Asks the running pipeline to stop; it ends as `cancelled` at the next check. 409
/// when no run is in progress.
#[utoipa::path(
    tag = "pipeline",
    responses(
        (status = 202, description = "Cancellation requested", body = RunAccepted),
        Conflict, MissingKey, WrongKey,
    ),
    security(("api_key" = []))
)]
#[post("/monitoring/pipeline/cancel")]
pub async fn cancel_pipeline(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let run_id = state.pipeline.cancel()?;
    Ok(HttpResponse::Accepted().json(RunAccepted {
        run_id,
        status_url: STATUS_URL.to_owned(),
    }))
}

/// State, stage, progress, timings, error and recent runs of the pipeline.
#[utoipa::path(
    tag = "pipeline",
    responses(
        (status = 200, description = "The pipeline's state, stage, progress, timings, error and recent runs", body = PipelineStatus),
        MissingKey, WrongKey,
    )
)]
#[get("/monitoring/pipeline-status")]
pub async fn pipeline_status(
    state: web::Data<AppState>,
) -> Result<web::Json<PipelineStatus>, ApiError> {
    let state = state.into_inner();
    let status = web::block(move || {
        state.pipeline.settle();
        state.store.pipeline_status().load()
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(web::Json(status))
}
