//! The drift tab's state: answers, runs, a pinned report, and the table's order.

use scorewatch_core::views::DriftView;
use time::macros::datetime;

use super::{NOW, failed, fixtures, ok, status_error};
use crate::client::{Payload, Request, RequestKind};
use crate::state::{
    DriftColumn, DriftState, ViewState, apply_drift, apply_response, drift_headline,
    sorted_features,
};

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
            by_segment: None,
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
        ok(Request::RunDrift, Payload::DriftRun(report)),
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
fn drift_headline_gives_the_verdict_and_its_first_reason() {
    let feature_share = fixtures::drift_report("d", NOW);
    assert_eq!(
        drift_headline(&feature_share),
        (
            "DRIFT — Feature drift: 67% of features (threshold 50%)".to_owned(),
            true
        )
    );
    let score_only = fixtures::score_drift_report("s", NOW);
    assert_eq!(
        drift_headline(&score_only),
        ("DRIFT — Score drift: PSI 0.29".to_owned(), true)
    );
    let mut stable = fixtures::drift_report("n", NOW);
    stable.verdict = scorewatch_core::DriftVerdict::judge(None, &[], 0.0, 0.5, false);
    assert_eq!(drift_headline(&stable), ("NO DRIFT".to_owned(), false));
}

#[test]
fn segments_of_a_column_or_minimum_no_longer_chosen_are_dropped() {
    let mut state = ViewState::default();
    crate::state::choose_segment_column(&mut state.drift, Some("employment".into()));
    state.drift.min_segment_rows = Some(30);
    let answer = |column: &str, min_rows| {
        ok(
            Request::DriftSegments {
                column: column.into(),
                min_rows,
            },
            Payload::DriftSegments(DriftView {
                by_segment: Some(fixtures::drift_segments()),
                ..fixtures::drift_view()
            }),
        )
    };
    // The answer to the default minimum, sent before the user chose 30, comes late.
    apply_response(&mut state, answer("employment", 100), NOW);
    assert_eq!(state.drift.segments, None);
    apply_response(&mut state, answer("region", 30), NOW);
    assert_eq!(state.drift.segments, None);
    apply_response(&mut state, answer("employment", 30), NOW);
    assert_eq!(
        state.drift.segments.as_ref().map(|s| s.segments.len()),
        Some(4)
    );
}
