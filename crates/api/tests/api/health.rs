use reqwest::StatusCode;
use scorewatch_core::views::Health;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_ok_without_a_model() {
    let app = spawn_app().await;

    let response = app.get("/health").send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    // Healthy bodies are what they were before `storage` existed.
    assert!(body.get("storage").is_none(), "{body}");
    let health: Health = serde_json::from_value(body).unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(health.model_version, None);
    assert!(health.uptime_seconds >= 0.0);
    assert!(health.resident_memory_bytes.unwrap_or(1) > 0);
    app.stop().await;
}

#[tokio::test]
async fn prometheus_metrics_count_requests_per_route() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.get("/health").send().await.unwrap();
    }

    let response = app.get("/metrics").send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            "scorewatch_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 3"
        ),
        "{text}"
    );
    assert!(text.contains("scorewatch_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\",status=\"200\",le=\"+Inf\"} 3"));
    assert!(text.contains("scorewatch_predictions_total 0"));
    assert!(text.contains("scorewatch_pipeline_state{state=\"idle\"} 1"));
    assert!(text.contains("scorewatch_model_loaded 0"));
    app.stop().await;
}

#[tokio::test]
async fn swagger_ui_is_served() {
    let app = spawn_app().await;

    let response = app.get("/docs/").send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("swagger"));
    app.stop().await;
}
