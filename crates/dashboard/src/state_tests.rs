use std::sync::Arc;

use time::macros::datetime;

use super::*;
use crate::client::{ApiKey, Payload};
use scorewatch_core::MetricSource;

#[path = "../tests/support/fixtures.rs"]
mod fixtures;

const NOW: OffsetDateTime = datetime!(2026-01-12 12:00:00 UTC);

fn ok(request: Request, payload: Payload) -> Response {
    Response {
        request,
        base_url: DEFAULT_API_URL.into(),
        result: Ok(payload),
    }
}

fn failed(request: Request, err: ApiError) -> Response {
    Response {
        request,
        base_url: DEFAULT_API_URL.into(),
        result: Err(err),
    }
}

fn status_error(path: &'static str, status: u16, message: &str) -> ApiError {
    ApiError::Status {
        path,
        status,
        code: None,
        message: message.into(),
    }
}

fn key() -> ApiKey {
    ApiKey::new("k").unwrap()
}

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
fn storage_warning_follows_health_and_hides_when_the_server_is_unreachable() {
    let mut state = ViewState::default();
    assert_eq!(storage_warning(&state), None);
    apply_response(
        &mut state,
        ok(Request::Health, Payload::Health(fixtures::health())),
        NOW,
    );
    assert_eq!(storage_warning(&state), None);

    apply_response(
        &mut state,
        ok(
            Request::Health,
            Payload::Health(fixtures::degraded_health()),
        ),
        NOW,
    );
    let warning = storage_warning(&state).expect("degraded health warns");
    assert!(
        warning.contains("predictions_log.csv: No space left"),
        "{warning}"
    );
    assert!(
        warning.ends_with("(at 2026-01-12 11:58:30 UTC)"),
        "{warning}"
    );

    // The last health known is stale once the server stops answering.
    let err = ApiError::Unreachable {
        url: "http://127.0.0.1:8000/health".into(),
        source: Arc::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        )),
    };
    apply_response(&mut state, failed(Request::Health, err), NOW);
    assert_eq!(storage_warning(&state), None);
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

fn query(offset: usize, version: Option<&str>) -> PredictionsQuery {
    PredictionsQuery {
        limit: 100,
        offset,
        since: None,
        until: None,
        model_version: version.map(str::to_owned),
    }
}

#[test]
fn predictions_first_page_replaces_and_next_page_appends() {
    let all = fixtures::predictions(250);
    let mut predictions = PredictionsState {
        active: Some(query(0, None)),
        ..Default::default()
    };
    apply_predictions(
        &mut predictions,
        &query(0, None),
        fixtures::page(&all, 100, 0),
    );
    assert_eq!(predictions.rows.len(), 100);
    assert!(predictions.has_more && predictions.loaded);
    apply_predictions(
        &mut predictions,
        &query(100, None),
        fixtures::page(&all, 100, 100),
    );
    apply_predictions(
        &mut predictions,
        &query(200, None),
        fixtures::page(&all, 100, 200),
    );
    assert_eq!(predictions.rows.len(), 250);
    assert!(!predictions.has_more);
    assert_eq!(predictions.rows[249].id, "pred-00249");
    // A refresh of the first page replaces everything.
    apply_predictions(
        &mut predictions,
        &query(0, None),
        fixtures::page(&all, 100, 0),
    );
    assert_eq!(predictions.rows.len(), 100);
}

#[test]
fn predictions_rows_are_formatted_once() {
    let all = fixtures::predictions(1);
    let mut predictions = PredictionsState::default();
    apply_predictions(
        &mut predictions,
        &query(0, None),
        fixtures::page(&all, 100, 0),
    );
    let row = &predictions.rows[0];
    assert_eq!(row.time, "2026-01-12 10:00:00");
    assert_eq!(row.features, "age=20, employment=employed, income=null");
}

#[test]
fn stale_or_out_of_order_prediction_pages_are_dropped() {
    let all = fixtures::predictions(300);
    let mut predictions = PredictionsState {
        active: Some(query(0, Some("v2"))),
        ..Default::default()
    };
    // An answer to the previous filter (no version) arrives late.
    apply_predictions(
        &mut predictions,
        &query(0, None),
        fixtures::page(&all, 100, 0),
    );
    assert!(predictions.rows.is_empty() && !predictions.loaded);
    apply_predictions(
        &mut predictions,
        &query(0, Some("v2")),
        fixtures::page(&all, 100, 0),
    );
    // A page that does not follow the loaded rows.
    apply_predictions(
        &mut predictions,
        &query(200, Some("v2")),
        fixtures::page(&all, 100, 200),
    );
    assert_eq!(predictions.rows.len(), 100);
}

#[test]
fn drift_answer_keeps_a_selected_feature_that_still_exists() {
    let mut drift = DriftState {
        selected_feature: Some("income".into()),
        ..Default::default()
    };
    apply_drift(&mut drift, fixtures::drift_view());
    assert!(drift.loaded);
    assert_eq!(drift.selected_feature.as_deref(), Some("income"));
    assert_eq!(drift.history.len(), 2);

    drift.selected_feature = Some("gone".into());
    apply_drift(&mut drift, fixtures::drift_view());
    assert_eq!(drift.selected_feature, None);

    apply_drift(&mut drift, fixtures::empty_drift_view());
    assert!(drift.loaded && drift.report.is_none());
}

#[test]
fn pinned_drift_report_keeps_the_history_when_the_answer_has_none() {
    let mut drift = DriftState::default();
    apply_drift(&mut drift, fixtures::drift_view());
    drift.pinned = Some("drift-1".into());
    let older = fixtures::drift_report("drift-1", datetime!(2026-01-11 09:00:00 UTC));
    apply_drift(
        &mut drift,
        DriftView {
            report: Some(older),
            history: Vec::new(),
        },
    );
    assert_eq!(drift.report.as_ref().unwrap().id, "drift-1");
    assert_eq!(drift.history.len(), 2);
}

#[test]
fn drift_run_becomes_latest_and_unpins() {
    let mut state = ViewState::default();
    apply_drift(&mut state.drift, fixtures::drift_view());
    state.drift.pinned = Some("drift-1".into());
    let report = fixtures::drift_report("drift-3", NOW);
    apply_response(
        &mut state,
        ok(Request::RunDrift { key: key() }, Payload::DriftRun(report)),
        NOW,
    );
    assert_eq!(state.drift.pinned, None);
    assert_eq!(state.drift.history[0].id, "drift-3");
    assert_eq!(state.drift.history.len(), 3);
    assert_eq!(state.drift.report.as_ref().unwrap().id, "drift-3");
    assert_eq!(
        state.notice.unwrap().text,
        "Drift check done: 2 of 3 features drifted."
    );
}

#[test]
fn missing_pinned_drift_report_unpins() {
    let mut state = ViewState::default();
    state.drift.pinned = Some("drift-0".into());
    apply_response(
        &mut state,
        failed(
            Request::Drift {
                history: 20,
                id: Some("drift-0".into()),
            },
            status_error("/monitoring/drift", 404, "no report drift-0"),
        ),
        NOW,
    );
    assert_eq!(state.drift.pinned, None);
    assert!(state.errors[&RequestKind::Drift].contains("no report drift-0"));
}

#[test]
fn filter_presets_and_custom_bounds_build_the_query() {
    let mut filter = PredictionFilter {
        model_version: "  v2 ".into(),
        range: TimeRange::LastDay,
        ..Default::default()
    };
    let q = filter.query(NOW, 500).unwrap();
    assert_eq!(q.since, Some(datetime!(2026-01-11 12:00:00 UTC)));
    assert_eq!((q.until, q.limit, q.offset), (None, 500, 0));
    assert_eq!(q.model_version.as_deref(), Some("v2"));

    filter.range = TimeRange::Custom;
    filter.since = "2026-01-01T00:00:00Z".into();
    filter.until = "2026-01-02T00:00:00+01:00".into();
    let q = filter.query(NOW, 10).unwrap();
    assert_eq!(q.since, Some(datetime!(2026-01-01 00:00:00 UTC)));
    assert_eq!(q.until, Some(datetime!(2026-01-01 23:00:00 UTC)));

    filter.until = "yesterday".into();
    assert_eq!(
        filter.query(NOW, 10).unwrap_err(),
        FilterError::BadTime {
            field: "until",
            value: "yesterday".into()
        }
    );
    filter.until = "2025-12-31T00:00:00Z".into();
    assert_eq!(filter.query(NOW, 10).unwrap_err(), FilterError::EmptyWindow);
}

#[test]
fn drift_rows_sort_by_psi_with_missing_last() {
    let mut report = fixtures::drift_report("d", NOW);
    report.features[0].psi = None;
    let names = |order: Vec<usize>| -> Vec<String> {
        order
            .into_iter()
            .map(|i| report.features[i].name.clone())
            .collect()
    };
    assert_eq!(
        names(sorted_features(&report, DriftColumn::Psi, true)),
        ["income", "employment", "age"]
    );
    assert_eq!(
        names(sorted_features(&report, DriftColumn::Psi, false)),
        ["employment", "income", "age"]
    );
    assert_eq!(
        names(sorted_features(&report, DriftColumn::Feature, false)),
        ["age", "employment", "income"]
    );
    assert_eq!(
        names(sorted_features(&report, DriftColumn::Schema, false)),
        ["age", "income", "employment"]
    );
}

#[test]
fn durations_read_naturally() {
    assert_eq!(format_duration(4.24), "4.2s");
    assert_eq!(format_duration(125.0), "2m 05s");
    assert_eq!(format_duration(3723.0), "1h 02m 03s");
    assert_eq!(format_duration(f64::NAN), "?");
}

#[test]
fn history_series_groups_by_metric_and_source_and_marks_versions() {
    let series = crate::tabs::metrics::history_series(&fixtures::metrics().history);
    assert_eq!(
        series
            .versions
            .iter()
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>(),
        [fixtures::OLD_MODEL, fixtures::MODEL]
    );
    let training_auc = &series.lines[&("roc_auc".to_owned(), MetricSource::Training)];
    assert_eq!(training_auc.len(), 2);
    assert!(training_auc[0][0] < training_auc[1][0], "sorted by time");
    assert_eq!(
        series.lines[&("accuracy".to_owned(), MetricSource::Manual)].len(),
        1
    );
    assert!(series.metric_names.contains("precision"));
    assert_eq!(series.rejected_candidates, 0);
}

#[test]
fn history_series_leaves_out_rejected_candidates() {
    let mut history = fixtures::metrics().history;
    let plain = crate::tabs::metrics::history_series(&history);
    // A newer candidate, rejected: its validation AUC must not join the served model's
    // line, nor its version get a marker.
    let mut rejected = history
        .iter()
        .find(|e| e.source == MetricSource::Validation)
        .unwrap()
        .clone();
    rejected.timestamp += time::Duration::days(30);
    rejected.model_version = Some("rejected-candidate".into());
    rejected.metrics.insert("roc_auc".into(), 0.51);
    rejected.rejected_candidate = true;
    history.push(rejected);

    let series = crate::tabs::metrics::history_series(&history);
    assert_eq!(series.rejected_candidates, 1);
    assert_eq!(series.lines, plain.lines);
    assert_eq!(series.versions, plain.versions);
}

#[test]
fn settings_load_with_missing_fields_and_never_hold_the_key_by_default() {
    let settings: Settings =
        serde_json::from_str(r#"{"api_url":"http://h:1","tab":"Drift"}"#).unwrap();
    assert_eq!(settings.api_url, "http://h:1");
    assert_eq!(settings.tab, Tab::Drift);
    assert_eq!(
        settings.refresh_seconds,
        Settings::default().refresh_seconds
    );
    assert!(!settings.remember_key && settings.remembered_key.is_none());
}

#[test]
fn loading_many_predictions_asks_for_the_next_page_until_the_target() {
    let all = fixtures::predictions(250);
    let mut state = ViewState::default();
    state.predictions.active = Some(query(0, None));
    state.predictions.load_until = 200;
    let page = |offset| {
        ok(
            Request::Predictions(query(offset, None)),
            Payload::Predictions(fixtures::page(&all, 100, offset)),
        )
    };
    assert_eq!(
        apply_response(&mut state, page(0), NOW),
        FollowUp::MorePredictions
    );
    assert_eq!(apply_response(&mut state, page(100), NOW), FollowUp::None);
    assert_eq!(state.predictions.rows.len(), 200);
}
