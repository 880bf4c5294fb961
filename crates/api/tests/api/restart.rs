use serde_json::json;

use crate::helpers::{expect_error, spawn_with};

#[tokio::test]
async fn a_restart_keeps_the_model_predictions_and_outcome_index() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |_| {}).await;
    app.train().await;
    let ids = app.predict_n(3).await;
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"prediction_id": ids[0], "actual": 1}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let version = app.get_json("/health").await["model_version"].clone();
    let dir = app.stop().await;

    let app = spawn_with(dir, |_| {}).await;

    assert_eq!(app.get_json("/health").await["model_version"], version);
    let page = app.get_json("/monitoring/predictions").await;
    assert_eq!(page["predictions"].as_array().unwrap().len(), 3);
    let again = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"prediction_id": ids[0], "actual": 1}),
        )
        .await;
    expect_error(again, 409, "duplicate_outcome").await;
    let fresh = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"prediction_id": ids[1], "actual": 0}),
        )
        .await;
    assert_eq!(fresh.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_run_interrupted_by_a_crash_is_marked_failed() {
    if !crate::database::file_backend_only("restart::a_run_interrupted_by_a_crash_is_marked_failed")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let status_path = dir.path().join("monitoring/pipeline_status.json");
    std::fs::create_dir_all(status_path.parent().unwrap()).unwrap();
    std::fs::write(
        &status_path,
        r#"{"schema_version":1,"state":"running","run_id":"r1","stage":"training","progress":0.4,"started_at":"2025-01-01T00:00:00Z","runs":[]}"#,
    )
    .unwrap();

    let app = spawn_with(dir, |_| {}).await;

    let status = app.get_json("/monitoring/pipeline-status").await;
    assert_eq!(status["state"], "failed");
    assert_eq!(status["error"], "interrupted");
    assert_eq!(status["runs"][0]["run_id"], "r1");
    app.stop().await;
}
