//! [`apply_response`]: connection, per-endpoint errors, the key, notices and follow-ups.

use std::sync::Arc;

use super::{NOW, failed, fixtures, key, ok, status_error};
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
            Payload::Metrics(fixtures::metrics()),
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
fn refused_key_sets_the_auth_problem_and_success_clears_it() {
    let mut state = ViewState::default();
    let request = Request::RunPipeline {
        key: key(),
        body: scorewatch_core::views::RunPipelineRequest::default(),
    };
    apply_response(
        &mut state,
        failed(
            request.clone(),
            status_error("/monitoring/run-pipeline", 401, "invalid api key"),
        ),
        NOW,
    );
    let problem = state.auth_problem.clone().unwrap();
    assert!(problem.contains("invalid api key") && problem.contains("SCOREWATCH_API_KEY"));

    let accepted = scorewatch_core::views::RunAccepted {
        run_id: "run-9".into(),
        status_url: "/monitoring/pipeline-status".into(),
    };
    let follow = apply_response(&mut state, ok(request, Payload::RunAccepted(accepted)), NOW);
    assert_eq!(follow, FollowUp::PipelineStatus);
    assert_eq!(state.auth_problem, None);
    assert_eq!(state.notice.unwrap().text, "Pipeline run run-9 started.");
}

#[test]
fn conflict_on_run_is_a_warning_not_an_error() {
    let mut state = ViewState::default();
    let request = Request::RunPipeline {
        key: key(),
        body: scorewatch_core::views::RunPipelineRequest::default(),
    };
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
