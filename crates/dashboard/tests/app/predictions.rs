//! Predictions tab: pages, filters, and 10,000 rows kept virtualised.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use scorewatch_dashboard::{Request, Tab};

use crate::support::{Answers, fixtures};
use crate::{harness, open_tab};

#[test]
fn predictions_tab_pages_and_virtualises_rows() {
    let (mut harness, fake) = harness(Answers::full(), None);
    open_tab(&mut harness, Tab::Predictions);
    harness.get_by_label("500 predictions loaded, newest first");
    harness.get_by_label("pred-00000");
    assert!(
        harness.query_by_label("pred-00400").is_none(),
        "rows below the view must not be laid out"
    );
    harness
        .get_by_role_and_label(Role::Button, "Load more")
        .click();
    harness.run();
    harness.get_by_label("1000 predictions loaded, newest first");
    assert!(
        fake.sent()
            .iter()
            .any(|r| matches!(r, Request::Predictions(q) if q.offset == 500))
    );
}

#[test]
fn predictions_filter_by_model_version() {
    let (mut harness, fake) = harness(Answers::full(), None);
    open_tab(&mut harness, Tab::Predictions);
    harness.state_mut().state.predictions.filter.model_version = "other".into();
    harness.get_by_role_and_label(Role::Button, "Apply").click();
    harness.run();
    assert!(fake.sent().iter().any(
        |r| matches!(r, Request::Predictions(q) if q.model_version.as_deref() == Some("other"))
    ));
    harness.get_by_label("No predictions match these filters");
}

#[test]
fn ten_thousand_predictions_load_page_by_page_and_stay_virtualised() {
    let mut answers = Answers::full();
    answers.predictions = fixtures::predictions(12_000);
    let (mut harness, fake) = harness(answers, None);
    open_tab(&mut harness, Tab::Predictions);
    harness
        .get_by_role_and_label(Role::Button, "Load up to 10,000")
        .click();
    // One frame per page: each answer asks for the next.
    harness.run_steps(25);
    harness.run();
    harness.get_by_label("10000 predictions loaded, newest first");
    let pages = fake
        .sent()
        .iter()
        .filter(|r| matches!(r, Request::Predictions(q) if q.limit <= 1000))
        .count();
    assert_eq!(pages, 20, "500 rows per page");
    assert!(harness.query_by_label("pred-09999").is_none());
    assert_eq!(
        harness.state().state.predictions.rows[9999].id,
        "pred-09999"
    );
}
