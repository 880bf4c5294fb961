//! The service on the PostgreSQL backend (`serve --database-url`), end to end: training
//! data uploaded, a model trained and promoted, predictions, an outcome and a drift
//! report, all found in the database afterwards (read through a second store, as another
//! replica would) and none in the data directory. Each test gets a database of its own on
//! the server `SCOREWATCH_TEST_DATABASE_URL` names.

use reqwest::StatusCode;
use scorewatch_core::{
    DriftReport, DriftReportStore, ModelStore, OutcomeLog, PipelineStatusStore, PredictionLog,
    PredictionQuery, RunOutcome, Scenario, StoreOptions, TrainingSetName, TrainingSets,
    write_sample_csv,
};
use scorewatch_postgres::{DatabaseUrl, PgStore};
use serde_json::{Value, json};

use crate::database::TestDb;
use crate::helpers::{TRAINING_ROWS, TestApp, spawn_with};

pub async fn spawn_on(db: &TestDb) -> TestApp {
    let url = db.url.clone();
    spawn_with(tempfile::tempdir().expect("temp dir"), move |config| {
        config.database_url = Some(url);
        config.drift_every = 0;
        config.metrics_every = 0;
    })
    .await
}

#[tokio::test]
async fn serve_on_postgres_keeps_everything_in_the_database() {
    const TEST: &str = "serve_on_postgres_keeps_everything_in_the_database";
    let Some(db) = TestDb::new(TEST) else { return };
    let app = spawn_on(&db).await;

    let health = app.get_json("/health").await;
    assert_eq!(health["backend"], "postgres", "{health}");
    assert_eq!(health["status"], "ok", "{health}");

    // Arrange: a model trained through the API from an uploaded training set.
    app.upload_training_set("applications.csv", TRAINING_ROWS, 7)
        .await;
    let response = app
        .post("/monitoring/run-pipeline")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let status = app.wait_for_pipeline().await;
    let run = status.runs.last().expect("a run");
    assert_eq!(run.outcome, RunOutcome::Promoted, "{run:?}");
    let version = run.model_version.clone().expect("a version");

    // Act: predictions, an outcome (once), a drift report.
    let ids = app.predict_n(30).await;
    let outcome = json!({"prediction_id": ids[0], "actual": 1});
    let first = app.post_json("/monitoring/outcomes", &outcome).await;
    assert_eq!(first.status(), StatusCode::OK);
    let again = app.post_json("/monitoring/outcomes", &outcome).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let response = app
        .post("/monitoring/drift/run")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);
    let report: DriftReport = response.json().await.expect("report");
    let served: Value = app.get_json("/health").await;
    assert_eq!(served["model_version"], version.as_str());
    let dir = app.stop().await;

    // Assert: another store on the database (another replica) finds all of it.
    let pg = tokio::task::spawn_blocking({
        let url = db.url.clone();
        move || PgStore::open(&url, &StoreOptions::default()).expect("store opens")
    })
    .await
    .expect("open");
    let (predictions, outcomes, latest, current, runs, has_set) =
        tokio::task::spawn_blocking(move || {
            let predictions = pg
                .predictions()
                .recent(&PredictionQuery::newest(100))
                .expect("predictions");
            let outcomes = pg.outcomes().recent(10).expect("outcomes");
            let latest = pg.drift_reports().latest().expect("drift");
            let current = pg.models().current_version().expect("current");
            let runs = pg.pipeline_status().load().expect("status").runs;
            let has_set = pg
                .training_sets()
                .exists(&TrainingSetName::parse("applications.csv").expect("name"))
                .expect("set");
            (predictions, outcomes, latest, current, runs, has_set)
        })
        .await
        .expect("reads");
    assert_eq!(predictions.len(), 30);
    let mut stored_ids: Vec<String> = predictions.into_iter().map(|p| p.prediction_id).collect();
    let mut posted = ids.clone();
    stored_ids.sort();
    posted.sort();
    assert_eq!(stored_ids, posted);
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].prediction_id, ids[0]);
    assert_eq!(latest.expect("a drift report").id, report.id);
    assert_eq!(current.expect("a current model").as_str(), version);
    assert_eq!(runs.len(), 1);
    assert!(has_set);
    // The data directory holds no data: no logs of predictions, models or training sets.
    for kept_elsewhere in ["monitoring", "models", "training"] {
        assert!(
            !dir.path().join(kept_elsewhere).exists(),
            "{kept_elsewhere} exists in the data directory"
        );
    }
}

#[tokio::test]
async fn a_second_server_on_the_same_database_serves_the_promoted_model() {
    const TEST: &str = "a_second_server_on_the_same_database_serves_the_promoted_model";
    let Some(db) = TestDb::new(TEST) else { return };
    let first = spawn_on(&db).await;
    first
        .upload_training_set("applications.csv", TRAINING_ROWS, 7)
        .await;
    let response = first
        .post("/monitoring/run-pipeline")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let status = first.wait_for_pipeline().await;
    let version = status.runs[0].model_version.clone().expect("a version");
    first.predict_n(5).await;
    first.stop().await;

    // A fresh data directory: everything the second server needs is in the database.
    let second = spawn_on(&db).await;
    let health = second.get_json("/health").await;
    assert_eq!(health["model_version"], version.as_str(), "{health}");
    let page = second.get_json("/monitoring/predictions?limit=10").await;
    assert_eq!(
        page["predictions"].as_array().map(Vec::len),
        Some(5),
        "{page}"
    );
    second.stop().await;
}

#[test]
fn init_and_train_on_postgres_publish_into_the_database_and_report_reads_it() {
    const TEST: &str = "init_and_train_on_postgres_publish_into_the_database_and_report_reads_it";
    let Some(db) = TestDb::new(TEST) else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    let csv = dir.path().join("applications.csv");
    write_sample_csv(
        std::fs::File::create(&csv).expect("csv"),
        1_500,
        3,
        Scenario::Baseline,
    )
    .expect("sample");
    // The URL as a user passes it, with its password.
    let password = crate::database::server_password();
    let url = format!(
        "postgres://{}:{password}@{}:{}/{}",
        db.url.user(),
        db.url.host(),
        db.url.port(),
        db.url.database()
    );
    let cli = |args: &[&str]| {
        let mut argv = vec![
            "scorewatch",
            "--data-dir",
            data_dir.to_str().expect("utf-8"),
            "--database-url",
            &url,
        ];
        argv.extend_from_slice(args);
        scorewatch_api::cli::run(<scorewatch_api::cli::Cli as clap::Parser>::parse_from(argv))
    };

    assert!(cli(&["init"]).is_ok());
    let code = cli(&["train", "--data", csv.to_str().expect("utf-8")]).expect("train runs");
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    // The report reads the database: the model trained into it heads the page.
    let page_path = dir.path().join("r.html");
    let code = cli(&["report", "--out", page_path.to_str().expect("utf-8")]).expect("report runs");
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let page = std::fs::read_to_string(&page_path).expect("the page was written");

    let pg = PgStore::open(&db.url, &StoreOptions::default()).expect("store opens");
    let versions = pg.models().versions().expect("versions");
    assert_eq!(versions.len(), 1);
    assert!(
        page.contains(versions[0].as_str()),
        "the page names the model"
    );
    assert!(!page.contains(&password), "the page has no password");
    assert_eq!(
        pg.models().current_version().expect("current"),
        Some(versions[0].clone())
    );
    assert!(
        pg.models()
            .load_profile(&versions[0])
            .expect("profile")
            .is_some()
    );
    // Nothing of it in the data directory.
    assert!(!data_dir.join("models").exists());
    assert!(!data_dir.join("monitoring").exists());
}

#[tokio::test]
async fn serve_gives_up_on_an_unreachable_database_naming_it_without_the_password() {
    let url =
        DatabaseUrl::parse("postgres://scorewatch:hunter2@127.0.0.1:1/scorewatch").expect("url");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = scorewatch_api::config::Config::new(dir.path().to_path_buf());
    config.port = 0;
    config.database_url = Some(url);
    config.database_wait = std::time::Duration::from_secs(1);
    let err = scorewatch_api::startup::Application::build(config).expect_err("no database");
    let text = format!("{err:#}");
    assert!(text.contains("still unavailable after"), "{text}");
    assert!(
        text.contains("postgres://scorewatch@127.0.0.1:1/scorewatch"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn serve_with_retention_on_postgres_drops_expired_monthly_partitions() {
    let Some(db) = TestDb::new("serve_with_retention_on_postgres_drops_expired_monthly_partitions")
    else {
        return;
    };
    // A month two years back, with its partition and one prediction in it.
    let url = db.url.clone();
    let store = tokio::task::spawn_blocking(move || {
        let store = PgStore::open(&url, &StoreOptions::default()).expect("open");
        let long_ago = time::OffsetDateTime::now_utc() - time::Duration::days(730);
        store.maintain(long_ago, None).expect("partitions");
        let record = scorewatch_core::PredictionRecord {
            prediction_id: "01890000-0000-7000-8000-000000000001".to_owned(),
            timestamp: long_ago,
            model_version: "v1".to_owned(),
            score: 0.5,
            decision: 1,
            features: vec![Some("1".to_owned())],
        };
        store
            .predictions()
            .append(&["x".to_owned()], &[record])
            .expect("append");
        store
    })
    .await
    .expect("arrange");

    // Accepted with a database now, and the store's pass at start drops that month.
    let url = db.url.clone();
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), move |config| {
        config.database_url = Some(url);
        config.retention_days = std::num::NonZeroU32::new(365);
        config.drift_every = 0;
        config.metrics_every = 0;
    })
    .await;
    let mut left = usize::MAX;
    for _ in 0..200 {
        let log = store.predictions();
        left = tokio::task::spawn_blocking(move || {
            log.recent(&PredictionQuery::newest(10))
                .expect("read")
                .len()
        })
        .await
        .expect("read");
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "the expired month is still there");
    app.stop().await;
}
