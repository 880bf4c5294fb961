//! Drift tab: the table, a feature's bins, earlier reports, a check run now.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use scorewatch_core::views::{DriftSummary, DriftView};
use scorewatch_dashboard::{Request, Tab};
use time::macros::datetime;

use crate::support::{Answers, VALID_KEY, fixtures};
use crate::{harness, open_tab};

#[test]
fn drift_tab_shows_the_table_bins_and_earlier_reports() {
    let (mut harness, fake) = harness(Answers::full(), Some(VALID_KEY));
    open_tab(&mut harness, Tab::Drift);
    harness.get_by_label("0.3187");
    harness.get_by_label("KS 0.1534");
    harness.get_by_label("χ² 41.27 (dof 2)");
    harness.get_by_label("1.2e-9");
    harness.get_by_label_contains("67% of 3 features drifted");

    harness
        .get_by_role_and_label(Role::Button, "income")
        .click();
    harness.run();
    harness.get_by_label_contains("income: share of rows per bin");
    assert_eq!(
        harness.state().state.drift.selected_feature.as_deref(),
        Some("income")
    );

    harness.get_by_role_and_label(Role::Button, "PSI").click();
    harness.run();
    assert_eq!(
        harness.state().state.drift.sort,
        scorewatch_dashboard::DriftColumn::Psi
    );

    harness
        .get_by_role_and_label(Role::Button, "Run drift check")
        .click();
    harness.run();
    assert!(
        fake.sent_with_keys()
            .contains(&(Request::RunDrift, Some(VALID_KEY.to_owned())))
    );
    harness.get_by_label("Drift check done: 2 of 3 features drifted.");
}

#[test]
fn drift_report_selector_loads_an_earlier_report() {
    let (mut harness, fake) = harness(Answers::full(), None);
    open_tab(&mut harness, Tab::Drift);
    harness.get_by_label("Report").click();
    harness.run();
    harness
        .get_by_label_contains("2026-01-11 09:00:00 UTC")
        .click();
    harness.run();
    assert!(
        fake.sent()
            .iter()
            .any(|r| matches!(r, Request::Drift { id: Some(id), .. } if id == "drift-1"))
    );
    assert_eq!(
        harness.state().state.drift.report.as_ref().unwrap().id,
        "drift-1"
    );
}

/// Issue 16: the headline said NO DRIFT when the score's PSI was significant but fewer than
/// half the features drifted; the score alone now makes the verdict.
#[test]
fn issue_16_significant_score_psi_is_drift_whatever_the_feature_share() {
    let report = fixtures::score_drift_report("drift-score", datetime!(2026-01-12 09:00:00 UTC));
    assert!(
        !report.dataset_drift,
        "the feature rule alone would say no drift"
    );
    let answers = Answers {
        drift: DriftView {
            history: vec![DriftSummary::from(&report)],
            report: Some(report),
            by_segment: None,
        },
        ..Answers::full()
    };
    let (mut harness, _) = harness(answers, None);
    // The Overview's drift card gives the same reason as the tab.
    assert_eq!(harness.state().settings.tab, Tab::Overview);
    harness.get_by_label("DRIFT — Score drift: PSI 0.29");
    open_tab(&mut harness, Tab::Drift);
    harness.get_by_label("DRIFT — Score drift: PSI 0.29");
    assert!(harness.query_by_label("NO DRIFT").is_none());
    harness.get_by_label_contains("33% of 3 features drifted");
}

/// Issue 17: a segment selector in the Drift tab, and the segments worst first.
#[test]
fn segment_selector_shows_the_segments_worst_first() {
    let (mut harness, fake) = harness(Answers::full(), None);
    open_tab(&mut harness, Tab::Drift);
    harness.get_by_label_contains("Choose a column to compare each of its values");

    harness.get_by_label("Segment by").click();
    harness.run();
    // The feature table has an `employment` button too; the popup's is drawn last.
    harness
        .query_all_by_role_and_label(Role::Button, "employment")
        .last()
        .expect("the selector lists employment")
        .click();
    harness.run();
    assert!(fake.sent().iter().any(|r| matches!(
        r,
        Request::DriftSegments { column, min_rows: 100 } if column == "employment"
    )));
    let drift = &harness.state().state.drift;
    assert_eq!(drift.segment_by.as_deref(), Some("employment"));
    let order: Vec<&str> = drift
        .segments
        .as_ref()
        .expect("segments applied")
        .segments
        .iter()
        .map(|s| s.segment.as_str())
        .collect();
    assert_eq!(order, ["self_employed", "salaried", "unemployed", "gig"]);
    harness.get_by_label_contains("1 of 4 segments drifted");
    // Each segment is in both tables: drift, then performance.
    assert_eq!(harness.query_all_by_label("self_employed").count(), 2);
    harness.get_by_label("0.4123");
    // The thin segment is listed, greyed, with its row counts and why it is not judged.
    harness.get_by_label("too few rows (< 100)");
    assert_eq!(harness.query_all_by_label("unemployed").count(), 2);
    assert_eq!(harness.query_all_by_label("12").count(), 2);
    // A segment absent from the training set is not just thin: it is new.
    harness.get_by_label("new: not in the reference");
    harness.get_by_label("118");

    // Production metrics per segment, lowest AUC first, the thin one greyed with why.
    assert!(fake.sent().iter().any(|r| matches!(
        r,
        Request::MetricsSegments { column, min_rows: 100 } if column == "employment"
    )));
    harness.get_by_label("Performance per segment");
    harness.get_by_label_contains("Newest 10000 predictions, 3100 with an outcome");
    harness.get_by_label("0.6123");
    harness.get_by_label("0.8011");
    harness.get_by_label("too few labelled rows: 10, at least 100 needed");
    let auc_top = |label: &str| harness.get_by_label(label).rect().top();
    assert!(auc_top("0.6123") < auc_top("0.8011"));

    // Another minimum: asked again, one request for one choice.
    harness.get_by_label("Min rows").click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "30").click();
    harness.run();
    let asked: Vec<u64> = fake
        .sent()
        .iter()
        .filter_map(|r| match r {
            Request::DriftSegments { min_rows, .. } => Some(*min_rows),
            _ => None,
        })
        .collect();
    assert_eq!(asked, [100, 30]);

    // Computed anew for each request: not read while another tab is open.
    let segment_reads = |fake: &crate::support::FakeApi| {
        fake.sent()
            .iter()
            .filter(|r| matches!(r, Request::DriftSegments { .. }))
            .count()
    };
    let before = segment_reads(&fake);
    open_tab(&mut harness, Tab::Overview);
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    harness.run();
    assert_eq!(segment_reads(&fake), before);
    open_tab(&mut harness, Tab::Drift);
    assert!(segment_reads(&fake) > before);
    // Rows appear in the API's (worst-first) order on screen too (the drift table's,
    // drawn first).
    let top = |label: &str| {
        harness
            .query_all_by_label(label)
            .next()
            .expect("a row")
            .rect()
            .top()
    };
    assert!(top("self_employed") < top("salaried") && top("salaried") < top("unemployed"));

    // Back to none: the table goes.
    harness.get_by_label("Segment by").click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "none").click();
    harness.run();
    assert!(harness.state().state.drift.segments.is_none());
}

#[test]
fn the_selector_lists_the_categorical_features_only() {
    let (mut harness, _fake) = harness(Answers::full(), None);
    open_tab(&mut harness, Tab::Drift);
    let buttons = |harness: &egui_kittest::Harness<'_, _>, name: &str| {
        harness
            .query_all_by_role_and_label(Role::Button, name)
            .count()
    };
    let (income, employment) = (buttons(&harness, "income"), buttons(&harness, "employment"));
    harness.get_by_label("Segment by").click();
    harness.run();
    // Only `employment` gained a button in the popup: a numeric feature would split into
    // a segment per value.
    assert_eq!(buttons(&harness, "income"), income);
    assert_eq!(buttons(&harness, "age"), 1);
    assert_eq!(buttons(&harness, "employment"), employment + 1);
}

#[test]
fn a_refused_segment_request_shows_the_api_message_in_the_tab() {
    let mut answers = Answers::full();
    answers.drift_segments = None;
    let (mut harness, _fake) = harness(answers, None);
    open_tab(&mut harness, Tab::Drift);
    harness.get_by_label("Segment by").click();
    harness.run();
    harness
        .query_all_by_role_and_label(Role::Button, "employment")
        .last()
        .expect("the selector lists employment")
        .click();
    harness.run();
    harness.get_by_label_contains(
        "/monitoring/drift answered 409: the reference of model 20260110-120000 is \
         unavailable: data/training/applications.csv changed since training",
    );
    // Not mistaken for a run refused as already running.
    assert!(harness.query_by_label_contains("Not started").is_none());
}
