//! Overview: what the first screen shows, with data and without.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use scorewatch_dashboard::{Request, Tab};

use crate::support::{Answers, fixtures};
use crate::{harness, open_tab};

#[test]
fn start_reads_every_endpoint() {
    let (_harness, fake) = harness(Answers::full(), None);
    let sent = fake.sent();
    assert!(sent.contains(&Request::Health));
    assert!(
        sent.iter()
            .any(|r| matches!(r, Request::Metrics { offset: 0, .. }))
    );
    assert!(
        sent.iter()
            .any(|r| matches!(r, Request::Drift { id: None, .. }))
    );
    assert!(sent.contains(&Request::PipelineStatus));
    assert!(
        sent.iter()
            .any(|r| matches!(r, Request::Predictions(q) if q.offset == 0))
    );
}

#[test]
fn overview_shows_model_kpis_volume_drift_and_pipeline() {
    let (harness, _) = harness(Answers::full(), None);
    harness.get_by_label(&format!("Model {}", fixtures::MODEL));
    harness.get_by_label_contains("trained 2026-01-10 12:00:00 UTC on 8000 rows");
    for title in ["AUC", "Gini", "KS", "Accuracy", "Precision", "Recall", "F1"] {
        harness.get_by_label(title);
    }
    // Training, validation and production AUC side by side.
    harness.get_by_label("0.812");
    harness.get_by_label("0.799");
    harness.get_by_label("0.735");
    harness.get_by_label("12345");
    harness.get_by_label("DRIFT — Feature drift: 67% of features (threshold 50%)");
    harness.get_by_label(&format!("Succeeded: model {}", fixtures::MODEL));
    harness.get_by_label_contains("Last updated: 20");
}

#[test]
fn the_server_card_names_the_backend_and_the_replica() {
    let (files, _) = harness(Answers::full(), None);
    files.get_by_label("files · replica host-4242");

    let mut answers = Answers::full();
    answers.health.backend = "postgres".into();
    "web-2".clone_into(&mut answers.health.replica);
    let (postgres, _) = harness(answers, None);
    postgres.get_by_label("postgres · replica web-2");
}

#[test]
fn empty_api_shows_how_to_get_data_on_every_tab() {
    let (mut harness, _) = harness(Answers::empty(), Some("k"));
    harness.get_by_label("No model yet");
    harness.get_by_label("NO REPORT YET");
    open_tab(&mut harness, Tab::Metrics);
    harness.get_by_label("No metrics history yet");
    open_tab(&mut harness, Tab::Drift);
    harness.get_by_label("No drift report yet");
    open_tab(&mut harness, Tab::Predictions);
    harness.get_by_label("No predictions yet");
    open_tab(&mut harness, Tab::Pipeline);
    harness.get_by_label("No run yet.");
    harness.get_by_label("Idle");
}

#[test]
fn no_model_links_to_the_pipeline_tab() {
    let (mut harness, _) = harness(Answers::empty(), None);
    harness
        .get_by_role_and_label(Role::Button, "Go to the Pipeline tab")
        .click();
    harness.run();
    assert_eq!(harness.state().settings.tab, Tab::Pipeline);
}

#[test]
fn overview_shows_the_estimate_with_its_band_beside_the_realized_values() {
    let answers = Answers {
        metrics: fixtures::metrics_with_estimate(),
        ..Answers::full()
    };
    let (harness, _) = harness(answers, None);
    // Newest estimate 0.7812 with its band 0.7500 to 0.8100, beside production 0.7345.
    harness.get_by_label("Estimated AUC 0.781 (0.750–0.810)");
    harness.get_by_label("realized 0.735");
    harness.get_by_label("Estimated Accuracy 0.742 (0.710–0.773)");
    harness.get_by_label("realized 0.730");
    harness.get_by_label_contains("from 250 predictions without outcomes, 2026-01-14 18:00:00 UTC");
    // The trend plot's legend: estimated against realized AUC.
    harness.get_by_role_and_label(Role::CheckBox, "estimated AUC");
    harness.get_by_role_and_label(Role::CheckBox, "realized AUC");
}

#[test]
fn overview_says_why_there_is_no_estimate() {
    let (harness, _) = harness(Answers::full(), None);
    harness.get_by_label_contains("No estimate yet");
    harness.get_by_label_contains("calibrator");
    // Realized AUC alone still has its trend.
    harness.get_by_role_and_label(Role::CheckBox, "realized AUC");
    assert!(
        harness
            .query_by_role_and_label(Role::CheckBox, "estimated AUC")
            .is_none()
    );
}
