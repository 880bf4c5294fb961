//! `POST /monitoring/run-pipeline`, `POST /monitoring/pipeline/cancel` and
//! `GET /monitoring/pipeline-status`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use scorewatch_core::PipelineStatus;
use scorewatch_core::views::{RunAccepted, RunPipelineRequest};

use super::responses::{
    BadRequest, Conflict, Invalid, MissingKey, PayloadTooLarge, Unavailable, UnsupportedMediaType,
    WrongKey,
};
use crate::error::{ApiError, from_serde_json};
use crate::pipeline::{self, STATUS_URL};
use crate::state::AppState;

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
    serde_json::from_slice(body).map_err(|err| from_serde_json(&err))
}

/// Starts the training pipeline on a background thread; 409 while a run is in progress,
/// 422 naming the field when the request (such as its training file) is invalid, 503
/// when the data directory cannot record the run.
#[utoipa::path(
    tag = "pipeline",
    request_body(content = Option<RunPipelineRequest>, description = "Optional; defaults train on data/training/applications.csv plus labelled production rows"),
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
    pipeline::validate_request(&state, &request)?;
    let state = state.into_inner();
    let accepted = pipeline::start(&state, &request)?;
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
