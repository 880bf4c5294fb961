//! The whole app driven through its accessibility tree with a fake API.

mod support;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use scorewatch_dashboard::{
    AUTH_BANNER_TITLE, ApiKey, DashboardApp, KeySource, Request, RequestKind, SET_KEY_HINT,
    STORAGE_BANNER_TITLE, Settings, StartupOptions, Tab,
};
use support::{Answers, FakeApi, VALID_KEY, fixtures};

fn harness(answers: Answers, key: Option<&str>) -> (Harness<'static, DashboardApp>, FakeApi) {
    let fake = FakeApi::new(answers);
    let client = fake.clone();
    let options = StartupOptions {
        api_url: None,
        api_key: key.and_then(ApiKey::new),
        key_source: if key.is_some() {
            KeySource::Environment
        } else {
            KeySource::None
        },
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |_cc| {
            DashboardApp::with_settings(Settings::default(), options, Box::new(client))
        });
    harness.run();
    (harness, fake)
}

fn open_tab(harness: &mut Harness<'static, DashboardApp>, tab: Tab) {
    harness
        .get_by_role_and_label(Role::Button, tab.title())
        .click();
    harness.run();
    assert_eq!(harness.state().settings.tab, tab);
}

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
    harness.get_by_label("DRIFT DETECTED");
    harness.get_by_label(&format!("Succeeded: model {}", fixtures::MODEL));
    harness.get_by_label_contains("Last updated: 20");
}

#[test]
fn metrics_tab_plots_the_chosen_metrics() {
    let (mut harness, _) = harness(Answers::full(), None);
    open_tab(&mut harness, Tab::Metrics);
    harness.get_by_label_contains("5 of 5 entries");
    let auc = harness.get_by_role_and_label(Role::CheckBox, "roc_auc");
    assert_eq!(
        auc.accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True)
    );
    harness
        .get_by_role_and_label(Role::CheckBox, "precision")
        .click();
    harness.run();
    assert!(
        harness
            .state()
            .settings
            .shown_metrics
            .contains(&"precision".to_owned())
    );
}

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
