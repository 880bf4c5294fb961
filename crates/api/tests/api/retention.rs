//! File backend retention (issue 14): the outcome horizon of the id index, its 422, and
//! `--retention-days` deleting whole expired archives at start.

use std::num::NonZeroU32;

use scorewatch_core::views::{OutcomeStatus, OutcomesResponse};
use scorewatch_core::{PredictionRecord, Store, StoreOptions};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::helpers::{expect_error, spawn_with};

/// A prediction made `days_ago` days ago, with the UUID v7 the server would have given
/// it then.
fn made_days_ago(days_ago: i64) -> PredictionRecord {
    let at = OffsetDateTime::now_utc() - Duration::days(days_ago);
    let secs = u64::try_from(at.unix_timestamp()).expect("after 1970");
    let id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, secs, 0));
    PredictionRecord {
        prediction_id: id.to_string(),
        timestamp: at,
        model_version: "v1".to_owned(),
        score: 0.25,
        decision: 0,
        features: vec![Some("1".to_owned())],
    }
}

/// A data directory holding one prediction 500 days old (rotated into its day's
/// archive) and one 10 days old (the current log).
fn old_and_recent() -> (tempfile::TempDir, PredictionRecord, PredictionRecord) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (old, recent) = (made_days_ago(500), made_days_ago(10));
    let store = Store::open(dir.path(), StoreOptions::default()).expect("store opens");
    let features = vec!["income".to_owned()];
    store
        .predictions()
        .append(&features, std::slice::from_ref(&old))
        .expect("append");
    store
        .predictions()
        .append(&features, std::slice::from_ref(&recent))
        .expect("append");
    (dir, old, recent)
}

fn archive_count(dir: &std::path::Path) -> usize {
    scorewatch_core::list_prediction_archives(&dir.join("monitoring/predictions_log.csv"))
        .expect("list")
        .len()
}

#[tokio::test]
async fn an_outcome_older_than_the_horizon_gets_422_naming_the_horizon_and_the_flag() {
    if !crate::database::file_backend_only(
        "retention::an_outcome_older_than_the_horizon_gets_422_naming_the_horizon_and_the_flag",
    ) {
        return;
    }
    let (dir, old, recent) = old_and_recent();
    assert_eq!(archive_count(dir.path()), 1, "the old day was rotated away");
    let app = spawn_with(dir, |_| {}).await;

    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({ "prediction_id": old.prediction_id, "actual": 1 }),
        )
        .await;
    let body = expect_error(response, 422, "outside_outcome_horizon").await;
    let message = &body.error.message;
    assert!(message.contains(&old.prediction_id), "{message}");
    assert!(message.contains("400 days"), "{message}");
    assert!(message.contains("--outcome-horizon-days"), "{message}");

    // Inside the horizon, across the rotation: accepted; an id never made: 404.
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({ "prediction_id": recent.prediction_id, "actual": 0 }),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let never = made_days_ago(1).prediction_id;
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({ "prediction_id": never, "actual": 0 }),
        )
        .await;
    expect_error(response, 404, "not_found").await;

    // A batch reports each.
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({ "outcomes": [
                { "prediction_id": old.prediction_id, "actual": 1 },
                { "prediction_id": recent.prediction_id, "actual": 1 },
                { "prediction_id": never, "actual": 1 },
            ]}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body: OutcomesResponse = response.json().await.expect("json");
    let statuses: Vec<OutcomeStatus> = body.results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            OutcomeStatus::OutsideOutcomeHorizon,
            OutcomeStatus::Duplicate,
            OutcomeStatus::UnknownId
        ]
    );
}

#[tokio::test]
async fn a_longer_horizon_takes_the_old_outcome_from_its_archive() {
    if !crate::database::file_backend_only(
        "retention::a_longer_horizon_takes_the_old_outcome_from_its_archive",
    ) {
        return;
    }
    let (dir, old, _) = old_and_recent();
    let app = spawn_with(dir, |config| {
        config.outcome_horizon_days = NonZeroU32::new(600).expect("600 > 0");
    })
    .await;
    let response = app
        .post_json(
            "/monitoring/outcomes",
            &json!({ "prediction_id": old.prediction_id, "actual": 1 }),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn retention_deletes_the_expired_archive_at_start_and_reads_keep_the_rest() {
    if !crate::database::file_backend_only(
        "retention::retention_deletes_the_expired_archive_at_start_and_reads_keep_the_rest",
    ) {
        return;
    }
    let (dir, _, recent) = old_and_recent();
    let app = spawn_with(dir, |config| {
        config.retention_days = NonZeroU32::new(100);
    })
    .await;
    assert_eq!(archive_count(app.dir.path()), 0);
    let page: Value = app.get_json("/monitoring/predictions?limit=10").await;
    let ids: Vec<&str> = page["predictions"]
        .as_array()
        .expect("a page")
        .iter()
        .filter_map(|p| p["prediction_id"].as_str())
        .collect();
    assert_eq!(ids, [recent.prediction_id.as_str()]);
}

#[tokio::test]
async fn without_retention_every_archive_is_kept_and_read() {
    if !crate::database::file_backend_only(
        "retention::without_retention_every_archive_is_kept_and_read",
    ) {
        return;
    }
    let (dir, old, recent) = old_and_recent();
    let app = spawn_with(dir, |_| {}).await;
    assert_eq!(archive_count(app.dir.path()), 1);
    let page: Value = app.get_json("/monitoring/predictions?limit=10").await;
    let ids: Vec<&str> = page["predictions"]
        .as_array()
        .expect("a page")
        .iter()
        .filter_map(|p| p["prediction_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [recent.prediction_id.as_str(), old.prediction_id.as_str()]
    );
}

/// Memory follows the horizon: the index built over a history of 20,000 old and 5,000
/// recent predictions holds only the recent ones, at about 12 bytes each.
#[test]
fn the_outcome_index_holds_only_the_horizon() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), StoreOptions::default()).expect("store opens");
    let features = vec!["income".to_owned()];
    for (days_ago, rows) in [(500, 20_000), (10, 5_000)] {
        let batch: Vec<PredictionRecord> = (0..rows)
            .map(|i| {
                let mut record = made_days_ago(days_ago);
                record.timestamp += Duration::milliseconds(i);
                record.prediction_id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
                    uuid::NoContext,
                    u64::try_from(record.timestamp.unix_timestamp()).expect("after 1970"),
                    u32::try_from(i % 1000).expect("small") * 1_000_000,
                ))
                .to_string();
                record
            })
            .collect();
        store
            .predictions()
            .append(&features, &batch)
            .expect("append");
    }
    let now = OffsetDateTime::now_utc();
    let horizon = scorewatch_api::index::OutcomeIndex::build(&store, now - Duration::days(400))
        .expect("index");
    let history = scorewatch_api::index::OutcomeIndex::build(&store, now - Duration::days(4000))
        .expect("index");
    assert_eq!(horizon.len(), 5_000);
    assert_eq!(history.len(), 25_000);
    // 12 bytes a key, one bit a flag (in 64-bit words) and a few 16-byte runs.
    eprintln!(
        "index: horizon {} B for 5,000 rows, whole history {} B for 25,000",
        horizon.heap_bytes(),
        history.heap_bytes(),
    );
    assert!(
        horizon.heap_bytes() <= 5_000 * 12 + 5_000_usize.div_ceil(64) * 8 + 4 * 16,
        "{}",
        horizon.heap_bytes()
    );
    assert!(history.heap_bytes() >= 25_000 * 12);
}
