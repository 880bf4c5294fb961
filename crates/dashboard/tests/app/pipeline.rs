//! Pipeline tab: run, progress, cancel, and the buttons without a key.

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use scorewatch_dashboard::{Request, Tab};

use crate::support::{Answers, VALID_KEY, fixtures};
use crate::{harness, open_tab};

#[test]
fn run_pipeline_button_sends_the_key_and_body() {
    let (mut harness, fake) = harness(Answers::full(), Some(VALID_KEY));
    open_tab(&mut harness, Tab::Pipeline);
    harness.get_by_label_contains("training file applications.csv line 12");
    harness.get_by_label("promoted");
    harness
        .get_by_role_and_label(Role::CheckBox, "Promote even if worse")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Run pipeline")
        .click();
    harness.run();
    let run = fake
        .sent_with_keys()
        .into_iter()
        .find_map(|(r, key)| match r {
            Request::RunPipeline(body) => Some((key, body)),
            _ => None,
        })
        .expect("run-pipeline request sent");
    assert_eq!(run.0.as_deref(), Some(VALID_KEY));
    assert!(run.1.force);
    harness.get_by_label("Pipeline run run-3 started.");
}

#[test]
fn running_pipeline_shows_progress_and_can_be_cancelled() {
    let mut answers = Answers::full();
    answers.pipeline = fixtures::pipeline_running();
    let (mut harness, fake) = harness(answers, Some(VALID_KEY));
    open_tab(&mut harness, Tab::Pipeline);
    harness.get_by_label_contains("Running: training (42%)");
    assert!(
        harness
            .get_by_role_and_label(Role::Button, "Run pipeline")
            .accesskit_node()
            .is_disabled()
    );
    harness
        .get_by_role_and_label(Role::Button, "Cancel run")
        .click();
    harness.run();
    assert!(
        fake.sent()
            .iter()
            .any(|r| matches!(r, Request::CancelPipeline))
    );
}

#[test]
fn without_a_key_mutating_buttons_are_disabled_and_explained() {
    let (mut harness, fake) = harness(Answers::full(), None);
    open_tab(&mut harness, Tab::Pipeline);
    let run = harness.get_by_role_and_label(Role::Button, "Run pipeline");
    assert!(run.accesskit_node().is_disabled());
    run.click();
    harness.run();
    assert!(
        !fake
            .sent()
            .iter()
            .any(|r| matches!(r, Request::RunPipeline(_)))
    );
    harness.get_by_label_contains("Running and cancelling need the API key");
}

#[test]
fn the_training_set_is_chosen_among_the_servers_sets() {
    let (mut harness, fake) = harness(Answers::full(), Some(VALID_KEY));
    open_tab(&mut harness, Tab::Pipeline);
    // Opening the tab lists the sets; the default set is shown chosen.
    assert!(
        fake.sent()
            .iter()
            .any(|r| matches!(r, Request::TrainingSets))
    );
    let choice = harness.get_by_role_and_label(Role::ComboBox, "Training file");
    assert_eq!(choice.value().as_deref(), Some("applications.csv"));
    choice.click();
    harness.run();
    harness.get_by_label("broken.csv (not readable CSV)");
    harness.get_by_label("q3.csv (1200 rows)").click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Run pipeline")
        .click();
    harness.run();
    let body = fake
        .sent()
        .into_iter()
        .find_map(|r| match r {
            Request::RunPipeline(body) => Some(body),
            _ => None,
        })
        .expect("run-pipeline request sent");
    assert_eq!(body.training_file.as_deref(), Some("q3.csv"));
}

#[test]
fn a_chosen_set_that_is_not_csv_says_why() {
    let (mut harness, _fake) = harness(Answers::full(), Some(VALID_KEY));
    open_tab(&mut harness, Tab::Pipeline);
    harness
        .get_by_role_and_label(Role::ComboBox, "Training file")
        .click();
    harness.run();
    harness
        .get_by_label("broken.csv (not readable CSV)")
        .click();
    harness.run();
    harness.get_by_label("line 3: malformed csv");
}
