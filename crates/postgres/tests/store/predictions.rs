//! The prediction log: newest-first paging, oldest-first scans, generations per feature
//! set, and invalid batches refused whole.

use std::ops::ControlFlow;

use scorewatch_core::{PredictionLog, PredictionQuery, PredictionRecord, StoreError};
use time::macros::datetime;

use crate::support::{T0, TestDb, features, prediction};

fn ids(records: &[PredictionRecord]) -> Vec<String> {
    records.iter().map(|r| r.prediction_id.clone()).collect()
}

fn scanned(log: &dyn PredictionLog, archives: bool) -> Vec<PredictionRecord> {
    let mut out = Vec::new();
    let mut visit = |r| {
        out.push(r);
        Ok(ControlFlow::Continue(()))
    };
    if archives {
        log.scan_archives(&mut visit).unwrap();
    } else {
        log.scan(&mut visit).unwrap();
    }
    out
}

#[test]
fn appended_predictions_read_back_newest_first_with_paging_and_filters() {
    const TEST: &str = "appended_predictions_read_back_newest_first_with_paging_and_filters";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let log = store.predictions();
    let names = features(&["age", "income", "city"]);
    assert!(log.feature_names().unwrap().is_empty());
    assert!(log.recent(&PredictionQuery::newest(10)).unwrap().is_empty());
    let records: Vec<_> = (0..30)
        .map(|i| prediction(i, if i % 2 == 0 { "v1" } else { "v2" }, 3))
        .collect();
    log.append(&names, &records[..10]).unwrap();
    log.append(&names, &records[10..]).unwrap();
    assert_eq!(log.feature_names().unwrap(), names);

    // Every field round-trips, the missing value included.
    let newest = log.recent(&PredictionQuery::newest(1)).unwrap();
    assert_eq!(newest, vec![records[29].clone()]);
    assert_eq!(newest[0].features[1], None);

    let page = |offset, limit| PredictionQuery {
        offset,
        limit,
        ..PredictionQuery::default()
    };
    let first = log.recent(&page(0, 7)).unwrap();
    let expected: Vec<_> = records.iter().rev().cloned().collect();
    assert_eq!(first, expected[..7]);
    assert_eq!(log.recent(&page(7, 7)).unwrap(), expected[7..14]);
    assert_eq!(log.recent(&page(28, 7)).unwrap(), expected[28..]);
    assert!(log.recent(&page(30, 7)).unwrap().is_empty());

    let v1 = log
        .recent(&PredictionQuery {
            model_version: Some("v1".to_owned()),
            ..page(1, 3)
        })
        .unwrap();
    assert_eq!(
        ids(&v1),
        ids(&[
            records[26].clone(),
            records[24].clone(),
            records[22].clone()
        ])
    );

    // since and until are inclusive.
    let window = log
        .recent(&PredictionQuery {
            since: Some(records[5].timestamp),
            until: Some(records[8].timestamp),
            ..page(0, 100)
        })
        .unwrap();
    assert_eq!(ids(&window), ids(&expected[21..25]));
}

#[test]
fn equal_timestamps_keep_their_append_order() {
    const TEST: &str = "equal_timestamps_keep_their_append_order";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let log = store.predictions();
    let records: Vec<_> = (0..5)
        .map(|i| PredictionRecord {
            timestamp: T0,
            ..prediction(i, "v1", 0)
        })
        .collect();
    log.append(&[], &records).unwrap();
    let newest: Vec<_> = records.iter().rev().cloned().collect();
    assert_eq!(log.recent(&PredictionQuery::newest(10)).unwrap(), newest);
    assert_eq!(scanned(&log, false), records);
}

#[test]
fn a_scan_goes_oldest_first_across_batches_and_stops_when_told() {
    const TEST: &str = "a_scan_goes_oldest_first_across_batches_and_stops_when_told";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let log = store.predictions();
    let names = features(&["x"]);
    // More than two of the scan's batches (5,000 rows each), appended newest batch first
    // so that the scan's order comes from the timestamps, not the insertion.
    let records: Vec<_> = (0..12_001).map(|i| prediction(i, "v1", 1)).collect();
    log.append(&names, &records[6_000..]).unwrap();
    log.append(&names, &records[..6_000]).unwrap();
    assert_eq!(ids(&scanned(&log, false)), ids(&records));

    let mut seen = 0;
    log.scan(&mut |_| {
        seen += 1;
        Ok(if seen == 5_001 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    })
    .unwrap();
    assert_eq!(seen, 5_001);
}

#[test]
fn a_new_feature_set_begins_a_new_log_and_archives_the_old_one() {
    const TEST: &str = "a_new_feature_set_begins_a_new_log_and_archives_the_old_one";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let log = store.predictions();
    let (ab, abc) = (features(&["a", "b"]), features(&["a", "b", "c"]));
    let old: Vec<_> = (0..3).map(|i| prediction(i, "v1", 2)).collect();
    let new: Vec<_> = (3..5).map(|i| prediction(i, "v2", 3)).collect();
    let back: Vec<_> = (5..6).map(|i| prediction(i, "v3", 2)).collect();
    log.append(&ab, &old).unwrap();
    log.append(&abc, &new).unwrap();
    assert_eq!(log.feature_names().unwrap(), abc);
    // recent and scan read the current log only, as the file backend's.
    assert_eq!(
        ids(&log.recent(&PredictionQuery::newest(10)).unwrap()),
        ids(&[new[1].clone(), new[0].clone()])
    );
    assert_eq!(scanned(&log, false), new);
    assert_eq!(scanned(&log, true), old);

    // Back to the first feature set: a third log; both older ones are archives, oldest
    // first, and the first set's rows are found in both of its logs, newest first.
    log.append(&ab, &back).unwrap();
    assert_eq!(scanned(&log, false), back);
    let archived: Vec<_> = old.iter().chain(&new).cloned().collect();
    assert_eq!(scanned(&log, true), archived);
    let mut all = Vec::new();
    log.scan_all(&mut |r| {
        all.push(r);
        Ok(ControlFlow::Continue(()))
    })
    .unwrap();
    assert_eq!(all.len(), 6);
    let of_ab = log
        .recent_with_features(&ab, &PredictionQuery::newest(10))
        .unwrap();
    assert_eq!(
        ids(&of_ab),
        ids(&[
            back[0].clone(),
            old[2].clone(),
            old[1].clone(),
            old[0].clone()
        ])
    );
    // A page that begins past the newest log's rows continues in the older one.
    let page = |offset, limit| PredictionQuery {
        offset,
        limit,
        ..PredictionQuery::default()
    };
    let skipped = log.recent_with_features(&ab, &page(2, 2)).unwrap();
    assert_eq!(ids(&skipped), ids(&[old[1].clone(), old[0].clone()]));
    let straddling = log.recent_with_features(&ab, &page(0, 2)).unwrap();
    assert_eq!(ids(&straddling), ids(&[back[0].clone(), old[2].clone()]));
    let past_the_end = log.recent_with_features(&ab, &page(4, 2)).unwrap();
    assert!(past_the_end.is_empty());
}

#[test]
fn an_invalid_record_refuses_the_whole_batch_naming_the_field() {
    const TEST: &str = "an_invalid_record_refuses_the_whole_batch_naming_the_field";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let log = store.predictions();
    let names = features(&["a", "b"]);
    let good = prediction(0, "v1", 2);
    let cases = [
        (
            "score",
            PredictionRecord {
                score: 1.5,
                ..prediction(1, "v1", 2)
            },
        ),
        (
            "score",
            PredictionRecord {
                score: f64::NAN,
                ..prediction(1, "v1", 2)
            },
        ),
        (
            "decision",
            PredictionRecord {
                decision: 2,
                ..prediction(1, "v1", 2)
            },
        ),
        ("features", prediction(1, "v1", 3)),
        (
            "a",
            PredictionRecord {
                features: vec![Some("x\0y".into()), None],
                ..prediction(1, "v1", 2)
            },
        ),
        (
            "model_version",
            PredictionRecord {
                model_version: "v\n1".into(),
                ..prediction(1, "v1", 2)
            },
        ),
    ];
    for (field, bad) in cases {
        let err = log.append(&names, &[good.clone(), bad]).unwrap_err();
        match &err {
            StoreError::InvalidRecord { field: f, .. } => assert_eq!(f, field, "{err}"),
            other => panic!("expected InvalidRecord for {field}, got {other:?}"),
        }
    }
    assert!(log.recent(&PredictionQuery::newest(10)).unwrap().is_empty());
    assert!(log.feature_names().unwrap().is_empty());
}

#[test]
fn predictions_outside_the_monthly_partitions_land_in_the_default_one() {
    const TEST: &str = "predictions_outside_the_monthly_partitions_land_in_the_default_one";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let log = store.predictions();
    // PostgreSQL keeps microseconds (docs/architecture.md); a clock reading has more.
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let at = |timestamp, i| PredictionRecord {
        timestamp,
        ..prediction(i, "v1", 0)
    };
    // Long ago, now (this month's partition) and five months ahead (past the three
    // months of partitions made at start: the default partition).
    let rows = [
        at(datetime!(2001-01-01 00:00:00 UTC), 0),
        at(now, 1),
        at(now + time::Duration::days(150), 2),
    ];
    log.append(&[], &rows).unwrap();
    let newest: Vec<_> = rows.iter().rev().cloned().collect();
    assert_eq!(log.recent(&PredictionQuery::newest(10)).unwrap(), newest);
    // Making a year of partitions skips the month whose rows the default partition
    // holds (PostgreSQL would refuse to create it) instead of failing the next start.
    scorewatch_postgres::testing::execute(
        &db.url,
        "SELECT scorewatch_prediction_partitions(date_trunc('month', now())::date, 12)",
    )
    .unwrap();
    assert_eq!(log.recent(&PredictionQuery::newest(10)).unwrap(), newest);
}
