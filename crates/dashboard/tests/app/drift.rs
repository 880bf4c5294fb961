//! Drift tab: the table, a feature's bins, earlier reports, a check run now.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use scorewatch_dashboard::{Request, Tab};

use crate::support::{Answers, VALID_KEY};
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
