//! [`HttpClient`]: the real [`ApiClient`], reqwest's blocking client on background threads.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use scorewatch_core::AlertState;
use scorewatch_core::views::ErrorBody;
use serde::de::DeserializeOwned;

use crate::client::error::ApiError;
use crate::client::key::{API_KEY_HEADER, ApiKey};
use crate::client::request::{Payload, Request};
use crate::client::{ApiClient, Response};

/// Seconds to wait for a TCP connection; short, so an unreachable API shows quickly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Seconds to wait for a whole answer; a 10,000-row prediction page stays far below this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an idle connection is kept for reuse: below the server's keep-alive (`serve
/// --keep-alive`, 5 s by default). Refreshes come every 10 s, so a kept connection was
/// usually closed by the server already, and a request sent on it just as the close
/// arrives fails with "connection closed before message completed", which showed the
/// "API unreachable" page for one refresh.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(3);

/// The real client: reqwest's blocking client, one short-lived thread per request, so a slow
/// endpoint never holds up the others or the UI.
#[derive(Debug)]
pub struct HttpClient {
    http: Result<reqwest::blocking::Client, ApiError>,
    sender: Sender<Response>,
    receiver: Receiver<Response>,
}

impl HttpClient {
    /// Builds the client. A failure to set up TLS is not fatal here: every request then
    /// answers with [`ApiError::Client`], which the UI shows.
    #[must_use]
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::channel();
        Self {
            http: build_http(),
            sender,
            receiver,
        }
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl ApiClient for HttpClient {
    fn send(
        &mut self,
        ctx: &egui::Context,
        base_url: &str,
        key: Option<&ApiKey>,
        request: Request,
    ) {
        let sender = self.sender.clone();
        let key = key.cloned();
        let ctx = ctx.clone();
        let base_url = base_url.trim_end_matches('/').to_owned();
        let http = self.http.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("api {}", request.path()))
            .spawn(move || {
                let result =
                    http.and_then(|http| execute(&http, &base_url, key.as_ref(), &request));
                if let Err(err) = &result {
                    tracing::warn!(path = request.path(), error = %err.chain(), "api call failed");
                }
                // The receiver only disappears when the app is closing.
                let _ = sender.send(Response {
                    request,
                    base_url,
                    key,
                    result,
                });
                ctx.request_repaint();
            });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start a thread for an api call");
        }
    }

    fn poll(&mut self) -> Vec<Response> {
        self.receiver.try_iter().collect()
    }
}

/// Builds the blocking reqwest client the dashboard uses, with its timeouts.
///
/// # Errors
/// [`ApiError::Client`] when TLS cannot be set up.
pub fn build_http() -> Result<reqwest::blocking::Client, ApiError> {
    reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .user_agent(concat!("scorewatch-dashboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|source| ApiError::Client {
            source: Arc::new(source),
        })
}

/// Performs one call synchronously (on a background thread). `key`, when set, is sent as
/// `X-API-Key` on every request, reads included.
///
/// # Errors
/// [`ApiError`] for transport failures, error statuses and unexpected bodies.
pub fn execute(
    http: &reqwest::blocking::Client,
    base_url: &str,
    key: Option<&ApiKey>,
    request: &Request,
) -> Result<Payload, ApiError> {
    let path = request.path();
    let url = match request {
        Request::AckAlert(id) => ack_url(base_url, id),
        _ => format!("{}{path}", base_url.trim_end_matches('/')),
    };
    let mut builder = if request.kind().is_write() {
        http.post(&url)
    } else {
        http.get(&url)
    };
    // One place adds the key, so no request can go without it: `--protect-reads` guards
    // the reads too, and a key on a read of an unprotected server does no harm.
    if let Some(key) = key {
        builder = builder.header(API_KEY_HEADER, key.expose());
    }
    match request {
        Request::Health => call(builder, &url, path).map(Payload::Health),
        Request::Metrics { limit, offset } => call(
            builder.query(&[("limit", limit), ("offset", offset)]),
            &url,
            path,
        )
        .map(|view| Payload::Metrics(Box::new(view))),
        Request::Drift { history, id } => {
            builder = builder.query(&[("history", history)]);
            if let Some(id) = id {
                builder = builder.query(&[("id", id)]);
            }
            call(builder, &url, path).map(Payload::Drift)
        }
        Request::RunDrift => call(builder, &url, path).map(Payload::DriftRun),
        Request::DriftSegments { column, min_rows } => call(
            builder
                .query(&[("segment_by", column.as_str())])
                .query(&[("min_rows", min_rows)]),
            &url,
            path,
        )
        .map(Payload::DriftSegments),
        Request::MetricsSegments { column, min_rows } => call(
            builder
                .query(&[("by", column.as_str())])
                .query(&[("min_rows", min_rows)]),
            &url,
            path,
        )
        .map(Payload::MetricsSegments),
        Request::Predictions(query) => {
            call(builder.query(query), &url, path).map(Payload::Predictions)
        }
        Request::RunPipeline(body) => {
            call(builder.json(body), &url, path).map(Payload::RunAccepted)
        }
        Request::CancelPipeline => {
            let response = send(builder, &url)?;
            check_status(response, path).map(|_| Payload::CancelAccepted)
        }
        Request::PipelineStatus => call(builder, &url, path).map(Payload::PipelineStatus),
        Request::TrainingSets => call(builder, &url, path).map(Payload::TrainingSets),
        Request::Alerts(state) => {
            if let Some(state) = state {
                builder = builder.query(&[("state", state.as_str())]);
            }
            call(builder, &url, path).map(Payload::Alerts)
        }
        Request::FiringAlerts => call(
            builder.query(&[("state", AlertState::Firing.as_str())]),
            &url,
            path,
        )
        .map(Payload::Alerts),
        Request::AckAlert(_) => {
            call(builder, &url, path).map(|alert| Payload::AlertAcked(Box::new(alert)))
        }
        Request::Report => {
            let response = check_status(send(builder, &url)?, path)?;
            response
                .text()
                .map(Payload::Report)
                .map_err(|source| ApiError::Unreachable {
                    url: url.clone(),
                    source: Arc::new(source),
                })
        }
    }
}

/// The URL of `POST /monitoring/alerts/{id}/ack`, with the id percent-encoded as one path
/// segment: ids are UUIDs, but whatever the server sent must not change the route.
fn ack_url(base_url: &str, id: &str) -> String {
    let base = base_url.trim_end_matches('/');
    match reqwest::Url::parse(base) {
        Ok(mut url) if !url.cannot_be_a_base() => {
            if let Ok(mut segments) = url.path_segments_mut() {
                segments
                    .pop_if_empty()
                    .extend(["monitoring", "alerts", id, "ack"]);
            }
            url.to_string()
        }
        // Not a URL: the request fails with reqwest's error naming it, like any other.
        _ => format!("{base}/monitoring/alerts/{id}/ack"),
    }
}

fn send(
    builder: reqwest::blocking::RequestBuilder,
    url: &str,
) -> Result<reqwest::blocking::Response, ApiError> {
    builder.send().map_err(|source| ApiError::Unreachable {
        url: url.to_owned(),
        source: Arc::new(source),
    })
}

fn check_status(
    response: reqwest::blocking::Response,
    path: &'static str,
) -> Result<reqwest::blocking::Response, ApiError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().unwrap_or_default();
    let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => {
            let mut message = body.error.message;
            if !body.error.details.is_empty() {
                let details: Vec<String> = body
                    .error
                    .details
                    .iter()
                    .map(|d| format!("{}: {}", d.field, d.problem))
                    .collect();
                message = format!("{message} ({})", details.join("; "));
            }
            (Some(body.error.code), message)
        }
        Err(_) if text.trim().is_empty() => (
            None,
            status.canonical_reason().unwrap_or("error").to_owned(),
        ),
        Err(_) => (None, text.trim().to_owned()),
    };
    Err(ApiError::Status {
        path,
        status: status.as_u16(),
        code,
        message,
    })
}

fn call<T: DeserializeOwned>(
    builder: reqwest::blocking::RequestBuilder,
    url: &str,
    path: &'static str,
) -> Result<T, ApiError> {
    let response = check_status(send(builder, url)?, path)?;
    let bytes = response.bytes().map_err(|source| ApiError::Unreachable {
        url: url.to_owned(),
        source: Arc::new(source),
    })?;
    serde_json::from_slice(&bytes).map_err(|source| ApiError::Decode {
        path,
        source: Arc::new(source),
    })
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
