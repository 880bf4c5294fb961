//! [`apply_response`]: connection, per-endpoint errors, the key, notices and follow-ups.

use std::sync::Arc;

use scorewatch_core::views::RunPipelineRequest;

use super::{NOW, failed, fixtures, ok, status_error};
use crate::client::{ApiError, Payload, Request, RequestKind};
use crate::state::{Connection, FollowUp, NoticeLevel, ViewState, apply_response};

#[test]
fn success_marks_online_and_updated_and_clears_the_endpoint_error() {
    let mut state = ViewState::default();
    state.errors.insert(RequestKind::Metrics, "old".into());
    let follow = apply_response(
        &mut state,
        ok(
            Request::Metrics {
                limit: 10,
                offset: 0,
            },
            Payload::Metrics(Box::new(fixtures::metrics())),
        ),
        NOW,
    );
    assert_eq!(follow, FollowUp::None);
    assert_eq!(state.connection, Connection::Online);
    assert_eq!(state.last_updated, Some(NOW));
    assert!(state.errors.is_empty());
    assert_eq!(state.metrics.unwrap().predictions_total, 12_345);
}

#[test]
fn transport_error_marks_unreachable_with_url_and_cause() {
    let mut state = ViewState::default();
    let err = ApiError::Unreachable {
        url: "http://127.0.0.1:8000/health".into(),
        source: Arc::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        )),
    };
    apply_response(&mut state, failed(Request::Health, err), NOW);
    match &state.connection {
        Connection::Unreachable { url, error } => {
            assert_eq!(url, "http://127.0.0.1:8000/health");
            assert!(error.contains("connection refused"), "{error}");
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
    assert_eq!(state.last_updated, None);
}

#[test]
fn refused_key_is_kept_per_endpoint_until_that_endpoint_answers() {
    let mut state = ViewState::default();
    let run = Request::RunPipeline(RunPipelineRequest::default());
    apply_response(
        &mut state,
        failed(
            run.clone(),
            status_error("/monitoring/run-pipeline", 403, "invalid API key"),
        ),
        NOW,
    );
    assert_eq!(
        state.auth_refused[&RequestKind::RunPipeline],
        "/monitoring/run-pipeline answered 403: invalid API key"
    );
    assert_eq!(state.connection, Connection::Online);
    assert_eq!(state.notice, None, "the banner says it; no notice too");

    // Reads open to all do not prove the key: the write's refusal stays.
    apply_response(
        &mut state,
        ok(
            Request::PipelineStatus,
            Payload::PipelineStatus(fixtures::pipeline_idle()),
        ),
        NOW,
    );
    assert!(state.auth_refused.contains_key(&RequestKind::RunPipeline));

    let accepted = scorewatch_core::views::RunAccepted {
        run_id: "run-9".into(),
        status_url: "/monitoring/pipeline-status".into(),
    };
    let follow = apply_response(&mut state, ok(run, Payload::RunAccepted(accepted)), NOW);
    assert_eq!(follow, FollowUp::PipelineStatus);
    assert!(state.auth_refused.is_empty());
    assert_eq!(state.notice.unwrap().text, "Pipeline run run-9 started.");
}

#[test]
fn issue_13_a_refused_read_is_an_auth_refusal_not_a_tab_error() {
    let mut state = ViewState::default();
    let metrics = Request::Metrics {
        limit: 10,
        offset: 0,
    };
    apply_response(
        &mut state,
        failed(
            metrics.clone(),
            status_error("/monitoring/metrics", 401, "missing X-API-Key header"),
        ),
        NOW,
    );
    assert_eq!(
        state.auth_refused[&RequestKind::Metrics],
        "/monitoring/metrics answered 401: missing X-API-Key header"
    );
    assert!(state.errors.is_empty(), "{:?}", state.errors);

    apply_response(
        &mut state,
        ok(metrics, Payload::Metrics(Box::new(fixtures::metrics()))),
        NOW,
    );
    assert!(state.auth_refused.is_empty());
    assert!(state.metrics.is_some());
}

#[test]
fn conflict_on_run_is_a_warning_not_an_error() {
    let mut state = ViewState::default();
    let request = Request::RunPipeline(RunPipelineRequest::default());
    apply_response(
        &mut state,
        failed(
            request,
            status_error("/monitoring/run-pipeline", 409, "a run is in progress"),
        ),
        NOW,
    );
    let notice = state.notice.unwrap();
    assert_eq!(notice.level, NoticeLevel::Warning);
    assert!(notice.text.contains("a run is in progress"));
    assert_eq!(state.connection, Connection::Online);
}

#[test]
fn other_errors_are_kept_per_endpoint() {
    let mut state = ViewState::default();
    apply_response(
        &mut state,
        failed(
            Request::PipelineStatus,
            status_error("/monitoring/pipeline-status", 503, "store busy"),
        ),
        NOW,
    );
    assert_eq!(
        state.errors[&RequestKind::PipelineStatus],
        "/monitoring/pipeline-status answered 503: store busy"
    );
    assert_eq!(
        state.notice, None,
        "a background read does not raise a notice"
    );
}

#[test]
fn pipeline_finishing_asks_for_a_full_refresh() {
    let mut state = ViewState::default();
    let first = apply_response(
        &mut state,
        ok(
            Request::PipelineStatus,
            Payload::PipelineStatus(fixtures::pipeline_running()),
        ),
        NOW,
    );
    assert_eq!(first, FollowUp::None);
    let second = apply_response(
        &mut state,
        ok(
            Request::PipelineStatus,
            Payload::PipelineStatus(fixtures::pipeline_idle()),
        ),
        NOW,
    );
    assert_eq!(second, FollowUp::All);
    let third = apply_response(
        &mut state,
        ok(
            Request::PipelineStatus,
            Payload::PipelineStatus(fixtures::pipeline_idle()),
        ),
        NOW,
    );
    assert_eq!(third, FollowUp::None);
}
