//! "Export report": the button fetches `GET /monitoring/report`, saves the page in the
//! report directory and says where.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use scorewatch_dashboard::Request;

use crate::harness;
use crate::support::{Answers, REPORT_HTML, VALID_KEY};

#[test]
fn export_report_saves_the_page_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, fake) = harness(Answers::full(), None);
    harness.state_mut().report_dir = dir.path().to_path_buf();

    harness
        .get_by_role_and_label(Role::Button, "Export report")
        .click();
    harness.run();

    assert!(fake.sent().contains(&Request::Report));
    let saved: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let name = saved[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("scorewatch-report-") && saved[0].extension().is_some_and(|e| e == "html"),
        "{name}"
    );
    assert_eq!(std::fs::read_to_string(&saved[0]).unwrap(), REPORT_HTML);
    harness.get_by_label(&format!("Report saved to {}", saved[0].display()));
}

#[test]
fn export_report_says_why_when_it_cannot_save() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone");
    let (mut harness, _fake) = harness(Answers::full(), Some(VALID_KEY));
    harness.state_mut().report_dir = missing.clone();

    harness
        .get_by_role_and_label(Role::Button, "Export report")
        .click();
    harness.run();

    harness.get_by_label_contains(&format!("cannot save the report in {}", missing.display()));
    assert!(!missing.exists());
}

#[test]
fn a_refused_export_shows_the_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let answers = Answers {
        protect_reads: true,
        ..Answers::full()
    };
    let (mut harness, _fake) = harness(answers, None);
    harness.state_mut().report_dir = dir.path().to_path_buf();

    harness
        .get_by_role_and_label(Role::Button, "Export report")
        .click();
    harness.run();

    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(
        harness
            .state()
            .state
            .auth_refused
            .contains_key(&scorewatch_dashboard::RequestKind::Report)
    );
}
