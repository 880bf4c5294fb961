use reqwest::StatusCode;
use scorewatch_core::views::{OutcomeStatus, OutcomesResponse};
use scorewatch_core::{MetricSource, MetricsEntry};
use serde_json::json;

use crate::helpers::{expect_error, spawn_with};

#[tokio::test]
async fn outcomes_are_recorded_once_and_flow_into_production_metrics() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.metrics_every = 4).await;
    app.train().await;
    let ids = app.predict_n(6).await;

    let single = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"prediction_id": ids[0], "actual": 1}),
        )
        .await;
    assert_eq!(single.status(), StatusCode::OK);
    let again = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"prediction_id": ids[0], "actual": 0}),
        )
        .await;
    expect_error(again, 409, "duplicate_outcome").await;
    let batch = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"outcomes": [
                {"prediction_id": ids[1], "actual": 0},
                {"prediction_id": ids[2], "actual": 1},
                {"prediction_id": ids[3], "actual": 0},
                {"prediction_id": "nope", "actual": 1},
                {"prediction_id": ids[0], "actual": 1},
            ]}),
        )
        .await;

    assert_eq!(batch.status(), StatusCode::OK);
    let batch: OutcomesResponse = batch.json().await.unwrap();
    assert_eq!(batch.accepted, 3);
    let statuses: Vec<_> = batch.results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            OutcomeStatus::Accepted,
            OutcomeStatus::Accepted,
            OutcomeStatus::Accepted,
            OutcomeStatus::UnknownId,
            OutcomeStatus::Duplicate
        ]
    );
    if let Some(log) = app.stored_file("monitoring/outcomes_log.csv") {
        assert_eq!(log.lines().count(), 5, "header + 4 outcomes:\n{log}");
    }

    // The fourth outcome triggered production metrics in the background.
    let mut production = None;
    for _ in 0..200 {
        let view = app.get_json("/monitoring/metrics").await;
        if !view["production"].is_null() {
            production = Some(view["production"].clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let production: MetricsEntry =
        serde_json::from_value(production.expect("production metrics")).unwrap();
    assert_eq!(production.source, MetricSource::Production);
    assert_eq!(production.rows, Some(4));
    assert!(production.metrics.contains_key("accuracy"));
    if let Some(stored) = app.stored_file("monitoring/model_metrics.json") {
        assert!(stored.contains("\"production\""));
    }
    app.stop().await;
}
