//! Retention by whole partitions: a month is dropped, with its predictions' outcomes,
//! only once its upper bound is past the cutoff; partitions keep being created ahead.

use std::num::NonZeroU32;
use std::ops::ControlFlow;

use scorewatch_core::{
    OutcomeLog as _, OutcomeRecord, PredictionLog as _, PredictionRecord, StoreOptions,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::support::{TestDb, features, prediction};

fn at(i: u64, ts: OffsetDateTime) -> PredictionRecord {
    PredictionRecord {
        timestamp: ts,
        ..prediction(i, "v1", 2)
    }
}

fn outcome(of: &PredictionRecord) -> OutcomeRecord {
    OutcomeRecord {
        prediction_id: of.prediction_id.clone(),
        timestamp: of.timestamp + Duration::days(1),
        actual: 1,
    }
}

fn stored_ids(store: &scorewatch_postgres::PgStore) -> (Vec<String>, Vec<String>) {
    let mut predictions = Vec::new();
    store
        .predictions()
        .scan(&mut |r| {
            predictions.push(r.prediction_id);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    let mut outcomes = Vec::new();
    store
        .outcomes()
        .scan(&mut |r| {
            outcomes.push(r.prediction_id);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    (predictions, outcomes)
}

#[test]
fn retention_drops_only_months_wholly_older_than_the_cutoff_with_their_outcomes() {
    const TEST: &str =
        "retention_drops_only_months_wholly_older_than_the_cutoff_with_their_outcomes";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    // Partitions from January 2026, as a store running since then would have made.
    let first = store
        .maintain(datetime!(2026-01-10 00:00 UTC), None)
        .unwrap();
    assert!(first.dropped.is_empty());
    let jan = at(0, datetime!(2026-01-10 08:00 UTC));
    let feb = at(1, datetime!(2026-02-10 08:00 UTC));
    let mar = at(2, datetime!(2026-03-10 08:00 UTC));
    store
        .predictions()
        .append(
            &features(&["a", "b"]),
            &[jan.clone(), feb.clone(), mar.clone()],
        )
        .unwrap();
    store
        .outcomes()
        .append(&[outcome(&jan), outcome(&feb)])
        .unwrap();

    // 30 days before 2026-03-20 is 2026-02-18: January (up to 2026-02-01) is wholly
    // older; February (up to 2026-03-01) is not, although its row is.
    let days = NonZeroU32::new(30);
    let report = store
        .maintain(datetime!(2026-03-20 00:00 UTC), days)
        .unwrap();
    assert_eq!(report.dropped.len(), 1, "{report:?}");
    let dropped = &report.dropped[0];
    assert_eq!(dropped.name, "predictions_2026_01");
    assert_eq!(dropped.until, datetime!(2026-02-01 00:00 UTC));
    assert_eq!((dropped.predictions, dropped.outcomes), (1, 1));
    // April and May were created ahead (March existed).
    assert_eq!(report.partitions_created, 2);

    let (predictions, outcomes) = stored_ids(&store);
    assert_eq!(
        predictions,
        vec![feb.prediction_id.clone(), mar.prediction_id]
    );
    assert_eq!(outcomes, vec![feb.prediction_id]);

    // A second pass finds nothing more to do.
    let again = store
        .maintain(datetime!(2026-03-20 00:00 UTC), days)
        .unwrap();
    assert_eq!(again, scorewatch_postgres::MaintenanceReport::default());
}

#[test]
fn rows_outside_monthly_partitions_are_never_dropped() {
    const TEST: &str = "rows_outside_monthly_partitions_are_never_dropped";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    // 2020 has no partition: the row lands in the default partition.
    let old = at(0, datetime!(2020-05-01 00:00 UTC));
    store
        .predictions()
        .append(&features(&["a", "b"]), std::slice::from_ref(&old))
        .unwrap();
    let report = store
        .maintain(OffsetDateTime::now_utc(), NonZeroU32::new(1))
        .unwrap();
    assert!(report.dropped.is_empty(), "{report:?}");
    assert_eq!(stored_ids(&store).0, vec![old.prediction_id]);
}

#[test]
fn a_store_opened_with_retention_drops_expired_months_by_itself() {
    const TEST: &str = "a_store_opened_with_retention_drops_expired_months_by_itself";
    let Some(db) = TestDb::new(TEST) else { return };
    // A partition for a month two years back, with a row in it.
    let plain = db.open();
    let long_ago = OffsetDateTime::now_utc() - Duration::days(730);
    plain.maintain(long_ago, None).unwrap();
    let old = at(0, long_ago);
    plain
        .predictions()
        .append(&features(&["a", "b"]), &[old])
        .unwrap();
    assert_eq!(stored_ids(&plain).0.len(), 1);

    // `serve --retention-days 365`: the store's own pass at open drops it.
    let retained = db.open_with(StoreOptions {
        prediction_retention_days: NonZeroU32::new(365),
        ..StoreOptions::default()
    });
    let mut waited = 0;
    while !stored_ids(&retained).0.is_empty() {
        assert!(waited < 200, "the partition was not dropped after 20 s");
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    }
}

#[test]
fn partitions_keep_being_created_ahead_as_months_pass() {
    const TEST: &str = "partitions_keep_being_created_ahead_as_months_pass";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    // A month after the partitions made at open, one more is created, and so on.
    let next_year = OffsetDateTime::now_utc() + Duration::days(400);
    assert_eq!(
        store.maintain(next_year, None).unwrap().partitions_created,
        3
    );
    assert_eq!(
        store
            .maintain(next_year + Duration::days(31), None)
            .unwrap()
            .partitions_created,
        1
    );
}
