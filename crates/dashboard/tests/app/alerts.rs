//! Alerts (issue 16): the tab's list, its state filter, Ack, and the banner above every
//! tab while a critical alert fires.

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use scorewatch_core::AlertState;
use scorewatch_dashboard::{AUTH_BANNER_TITLE, Request, Tab};

use crate::support::{Answers, FakeApi, VALID_KEY, fixtures};
use crate::{harness, open_tab};

const CRITICAL_BANNER: &str =
    "1 critical alert firing: Score drift: PSI 0.29 (significant). Open the Alerts tab.";

fn alert_lists(fake: &FakeApi) -> Vec<Option<AlertState>> {
    fake.sent()
        .into_iter()
        .filter_map(|r| match r {
            Request::Alerts(state) => Some(state),
            _ => None,
        })
        .collect()
}

#[test]
fn alerts_tab_lists_the_alerts_and_filters_them_by_state() {
    let (mut harness, fake) = harness(Answers::full(), Some(VALID_KEY));
    // The list is read only while the tab is open; the banner's poll always.
    assert!(alert_lists(&fake).is_empty());
    assert!(fake.sent().contains(&Request::FiringAlerts));

    open_tab(&mut harness, Tab::Alerts);
    assert_eq!(alert_lists(&fake), [None]);
    harness.get_by_label("3 alert(s), 2 firing. Newest first.");
    harness.get_by_label("Score drift: PSI 0.29 (significant)");
    harness.get_by_label("score_drift");
    harness.get_by_label("2026-01-12 09:00:00 UTC");
    harness.get_by_label("1 delivered, 1 pending");
    // The acknowledged warning says when and by which key, the resolved alert when.
    harness.get_by_label("2026-01-12 08:30:00 UTC by key-1");
    harness.get_by_label("2026-01-11 07:45:00 UTC");
    harness.get_by_label("1 failed");
    assert_eq!(harness.query_all_by_label("critical").count(), 2);
    assert_eq!(harness.query_all_by_label("warning").count(), 1);

    harness
        .get_by_role_and_label(Role::Button, "Resolved")
        .click();
    harness.run();
    assert_eq!(alert_lists(&fake), [None, Some(AlertState::Resolved)]);
    harness.get_by_label("1 alert(s), 0 firing. Newest first.");
    harness.get_by_label_contains("Pipeline run run-2 failed");
    assert!(
        harness
            .query_by_label("Score drift: PSI 0.29 (significant)")
            .is_none()
    );

    harness
        .get_by_role_and_label(Role::Button, "Firing")
        .click();
    harness.run();
    harness.get_by_label("2 alert(s), 2 firing. Newest first.");
    assert!(
        harness
            .query_by_label_contains("Pipeline run run-2")
            .is_none()
    );
}

#[test]
fn ack_sends_the_key_and_the_list_shows_the_acknowledgement() {
    let (mut harness, fake) = harness(Answers::full(), Some(VALID_KEY));
    open_tab(&mut harness, Tab::Alerts);
    // Only the firing alert nobody acknowledged has a button.
    assert_eq!(
        harness
            .query_all_by_role_and_label(Role::Button, "Ack")
            .count(),
        1
    );
    harness.get_by_role_and_label(Role::Button, "Ack").click();
    harness.run();
    assert!(fake.sent_with_keys().contains(&(
        Request::AckAlert("0193a-score".into()),
        Some(VALID_KEY.to_owned())
    )));
    harness.get_by_label("Alert acknowledged: Score drift: PSI 0.29 (significant)");
    harness.get_by_label("2026-01-12 12:05:00 UTC by key-1");
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Ack")
            .is_none()
    );
    // The list was re-read after the ack, from the server's word.
    assert_eq!(alert_lists(&fake), [None, None]);
    // Acknowledged is not resolved: the banner stays while it fires.
    harness.get_by_label(CRITICAL_BANNER);
}

#[test]
fn without_a_key_ack_is_disabled_and_explained() {
    let (mut harness, fake) = harness(Answers::full(), None);
    open_tab(&mut harness, Tab::Alerts);
    harness.get_by_label("Acknowledging needs the API key.");
    let ack = harness.get_by_role_and_label(Role::Button, "Ack");
    assert!(ack.accesskit_node().is_disabled());
    ack.click();
    harness.run();
    assert!(
        !fake
            .sent()
            .iter()
            .any(|r| matches!(r, Request::AckAlert(_)))
    );
}

#[test]
fn a_refused_ack_says_the_key_is_wrong() {
    let (mut harness, _) = harness(Answers::full(), Some("wrong-key"));
    open_tab(&mut harness, Tab::Alerts);
    harness.get_by_role_and_label(Role::Button, "Ack").click();
    harness.run();
    harness.get_by_label(
        "Not acknowledged: /monitoring/alerts/{id}/ack answered 403: invalid API key. The \
         server refused the dashboard's API key: check it in Settings.",
    );
    harness.get_by_label(AUTH_BANNER_TITLE);
    // Still not acknowledged: the button is back.
    harness.get_by_role_and_label(Role::Button, "Ack");
}

#[test]
fn an_ack_of_an_alert_resolved_meanwhile_says_so() {
    let (mut harness, fake) = harness(Answers::full(), Some(VALID_KEY));
    open_tab(&mut harness, Tab::Alerts);
    // The server resolves it between the list and the click.
    for alert in &mut fake.answers.lock().unwrap().alerts {
        alert.state = AlertState::Resolved;
    }
    harness.get_by_role_and_label(Role::Button, "Ack").click();
    harness.run();
    harness.get_by_label_contains("Not acknowledged: /monitoring/alerts/{id}/ack answered 409");
    harness.get_by_label_contains("It was resolved in the meantime.");
    // The list was re-read: nothing fires any more, and the banner is gone.
    harness.get_by_label("3 alert(s), 0 firing. Newest first.");
    assert!(harness.query_by_label(CRITICAL_BANNER).is_none());
}

#[test]
fn a_critical_firing_alert_shows_a_banner_on_every_tab_that_opens_the_alerts_tab() {
    let (mut harness, fake) = harness(Answers::full(), None);
    harness.get_by_label(CRITICAL_BANNER);
    for tab in [Tab::Metrics, Tab::Drift, Tab::Predictions, Tab::Pipeline] {
        open_tab(&mut harness, tab);
        harness.get_by_label(CRITICAL_BANNER);
    }
    harness
        .get_by_role_and_label(Role::Button, CRITICAL_BANNER)
        .click();
    harness.run();
    assert_eq!(harness.state().settings.tab, Tab::Alerts);
    assert_eq!(alert_lists(&fake), [None]);

    // Resolved on the server: the next refresh takes the banner away.
    fake.answers.lock().unwrap().alerts = fixtures::alerts()
        .into_iter()
        .filter(|a| a.severity == scorewatch_core::Severity::Warning)
        .collect();
    let polls = fake
        .sent()
        .iter()
        .filter(|r| **r == Request::FiringAlerts)
        .count();
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    harness.run();
    // Polled again with the rest of the refresh (kittest's clock may add a timed one).
    assert!(
        fake.sent()
            .iter()
            .filter(|r| **r == Request::FiringAlerts)
            .count()
            > polls
    );
    assert!(harness.query_by_label(CRITICAL_BANNER).is_none());
}

#[test]
fn two_critical_alerts_are_counted_and_warnings_alone_show_no_banner() {
    let mut answers = Answers::full();
    let mut second = fixtures::alerts()[0].clone();
    second.id = "0193a-perf".into();
    second.summary = "Performance drop: AUC 0.71, validation 0.79".into();
    answers.alerts.insert(0, second);
    let (two, _) = harness(answers, None);
    two.get_by_label(
        "2 critical alerts firing: Performance drop: AUC 0.71, validation 0.79. Open the \
         Alerts tab.",
    );

    let mut answers = Answers::full();
    answers
        .alerts
        .retain(|a| a.severity == scorewatch_core::Severity::Warning);
    let (warnings_only, _) = harness(answers, None);
    assert!(
        warnings_only
            .query_by_label_contains("critical alert")
            .is_none()
    );
}
