//! `spawn_app()` and typed request helpers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use reqwest::{RequestBuilder, Response, StatusCode};
use scorewatch_api::config::{Config, Secret};
use scorewatch_api::startup::Application;
use scorewatch_core::views::ErrorBody;
use scorewatch_core::{
    DataLayout, ModelArtifact, ModelStore, PROFILE_FILE, PipelineState, PipelineStatus,
    ReferenceProfile, Scenario, StoreOptions, TrainingSetName, TrainingSets, write_sample_csv,
};
use scorewatch_postgres::PgStore;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::database::{self, TestBackend, TestDb};

#[path = "../common/applications.rs"]
mod applications;
pub use applications::applications;

/// The key every test app accepts.
pub const API_KEY: &str = "test-key-0123456789";
/// Rows of the generated training file: enough for a stable fit, small enough to be quick.
pub const TRAINING_ROWS: usize = 2000;

/// A running server and its data directory (and, on PostgreSQL, its database).
pub struct TestApp {
    pub address: String,
    pub dir: TempDir,
    pub client: reqwest::Client,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// Dropped with the app, unless `stop` keeps it for a restart on the same directory.
    database: Option<TestDb>,
}

/// Databases of stopped apps, by data directory: a test that stops an app and starts
/// another on the same directory (a restart) finds its data again, as on the file
/// backend. Those never restarted are dropped by `.ci/run` after the suite.
static STOPPED: Mutex<BTreeMap<PathBuf, TestDb>> = Mutex::new(BTreeMap::new());

/// The database an app on `dir` uses on the PostgreSQL backend: the one of an app that
/// ran on `dir` before, or a new one.
fn database_for(dir: &Path) -> Option<TestDb> {
    if database::selected() != TestBackend::Postgres {
        return None;
    }
    let kept = STOPPED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(dir);
    kept.or_else(|| {
        let db = TestDb::new("spawn_with");
        assert!(
            db.is_some(),
            "SCOREWATCH_TEST_BACKEND=postgres needs SCOREWATCH_TEST_DATABASE_URL"
        );
        db
    })
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
    let database = database_for(dir.path());
    config.database_url = database.as_ref().map(|db| db.url.clone());
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
        database,
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
        if let Some(db) = self.database {
            STOPPED
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(self.dir.path().to_path_buf(), db);
        }
        self.dir
    }

    /// Uploads the sample training set (`PUT /monitoring/training-data`, so that it lands
    /// in whichever backend the app runs on), runs the pipeline and waits for it.
    pub async fn train(&self) -> PipelineStatus {
        self.upload_training_set("applications.csv", TRAINING_ROWS, 7)
            .await;
        let response = self
            .post("/monitoring/run-pipeline")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        self.wait_for_pipeline().await
    }

    /// `relative` in a file-backed app's data directory, read; `None` on PostgreSQL,
    /// where the same data lives in tables (checked by the postgres crate's tests).
    pub fn stored_file(&self, relative: &str) -> Option<String> {
        if self.database.is_some() {
            return None;
        }
        let path = self.path().join(relative);
        Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    }

    /// The current model as the store keeps it: version, artifact and reference profile,
    /// read from the data directory or from the database (through a second store, as
    /// another replica would read it).
    pub async fn current_model(&self) -> StoredModel {
        let Some(db) = &self.database else {
            let layout = DataLayout::new(self.path());
            let models = self.path().join("models");
            let version = std::fs::read_to_string(models.join("current")).expect("current");
            let version = version.trim().to_owned();
            let dir = layout.model_dir(&version);
            let artifact =
                serde_json::from_slice(&std::fs::read(dir.join("model.json")).expect("model.json"))
                    .expect("an artifact");
            let profile = std::fs::read(dir.join(PROFILE_FILE))
                .ok()
                .map(|bytes| serde_json::from_slice(&bytes).expect("a profile"));
            return StoredModel {
                version,
                artifact,
                profile,
            };
        };
        let url = db.url.clone();
        tokio::task::spawn_blocking(move || {
            let store = PgStore::open(&url, &StoreOptions::default()).expect("store opens");
            let models = store.models();
            let version = models
                .current_version()
                .expect("read")
                .expect("a current model");
            let artifact = models.load(&version).expect("model").artifact().clone();
            let profile = models.load_profile(&version).expect("profile");
            StoredModel {
                version: version.to_string(),
                artifact,
                profile,
            }
        })
        .await
        .expect("read the database")
    }

    /// Stores a training set as is, without the upload's checks (a file someone copied
    /// into `training/`, or a row written by another tool).
    pub async fn write_raw_training_set(&self, name: &str, bytes: &[u8]) {
        let Some(db) = &self.database else {
            let training = self.path().join("training");
            std::fs::create_dir_all(&training).expect("training dir");
            std::fs::write(training.join(name), bytes).expect("training set");
            return;
        };
        let (url, name, bytes) = (db.url.clone(), name.to_owned(), bytes.to_vec());
        tokio::task::spawn_blocking(move || {
            let store = PgStore::open(&url, &StoreOptions::default()).expect("store opens");
            let name = TrainingSetName::parse(&name).expect("name");
            store.training_sets().write(&name, &bytes).expect("written");
        })
        .await
        .expect("write the database");
    }

    /// Uploads a generated training set of `rows` rows as `name`.
    pub async fn upload_training_set(&self, name: &str, rows: usize, seed: u64) {
        let mut csv = Vec::new();
        write_sample_csv(&mut csv, rows, seed, Scenario::Baseline).expect("sample");
        let response = self
            .client
            .put(self.url(&format!("/monitoring/training-data/{name}")))
            .header("X-API-Key", API_KEY)
            .header("Content-Type", "text/csv")
            .body(csv)
            .send()
            .await
            .expect("request");
        assert!(
            response.status().is_success(),
            "upload {name}: {}",
            response.status()
        );
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

/// The current model as the store keeps it.
pub struct StoredModel {
    pub version: String,
    pub artifact: ModelArtifact,
    pub profile: Option<ReferenceProfile>,
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
