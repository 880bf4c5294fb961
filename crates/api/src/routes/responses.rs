//! The error responses of the `OpenAPI` document, written once: one type per status,
//! each with the [`ErrorBody`] schema and a description that holds for every route that
//! answers it. A route lists the ones it can answer, `responses((status = 200, ...),
//! BadRequest, MissingKey, ...)`; what a status means for that route in particular (which
//! id was not found, what conflicts) is said in the route's own doc comment.
//!
//! The types only describe responses: the handlers answer with [`ApiError`], whose
//! `status_code` and `code` these descriptions follow.
//!
//! [`ApiError`]: crate::error::ApiError

// Never built: the types exist for the document only.
#![allow(
    dead_code,
    reason = "the types describe responses, handlers answer ApiError"
)]

use scorewatch_core::views::ErrorBody;
use utoipa::IntoResponses;

/// 400.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "The request cannot be parsed: a malformed JSON body (`malformed_json`, \
                   with the line and column) or a query value of the wrong type \
                   (`bad_request`)"
)]
pub struct BadRequest(ErrorBody);

/// 401.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "No `X-API-Key` header (`missing_api_key`): writes always need one, reads \
                   only under `serve --protect-reads`",
    headers(("WWW-Authenticate" = String, description = "`ApiKey header=\"X-API-Key\"`"))
)]
pub struct MissingKey(ErrorBody);

/// 403.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "An `X-API-Key` that matches no configured key (`invalid_api_key`): \
                   checked on writes always, on reads only under `serve --protect-reads`"
)]
pub struct WrongKey(ErrorBody);

/// 404.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "No such resource (`not_found`); the message names the id"
)]
pub struct NotFound(ErrorBody);

/// 409.
#[derive(IntoResponses)]
#[response(
    status = 409,
    description = "The request conflicts with the current state; `error.code` says how \
                   (`pipeline_running`, `pipeline_not_running`, `duplicate_outcome`, \
                   `no_predictions`, `estimate_unavailable`)"
)]
pub struct Conflict(ErrorBody);

/// 413.
#[derive(IntoResponses)]
#[response(
    status = 413,
    description = "The body is larger than the limit (`payload_too_large`; \
                   `serve --body-limit`, 1 MiB by default)"
)]
pub struct PayloadTooLarge(ErrorBody);

/// 413 of a training set upload.
#[derive(IntoResponses)]
#[response(
    status = 413,
    description = "The training set is larger than the limit (`payload_too_large`; \
                   `serve --training-upload-limit`, 256 MiB by default); nothing was stored"
)]
pub struct TrainingSetTooLarge(ErrorBody);

/// 415.
#[derive(IntoResponses)]
#[response(
    status = 415,
    description = "The body is not `application/json` (`unsupported_media_type`)"
)]
pub struct UnsupportedMediaType(ErrorBody);

/// 422.
#[derive(IntoResponses)]
#[response(
    status = 422,
    description = "Well-formed but invalid (`invalid_fields`): `error.details` lists every \
                   invalid field or parameter with the reason"
)]
pub struct Invalid(ErrorBody);

/// 422 of `POST /monitoring/outcomes`.
#[derive(IntoResponses)]
#[response(
    status = 422,
    description = "Well-formed but invalid (`invalid_fields`: `error.details` lists every \
                   invalid field), or a single outcome for a prediction older than the \
                   outcome horizon (`outside_outcome_horizon`: `serve \
                   --outcome-horizon-days`, 400 by default; the message names the \
                   prediction's day and the horizon)"
)]
pub struct OutcomeInvalid(ErrorBody);

/// 503.
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "Cannot be done now; `error.code` says why: `not_ready` (no model is \
                   published yet: run the pipeline) or `storage_unavailable` (the data \
                   directory cannot be written, full or read-only; the message names the \
                   file, reads keep working)",
    headers(("Retry-After" = u32, description = "Seconds; sent with `storage_unavailable`"))
)]
pub struct Unavailable(ErrorBody);
