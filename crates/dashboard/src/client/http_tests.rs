//! The HTTP client against loopback servers that record what they receive.

use scorewatch_core::views::RunPipelineRequest;

use super::*;
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

/// Issue 16: the ack goes as a POST to the alert's own URL, with the key; the id is one
/// path segment whatever it holds. The banner's poll asks for firing alerts only.
#[test]
fn ack_posts_to_the_alerts_url_with_the_key_and_the_banner_asks_for_firing_alerts() {
    let http = build_http().unwrap();
    let key = ApiKey::new("s3cret-key").unwrap();
    let (base, server) = one_shot_server(
        "409 Conflict",
        r#"{"error":{"code":"alert_resolved","message":"alert a/1 is resolved"}}"#,
    );
    let err = execute(
        &http,
        &base,
        Some(&key),
        &Request::AckAlert("0192-a/1".into()),
    )
    .unwrap_err();
    let received = server.join().unwrap();
    assert_eq!(
        err.to_string(),
        "/monitoring/alerts/{id}/ack answered 409: alert a/1 is resolved"
    );
    assert!(
        received.starts_with("POST /monitoring/alerts/0192-a%2F1/ack "),
        "{received}"
    );
    assert!(
        received
            .lines()
            .any(|line| line.eq_ignore_ascii_case("x-api-key: s3cret-key")),
        "{received}"
    );

    let (base, server) = one_shot_server("200 OK", r#"{"alerts":[]}"#);
    let answer = execute(&http, &base, None, &Request::FiringAlerts).unwrap();
    let received = server.join().unwrap();
    assert!(
        received.starts_with("GET /monitoring/alerts?state=firing "),
        "{received}"
    );
    assert_eq!(
        answer,
        Payload::Alerts(scorewatch_core::views::AlertsView { alerts: Vec::new() })
    );
}
