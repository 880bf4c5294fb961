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

/// Kills the child when the test ends, passing or not.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn while_the_database_is_unreachable_health_says_why_and_writes_get_503() {
    // A port nothing listens on, found by binding and letting go (the server binds it
    // again a moment later).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    let _server = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_scorewatch"))
            .args(["--data-dir", dir.path().to_str().expect("utf-8 path")])
            // Port 1 refuses at once: every attempt fails, and serve keeps trying.
            .args([
                "--database-url",
                "postgres://scorewatch:hunter2@127.0.0.1:1/scores",
            ])
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--database-wait", "120", "--replica-name", "web-7"])
            .env("SCOREWATCH_API_KEYS", "a-key")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("scorewatch starts"),
    );
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    // Poll until an attempt has failed and /health tells it (generous: a slow machine).
    let mut body = serde_json::Value::Null;
    for _ in 0..600 {
        if let Ok(response) = client.get(url("/health")).send().await {
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()["retry-after"], "1");
            body = response.json().await.expect("json");
            if body["attempts"].as_u64().unwrap_or(0) >= 1 {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(body["status"], "starting", "{body}");
    assert_eq!(body["backend"], "postgres", "{body}");
    assert_eq!(body["replica"], "web-7", "{body}");
    let reason = body["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("postgres://scorewatch@127.0.0.1:1/scores"),
        "{reason}"
    );
    assert!(!reason.contains("hunter2"), "{reason}");

    let write = client
        .post(url("/predict"))
        .header("X-API-Key", "a-key")
        .json(&serde_json::json!({"features": {}}))
        .send()
        .await
        .expect("answered");
    assert_eq!(write.status(), StatusCode::SERVICE_UNAVAILABLE);
    let error: serde_json::Value = write.json().await.expect("json");
    assert_eq!(error["error"]["code"], "starting", "{error}");
}
