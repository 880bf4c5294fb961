//! Unit tests of the state: answers built from the shared fixtures are applied and the
//! state is checked. One file per module under test.

use time::OffsetDateTime;
use time::macros::datetime;

use crate::client::{ApiError, ApiKey, Payload, PredictionsQuery, Request, Response};
use crate::settings::DEFAULT_API_URL;

mod alerts;
mod apply;
mod banners;
mod drift;
mod predictions;

use crate::fixtures;

const NOW: OffsetDateTime = datetime!(2026-01-12 12:00:00 UTC);

pub(super) fn ok(request: Request, payload: Payload) -> Response {
    Response {
        request,
        base_url: DEFAULT_API_URL.into(),
        key: Some(key()),
        result: Ok(payload),
    }
}

pub(super) fn failed(request: Request, err: ApiError) -> Response {
    Response {
        request,
        base_url: DEFAULT_API_URL.into(),
        key: Some(key()),
        result: Err(err),
    }
}

pub(super) fn status_error(path: &'static str, status: u16, message: &str) -> ApiError {
    ApiError::Status {
        path,
        status,
        code: None,
        message: message.into(),
    }
}

pub(super) fn key() -> ApiKey {
    ApiKey::new("k").unwrap()
}

pub(super) fn query(offset: usize, version: Option<&str>) -> PredictionsQuery {
    PredictionsQuery {
        limit: 100,
        offset,
        since: None,
        until: None,
        model_version: version.map(str::to_owned),
    }
}
