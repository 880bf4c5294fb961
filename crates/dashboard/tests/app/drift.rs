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
    open_tab(&mut harness, Tab::Drift);
    harness.get_by_label("DRIFT — Score drift: PSI 0.29");
    assert!(harness.query_by_label("NO DRIFT").is_none());
    harness.get_by_label_contains("33% of 3 features drifted");
}
