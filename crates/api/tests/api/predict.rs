use reqwest::StatusCode;
use scorewatch_core::views::{BatchPredictResponse, PredictResponse};
use serde_json::json;

use crate::helpers::{applications, spawn_app};

#[tokio::test]
async fn one_and_batch_predictions_are_logged_before_the_answer() {
    let app = spawn_app().await;
    let status = app.train().await;
    let version = match status.state {
        scorewatch_core::PipelineState::Succeeded { model_version, .. } => model_version,
        other => panic!("pipeline did not succeed: {other:?}"),
    };
    let instances = applications(3, 5);

    let one = app
        .post_json("/predict", &json!({"features": instances[0]}))
        .await;
    assert_eq!(one.status(), StatusCode::OK);
    let one: PredictResponse = one.json().await.unwrap();
    let batch = app
        .post_json(
            "/predict",
            &json!({"instances": [instances[1], instances[2]]}),
        )
        .await;
    assert_eq!(batch.status(), StatusCode::OK);
    let batch: BatchPredictResponse = batch.json().await.unwrap();

    assert_eq!(one.model_version, version);
    assert!((0.0..=1.0).contains(&one.score));
    assert_eq!(batch.predictions.len(), 2);
    if let Some(log) = app.stored_file("monitoring/predictions_log.csv") {
        assert_eq!(log.lines().count(), 4, "header + 3 rows:\n{log}");
    }
    // Read back through the API, which reads whichever backend keeps them.
    let page = app.get_json("/monitoring/predictions?limit=10").await;
    let logged: Vec<&str> = page["predictions"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|p| p["prediction_id"].as_str().expect("an id"))
        .collect();
    assert_eq!(logged.len(), 3, "{page}");
    for id in std::iter::once(&one.prediction_id)
        .chain(batch.predictions.iter().map(|p| &p.prediction_id))
    {
        assert!(logged.contains(&id.as_str()), "{id} not logged");
    }
    let metrics = app
        .get("/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("scorewatch_predictions_total 3"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_batch_over_the_limit_is_rejected() {
    let app = crate::helpers::spawn_with(tempfile::tempdir().unwrap(), |c| c.batch_limit = 2).await;
    app.train().await;
    let instances = applications(3, 5);

    let response = app
        .post_json("/predict", &json!({"instances": instances}))
        .await;

    let body = crate::helpers::expect_error(response, 422, "invalid_fields").await;
    assert!(body.error.details[0].problem.contains("batch limit of 2"));
    app.stop().await;
}
