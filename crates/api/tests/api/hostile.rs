//! Hostile input beyond `errors.rs` (issue #8): a 10 MB body, deep nesting, `NaN` and
//! `Infinity` literals, numbers out of range, a batch over the limit, unicode and very
//! long field names, missing and wrong keys. Each gets its 4xx with an `ErrorBody`, and
//! the data directory stays byte-identical.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{applications, expect_error, snapshot, spawn_app};

/// Sends a raw JSON body to `/predict` with the valid key.
async fn raw(app: &crate::helpers::TestApp, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.post("/predict")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn hostile_bodies_get_their_4xx_and_change_nothing() {
    let app = spawn_app().await;
    app.train().await;
    let before = snapshot(app.path());
    let good = applications(1, 5).remove(0);

    // 10 MB body, over the default 1 MiB limit.
    let huge = format!(
        "{{\"features\": {{\"note\": \"{}\"}}}}",
        "x".repeat(10 << 20)
    );
    expect_error(raw(&app, huge).await, 413, "payload_too_large").await;

    // Nesting far past serde_json's recursion limit: an error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    expect_error(raw(&app, deep).await, 400, "malformed_json").await;

    // NaN / Infinity are not JSON; 1e999 does not fit an f64.
    for literal in ["NaN", "Infinity", "-Infinity", "1e999"] {
        let body = serde_json::to_string(&json!({"features": good}))
            .unwrap()
            .replacen(
                &format!("\"age\":{}", good["age"]),
                &format!("\"age\":{literal}"),
                1,
            );
        assert!(body.contains(literal), "{body}");
        expect_error(raw(&app, body).await, 400, "malformed_json").await;
    }

    // A batch over the default limit of 1000.
    let batch: Vec<Value> = (0..1001).map(|_| Value::Object(good.clone())).collect();
    let response = app
        .post_json("/predict", &json!({"instances": batch}))
        .await;
    assert!(response.status().is_client_error(), "{}", response.status());
    let status = response.status().as_u16();
    let code = response.json::<Value>().await.unwrap()["error"]["code"].clone();
    println!("batch of 1001: {status} {code}");

    // Unicode and very long field names are unknown fields, listed.
    let mut odd = good.clone();
    odd.insert("âge_ünïcødé_🚀".into(), json!(1));
    odd.insert("k".repeat(100_000), json!(1));
    let body = expect_error(
        app.post_json("/predict", &json!({"features": odd})).await,
        422,
        "invalid_fields",
    )
    .await;
    assert_eq!(
        body.error.details.len(),
        2,
        "{:?}",
        body.error.details.len()
    );

    // Wrong top-level keys.
    let body = expect_error(
        app.post_json("/predict", &json!({"feature": good})).await,
        422,
        "invalid_fields",
    )
    .await;
    assert!(!body.error.message.is_empty());

    // Missing and wrong API key.
    let response = app
        .client
        .post(app.url("/predict"))
        .json(&json!({"features": good}))
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "missing_api_key").await;
    let response = app
        .client
        .post(app.url("/predict"))
        .header("X-API-Key", "wrong-key")
        .json(&json!({"features": good}))
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "invalid_api_key").await;

    assert_eq!(
        snapshot(app.path()),
        before,
        "a rejected request changed the data dir"
    );
    app.stop().await;
}

/// Finite but huge values in two features of opposite weight used to make the linear
/// predictor inf - inf: the score must still be a probability or the input refused, never
/// a 5xx.
#[tokio::test]
async fn huge_finite_numbers_never_give_a_5xx() {
    let app = spawn_app().await;
    app.train().await;
    let mut application = applications(1, 5).remove(0);
    for (name, value) in &mut application {
        if value.is_number() {
            let sign = if name.len() % 2 == 0 { 1.0 } else { -1.0 };
            *value = json!(sign * 1.0e308);
        }
    }
    let response = app
        .post_json("/predict", &json!({"features": application}))
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(!status.is_server_error(), "{status} {body}");
    if status == StatusCode::OK {
        let score = body["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{body}");
    }
    app.stop().await;
}
