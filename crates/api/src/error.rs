//! The one error type of the HTTP layer, rendered as [`ErrorBody`] JSON with the right
//! status, and the extractor error handlers that route actix's own failures through it.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use scorewatch_core::views::{ErrorBody, ErrorDetail, FieldProblem};

/// `Retry-After` of a write refused by the disk: an operator has to act, so not sooner.
pub const STORAGE_RETRY_AFTER_SECONDS: &str = "30";

/// `Retry-After` while the database is away: it usually comes back within seconds (a
/// restart, a fail-over), and a request waits at most the pool's acquire timeout
/// (`scorewatch_postgres::ACQUIRE_TIMEOUT`, 2 s) before it is refused.
pub const DATABASE_RETRY_AFTER_SECONDS: &str = "1";

/// Whether `err`'s chain holds the store's "database unavailable" (connection refused or
/// lost, no pooled connection in time): a state that passes by itself, not a bug.
#[must_use]
pub fn is_database_fault(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(cause) = current {
        if let Some(scorewatch_core::StoreError::DatabaseUnavailable { .. }) =
            cause.downcast_ref::<scorewatch_core::StoreError>()
        {
            return true;
        }
        current = cause.source();
    }
    false
}

/// What a request that met an unavailable database answers, and what `/health` repeats
/// until the database answers again: the chain names the database (never the password),
/// what was being done and the driver's error.
#[must_use]
pub fn database_fault_message(err: &(dyn std::error::Error + 'static)) -> String {
    let chain = scorewatch_core::error_chain(err);
    format!("{chain}; the request was not acknowledged, retry it once the database is back")
}

/// Whether an I/O error in `err`'s chain says the disk is full, read-only or forbidden.
#[must_use]
pub fn is_storage_fault(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut current = Some(err);
    while let Some(cause) = current {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::StorageFull
                    | ErrorKind::ReadOnlyFilesystem
                    | ErrorKind::PermissionDenied
                    | ErrorKind::QuotaExceeded
            )
        {
            return true;
        }
        current = cause.source();
    }
    false
}

/// What a write refused by the disk answers, and what `/health` repeats until a write
/// succeeds: `err`'s whole chain, which names the file and the operating system's error.
#[must_use]
pub fn storage_fault_message(err: &(dyn std::error::Error + 'static)) -> String {
    let chain = scorewatch_core::error_chain(err);
    format!(
        "the data directory cannot be written: {chain}; free space or fix permissions, \
         reads keep working"
    )
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON.
    #[error("malformed json at line {line}, column {column}: {message}")]
    MalformedJson {
        /// The parser's message.
        message: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// A query string or path parameter could not be parsed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No `X-API-Key` header.
    #[error("missing X-API-Key header")]
    MissingKey,
    /// An `X-API-Key` that matches no configured key.
    #[error("invalid API key")]
    WrongKey,
    /// No such resource.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable machine code such as `pipeline_running`.
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// The body is larger than the configured limit.
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not `application/json`.
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// Well-formed JSON whose fields are invalid; lists every problem.
    #[error("invalid fields: {}", .0.len())]
    InvalidFields(Vec<FieldProblem>),
    /// An outcome for a prediction older than `serve --outcome-horizon-days`.
    #[error("{message}")]
    OutsideOutcomeHorizon {
        /// The id, its age, the horizon and the flag that sets it.
        message: String,
    },
    /// The service cannot answer yet (for example, no model is published).
    #[error("{message}")]
    NotReady {
        /// What is missing and how to fix it.
        message: String,
    },
    /// The data directory cannot be written (full, read-only, forbidden): an operator
    /// fixes it, so 503 with `Retry-After`, the file named; reads keep working. Or the
    /// database cannot be reached: 503 with a short `Retry-After`, reads too.
    #[error("{message}")]
    StorageUnavailable {
        /// The failed write with the file and the OS error, or the database and the
        /// driver's error.
        message: String,
        /// Seconds for `Retry-After`: [`STORAGE_RETRY_AFTER_SECONDS`] for the disk,
        /// [`DATABASE_RETRY_AFTER_SECONDS`] for the database.
        retry_after: &'static str,
    },
    /// The handler ran past the configured deadline.
    #[error("the request took longer than {seconds} s")]
    DeadlineExceeded {
        /// The deadline.
        seconds: u64,
    },
    /// Something failed on our side; the chain goes to the log, a plain message to the
    /// client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// One invalid field.
    #[must_use]
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::InvalidFields(vec![FieldProblem {
            field: field.into(),
            problem: problem.into(),
        }])
    }

    /// A failed write to the data directory. A full, read-only or forbidden disk is a
    /// state the operator can fix, not a bug: it answers 503 with the file at fault, and
    /// reads keep working meanwhile. Anything else is internal.
    #[must_use]
    pub fn store_write(err: scorewatch_core::StoreError) -> Self {
        // A database backend refuses a second outcome for an id itself (another replica
        // may have recorded it): the same 409 as the in-memory check's.
        if let scorewatch_core::StoreError::DuplicateOutcome { .. } = &err {
            return Self::Conflict {
                code: "duplicate_outcome",
                message: err.to_string(),
            };
        }
        Self::write_failed(err)
    }

    /// As [`ApiError::store_write`], for any error whose chain holds the I/O error (a
    /// drift save inside `anyhow`, a pipeline status save inside `PipelineError`): the
    /// message is the whole chain, which names the file.
    pub fn write_failed(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        if is_storage_fault(err.as_ref()) {
            return Self::StorageUnavailable {
                message: storage_fault_message(err.as_ref()),
                retry_after: STORAGE_RETRY_AFTER_SECONDS,
            };
        }
        Self::internal(err)
    }

    /// An internal error from anything that converts to `anyhow::Error`; but an
    /// unavailable database, on a read as on a write, is 503 `storage_unavailable`.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        if is_database_fault(err.as_ref()) {
            return Self::StorageUnavailable {
                message: database_fault_message(err.as_ref()),
                retry_after: DATABASE_RETRY_AFTER_SECONDS,
            };
        }
        Self::Internal(err)
    }

    /// The stable machine code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson { .. } => "malformed_json",
            Self::BadRequest(_) => "bad_request",
            Self::MissingKey => "missing_api_key",
            Self::WrongKey => "invalid_api_key",
            Self::NotFound(_) => "not_found",
            Self::Conflict { code, .. } => code,
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::InvalidFields(_) => "invalid_fields",
            Self::OutsideOutcomeHorizon { .. } => "outside_outcome_horizon",
            Self::NotReady { .. } => "not_ready",
            Self::StorageUnavailable { .. } => "storage_unavailable",
            Self::DeadlineExceeded { .. } => "deadline_exceeded",
            Self::Internal(_) => "internal",
        }
    }

    /// The JSON body of this error.
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        let details = match self {
            Self::InvalidFields(problems) => problems.clone(),
            Self::MalformedJson { line, column, .. } => vec![FieldProblem {
                field: "body".to_owned(),
                problem: format!("line {line}, column {column}"),
            }],
            _ => Vec::new(),
        };
        let message = match self {
            Self::InvalidFields(problems) => format!(
                "{} invalid field{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            ),
            other => other.to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                details,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedJson { .. } | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MissingKey => StatusCode::UNAUTHORIZED,
            Self::WrongKey => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidFields(_) | Self::OutsideOutcomeHorizon { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::NotReady { .. }
            | Self::StorageUnavailable { .. }
            | Self::DeadlineExceeded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(err) = self {
            tracing::error!(error = ?err, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code()).json(self.body());
        if let Self::StorageUnavailable {
            message,
            retry_after,
        } = self
        {
            tracing::error!(error = %message, "storage unavailable");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
        }
        if matches!(self, Self::MissingKey) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("ApiKey header=\"X-API-Key\""),
            );
        }
        response
    }
}

impl From<JsonPayloadError> for ApiError {
    fn from(err: JsonPayloadError) -> Self {
        match err {
            JsonPayloadError::OverflowKnownLength { limit, .. }
            | JsonPayloadError::Overflow { limit } => Self::PayloadTooLarge { limit },
            JsonPayloadError::ContentType => Self::UnsupportedMediaType,
            JsonPayloadError::Deserialize(err) => from_serde_json(&err),
            JsonPayloadError::Payload(err) => from_payload(err),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

/// Syntax errors are 400 with the position; well-formed JSON of the wrong shape is 422.
#[must_use]
pub fn from_serde_json(err: &serde_json::Error) -> ApiError {
    if err.is_data() {
        ApiError::invalid("body", strip_position(&err.to_string()))
    } else {
        ApiError::MalformedJson {
            message: strip_position(&err.to_string()),
            line: err.line(),
            column: err.column(),
        }
    }
}

fn from_payload(err: PayloadError) -> ApiError {
    match err {
        PayloadError::Overflow => ApiError::PayloadTooLarge { limit: 0 },
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// `serde_json` appends " at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// `JsonConfig` with the body limit and errors rendered as [`ErrorBody`].
#[must_use]
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req: &HttpRequest| ApiError::from(err).into())
}

/// `QueryConfig` whose errors are rendered as [`ErrorBody`].
#[must_use]
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let QueryPayloadError::Deserialize(inner) = &err else {
            return ApiError::BadRequest(err.to_string()).into();
        };
        ApiError::BadRequest(format!("invalid query string: {inner}")).into()
    })
}

/// `PathConfig` whose errors are rendered as [`ErrorBody`].
#[must_use]
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        let PathError::Deserialize(inner) = &err else {
            return ApiError::BadRequest(err.to_string()).into();
        };
        ApiError::NotFound(format!("invalid path parameter: {inner}")).into()
    })
}

/// Rewrites error responses that actix produced itself (404 for an unknown path, 405,
/// payload errors of other extractors) into [`ErrorBody`]; responses that already carry
/// JSON are left alone.
///
/// # Errors
/// Never; the signature is the one `ErrorHandlers` expects.
pub fn render_plain_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status {
        StatusCode::NOT_FOUND => {
            ApiError::NotFound(format!("no route for {}", res.request().path()))
        }
        StatusCode::METHOD_NOT_ALLOWED => ApiError::NotFound(format!(
            "no route for {} {}",
            res.request().method(),
            res.request().path()
        )),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: 0 },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        s if s.is_client_error() => {
            ApiError::BadRequest(s.canonical_reason().unwrap_or("bad request").to_lowercase())
        }
        _ => ApiError::Internal(anyhow::anyhow!("{status} without a body")),
    };
    let (req, _) = res.into_parts();
    let response = HttpResponse::build(status).json(error.body());
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_outcome_refused_by_the_store_is_409_duplicate_outcome() {
        let err = ApiError::store_write(scorewatch_core::StoreError::DuplicateOutcome {
            prediction_id: "p1".to_owned(),
        });
        assert_eq!(err.code(), "duplicate_outcome");
        assert_eq!(err.status_code(), actix_web::http::StatusCode::CONFLICT);
        assert!(err.to_string().contains("p1"), "{err}");
    }

    fn database_unavailable() -> scorewatch_core::StoreError {
        scorewatch_core::StoreError::DatabaseUnavailable {
            action: "append predictions".to_owned(),
            target: "postgres://u@db.example:5432/scores".to_owned(),
            source: "pool timed out while waiting for an open connection".into(),
        }
    }

    #[test]
    fn an_unavailable_database_is_503_with_a_short_retry_after_on_writes_and_reads() {
        let write = ApiError::store_write(database_unavailable());
        let read =
            ApiError::internal(anyhow::Error::new(database_unavailable()).context("reading"));
        for err in [write, read] {
            assert_eq!(err.code(), "storage_unavailable");
            assert_eq!(err.status_code(), StatusCode::SERVICE_UNAVAILABLE);
            let response = err.error_response();
            assert_eq!(
                response.headers().get(header::RETRY_AFTER).unwrap(),
                DATABASE_RETRY_AFTER_SECONDS
            );
            let message = err.to_string();
            assert!(
                message.contains("postgres://u@db.example:5432/scores"),
                "{message}"
            );
            assert!(message.contains("pool timed out"), "{message}");
        }
    }

    #[test]
    fn a_full_or_read_only_disk_is_503_and_names_the_file() {
        for kind in [
            std::io::ErrorKind::StorageFull,
            std::io::ErrorKind::ReadOnlyFilesystem,
        ] {
            let err = scorewatch_core::StoreError::Io {
                action: "append to",
                path: "data/monitoring/predictions_log.csv".into(),
                source: std::io::Error::from(kind),
            };
            let api = ApiError::store_write(err);
            assert_eq!(
                api.status_code(),
                StatusCode::SERVICE_UNAVAILABLE,
                "{kind:?}"
            );
            assert!(api.to_string().contains("predictions_log.csv"), "{api}");
        }
        let other = scorewatch_core::StoreError::Io {
            action: "append to",
            path: "data/monitoring/predictions_log.csv".into(),
            source: std::io::Error::from(std::io::ErrorKind::InvalidData),
        };
        assert_eq!(
            ApiError::store_write(other).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn a_refused_write_deep_in_a_chain_is_503_with_retry_after() {
        let err = anyhow::Error::new(scorewatch_core::StoreError::Io {
            action: "write",
            path: "data/monitoring/drift_reports.json".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        })
        .context("saving the drift report");
        let api = ApiError::write_failed(err);
        assert_eq!(api.code(), "storage_unavailable");
        assert!(api.to_string().contains("drift_reports.json"), "{api}");
        let response = api.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from_static(STORAGE_RETRY_AFTER_SECONDS))
        );
        let other = anyhow::anyhow!("cannot compute the report");
        assert_eq!(ApiError::write_failed(other).code(), "internal");
    }

    #[test]
    fn syntax_errors_keep_their_position() {
        let err = serde_json::from_str::<serde_json::Value>("{\n  \"a\": ,\n}").unwrap_err();
        let api = from_serde_json(&err);
        assert_eq!(api.status_code(), StatusCode::BAD_REQUEST);
        let ApiError::MalformedJson { line, column, .. } = api else {
            panic!("expected malformed json, got {api:?}");
        };
        assert_eq!((line, column), (2, 8));
    }

    #[test]
    fn shape_errors_are_unprocessable() {
        let err = serde_json::from_str::<Vec<u8>>("{\"a\": 1}").unwrap_err();
        assert_eq!(
            from_serde_json(&err).status_code(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn every_class_has_its_status() {
        let cases = [
            (ApiError::MissingKey, 401),
            (ApiError::WrongKey, 403),
            (ApiError::NotFound("x".into()), 404),
            (
                ApiError::Conflict {
                    code: "pipeline_running",
                    message: "x".into(),
                },
                409,
            ),
            (ApiError::PayloadTooLarge { limit: 1 }, 413),
            (ApiError::UnsupportedMediaType, 415),
            (ApiError::invalid("a", "b"), 422),
            (
                ApiError::NotReady {
                    message: "x".into(),
                },
                503,
            ),
        ];
        for (err, status) in cases {
            assert_eq!(err.status_code().as_u16(), status, "{err:?}");
        }
    }
}
