//! The outcome log: one outcome per prediction id, whoever posts it.

use std::ops::ControlFlow;
use std::sync::{Arc, Barrier};

use scorewatch_core::{OutcomeLog, OutcomeRecord, StoreError};

use crate::support::{T0, TestDb};

fn outcome(id: &str, actual: u8) -> OutcomeRecord {
    OutcomeRecord {
        prediction_id: id.to_owned(),
        timestamp: T0,
        actual,
    }
}

fn all(log: &dyn OutcomeLog) -> Vec<OutcomeRecord> {
    let mut out = Vec::new();
    log.scan(&mut |r| {
        out.push(r);
        Ok(ControlFlow::Continue(()))
    })
    .unwrap();
    out
}

#[test]
fn outcomes_read_back_newest_first_and_scan_oldest_first() {
    const TEST: &str = "outcomes_read_back_newest_first_and_scan_oldest_first";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let log = store.outcomes();
    let records: Vec<_> = (0..5).map(|i| outcome(&format!("p{i}"), i % 2)).collect();
    log.append(&records[..2]).unwrap();
    log.append(&records[2..]).unwrap();
    log.append(&[]).unwrap();
    let newest: Vec<_> = records.iter().rev().cloned().collect();
    assert_eq!(log.recent(3).unwrap(), newest[..3]);
    assert_eq!(log.recent(100).unwrap(), newest);
    assert_eq!(all(&log), records);
}

#[test]
fn a_second_outcome_for_an_id_is_a_duplicate_and_writes_nothing_of_its_batch() {
    const TEST: &str = "a_second_outcome_for_an_id_is_a_duplicate_and_writes_nothing_of_its_batch";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let log = store.outcomes();
    log.append(&[outcome("p1", 1)]).unwrap();

    let err = log
        .append(&[outcome("p2", 0), outcome("p1", 0), outcome("p3", 1)])
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::DuplicateOutcome { prediction_id } if prediction_id == "p1"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "an outcome for prediction p1 was already recorded"
    );
    // The same id twice in one batch: the second is the duplicate.
    let err = log
        .append(&[outcome("p4", 0), outcome("p4", 1)])
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::DuplicateOutcome { prediction_id } if prediction_id == "p4"),
        "{err:?}"
    );
    assert_eq!(all(&log), vec![outcome("p1", 1)]);
    // An invalid label is refused before the database is asked.
    let err = log.append(&[outcome("p5", 2)]).unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidRecord { field, .. } if field == "actual"),
        "{err:?}"
    );
}

#[test]
fn the_same_outcome_posted_by_two_replicas_at_once_is_accepted_once() {
    const TEST: &str = "the_same_outcome_posted_by_two_replicas_at_once_is_accepted_once";
    let Some(db) = TestDb::new(TEST) else { return };
    // Two stores (two pools, as two replicas have), eight rounds of a race on a new id.
    let replicas = [Arc::new(db.open()), Arc::new(db.open())];
    for round in 0..8 {
        let id = format!("race{round}");
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = replicas
            .iter()
            .map(|store| {
                let (store, barrier, id) = (Arc::clone(store), Arc::clone(&barrier), id.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.outcomes().append(&[outcome(&id, 1)])
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let accepted = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(accepted, 1, "round {round}: {results:?}");
        assert!(results.iter().any(
            |r| matches!(r, Err(StoreError::DuplicateOutcome { prediction_id }) if *prediction_id == id)
        ));
    }
    assert_eq!(all(&replicas[0].outcomes()).len(), 8);
}
