//! Every class of bad input: the right status and code, an `ErrorBody`, and the data
//! directory byte-identical afterwards.

use serde_json::json;

use crate::helpers::{API_KEY, expect_error, snapshot, spawn_app, spawn_with};

#[tokio::test]
#[allow(clippy::too_many_lines)] // one scenario: every class against one data dir
async fn bad_requests_are_rejected_and_change_nothing() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.body_limit = 4096).await;
    app.train().await;
    let before = snapshot(app.path());

    // 400: malformed JSON, with its position.
    let response = app
        .post("/predict")
        .header("content-type", "application/json")
        .body("{\n  \"features\": {,\n}")
        .send()
        .await
        .unwrap();
    let body = expect_error(response, 400, "malformed_json").await;
    assert!(body.error.message.contains("line 2"), "{body:?}");
    assert_eq!(body.error.details[0].problem, "line 2, column 16");

    // 413: over the body limit.
    let big = json!({"features": {"x": "y".repeat(10_000)}});
    expect_error(
        app.post_json("/predict", &big).await,
        413,
        "payload_too_large",
    )
    .await;

    // 415: not JSON.
    let response = app
        .post("/monitoring/metrics")
        .header("content-type", "text/plain")
        .body("accuracy=1")
        .send()
        .await
        .unwrap();
    expect_error(response, 415, "unsupported_media_type").await;

    // 422: every invalid field at once.
    let response = app
        .post_json("/predict", &json!({"features": {"age": "old", "bogus": 1}}))
        .await;
    let body = expect_error(response, 422, "invalid_fields").await;
    let fields: Vec<_> = body
        .error
        .details
        .iter()
        .map(|d| d.field.as_str())
        .collect();
    assert!(fields.contains(&"features.age"), "{fields:?}");
    assert!(fields.contains(&"features.bogus"), "{fields:?}");
    assert!(fields.contains(&"features.monthly_income"), "{fields:?}");
    assert_eq!(
        fields.len(),
        13,
        "one wrong type, 11 missing, one unknown: {fields:?}"
    );

    // 422 in a batch names the instance; nothing of the batch is logged.
    let good = crate::helpers::applications(2, 3);
    let mut bad = good[1].clone();
    bad.insert("utilization".into(), json!("high"));
    let response = app
        .post_json("/predict", &json!({"instances": [good[0], bad]}))
        .await;
    let body = expect_error(response, 422, "invalid_fields").await;
    assert_eq!(body.error.details[0].field, "instances[1].utilization");

    // 422: a metric out of range and one not a number.
    let response = app
        .post_json(
            "/monitoring/metrics",
            &json!({"accuracy": 1.5, "custom": "x"}),
        )
        .await;
    let body = expect_error(response, 422, "invalid_fields").await;
    assert_eq!(body.error.details.len(), 2);

    // 422: a bad query parameter; 400 for one that does not parse.
    let response = app
        .get("/monitoring/predictions?limit=5000")
        .send()
        .await
        .unwrap();
    expect_error(response, 422, "invalid_fields").await;
    let response = app
        .get("/monitoring/predictions?limit=abc")
        .send()
        .await
        .unwrap();
    expect_error(response, 400, "bad_request").await;

    // 404: unknown route, unknown drift report, unknown prediction id.
    expect_error(app.get("/nope").send().await.unwrap(), 404, "not_found").await;
    let response = app
        .get("/monitoring/drift?id=missing")
        .send()
        .await
        .unwrap();
    expect_error(response, 404, "not_found").await;
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"prediction_id": "missing", "actual": 1}),
        )
        .await;
    expect_error(response, 404, "not_found").await;

    // 422: a training file that leaves data/training/.
    let response = app
        .post_json(
            "/monitoring/run-pipeline",
            &json!({"training_file": "../secrets/api_key"}),
        )
        .await;
    expect_error(response, 422, "invalid_fields").await;

    // 409: cancelling when nothing runs.
    let response = app
        .post("/monitoring/pipeline/cancel")
        .send()
        .await
        .unwrap();
    expect_error(response, 409, "pipeline_not_running").await;

    assert_eq!(
        snapshot(app.path()),
        before,
        "a rejected request changed the data dir"
    );
    app.stop().await;
}

#[tokio::test]
async fn predict_without_a_model_is_503_with_a_hint() {
    let app = spawn_app().await;
    let before = snapshot(app.path());

    let response = app
        .client
        .post(app.url("/predict"))
        .header("X-API-Key", API_KEY)
        .json(&json!({"features": {"age": 30}}))
        .send()
        .await
        .unwrap();

    let body = expect_error(response, 503, "not_ready").await;
    assert!(body.error.message.contains("run-pipeline"), "{body:?}");
    assert_eq!(snapshot(app.path()), before);
    app.stop().await;
}
