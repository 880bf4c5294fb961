use reqwest::StatusCode;
use scorewatch_core::views::RunAccepted;
use scorewatch_core::{PRODUCTION_SOURCE, PipelineState, PipelineStatus, RunOutcome};
use serde_json::{Value, json};

use crate::helpers::{TRAINING_ROWS, TestApp, expect_error, spawn_app, spawn_with};

#[tokio::test]
async fn a_run_trains_publishes_and_serves_a_model() {
    let app = spawn_app().await;
    app.upload_training_set("applications.csv", TRAINING_ROWS, 7)
        .await;

    let response = app.post("/monitoring/run-pipeline").send().await.unwrap();

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: RunAccepted = response.json().await.unwrap();
    assert_eq!(accepted.status_url, "/monitoring/pipeline-status");
    let status = app.wait_for_pipeline().await;
    let PipelineState::Succeeded {
        run_id,
        model_version,
        ..
    } = &status.state
    else {
        panic!("{status:?}");
    };
    assert_eq!(run_id, &accepted.run_id);
    let run = status.runs.last().unwrap();
    assert_eq!(run.outcome, RunOutcome::Promoted);
    assert_eq!(run.data[0].name, "applications.csv");
    assert_eq!(run.data[0].rows, TRAINING_ROWS as u64);
    assert!(run.stage_seconds.len() >= 5);
    let health = app.get_json("/health").await;
    assert_eq!(health["model_version"], model_version.as_str());
    let stored = app.current_model().await;
    assert_eq!(&stored.version, model_version);
    assert!(stored.profile.is_some());
    app.stop().await;
}

#[tokio::test]
async fn a_second_run_while_one_runs_is_409_and_cancel_stops_it() {
    let app = spawn_app().await;
    // Big enough that the first run is still going when the second request lands.
    app.upload_training_set("applications.csv", 60_000, 7).await;

    let first = app.post("/monitoring/run-pipeline").send().await.unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let second = app.post("/monitoring/run-pipeline").send().await.unwrap();
    expect_error(second, 409, "pipeline_running").await;
    let cancel = app
        .post("/monitoring/pipeline/cancel")
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), StatusCode::ACCEPTED);

    let status = app.wait_for_pipeline().await;
    assert!(
        matches!(status.state, PipelineState::Cancelled { .. }),
        "{:?}",
        status.state
    );
    assert_eq!(status.runs.last().unwrap().outcome, RunOutcome::Cancelled);
    app.stop().await;
}

/// Starts a run with `body` and returns the rows of production data it trained on.
async fn production_rows_of_run(app: &TestApp, body: &Value) -> Option<u64> {
    let response = app.post_json("/monitoring/run-pipeline", body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let status: PipelineStatus = app.wait_for_pipeline().await;
    let run = status.runs.last().expect("a finished run");
    assert_ne!(run.outcome, RunOutcome::Failed, "{run:?}");
    run.data
        .iter()
        .find(|source| source.name == PRODUCTION_SOURCE)
        .map(|source| source.rows)
}

#[tokio::test]
async fn min_production_rows_comes_from_serve_and_the_body_overrides_it() {
    // Arrange: a server that needs 10 labelled rows (not 1,000), and 30 of them.
    let dir = tempfile::tempdir().expect("temp dir");
    let app = spawn_with(dir, |config| config.min_production_rows = 10).await;
    app.train().await;
    let ids = app.predict_n(30).await;
    let outcomes: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"prediction_id": id, "actual": i % 2}))
        .collect();
    let response = app
        .post_json("/monitoring/outcomes", &json!({ "outcomes": outcomes }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // Act / Assert: the serve option lets the 30 rows in...
    assert_eq!(production_rows_of_run(&app, &json!({})).await, Some(30));
    // ...the body's minimum keeps them out of this run only...
    let body = json!({ "min_production_rows": 31 });
    assert_eq!(production_rows_of_run(&app, &body).await, None);
    // ...and a body minimum below the server's lets them in.
    let dir = app.stop().await;
    let app = spawn_with(dir, |_| {}).await;
    assert_eq!(production_rows_of_run(&app, &json!({})).await, None);
    let body = json!({ "min_production_rows": 30 });
    assert_eq!(production_rows_of_run(&app, &body).await, Some(30));
    app.stop().await;
}

#[tokio::test]
async fn a_bad_min_production_rows_is_422_naming_the_field() {
    let app = spawn_app().await;
    for bad in [json!(-1), json!(2.5), json!("10"), json!(1e30)] {
        let response = app
            .post_json(
                "/monitoring/run-pipeline",
                &json!({ "min_production_rows": bad }),
            )
            .await;

        let body = expect_error(response, 422, "invalid_fields").await;
        assert_eq!(body.error.details.len(), 1, "{bad}: {body:?}");
        assert_eq!(body.error.details[0].field, "min_production_rows", "{bad}");
        assert!(
            body.error.details[0].problem.contains("0 or more"),
            "{bad}: {body:?}"
        );
    }
    app.stop().await;
}
