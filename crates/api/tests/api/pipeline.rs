use reqwest::StatusCode;
use scorewatch_core::views::RunAccepted;
use scorewatch_core::{PipelineState, RunOutcome};

use crate::helpers::{TRAINING_ROWS, expect_error, spawn_app, write_training_file};

#[tokio::test]
async fn a_run_trains_publishes_and_serves_a_model() {
    let app = spawn_app().await;
    write_training_file(app.path(), TRAINING_ROWS, 7);

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
    assert!(
        app.path()
            .join("models")
            .join(model_version)
            .join("reference_profile.json")
            .is_file()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_second_run_while_one_runs_is_409_and_cancel_stops_it() {
    let app = spawn_app().await;
    // Big enough that the first run is still going when the second request lands.
    write_training_file(app.path(), 60_000, 7);

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
