//! [`HttpClient`]: the real [`ApiClient`], reqwest's blocking client on background threads.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

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
    let url = format!("{}{path}", base_url.trim_end_matches('/'));
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
        .map(Payload::Metrics),
        Request::Drift { history, id } => {
            builder = builder.query(&[("history", history)]);
            if let Some(id) = id {
                builder = builder.query(&[("id", id)]);
            }
            call(builder, &url, path).map(Payload::Drift)
        }
        Request::RunDrift => call(builder, &url, path).map(Payload::DriftRun),
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
mod tests {
    use super::*;
    use scorewatch_core::views::RunPipelineRequest;

    use crate::client::request::PredictionsQuery;

    #[test]
    fn predictions_query_serialises_only_set_filters() {
        let query = PredictionsQuery {
            limit: 100,
            offset: 200,
            since: Some(time::macros::datetime!(2026-01-02 03:04:05 UTC)),
            until: None,
            model_version: Some("v 1".into()),
        };
        let http = build_http().unwrap();
        let built = http
            .get("http://127.0.0.1:1/monitoring/predictions")
            .query(&query)
            .build()
            .unwrap();
        assert_eq!(
            built.url().query(),
            Some("limit=100&offset=200&since=2026-01-02T03%3A04%3A05Z&model_version=v+1")
        );
    }

    /// A one-shot HTTP server on loopback: answers one request with `status` and the JSON
    /// `body`, and hands back the request it received (head and body, as text).
    fn one_shot_server(
        status: &'static str,
        body: &'static str,
    ) -> (String, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut stream, _) = listener.accept().unwrap();
            // Read the whole request (head, then the body its content-length announces)
            // before answering, so the client never writes into a closed connection.
            let mut received = Vec::new();
            let mut buf = [0_u8; 4096];
            let complete = |received: &[u8]| {
                let text = String::from_utf8_lossy(received);
                text.find("\r\n\r\n").is_some_and(|head_end| {
                    let length = text[..head_end]
                        .lines()
                        .find_map(|line| {
                            let (name, value) = line.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    received.len() >= head_end + 4 + length
                })
            };
            while !complete(&received) {
                let n = stream.read(&mut buf).unwrap();
                assert!(n > 0, "connection closed mid-request");
                received.extend_from_slice(&buf[..n]);
            }
            write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            String::from_utf8_lossy(&received).into_owned()
        });
        (format!("http://127.0.0.1:{port}"), server)
    }

    #[test]
    fn error_body_details_name_the_field() {
        // Answered like the API does for `limit=10000`.
        let (base, server) = one_shot_server(
            "422 Unprocessable Entity",
            r#"{"error":{"code":"invalid_fields","message":"1 invalid field","details":[{"field":"limit","problem":"must be between 1 and 1000"}]}}"#,
        );
        let http = build_http().unwrap();
        let query = PredictionsQuery {
            limit: 10_000,
            ..PredictionsQuery::default()
        };
        let err = execute(&http, &base, None, &Request::Predictions(query)).unwrap_err();
        server.join().unwrap();
        assert_eq!(
            err.to_string(),
            "/monitoring/predictions answered 422: 1 invalid field (limit: must be between 1 and 1000)"
        );
        assert_eq!(err.status(), Some(422));
    }

    /// Issue 13: the key went only with POSTs, so `serve --protect-reads` refused every
    /// tab. Each kind of request is sent to a server that records it.
    #[test]
    fn issue_13_every_request_carries_the_key_reads_included() {
        let http = build_http().unwrap();
        let key = ApiKey::new("s3cret-key").unwrap();
        let requests = [
            Request::Health,
            Request::Metrics {
                limit: 10,
                offset: 0,
            },
            Request::Drift {
                history: 5,
                id: Some("drift-1".into()),
            },
            Request::Predictions(PredictionsQuery {
                limit: 100,
                ..PredictionsQuery::default()
            }),
            Request::PipelineStatus,
            Request::RunDrift,
            Request::RunPipeline(RunPipelineRequest::default()),
            Request::CancelPipeline,
        ];
        for request in requests {
            // The answer does not matter here (a refusal is quickest to decode).
            let (base, server) = one_shot_server(
                "403 Forbidden",
                r#"{"error":{"code":"invalid_api_key","message":"invalid API key"}}"#,
            );
            let err = execute(&http, &base, Some(&key), &request).unwrap_err();
            let received = server.join().unwrap();
            assert_eq!(err.status(), Some(403), "{request:?}: {err}");
            let method = if request.kind().is_write() {
                "POST"
            } else {
                "GET"
            };
            assert!(
                received.starts_with(&format!("{method} {}", request.path())),
                "{request:?} sent as: {received}"
            );
            assert!(
                received
                    .lines()
                    .any(|line| line.eq_ignore_ascii_case("x-api-key: s3cret-key")),
                "{request:?} went without the key: {received}"
            );
        }
    }

    #[test]
    fn without_a_key_no_key_header_is_sent() {
        let http = build_http().unwrap();
        let (base, server) = one_shot_server(
            "401 Unauthorized",
            r#"{"error":{"code":"missing_api_key","message":"missing X-API-Key header"}}"#,
        );
        let err = execute(&http, &base, None, &Request::PipelineStatus).unwrap_err();
        let received = server.join().unwrap();
        assert_eq!(err.status(), Some(401));
        assert!(
            !received.to_ascii_lowercase().contains("x-api-key"),
            "{received}"
        );
    }

    #[test]
    fn unreachable_server_gives_unreachable_error_with_url() {
        // Port 1 on loopback is never an HTTP server here; the connection is refused.
        let http = build_http().unwrap();
        let err = execute(&http, "http://127.0.0.1:1/", None, &Request::Health).unwrap_err();
        match &err {
            ApiError::Unreachable { url, .. } => assert_eq!(url, "http://127.0.0.1:1/health"),
            other => panic!("expected unreachable, got {other:?}"),
        }
        assert!(
            err.chain()
                .starts_with("cannot reach the api at http://127.0.0.1:1/health")
        );
    }
}
