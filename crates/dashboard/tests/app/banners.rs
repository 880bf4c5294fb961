//! Banners and pages that replace or top the tabs: the storage problem, an unreachable API.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use scorewatch_dashboard::{STORAGE_BANNER_TITLE, Tab};

use crate::support::{Answers, fixtures};
use crate::{harness, open_tab};

const FULL_DISK: &str = "cannot append to data/monitoring/predictions_log.csv: No space left";

#[test]
fn a_full_disk_shows_the_storage_banner_on_every_tab_until_writes_succeed() {
    let mut answers = Answers::full();
    answers.health = fixtures::degraded_health();
    let (mut harness, fake) = harness(answers, None);

    harness.get_by_label(STORAGE_BANNER_TITLE);
    harness.get_by_label_contains(FULL_DISK);
    harness.get_by_label_contains("(at 2026-01-12 11:58:30 UTC)");
    harness.get_by_label("DEGRADED");
    for tab in [Tab::Metrics, Tab::Drift, Tab::Predictions, Tab::Pipeline] {
        open_tab(&mut harness, tab);
        harness.get_by_label(STORAGE_BANNER_TITLE);
    }

    fake.answers.lock().unwrap().health = fixtures::health();
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    harness.run();
    assert!(harness.query_by_label(STORAGE_BANNER_TITLE).is_none());
    assert!(harness.query_by_label_contains(FULL_DISK).is_none());
}

#[test]
fn a_healthy_server_shows_no_storage_banner() {
    let (harness, _) = harness(Answers::full(), None);
    harness.get_by_label("OK");
    assert!(harness.query_by_label(STORAGE_BANNER_TITLE).is_none());
}

#[test]
fn unreachable_api_says_where_and_how_to_start_it() {
    let mut answers = Answers::full();
    answers.unreachable = true;
    let (harness, _) = harness(answers, None);
    harness.get_by_label("The scorewatch API is unreachable");
    harness.get_by_label("URL: http://127.0.0.1:8000");
    harness.get_by_label_contains("Error: cannot reach the api at http://127.0.0.1:8000/");
    harness.get_by_label_contains("Connection refused (os error 111)");
    harness.get_by_label_contains("cargo run --release -p scorewatch-api -- demo");
    harness.get_by_label_contains("scorewatch serve");
}
