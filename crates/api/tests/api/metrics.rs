use reqwest::StatusCode;
use scorewatch_core::MetricSource;
use scorewatch_core::views::MetricsView;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn training_and_manual_metrics_show_in_the_view() {
    let app = spawn_app().await;
    app.train().await;

    let posted = app
        .post_json(
            "/monitoring/metrics",
            &json!({"accuracy": 0.95, "precision": 0.82}),
        )
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let view: MetricsView =
        serde_json::from_value(app.get_json("/monitoring/metrics").await).unwrap();

    let model = view.model.expect("model");
    assert_eq!(model.features.len(), 12);
    let training = view.training.expect("training metrics");
    assert_eq!(
        training.model_version.as_deref(),
        Some(model.version.as_str())
    );
    assert!(view.validation.expect("validation").metrics["roc_auc"] > 0.6);
    assert_eq!(view.history_total, 3);
    let newest = &view.history[0];
    assert_eq!(newest.source, MetricSource::Manual);
    assert!((newest.metrics["accuracy"] - 0.95).abs() < f64::EPSILON);
    assert!(newest.posted_by.as_deref().unwrap().starts_with("key-"));

    let page: MetricsView =
        serde_json::from_value(app.get_json("/monitoring/metrics?limit=1&offset=1").await).unwrap();
    assert_eq!(page.history.len(), 1);
    assert_ne!(page.history[0].source, MetricSource::Manual);
    app.stop().await;
}
