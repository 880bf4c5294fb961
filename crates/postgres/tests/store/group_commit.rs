//! Group commit of prediction appends: calls from many threads share transactions, yet
//! each lands exactly once, is visible to another connection as soon as its call returns,
//! and a bad call fails alone.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::Barrier;

use scorewatch_core::{PredictionLog, PredictionQuery, StoreError};

use crate::support::{TestDb, features, prediction};

const THREADS: u64 = 64;
const CALLS_PER_THREAD: u64 = 20;
const ROWS_PER_CALL: u64 = 3;

fn all_ids(log: &dyn PredictionLog) -> Vec<String> {
    let mut ids = Vec::new();
    log.scan(&mut |r| {
        ids.push(r.prediction_id);
        Ok(ControlFlow::Continue(()))
    })
    .unwrap();
    ids
}

#[test]
fn concurrent_appends_from_64_threads_land_exactly_once_and_are_visible_on_return() {
    const TEST: &str =
        "concurrent_appends_from_64_threads_land_exactly_once_and_are_visible_on_return";
    let Some(db) = TestDb::new(TEST) else { return };
    let writer = db.open();
    // Reads go through another pool: visible there means committed, not just sent.
    let reader = db.open();
    let names = features(&["a", "b"]);
    let start = Barrier::new(usize::try_from(THREADS).unwrap());
    let sent: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (log, reads, names, start) =
                    (writer.predictions(), reader.predictions(), &names, &start);
                scope.spawn(move || {
                    // Each thread logs under a version of its own, so it can count its rows.
                    let version = format!("t{thread}");
                    let mut ids = Vec::new();
                    start.wait();
                    for call in 0..CALLS_PER_THREAD {
                        let records: Vec<_> = (0..ROWS_PER_CALL)
                            .map(|row| prediction(call * ROWS_PER_CALL + row, &version, 2))
                            .collect();
                        ids.extend(records.iter().map(|r| r.prediction_id.clone()));
                        log.append(names, &records).unwrap();
                        let mine = reads
                            .recent(&PredictionQuery {
                                model_version: Some(version.clone()),
                                limit: 10_000,
                                ..PredictionQuery::default()
                            })
                            .unwrap();
                        assert_eq!(
                            mine.len() as u64,
                            (call + 1) * ROWS_PER_CALL,
                            "thread {thread} call {call}: rows visible after return"
                        );
                    }
                    ids
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let stored = all_ids(&reader.predictions());
    assert_eq!(
        stored.len() as u64,
        THREADS * CALLS_PER_THREAD * ROWS_PER_CALL
    );
    let unique: BTreeSet<_> = stored.iter().cloned().collect();
    assert_eq!(unique.len(), stored.len(), "no row stored twice");
    assert_eq!(unique, sent.into_iter().collect::<BTreeSet<_>>());
}

#[test]
fn a_bad_call_among_concurrent_good_ones_fails_alone() {
    const TEST: &str = "a_bad_call_among_concurrent_good_ones_fails_alone";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let names = features(&["a", "b"]);
    let start = Barrier::new(16);
    let results: Vec<Result<(), StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16_u64)
            .map(|thread| {
                let (log, names, start) = (store.predictions(), &names, &start);
                scope.spawn(move || {
                    let mut record = prediction(thread, "v1", 2);
                    if thread == 7 {
                        record.score = 1.5;
                    }
                    start.wait();
                    log.append(names, &[record])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (thread, result) in results.iter().enumerate() {
        if thread == 7 {
            assert!(
                matches!(result, Err(StoreError::InvalidRecord { field, .. }) if field == "score"),
                "{result:?}"
            );
        } else {
            assert!(result.is_ok(), "thread {thread}: {result:?}");
        }
    }
    assert_eq!(all_ids(&store.predictions()).len(), 15);
}

#[test]
fn calls_with_another_feature_set_begin_a_new_generation_in_call_order() {
    const TEST: &str = "calls_with_another_feature_set_begin_a_new_generation_in_call_order";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let log = store.predictions();
    let old = features(&["a", "b"]);
    let new = features(&["a", "b", "c"]);
    log.append(&old, &[prediction(0, "v1", 2)]).unwrap();
    log.append(&new, &[prediction(1, "v2", 3)]).unwrap();
    assert_eq!(log.feature_names().unwrap(), new);
    assert_eq!(all_ids(&log).len(), 1);
    // The archived generation keeps its own feature names.
    let mut archived = Vec::new();
    log.scan_archived_logs(&mut |names, record| {
        archived.push((names.to_vec(), record.model_version));
        Ok(ControlFlow::Continue(()))
    })
    .unwrap();
    assert_eq!(archived, vec![(old, "v1".to_owned())]);
}
