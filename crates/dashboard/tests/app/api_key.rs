//! The API key: sent with every request, and the "Unauthorised key" banner when the API
//! refuses it or asks for one (issue 13).

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use scorewatch_dashboard::{AUTH_BANNER_TITLE, RequestKind, SET_KEY_HINT, Tab};

use crate::support::{Answers, FakeApi, VALID_KEY, fixtures};
use crate::{harness, open_tab};

#[test]
fn refused_key_shows_the_unauthorised_banner() {
    let (mut harness, _) = harness(Answers::full(), Some("wrong-key"));
    open_tab(&mut harness, Tab::Pipeline);
    assert!(harness.query_by_label(AUTH_BANNER_TITLE).is_none());
    harness
        .get_by_role_and_label(Role::Button, "Run pipeline")
        .click();
    harness.run();
    harness.get_by_label(AUTH_BANNER_TITLE);
    harness.get_by_label_contains(
        "The server refused the dashboard's key (from --api-key / SCOREWATCH_API_KEY). \
         /monitoring/run-pipeline answered 403: invalid API key.",
    );
    harness.get_by_label_contains(SET_KEY_HINT);
}

/// Every request the app made so far, with the key each carried.
fn kinds_and_keys(fake: &FakeApi) -> Vec<(RequestKind, Option<String>)> {
    fake.sent_with_keys()
        .into_iter()
        .map(|(r, k)| (r.kind(), k))
        .collect()
}

const READS: [RequestKind; 5] = [
    RequestKind::Health,
    RequestKind::Metrics,
    RequestKind::Drift,
    RequestKind::Predictions,
    RequestKind::PipelineStatus,
];

#[test]
fn issue_13_with_a_key_every_request_carries_it_and_protected_reads_load() {
    let mut answers = Answers::full();
    answers.protect_reads = true;
    let (mut harness, fake) = harness(answers, Some(VALID_KEY));
    open_tab(&mut harness, Tab::Drift);
    harness
        .get_by_role_and_label(Role::Button, "Run drift check")
        .click();
    harness.run();

    let sent = kinds_and_keys(&fake);
    for kind in READS.into_iter().chain([RequestKind::RunDrift]) {
        assert!(sent.iter().any(|(k, _)| *k == kind), "{kind:?} not sent");
    }
    let without: Vec<_> = sent
        .iter()
        .filter(|(_, key)| key.as_deref() != Some(VALID_KEY))
        .collect();
    assert!(without.is_empty(), "sent without the key: {without:?}");
    assert!(harness.query_by_label(AUTH_BANNER_TITLE).is_none());
    assert!(harness.state().state.auth_refused.is_empty());
    harness.get_by_label("0.3187");
    open_tab(&mut harness, Tab::Overview);
    harness.get_by_label(&format!("Model {}", fixtures::MODEL));
}

#[test]
fn issue_13_protected_reads_without_a_key_show_how_to_set_it_until_it_is_typed() {
    let mut answers = Answers::full();
    answers.protect_reads = true;
    let (mut harness, fake) = harness(answers, None);

    // Every read but /health is refused (401): the banner says so on every tab, with
    // where the key comes from.
    assert!(kinds_and_keys(&fake).iter().all(|(_, key)| key.is_none()));
    for tab in Tab::ALL {
        open_tab(&mut harness, tab);
        harness.get_by_label(AUTH_BANNER_TITLE);
    }
    harness.get_by_label_contains(
        "The dashboard has no key, and the server asks for one. \
         /monitoring/metrics answered 401: missing X-API-Key header",
    );
    harness.get_by_label_contains(SET_KEY_HINT);
    for how in [
        "--api-key",
        "SCOREWATCH_API_KEY",
        "type it in Settings",
        "data/secrets/api_key",
    ] {
        assert!(SET_KEY_HINT.contains(how), "the hint lacks `{how}`");
    }
    assert!(harness.state().state.metrics.is_none());

    // Typing the key in Settings re-reads with it once the field loses focus. (No timed
    // refresh: the cursor's blinking makes the harness run many frames, 10 s of them.)
    harness.state_mut().settings.auto_refresh = false;
    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.run();
    let sent_before = fake.sent().len();
    let field = harness
        .query_all_by_label("API key")
        .find(|node| node.accesskit_node().role() != Role::Label)
        .expect("the API key field");
    field.click();
    harness.run();
    harness
        .query_all_by_label("API key")
        .find(|node| node.accesskit_node().role() != Role::Label)
        .expect("the API key field")
        .type_text(VALID_KEY);
    harness.run();
    assert_eq!(
        fake.sent().len(),
        sent_before,
        "no request while the key is being typed: {:?}",
        kinds_and_keys(&fake).split_off(sent_before)
    );
    harness.get_by_label("typed in Settings");
    harness
        .get_by_role_and_label(Role::Button, "Overview")
        .click();
    harness.run();

    let retried: Vec<_> = kinds_and_keys(&fake).split_off(sent_before);
    for kind in READS {
        assert!(
            retried.contains(&(kind, Some(VALID_KEY.to_owned()))),
            "{kind:?} not re-read with the key: {retried:?}"
        );
    }
    assert!(harness.query_by_label(AUTH_BANNER_TITLE).is_none());
    harness.get_by_label(&format!("Model {}", fixtures::MODEL));
}
