//! `scorewatch import` and `export`: a data directory written by the service goes into
//! PostgreSQL and back out into files with everything the same, and running either
//! again adds nothing.

use std::ops::ControlFlow;
use std::path::Path;

use scorewatch_api::cli::transfer_cli::{ExportArgs, ImportArgs, run_export, run_import};
use scorewatch_core::{
    OutcomeLog as _, PredictionLog as _, PredictionRecord, Store, StoreOptions, TrainingSetName,
};
use scorewatch_postgres::DatabaseUrl;
use serde_json::json;

use crate::database::TestDb;
use crate::helpers::spawn_with;

/// Everything a store holds, in a comparable form.
#[derive(Debug, PartialEq)]
struct Contents {
    archived: Vec<(Vec<String>, PredictionRecord)>,
    current: (Vec<String>, Vec<PredictionRecord>),
    outcomes: Vec<(String, i128, u8)>,
    metrics: serde_json::Value,
    drift: Vec<serde_json::Value>,
    models: (Vec<String>, Option<String>),
    status: serde_json::Value,
    alerts: serde_json::Value,
    training: Vec<(String, Vec<u8>)>,
}

/// PostgreSQL keeps microseconds: timestamps compare at that precision.
fn micros(mut record: PredictionRecord) -> PredictionRecord {
    record.timestamp = record
        .timestamp
        .replace_nanosecond(record.timestamp.nanosecond() / 1_000 * 1_000)
        .expect("valid");
    record
}

fn contents(dir: &Path) -> Contents {
    let store = Store::open(
        dir,
        StoreOptions {
            create_missing: false,
            ..StoreOptions::default()
        },
    )
    .expect("open");
    let mut archived = Vec::new();
    store
        .predictions()
        .scan_archived_logs(&mut |names, r| {
            archived.push((names.to_vec(), micros(r)));
            Ok(ControlFlow::Continue(()))
        })
        .expect("archives");
    let mut current = Vec::new();
    store
        .predictions()
        .scan(&mut |r| {
            current.push(micros(r));
            Ok(ControlFlow::Continue(()))
        })
        .expect("scan");
    let mut outcomes = Vec::new();
    store
        .outcomes()
        .scan(&mut |o| {
            outcomes.push((
                o.prediction_id,
                o.timestamp.unix_timestamp_nanos() / 1_000,
                o.actual,
            ));
            Ok(ControlFlow::Continue(()))
        })
        .expect("outcomes");
    outcomes.sort();
    let drift = store
        .drift_reports()
        .summaries()
        .expect("summaries")
        .iter()
        .map(|s| json!(store.drift_reports().get(&s.id).expect("get")))
        .collect();
    let mut versions: Vec<String> = store
        .models()
        .versions()
        .expect("versions")
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    versions.sort();
    let training = store
        .training_sets()
        .list()
        .expect("sets")
        .into_iter()
        .map(|s| {
            let name = TrainingSetName::parse(&s.name).expect("name");
            let bytes = store.training_sets().read(&name).expect("read");
            (s.name, bytes)
        })
        .collect();
    Contents {
        archived,
        current: (store.predictions().feature_names().expect("names"), current),
        outcomes,
        metrics: json!(store.metrics().history().expect("metrics")),
        drift,
        models: (
            versions,
            store
                .models()
                .current_version()
                .expect("current")
                .map(|v| v.as_str().to_owned()),
        ),
        status: json!(store.pipeline_status().load().expect("status")),
        alerts: json!(store.alerts().load().expect("alerts")),
        training,
    }
}

/// A data directory the service wrote: a model, predictions, outcomes, a drift report,
/// metrics; then a log of another feature set, which archives the first.
async fn service_written_data_dir() -> tempfile::TempDir {
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), |config| {
        config.drift_every = 0;
        config.metrics_every = 0;
    })
    .await;
    app.train().await;
    let ids = app.predict_n(40).await;
    for id in &ids[..10] {
        let response = app
            .post_json(
                "/monitoring/outcomes",
                &json!({"prediction_id": id, "actual": 1}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
    }
    let drift = app
        .post("/monitoring/drift/run")
        .send()
        .await
        .expect("request");
    assert_eq!(drift.status().as_u16(), 201);
    let source = app.stop().await;
    let dir = source.path().to_owned();
    tokio::task::spawn_blocking(move || {
        let store = Store::open(&dir, StoreOptions::default()).expect("open");
        let records: Vec<_> = (0..5)
            .map(|i| PredictionRecord {
                prediction_id: format!("other-{i}"),
                timestamp: time::OffsetDateTime::now_utc(),
                model_version: "v-other".to_owned(),
                score: 0.5,
                decision: 1,
                features: vec![Some(format!("{i}")), None],
            })
            .collect();
        store
            .predictions()
            .append(&["x".to_owned(), "y".to_owned()], &records)
            .expect("append");
    })
    .await
    .expect("arrange");
    source
}

/// Runs import or export (`import` true) once; its summary.
fn transfer(import: bool, data_dir: &Path, url: &DatabaseUrl, dir: &Path) -> String {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    if import {
        let args = ImportArgs {
            from_dir: dir.to_owned(),
        };
        run_import(data_dir, Some(url), &args, &mut out, &mut err).expect("import");
    } else {
        let args = ExportArgs {
            to_dir: dir.to_owned(),
        };
        run_export(data_dir, Some(url), &args, &mut out, &mut err).expect("export");
    }
    String::from_utf8(out).expect("utf-8")
}

#[tokio::test]
async fn a_data_directory_round_trips_through_postgres_and_reimport_adds_nothing() {
    // The source is a data directory written by the service on the file backend.
    if !crate::database::file_backend_only(
        "transfer::a_data_directory_round_trips_through_postgres_and_reimport_adds_nothing",
    ) {
        return;
    }
    let Some(db) =
        TestDb::new("a_data_directory_round_trips_through_postgres_and_reimport_adds_nothing")
    else {
        return;
    };
    // Arrange
    let source = service_written_data_dir().await;
    let before = contents(source.path());
    assert_eq!(before.archived.len(), 40, "the service's log was archived");
    assert_eq!(before.current.1.len(), 5);
    assert_eq!(before.outcomes.len(), 10);
    assert_eq!(before.drift.len(), 1);
    assert!(!before.models.0.is_empty());
    assert!(!before.training.is_empty());
    assert!(
        before.metrics.as_array().is_some_and(|m| !m.is_empty()),
        "{}",
        before.metrics
    );

    // Act: import twice, export twice.
    let work = tempfile::tempdir().expect("temp dir");
    let target = work.path().join("exported");
    let (url, from, to, data_dir) = (
        db.url.clone(),
        source.path().to_owned(),
        target.clone(),
        work.path().join("data"),
    );
    let [first, second, exported, again] = tokio::task::spawn_blocking(move || {
        [
            transfer(true, &data_dir, &url, &from),
            transfer(true, &data_dir, &url, &from),
            transfer(false, &data_dir, &url, &to),
            transfer(false, &data_dir, &url, &to),
        ]
    })
    .await
    .expect("transfer");

    // Assert
    assert!(
        first.contains("predictions: 45 copied, 0 already there"),
        "{first}"
    );
    assert!(first.contains("outcomes: 10 copied"), "{first}");
    assert!(
        second.contains("predictions: 0 copied, 45 already there"),
        "{second}"
    );
    assert!(
        second.contains("outcomes: 0 copied, 10 already there"),
        "{second}"
    );
    assert!(
        second.contains("drift reports: 0 copied, 1 already there"),
        "{second}"
    );
    assert!(exported.contains("predictions: 45 copied"), "{exported}");
    assert!(
        again.contains("predictions: 0 copied, 45 already there"),
        "{again}"
    );
    assert_eq!(contents(&target), before);
}

#[test]
fn export_refuses_a_non_empty_directory_that_is_not_a_data_directory() {
    let Some(db) = TestDb::new("export_refuses_a_non_empty_directory_that_is_not_a_data_directory")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let target = work.path().join("photos");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::write(target.join("holiday.jpg"), b"not ours").expect("write");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let refused = run_export(
        &work.path().join("data"),
        Some(&db.url),
        &ExportArgs {
            to_dir: target.clone(),
        },
        &mut out,
        &mut err,
    )
    .expect_err("refused");
    assert!(
        format!("{refused:#}").contains("is not a scorewatch data directory"),
        "{refused:#}"
    );
    assert_eq!(
        std::fs::read_dir(&target).expect("list").count(),
        1,
        "nothing written"
    );
    assert_eq!(
        std::fs::read(target.join("holiday.jpg")).expect("read"),
        b"not ours"
    );
}

#[test]
fn import_and_export_without_a_database_say_which_option_is_missing() {
    let work = tempfile::tempdir().expect("temp dir");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let import = run_import(
        work.path(),
        None,
        &ImportArgs {
            from_dir: work.path().to_owned(),
        },
        &mut out,
        &mut err,
    )
    .expect_err("refused");
    assert!(
        format!("{import:#}").contains("--database-url"),
        "{import:#}"
    );
    let export = run_export(
        work.path(),
        None,
        &ExportArgs {
            to_dir: work.path().join("out"),
        },
        &mut out,
        &mut err,
    )
    .expect_err("refused");
    assert!(
        format!("{export:#}").contains("--database-url"),
        "{export:#}"
    );
    assert!(!work.path().join("out").exists(), "nothing written");
}

#[test]
fn import_from_a_missing_directory_names_it() {
    let Some(db) = TestDb::new("import_from_a_missing_directory_names_it") else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let missing = work.path().join("no-such-data");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let refused = run_import(
        work.path(),
        Some(&db.url),
        &ImportArgs {
            from_dir: missing.clone(),
        },
        &mut out,
        &mut err,
    )
    .expect_err("refused");
    let text = format!("{refused:#}");
    assert!(text.contains(&missing.display().to_string()), "{text}");
}

#[test]
fn an_interrupted_import_goes_on_where_it_stopped_without_duplicates() {
    let Some(db) = TestDb::new("an_interrupted_import_goes_on_where_it_stopped_without_duplicates")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let source = work.path().join("data");
    let names = ["a".to_owned(), "b".to_owned()];
    let records: Vec<_> = (0..20)
        .map(|i| PredictionRecord {
            prediction_id: format!("p-{i}"),
            timestamp: time::OffsetDateTime::now_utc(),
            model_version: "v1".to_owned(),
            score: 0.25,
            decision: 0,
            features: vec![Some(format!("{i}")), None],
        })
        .collect();
    let outcomes: Vec<_> = records[..5]
        .iter()
        .map(|r| scorewatch_core::OutcomeRecord {
            prediction_id: r.prediction_id.clone(),
            timestamp: r.timestamp,
            actual: 1,
        })
        .collect();
    {
        let files = Store::open(&source, StoreOptions::default()).expect("open");
        files
            .predictions()
            .append(&names, &records)
            .expect("append");
        files.outcomes().append(&outcomes).expect("outcomes");
    }
    // What an import stopped half-way left: the first half of each.
    {
        let pg =
            scorewatch_postgres::PgStore::open(&db.url, &StoreOptions::default()).expect("open");
        pg.predictions()
            .append(&names, &records[..10])
            .expect("append");
        pg.outcomes().append(&outcomes[..2]).expect("outcomes");
    }

    let summary = transfer(true, &work.path().join("logs"), &db.url, &source);

    assert!(
        summary.contains("predictions: 10 copied, 10 already there"),
        "{summary}"
    );
    assert!(
        summary.contains("outcomes: 3 copied, 2 already there"),
        "{summary}"
    );
    let pg = scorewatch_postgres::PgStore::open(&db.url, &StoreOptions::default()).expect("open");
    let mut ids = Vec::new();
    pg.predictions()
        .scan(&mut |r| {
            ids.push(r.prediction_id);
            Ok(ControlFlow::Continue(()))
        })
        .expect("scan");
    ids.sort();
    let mut expected: Vec<_> = records.iter().map(|r| r.prediction_id.clone()).collect();
    expected.sort();
    assert_eq!(ids, expected);
}
