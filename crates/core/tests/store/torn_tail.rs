use std::fs::OpenOptions;
use std::io::Write;

use scorewatch_core::{OutcomeRecord, PredictionQuery};

use crate::helpers::{T0, features, open, prediction};

#[test]
fn torn_prediction_row_is_cut_back_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let names = features(&["a", "b"]);
    let store = open(dir.path());
    let records: Vec<_> = (0..3).map(|i| prediction(i, "v1", 2)).collect();
    store.predictions().append(&names, &records).unwrap();
    let path = store.layout().predictions_log();
    drop(store);
    let whole = std::fs::read(&path).unwrap();

    let fragment = b"0190a1b2-torn,2026-03-01T12:";
    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(fragment)
        .unwrap();

    let store = open(dir.path());
    assert_eq!(
        store.open_report().predictions_dropped_bytes,
        fragment.len() as u64
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        whole,
        "only the fragment goes"
    );
    let back = store
        .predictions()
        .recent(&PredictionQuery::newest(10))
        .unwrap();
    let mut expected = records;
    expected.reverse();
    assert_eq!(back, expected);

    // Appends after the repair start on a fresh line.
    store
        .predictions()
        .append(&names, &[prediction(3, "v1", 2)])
        .unwrap();
    assert_eq!(
        store
            .predictions()
            .recent(&PredictionQuery::newest(10))
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn torn_outcome_row_is_cut_back_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let outcome = OutcomeRecord {
        prediction_id: "p1".to_owned(),
        timestamp: T0,
        actual: 1,
    };
    store
        .outcomes()
        .append(std::slice::from_ref(&outcome))
        .unwrap();
    let path = store.layout().outcomes_log();
    drop(store);

    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"p2,2026")
        .unwrap();
    let store = open(dir.path());
    assert_eq!(store.open_report().outcomes_dropped_bytes, 7);
    assert_eq!(store.outcomes().recent(10).unwrap(), vec![outcome]);
}

#[test]
fn torn_first_row_leaves_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = open(dir.path()).layout().predictions_log();
    let header = std::fs::read(&path).unwrap();
    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"x,y")
        .unwrap();
    let store = open(dir.path());
    assert_eq!(store.open_report().predictions_dropped_bytes, 3);
    assert_eq!(std::fs::read(&path).unwrap(), header);
}
