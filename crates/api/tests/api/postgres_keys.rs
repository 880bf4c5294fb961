//! API keys kept in the database (`scorewatch keys add|list|revoke`): a key added with
//! the real binary works on a server that has no other key, a revoked one is refused
//! after the refresh, `list` never shows a key, and a server with a database but no key
//! anywhere refuses to start without generating a key file. `/health` names the backend
//! and the replica.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::database::{SERVER_ENV, TestDb};
use crate::helpers::{TestApp, expect_error, spawn_with};

/// How often the test servers read the database's keys (the default is 5 s).
const REFRESH: Duration = Duration::from_millis(100);
/// How long a key change may take to reach a server in these tests: many refreshes.
const PROPAGATION_LIMIT: Duration = Duration::from_secs(20);

/// `--database-url` as a user writes it, with the password, for the test's database.
fn url_with_password(db: &TestDb) -> String {
    let server = std::env::var(SERVER_ENV).expect("server URL");
    let (server, _database) = server.rsplit_once('/').expect("a database in the URL");
    format!("{server}/{}", db.url.database())
}

fn scorewatch(data_dir: &std::path::Path, url: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scorewatch"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("SCOREWATCH_API_KEYS")
        .env_remove("SCOREWATCH_DATABASE_URL")
        .env_remove("DATABASE_URL");
    if let Some(url) = url {
        command.args(["--database-url", url]);
    }
    command.args(args).output().expect("scorewatch runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

/// Runs `keys add` and returns (id, key) from what it prints.
fn add_key(data_dir: &std::path::Path, url: &str, name: &str) -> (String, String) {
    let printed = stdout(&scorewatch(
        data_dir,
        Some(url),
        &["keys", "add", "--name", name],
    ));
    let lines: Vec<&str> = printed.lines().collect();
    let id = lines[0]
        .strip_prefix("added key ")
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the id")
        .to_owned();
    let key_line = lines
        .iter()
        .position(|line| line.starts_with("key (shown once"))
        .expect("the key's heading");
    let key = lines[key_line + 1].trim().to_owned();
    assert_eq!(key.len(), 64, "{printed}");
    (id, key)
}

/// A server on `db` with no configured key: only the database's keys work.
async fn spawn_without_keys(db: &TestDb) -> TestApp {
    let url = db.url.clone();
    spawn_with(tempfile::tempdir().expect("temp dir"), move |config| {
        config.database_url = Some(url);
        config.api_keys = Vec::new();
        config.key_refresh = REFRESH;
        config.drift_every = 0;
        config.metrics_every = 0;
        "replica-a".clone_into(&mut config.replica_name);
    })
    .await
}

/// `POST /predict` with `key`: past the key check it answers 503 `not_ready` (no model).
async fn predict_with(app: &TestApp, key: &str) -> reqwest::Response {
    app.client
        .post(app.url("/predict"))
        .header("X-API-Key", key)
        .json(&json!({"features": {"age": 30}}))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn a_key_added_with_the_cli_works_until_it_is_revoked() {
    let Some(db) = TestDb::new("a_key_added_with_the_cli_works_until_it_is_revoked") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = url_with_password(&db);
    let (id, key) = add_key(dir.path(), &url, "ci deploy");
    let (_, other) = add_key(dir.path(), &url, "alice");

    let listed = stdout(&scorewatch(dir.path(), Some(&url), &["keys", "list"]));
    assert!(listed.contains(&id), "{listed}");
    assert!(listed.contains("\"ci deploy\""), "{listed}");
    assert!(
        !listed.contains(&key) && !listed.contains(&other),
        "{listed}"
    );

    let app = spawn_without_keys(&db).await;
    expect_error(predict_with(&app, &key).await, 503, "not_ready").await;
    expect_error(
        predict_with(&app, "not-a-key").await,
        403,
        "invalid_api_key",
    )
    .await;
    // No key file: the database's keys are the replica's keys.
    assert!(!app.path().join("secrets").exists());

    let revoked = stdout(&scorewatch(
        dir.path(),
        Some(&url),
        &["keys", "revoke", &id],
    ));
    assert!(
        revoked.starts_with(&format!("revoked key {id}")),
        "{revoked}"
    );
    let started = Instant::now();
    loop {
        let response = predict_with(&app, &key).await;
        if response.status() == StatusCode::FORBIDDEN {
            break;
        }
        assert!(
            started.elapsed() < PROPAGATION_LIMIT,
            "the revoked key still works: {}",
            response.status()
        );
        tokio::time::sleep(REFRESH).await;
    }
    // The other key is untouched, and `list` shows the revocation.
    expect_error(predict_with(&app, &other).await, 503, "not_ready").await;
    let listed = stdout(&scorewatch(dir.path(), Some(&url), &["keys", "list"]));
    let line = listed.lines().find(|l| l.starts_with(&id)).expect("listed");
    assert!(!line.trim_end().ends_with('-'), "{line}");
    app.stop().await;
}

#[tokio::test]
async fn a_key_added_while_serving_works_after_the_refresh_and_health_names_the_replica() {
    let Some(db) = TestDb::new(
        "a_key_added_while_serving_works_after_the_refresh_and_health_names_the_replica",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = url_with_password(&db);
    let _first = add_key(dir.path(), &url, "first");
    let app = spawn_without_keys(&db).await;
    let (_, key) = add_key(dir.path(), &url, "added later");
    let started = Instant::now();
    while predict_with(&app, &key).await.status() == StatusCode::FORBIDDEN {
        assert!(
            started.elapsed() < PROPAGATION_LIMIT,
            "the new key never worked"
        );
        tokio::time::sleep(REFRESH).await;
    }
    let health = app.get_json("/health").await;
    assert_eq!(health["backend"], "postgres");
    assert_eq!(health["replica"], "replica-a");
    assert_eq!(health["status"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn serve_with_a_database_and_no_key_anywhere_refuses_and_writes_no_key_file() {
    let Some(db) =
        TestDb::new("serve_with_a_database_and_no_key_anywhere_refuses_and_writes_no_key_file")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = scorewatch_api::config::Config::new(dir.path().to_path_buf());
    config.port = 0;
    config.database_url = Some(db.url.clone());
    let err = scorewatch_api::startup::Application::build(config).expect_err("no keys");
    let text = format!("{err:#}");
    assert!(text.contains("keys add --name"), "{text}");
    assert!(!dir.path().join("secrets").exists());
}

#[test]
fn keys_without_a_database_say_where_file_keys_come_from() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = scorewatch(dir.path(), None, &["keys", "list"]);
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("--database-url"), "{err}");
    assert!(err.contains("SCOREWATCH_API_KEYS"), "{err}");
}

#[test]
fn revoking_an_unknown_or_malformed_id_is_an_error_naming_it() {
    let Some(db) = TestDb::new("revoking_an_unknown_or_malformed_id_is_an_error_naming_it") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = url_with_password(&db);
    let output = scorewatch(dir.path(), Some(&url), &["keys", "revoke", "nope"]);
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("\"nope\" is not a key id"), "{err}");
    let unknown = "0190f1d6-9c7e-7cc3-8c1a-2f4a6f0d1e22";
    let output = scorewatch(dir.path(), Some(&url), &["keys", "revoke", unknown]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains(&format!("no key {unknown}")), "{err}");
    let password = crate::database::server_password();
    assert!(!err.contains(&password), "{err}");
}
