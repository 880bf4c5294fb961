//! Disk faults under the running server: a data directory on a small tmpfs this test
//! mounts, filled up, or made immutable (`chattr +i`, which stops writes even through
//! descriptors already open, and binds root too). Both need root (CI runs as root);
//! without it, or where mount / chattr are not permitted, the tests fail under
//! `SCOREWATCH_TESTS_REQUIRE_ALL=1` (CI) and are skipped with `SKIPPED <test>: <why>` on
//! stderr elsewhere (`core/tests/support/skip.rs`).
//!
//! Promises checked through HTTP: every write endpoint answers 503 `storage_unavailable`
//! naming the file, with `Retry-After`; every read answers as before; the data directory
//! is byte-identical (no partial file, nothing left in `tmp/`); `/health` says `degraded`
//! until a write succeeds; background jobs that fail leave the server up; and once the
//! fault is gone the same server takes writes again.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use scorewatch_core::views::Health;
use scorewatch_core::{DataLayout, PipelineState, PipelineStatus};
use serde_json::{Value, json};

use crate::helpers::{TestApp, applications, expect_error, snapshot, spawn_with};
use crate::skip::skip_or_fail;

/// Room for the training file, a model and the logs of the test, not much more.
const TMPFS_SIZE: &str = "size=2m";
/// Instances of the batch that must be refused whole: several pages of the log.
const BIG_BATCH: usize = 300;

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A tmpfs mounted on a temporary directory, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `Err` with the reason when this machine does not let the test mount one.
    fn mount() -> Result<Self, String> {
        if !is_root() {
            return Err("needs root to mount a tmpfs (CI runs as root)".to_owned());
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", TMPFS_SIZE, "scorewatch-api-test"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Ok(Self { dir }),
            Ok(o) => Err(format!(
                "mount -t tmpfs is not permitted here: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!("cannot run mount: {e}")),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Why the `chattr +i` tests cannot run without root.
const IMMUTABLE_NEEDS_ROOT: &str = "needs root to set the immutable attribute (CI runs as root)";

/// `chattr` with `args` on `paths`; `Err` with the reason when it is not permitted.
fn chattr(args: &[&str], paths: &[PathBuf]) -> Result<(), String> {
    let out = Command::new("chattr")
        .args(args)
        .args(paths)
        .output()
        .map_err(|e| format!("cannot run chattr: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "chattr {args:?} is not permitted here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Fills the file system holding `dir` until it refuses a single byte more.
fn fill(dir: &Path) -> PathBuf {
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).expect("filler");
    let block = vec![0u8; 4096];
    loop {
        match file.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::StorageFull => break,
            Err(e) => panic!("filling the tmpfs failed oddly: {e}"),
        }
    }
    while file.write(&[0u8]).is_ok_and(|n| n == 1) {}
    filler
}

/// Predictions made before the fault: enough ids for the outcomes that fill the last
/// page of the outcome log and for the refused ones.
const SETUP_PREDICTIONS: usize = 200;

/// A server on a data directory inside `fs`, with a trained model, 200 predictions, one
/// outcome, one drift report and one manual metrics entry; background jobs off so that
/// nothing writes behind the test's back. Returns the ids of the predictions.
async fn served_on(dir: tempfile::TempDir) -> (TestApp, Vec<String>) {
    let app = spawn_with(dir, |config| {
        config.drift_every = 0;
        config.metrics_every = 0;
    })
    .await;
    let status = app.train().await;
    assert!(
        matches!(status.state, PipelineState::Succeeded { .. }),
        "{status:?}"
    );
    let response = app
        .post_json(
            "/predict",
            &json!({"instances": applications(SETUP_PREDICTIONS, 11)}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    let ids: Vec<String> = body["predictions"]
        .as_array()
        .expect("predictions")
        .iter()
        .map(|p| p["prediction_id"].as_str().expect("id").to_owned())
        .collect();
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"prediction_id": ids[0], "actual": 1}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .post("/monitoring/drift/run")
        .send()
        .await
        .expect("drift");
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = app
        .post_json("/monitoring/metrics", &json!({"accuracy": 0.9}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    (app, ids)
}

/// What every read answers, minus what changes by itself (uptime, memory, request
/// counters, the health status, which the tests check on their own).
async fn reads(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/monitoring/predictions?limit=1000",
        "/monitoring/metrics?limit=1000",
        "/monitoring/drift?history=100",
        "/monitoring/pipeline-status",
    ] {
        out.push(app.get_json(path).await);
    }
    let health = app.get_json("/health").await;
    out.push(json!([health["version"], health["model_version"]]));
    let response = app.get("/metrics").send().await.expect("prometheus");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("text");
    let stable: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("scorewatch_")
                && !l.starts_with("scorewatch_http_")
                && !l.starts_with("scorewatch_uptime")
                && !l.starts_with("scorewatch_resident")
                // Reports the fault, as /health does (checked in `check_fault`).
                && !l.starts_with("scorewatch_storage_degraded")
        })
        .collect();
    assert!(
        stable
            .iter()
            .any(|l| l.starts_with("scorewatch_feature_psi")),
        "{text}"
    );
    out.push(json!(stable));
    out
}

async fn health(app: &TestApp) -> Health {
    let health: Health =
        serde_json::from_value(app.get_json("/health").await).expect("health parses");
    // `storage` says why exactly when the status is degraded.
    assert_eq!(
        health.storage.is_some(),
        health.status == "degraded",
        "{health:?}"
    );
    health
}

async fn health_status(app: &TestApp) -> String {
    health(app).await.status
}

/// One refused write: 503 `storage_unavailable` naming `file`, with `Retry-After`; and
/// `/health` degraded, repeating that message.
async fn expect_refused(app: &TestApp, response: reqwest::Response, file: &str, what: &str) {
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{what} was not refused"
    );
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = expect_error(response, 503, "storage_unavailable").await;
    assert!(
        body.error.message.contains(file),
        "{what}: the message does not name {file}: {}",
        body.error.message
    );
    assert_eq!(retry_after.as_deref(), Some("30"), "{what}");
    let health = health(app).await;
    assert_eq!(health.status, "degraded", "{what}");
    let storage = health.storage.expect("degraded health says why");
    // The same message, with files named relative to the data directory: /health
    // answers without a key and does not show where the data lives.
    let data_dir = format!("{}/", app.path().display());
    assert!(body.error.message.contains(&data_dir), "{what}");
    assert_eq!(
        storage.message,
        body.error.message.replace(&data_dir, ""),
        "{what}"
    );
    assert!(!storage.message.contains(&data_dir), "{what}");
    assert!(
        storage.message.contains(file),
        "{what}: {}",
        storage.message
    );
    assert!(
        storage.at > time::OffsetDateTime::now_utc() - Duration::from_mins(10),
        "{what}: refused at {}",
        storage.at
    );
}

/// Every write endpoint, on a disk that refuses writes.
async fn assert_writes_refused(app: &TestApp, ids: &[String]) {
    let instances = applications(BIG_BATCH, 23);
    let one = app
        .post_json("/predict", &json!({"features": instances[0]}))
        .await;
    expect_refused(app, one, "predictions_log.csv", "single prediction").await;
    let batch = app
        .post_json("/predict", &json!({"instances": instances}))
        .await;
    expect_refused(app, batch, "predictions_log.csv", "batch of predictions").await;

    let one = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"prediction_id": ids[1], "actual": 0}),
        )
        .await;
    expect_refused(app, one, "outcomes_log.csv", "single outcome").await;
    let batch = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"outcomes": [
                {"prediction_id": ids[2], "actual": 1},
                {"prediction_id": ids[3], "actual": 0},
            ]}),
        )
        .await;
    expect_refused(app, batch, "outcomes_log.csv", "batch of outcomes").await;

    let drift = app
        .post("/monitoring/drift/run")
        .send()
        .await
        .expect("drift");
    expect_refused(app, drift, "drift_reports.json", "drift run").await;
    let metrics = app
        .post_json("/monitoring/metrics", &json!({"accuracy": 0.8}))
        .await;
    expect_refused(app, metrics, "model_metrics.json", "manual metrics").await;
    let run = app
        .post("/monitoring/run-pipeline")
        .send()
        .await
        .expect("pipeline");
    expect_refused(app, run, "pipeline_status.json", "pipeline run").await;
}

/// The same writes once the fault is gone, on the same server: the outcomes refused
/// before were not marked as recorded.
async fn assert_writes_accepted(app: &TestApp, ids: &[String], slack: usize) {
    let instances = applications(BIG_BATCH, 23);
    let response = app
        .post_json("/predict", &json!({"instances": instances}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let health = health(app).await;
    assert_eq!(health.status, "ok");
    assert_eq!(
        health.storage, None,
        "a successful write clears the problem"
    );
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"prediction_id": ids[1], "actual": 0}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"outcomes": [
                {"prediction_id": ids[2], "actual": 1},
                {"prediction_id": ids[3], "actual": 0},
            ]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["accepted"], 2, "{body}");
    let response = app
        .post("/monitoring/drift/run")
        .send()
        .await
        .expect("drift");
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = app
        .post_json("/monitoring/metrics", &json!({"accuracy": 0.8}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let predictions = app.get_json("/monitoring/predictions?limit=1000").await;
    assert_eq!(
        predictions["predictions"].as_array().map(Vec::len),
        Some(SETUP_PREDICTIONS + BIG_BATCH + slack)
    );
}

/// A full tmpfs still takes an append that fits in the page a log already has: single
/// predictions, then single outcomes (for `spare` ids), until the first refusal, which
/// must already be the 503. Returns how many predictions fitted.
async fn use_up_slack(app: &TestApp, spare: &[String]) -> usize {
    let one = applications(1, 31);
    let mut predictions = 0;
    loop {
        let response = app
            .post_json("/predict", &json!({"features": one[0]}))
            .await;
        if response.status() != StatusCode::OK {
            expect_refused(app, response, "predictions_log.csv", "slack prediction").await;
            break;
        }
        predictions += 1;
        assert!(predictions < 100, "a full disk took 100 predictions");
    }
    let mut outcomes = 0;
    for id in spare {
        let response = app
            .post_json(
                "/monitoring/outcomes",
                &json!({"prediction_id": id, "actual": 1}),
            )
            .await;
        if response.status() != StatusCode::OK {
            expect_refused(app, response, "outcomes_log.csv", "slack outcome").await;
            println!("full disk: {outcomes} single outcomes fitted in the log's last page");
            return predictions;
        }
        outcomes += 1;
    }
    panic!("a full disk took {outcomes} outcomes");
}

/// Refused writes leave reads and files as they were, and `/health` degraded.
async fn check_fault(app: &TestApp, ids: &[String], before: &[Value]) {
    let files = snapshot(app.path());
    assert_writes_refused(app, ids).await;
    assert_eq!(health_status(app).await, "degraded");
    let metrics = app.get("/metrics").send().await.expect("prometheus");
    let metrics = metrics.text().await.expect("text");
    assert!(
        metrics.contains("\nscorewatch_storage_degraded 1\n"),
        "/metrics says the storage is degraded too: {metrics}"
    );
    assert_eq!(reads(app).await, before, "reads changed under the fault");
    assert_eq!(
        snapshot(app.path()),
        files,
        "the data directory changed under the fault"
    );
    let tmp = DataLayout::new(app.path()).tmp_dir();
    assert_eq!(
        std::fs::read_dir(&tmp).expect("tmp").count(),
        0,
        "tmp/ is not empty"
    );
}

#[tokio::test]
async fn a_full_disk_answers_every_write_with_503_and_recovers() {
    if !crate::database::file_backend_only(
        "disk_faults::a_full_disk_answers_every_write_with_503_and_recovers",
    ) {
        return;
    }
    let test = "a_full_disk_answers_every_write_with_503_and_recovers";
    let fs = match Tmpfs::mount() {
        Ok(fs) => fs,
        Err(why) => return skip_or_fail(test, &why),
    };
    let (app, ids) = served_on(tempfile::tempdir_in(fs.path()).expect("data dir")).await;
    assert_eq!(health_status(&app).await, "ok");

    let filler = fill(fs.path());
    let slack = use_up_slack(&app, &ids[10..]).await;
    println!("full disk: {slack} single predictions fitted in the log's last page");
    let before = reads(&app).await;
    check_fault(&app, &ids, &before).await;

    std::fs::remove_file(&filler).expect("free the space");
    assert_writes_accepted(&app, &ids, slack).await;
    let status = app.train().await;
    assert!(
        matches!(status.state, PipelineState::Succeeded { .. }),
        "{status:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_read_only_data_dir_answers_every_write_with_503_and_recovers() {
    let test = "a_read_only_data_dir_answers_every_write_with_503_and_recovers";
    if !crate::database::file_backend_only(test) {
        return;
    }
    if !is_root() {
        return skip_or_fail(test, IMMUTABLE_NEEDS_ROOT);
    }
    // Not on a tmpfs: tmpfs lets a descriptor opened before `chattr +i` keep writing
    // (Linux 6.18), ext4 and the like refuse it.
    let (app, ids) = served_on(tempfile::tempdir().expect("data dir")).await;
    let before = reads(&app).await;
    let monitoring = vec![DataLayout::new(app.path()).monitoring_dir()];
    if let Err(why) = chattr(&["-R", "+i"], &monitoring) {
        app.stop().await;
        return skip_or_fail(test, &why);
    }

    check_fault(&app, &ids, &before).await;

    chattr(&["-R", "-i"], &monitoring).expect("chattr -i");
    assert_writes_accepted(&app, &ids, 0).await;
    app.stop().await;
}

/// Polls `/health` until it says `want`.
async fn wait_for_health(app: &TestApp, want: &str) {
    for _ in 0..200 {
        if health_status(app).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("/health never said {want}");
}

#[tokio::test]
async fn failed_background_writes_keep_the_server_up_and_a_failed_run_says_why() {
    let test = "failed_background_writes_keep_the_server_up_and_a_failed_run_says_why";
    if !crate::database::file_backend_only(test) {
        return;
    }
    if !is_root() {
        return skip_or_fail(test, IMMUTABLE_NEEDS_ROOT);
    }
    let app = spawn_with(tempfile::tempdir().expect("data dir"), |config| {
        config.drift_every = 5;
        // Reports as soon as they are due: the test waits for the one after a failure.
        config.drift_min_interval = Duration::ZERO;
        config.metrics_every = 2;
    })
    .await;
    app.train().await;
    // The first prediction creates the log (its header is an atomic write through tmp/).
    let mut ids = app.predict_n(1).await;
    let layout = DataLayout::new(app.path());
    // Appends still work; every atomic write (drift report, metrics) cannot stage its file.
    let tmp = vec![layout.tmp_dir()];
    if let Err(why) = chattr(&["+i"], &tmp) {
        app.stop().await;
        return skip_or_fail(test, &why);
    }

    // The 5th prediction starts a background drift report, which the disk refuses.
    ids.extend(app.predict_n(4).await);
    wait_for_health(&app, "degraded").await;
    let drift = app.get_json("/monitoring/drift").await;
    assert_eq!(drift["report"], Value::Null, "{drift}");
    // 2 outcomes start background production metrics, refused too.
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({"outcomes": [
                {"prediction_id": ids[0], "actual": 1},
                {"prediction_id": ids[1], "actual": 0},
            ]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let metrics = app.get_json("/monitoring/metrics").await;
    assert_eq!(metrics["production"], Value::Null, "{metrics}");
    assert_eq!(metrics["predictions_total"], 5, "{metrics}");

    // The server is up; with tmp/ writable again the next background report lands.
    chattr(&["-i"], &tmp).expect("chattr -i");
    app.predict_n(5).await;
    for _ in 0..200 {
        if app.get_json("/monitoring/drift").await["report"] != Value::Null {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(
        app.get_json("/monitoring/drift").await["report"],
        Value::Null
    );
    wait_for_health(&app, "ok").await;

    // A run whose publishing the disk refuses ends as failed, naming the directory.
    let models = vec![layout.models_dir()];
    chattr(&["+i"], &models).expect("chattr +i models");
    let response = app
        .post_json("/monitoring/run-pipeline", &json!({"force": true}))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let status: PipelineStatus = app.wait_for_pipeline().await;
    chattr(&["-i"], &models).expect("chattr -i models");
    let PipelineState::Failed { error, .. } = &status.state else {
        panic!("the run did not fail: {status:?}");
    };
    assert!(error.contains("models"), "{error}");
    let status = app.train().await;
    assert!(
        matches!(status.state, PipelineState::Succeeded { .. }),
        "{status:?}"
    );
    app.stop().await;
}
