use std::os::unix::fs::PermissionsExt;

use reqwest::StatusCode;
use scorewatch_api::config::Secret;
use serde_json::json;

use crate::helpers::{expect_error, snapshot, spawn_app, spawn_with};

/// Every mutating endpoint with a body that would be valid enough to reach the handler.
fn mutating() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("/predict", json!({"features": {}})),
        (
            "/monitoring/outcomes",
            json!({"prediction_id": "x", "actual": 1}),
        ),
        ("/monitoring/metrics", json!({"accuracy": 0.9})),
        ("/monitoring/drift/run", json!({})),
        ("/monitoring/run-pipeline", json!({})),
        ("/monitoring/pipeline/cancel", json!({})),
    ]
}

#[tokio::test]
async fn mutating_endpoints_need_a_valid_key_and_change_nothing_without_one() {
    let app = spawn_app().await;
    let before = snapshot(app.path());
    for (path, body) in mutating() {
        let missing = app
            .client
            .post(app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(missing.headers().contains_key("www-authenticate"), "{path}");
        expect_error(missing, 401, "missing_api_key").await;

        let wrong = app
            .client
            .post(app.url(path))
            .header("X-API-Key", "not-the-key")
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(wrong, 403, "invalid_api_key").await;
    }
    assert_eq!(snapshot(app.path()), before);
    app.stop().await;
}

#[tokio::test]
async fn reads_are_public_by_default() {
    let app = spawn_app().await;
    for path in [
        "/monitoring/metrics",
        "/monitoring/drift",
        "/monitoring/predictions",
        "/monitoring/pipeline-status",
        "/metrics",
        "/health",
    ] {
        let response = app.get(path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn protect_reads_guards_reads_but_not_health() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.protect_reads = true).await;

    let anonymous = app.get("/monitoring/metrics").send().await.unwrap();
    expect_error(anonymous, 401, "missing_api_key").await;
    let with_key = app
        .get("/monitoring/metrics")
        .header("X-API-Key", crate::helpers::API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status(), StatusCode::OK);
    let health = app.get("/health").send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn any_configured_key_is_accepted_and_recorded_by_id() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| {
        c.api_keys = vec![Secret::new("first-key"), Secret::new("second-key")];
    })
    .await;

    let response = app
        .client
        .post(app.url("/monitoring/metrics"))
        .header("X-API-Key", "second-key")
        .json(&json!({"accuracy": 0.9}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::CREATED);
    let entry: serde_json::Value = response.json().await.unwrap();
    let posted_by = entry["posted_by"].as_str().unwrap();
    assert!(posted_by.starts_with("key-"), "{posted_by}");
    if let Some(stored) = app.stored_file("monitoring/model_metrics.json") {
        assert!(stored.contains(posted_by));
        assert!(!stored.contains("second-key"));
    }
    app.stop().await;
}

#[tokio::test]
async fn without_configured_keys_a_private_key_file_is_generated() {
    if !crate::database::file_backend_only(
        "auth::without_configured_keys_a_private_key_file_is_generated",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with(dir, |c| c.api_keys.clear()).await;
    let path = app.path().join("secrets/api_key");
    let key = std::fs::read_to_string(&path).unwrap().trim().to_owned();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let response = app
        .client
        .post(app.url("/monitoring/metrics"))
        .header("X-API-Key", &key)
        .json(&json!({"accuracy": 0.9}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::CREATED);
    app.stop().await;
}
