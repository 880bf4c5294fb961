//! `spawn_app()` and typed request helpers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use reqwest::{RequestBuilder, Response, StatusCode};
use scorewatch_api::config::{Config, Secret};
use scorewatch_api::startup::Application;
use scorewatch_core::views::ErrorBody;
use scorewatch_core::{PipelineState, PipelineStatus, Scenario, write_sample_csv};
use serde_json::{Value, json};
use tempfile::TempDir;

#[path = "../common/applications.rs"]
mod applications;
pub use applications::applications;

/// The key every test app accepts.
pub const API_KEY: &str = "test-key-0123456789";
/// Rows of the generated training file: enough for a stable fit, small enough to be quick.
pub const TRAINING_ROWS: usize = 2000;

/// A running server and its data directory.
pub struct TestApp {
    pub address: String,
    pub dir: TempDir,
    pub client: reqwest::Client,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A server on a fresh data directory.
pub async fn spawn_app() -> TestApp {
    spawn_with(tempfile::tempdir().expect("temp dir"), |_| {}).await
}

/// A server on `dir`, with `tweak` applied to the test configuration.
pub async fn spawn_with(dir: TempDir, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::new(dir.path().to_path_buf());
    "127.0.0.1".clone_into(&mut config.host);
    config.port = 0;
    config.workers = 1;
    config.api_keys = vec![Secret::new(API_KEY)];
    config.shutdown_timeout = Duration::from_secs(5);
    tweak(&mut config);
    let app = Application::build(config).expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let task = tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        dir,
        client: reqwest::Client::new(),
        handle,
        task,
    }
}

impl TestApp {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    /// A POST with the valid key.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client
            .post(self.url(path))
            .header("X-API-Key", API_KEY)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.post(path).json(body).send().await.expect("request")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("json")
    }

    /// Stops gracefully (as SIGTERM does) and returns the data directory.
    pub async fn stop(self) -> TempDir {
        self.handle.stop(true).await;
        self.task
            .await
            .expect("server task")
            .expect("server ends cleanly");
        self.dir
    }

    /// Writes the sample training file, runs the pipeline and waits for it.
    pub async fn train(&self) -> PipelineStatus {
        write_training_file(self.path(), TRAINING_ROWS, 7);
        let response = self
            .post("/monitoring/run-pipeline")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        self.wait_for_pipeline().await
    }

    /// Polls the status until the run ends.
    pub async fn wait_for_pipeline(&self) -> PipelineStatus {
        for _ in 0..1200 {
            let status: PipelineStatus =
                serde_json::from_value(self.get_json("/monitoring/pipeline-status").await)
                    .expect("status parses");
            if !matches!(status.state, PipelineState::Running { .. }) {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("pipeline did not finish in 60 s");
    }

    /// Posts `n` generated applications one by one; returns their prediction ids.
    pub async fn predict_n(&self, n: usize) -> Vec<String> {
        let mut ids = Vec::with_capacity(n);
        for instance in applications(n, 11) {
            let response = self
                .post_json("/predict", &json!({ "features": instance }))
                .await;
            let status = response.status();
            let body: Value = response.json().await.expect("json");
            assert_eq!(status, StatusCode::OK, "{body}");
            ids.push(body["prediction_id"].as_str().expect("id").to_owned());
        }
        ids
    }
}

/// Asserts the status and the error code, and returns the body.
pub async fn expect_error(response: Response, status: u16, code: &str) -> ErrorBody {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: ErrorBody = response.json().await.expect("error body");
    assert_eq!(body.error.code, code, "{body:?}");
    body
}

pub fn write_training_file(dir: &Path, rows: usize, seed: u64) -> PathBuf {
    let path = dir.join("training").join("applications.csv");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("training dir");
    let file = std::fs::File::create(&path).expect("create training file");
    write_sample_csv(file, rows, seed, Scenario::Baseline).expect("sample written");
    path
}

/// Every file under `dir` with its bytes (the lock file excluded: it is ours while
/// running).
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(dir).expect("prefix").to_path_buf(),
                    std::fs::read(&path).expect("read file"),
                );
            }
        }
    }
    out
}

/// `promtool check metrics` on a Prometheus exposition: it must parse and pass
/// promtool's lint. Without promtool (Debian package `prometheus`) the calling test
/// `test` skips, or fails under `SCOREWATCH_TESTS_REQUIRE_ALL=1`.
pub fn promtool_check(test: &str, text: &str) {
    use std::io::Write as _;
    let Ok(mut child) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        return crate::skip::skip_or_fail(
            test,
            "promtool is not installed (apt-get install prometheus)",
        );
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let output = child.wait_with_output().expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
