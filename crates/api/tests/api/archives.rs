//! Late outcomes for predictions whose log was archived when a model with another
//! feature set took over, before and after a restart; and rejected candidates' metrics.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use scorewatch_core::views::{OutcomeStatus, OutcomesResponse};
use scorewatch_core::{
    CURRENT_FILE, MetricSource, MetricsEntry, PipelineState, RunOutcome, Scenario, write_sample_csv,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, applications, expect_error, spawn_with};

/// The feature the second model is trained without.
const DROPPED: &str = "loan_purpose";

/// The sample training set without [`DROPPED`], as `data/training/narrow.csv`.
fn write_narrow_training_file(dir: &Path) {
    let mut bytes = Vec::new();
    write_sample_csv(&mut bytes, 2000, 7, Scenario::Baseline).expect("test setup");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers = reader.headers().expect("test setup").clone();
    let keep: Vec<usize> = (0..headers.len())
        .filter(|&i| &headers[i] != DROPPED)
        .collect();
    let mut writer = csv::Writer::from_path(dir.join("training/narrow.csv")).expect("test setup");
    writer
        .write_record(keep.iter().map(|&i| &headers[i]))
        .expect("test setup");
    for row in reader.records() {
        let row = row.expect("test setup");
        writer
            .write_record(keep.iter().map(|&i| &row[i]))
            .expect("test setup");
    }
    writer.flush().expect("test setup");
}

/// Runs the pipeline with `body` and returns the run's outcome and model version.
async fn run_pipeline(app: &TestApp, body: &Value) -> (RunOutcome, String) {
    let response = app.post_json("/monitoring/run-pipeline", body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let status = app.wait_for_pipeline().await;
    assert!(
        matches!(status.state, PipelineState::Succeeded { .. }),
        "{status:?}"
    );
    let run = status.runs.last().expect("test setup");
    (run.outcome, run.model_version.clone().expect("test setup"))
}

/// Predicts `n` applications without [`DROPPED`] (the narrow model's features).
async fn predict_narrow(app: &TestApp, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for mut instance in applications(n, 13) {
        instance.remove(DROPPED);
        let response = app
            .post_json("/predict", &json!({ "features": instance }))
            .await;
        let status = response.status();
        let body: Value = response.json().await.expect("test setup");
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.push(
            body["prediction_id"]
                .as_str()
                .expect("test setup")
                .to_owned(),
        );
    }
    ids
}

fn archive_count(dir: &Path) -> usize {
    scorewatch_core::list_prediction_archives(&dir.join("monitoring/predictions_log.csv"))
        .expect("test setup")
        .len()
}

async fn post_outcome(app: &TestApp, id: &str, actual: u8) -> reqwest::Response {
    app.post_json(
        "/monitoring/outcomes",
        &json!({"prediction_id": id, "actual": actual}),
    )
    .await
}

/// Model A predicts; model B, without one of A's features, is promoted and predicts, so
/// A's rows move to an archive. Returns A's version and ids, and B's ids.
async fn switch_feature_sets(app: &TestApp) -> (String, Vec<String>, Vec<String>) {
    app.train().await;
    let version_a = app.get_json("/health").await["model_version"]
        .as_str()
        .expect("test setup")
        .to_owned();
    let ids_a = app.predict_n(6).await;
    write_narrow_training_file(app.path());
    let (outcome, version_b) =
        run_pipeline(app, &json!({"training_file": "narrow.csv", "force": true})).await;
    assert_eq!(outcome, RunOutcome::Promoted);
    assert_ne!(version_b, version_a);
    assert_eq!(
        archive_count(app.path()),
        0,
        "the switch waits for B's rows"
    );
    let ids_b = predict_narrow(app, 2).await;
    assert_eq!(archive_count(app.path()), 1, "A's log was archived");
    (version_a, ids_a, ids_b)
}

#[tokio::test]
async fn late_outcomes_for_archived_predictions_are_accepted_once_before_and_after_a_restart() {
    if !crate::database::file_backend_only(
        "archives::late_outcomes_for_archived_predictions_are_accepted_once_before_and_after_a_restart",
    ) {
        return;
    }
    let app = spawn_with(tempfile::tempdir().unwrap(), |_| {}).await;
    let (_, ids_a, ids_b) = switch_feature_sets(&app).await;

    // The running server that made the switch still knows A's ids.
    assert_eq!(post_outcome(&app, &ids_a[0], 1).await.status(), 200);
    expect_error(
        post_outcome(&app, &ids_a[0], 0).await,
        409,
        "duplicate_outcome",
    )
    .await;
    // A server-made id of now that was never served (an older one would be outside the
    // outcome horizon: 422, tests/api/retention.rs).
    let never_served = uuid::Uuid::now_v7().to_string();
    expect_error(post_outcome(&app, &never_served, 1).await, 404, "not_found").await;
    assert_eq!(post_outcome(&app, &ids_b[0], 0).await.status(), 200);
    // GET /monitoring/predictions reads the current log only: B's rows.
    let page = app.get_json("/monitoring/predictions").await;
    let listed: Vec<&str> = page["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["prediction_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids_b[1].as_str(), ids_b[0].as_str()]);
    let dir = app.stop().await;

    // After a restart the index is rebuilt from the archive as well.
    let app = spawn_with(dir, |_| {}).await;
    expect_error(
        post_outcome(&app, &ids_a[0], 1).await,
        409,
        "duplicate_outcome",
    )
    .await;
    expect_error(
        post_outcome(&app, &ids_b[0], 1).await,
        409,
        "duplicate_outcome",
    )
    .await;
    assert_eq!(post_outcome(&app, &ids_a[1], 0).await.status(), 200);
    expect_error(
        post_outcome(&app, &ids_a[1], 0).await,
        409,
        "duplicate_outcome",
    )
    .await;
    expect_error(
        post_outcome(&app, "never-predicted", 1).await,
        404,
        "not_found",
    )
    .await;
    let batch = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"outcomes": [
                {"prediction_id": ids_a[2], "actual": 1},
                {"prediction_id": ids_a[1], "actual": 1},
                {"prediction_id": ids_b[1], "actual": 1},
                {"prediction_id": "never-predicted", "actual": 0},
            ]}),
        )
        .await;
    assert_eq!(batch.status(), StatusCode::OK);
    let batch: OutcomesResponse = batch.json().await.unwrap();
    let statuses: Vec<_> = batch.results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            OutcomeStatus::Accepted,
            OutcomeStatus::Duplicate,
            OutcomeStatus::Accepted,
            OutcomeStatus::UnknownId,
        ]
    );
    // Each accepted outcome is in the log exactly once.
    let log = std::fs::read_to_string(app.path().join("monitoring/outcomes_log.csv")).unwrap();
    for id in [&ids_a[0], &ids_a[1], &ids_a[2], &ids_b[0], &ids_b[1]] {
        assert_eq!(log.matches(id.as_str()).count(), 1, "{id}:\n{log}");
    }
    app.stop().await;
}

#[tokio::test]
async fn production_metrics_of_a_model_served_again_join_its_archived_predictions() {
    if !crate::database::file_backend_only(
        "archives::production_metrics_of_a_model_served_again_join_its_archived_predictions",
    ) {
        return;
    }
    let app = spawn_with(tempfile::tempdir().unwrap(), |_| {}).await;
    let (version_a, ids_a, _) = switch_feature_sets(&app).await;
    let dir = app.stop().await;
    // The operator points the registry back at A by hand: A serves again, and its rows
    // are all in the archive (the current log holds B's feature set).
    std::fs::write(
        dir.path().join("models").join(CURRENT_FILE),
        format!("{version_a}\n"),
    )
    .unwrap();

    let app = spawn_with(dir, |c| c.metrics_every = 4).await;
    assert_eq!(app.get_json("/health").await["model_version"], version_a);
    let outcomes: Vec<Value> = ids_a[..4]
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"prediction_id": id, "actual": u8::from(i % 2 == 0)}))
        .collect();
    let response = app
        .post_json("/monitoring/outcomes", &json!({ "outcomes": outcomes }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let mut production = Value::Null;
    for _ in 0..200 {
        production = app.get_json("/monitoring/metrics").await["production"].clone();
        if !production.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let production: MetricsEntry = serde_json::from_value(production).expect("production");
    assert_eq!(production.source, MetricSource::Production);
    assert_eq!(
        production.model_version.as_deref(),
        Some(version_a.as_str())
    );
    assert_eq!(production.rows, Some(4), "the four labelled archived rows");
    app.stop().await;
}

#[tokio::test]
async fn a_rejected_candidates_metrics_are_marked_and_never_shown_as_the_served_models() {
    if !crate::database::file_backend_only(
        "archives::a_rejected_candidates_metrics_are_marked_and_never_shown_as_the_served_models",
    ) {
        return;
    }
    let app = spawn_with(tempfile::tempdir().unwrap(), |_| {}).await;
    app.train().await;
    let served = app.get_json("/health").await["model_version"]
        .as_str()
        .unwrap()
        .to_owned();
    // Labels that do not depend on the one feature: a much worse model.
    let noise: String = std::iter::once("x,default\n".to_owned())
        .chain((0..400_u32).map(|i| format!("{},{}\n", i % 7, (i * 7919 % 11) % 2)))
        .collect();
    std::fs::write(app.path().join("training/noise.csv"), noise).unwrap();

    let (outcome, candidate) = run_pipeline(&app, &json!({"training_file": "noise.csv"})).await;

    assert_eq!(outcome, RunOutcome::Rejected);
    let view = app.get_json("/monitoring/metrics").await;
    assert_eq!(view["model"]["version"], served.as_str());
    for source in ["training", "validation"] {
        assert_eq!(view[source]["model_version"], served.as_str(), "{source}");
        assert!(view[source].get("rejected_candidate").is_none(), "{source}");
    }
    // The history keeps the candidate's entries, newest first and marked.
    let history: Vec<MetricsEntry> = serde_json::from_value(view["history"].clone()).unwrap();
    assert_eq!(history.len(), 4);
    for entry in &history[..2] {
        assert_eq!(entry.model_version.as_deref(), Some(candidate.as_str()));
        assert!(entry.rejected_candidate);
    }
    for entry in &history[2..] {
        assert_eq!(entry.model_version.as_deref(), Some(served.as_str()));
        assert!(!entry.rejected_candidate);
    }
    // Prometheus reports the served model's validation AUC, not the candidate's.
    let text = app
        .get("/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let auc_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("scorewatch_model_auc{"))
        .collect();
    assert_eq!(auc_lines.len(), 1, "{auc_lines:?}");
    assert!(auc_lines[0].contains(&served), "{auc_lines:?}");
    app.stop().await;
}
