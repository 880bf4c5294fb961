use std::ops::ControlFlow;

use scorewatch_core::{PredictionQuery, StoreError};

use crate::helpers::{T0, features, open, prediction};

fn ids(records: &[scorewatch_core::PredictionRecord]) -> Vec<String> {
    records.iter().map(|r| r.prediction_id.clone()).collect()
}

#[test]
fn rows_round_trip_and_read_newest_first_across_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let names = features(&["income", "age", "region"]);
    // Enough rows that the backward reader crosses many 64 KiB chunks.
    let records: Vec<_> = (0..5000).map(|i| prediction(i, "v1", 3)).collect();
    for batch in records.chunks(7) {
        store.predictions().append(&names, batch).unwrap();
    }
    let newest = store
        .predictions()
        .recent(&PredictionQuery::newest(5000))
        .unwrap();
    let mut expected = records.clone();
    expected.reverse();
    assert_eq!(newest, expected);
    assert_eq!(
        newest[0].features[1], None,
        "empty cell reads back as missing"
    );

    let mut forward = Vec::new();
    store
        .predictions()
        .scan(&mut |p| {
            forward.push(p);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    assert_eq!(forward, records);
}

#[test]
fn filters_offset_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let names = features(&["x"]);
    let records: Vec<_> = (0..100)
        .map(|i| prediction(i, if i % 2 == 0 { "even" } else { "odd" }, 1))
        .collect();
    store.predictions().append(&names, &records).unwrap();

    let page = store
        .predictions()
        .recent(&PredictionQuery {
            model_version: Some("even".to_owned()),
            offset: 2,
            limit: 3,
            ..PredictionQuery::default()
        })
        .unwrap();
    assert_eq!(
        ids(&page),
        ids(&[
            records[94].clone(),
            records[92].clone(),
            records[90].clone()
        ])
    );

    let window = store
        .predictions()
        .recent(&PredictionQuery {
            since: Some(T0 + time::Duration::seconds(10)),
            until: Some(T0 + time::Duration::seconds(14)),
            limit: 100,
            ..PredictionQuery::default()
        })
        .unwrap();
    assert_eq!(
        ids(&window),
        ids(&records[10..=14].iter().rev().cloned().collect::<Vec<_>>())
    );
    assert!(
        store
            .predictions()
            .recent(&PredictionQuery::newest(0))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn new_feature_set_archives_the_old_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let monitoring = store.layout().monitoring_dir();
    let count_archives = || {
        std::fs::read_dir(&monitoring)
            .unwrap()
            .filter(|e| {
                let name = e
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .into_owned();
                name.starts_with("predictions_log.") && name != "predictions_log.csv"
            })
            .count()
    };

    // The empty log written by init has no features: it is replaced, not archived.
    let v1 = features(&["a", "b"]);
    store
        .predictions()
        .append(&v1, &[prediction(0, "v1", 2)])
        .unwrap();
    assert_eq!(count_archives(), 0);
    assert_eq!(store.predictions().feature_names().unwrap(), v1);

    let v2 = features(&["a", "b", "c"]);
    store
        .predictions()
        .append(&v2, &[prediction(1, "v2", 3)])
        .unwrap();
    assert_eq!(count_archives(), 1);
    assert_eq!(store.predictions().feature_names().unwrap(), v2);
    let text = std::fs::read_to_string(store.layout().predictions_log()).unwrap();
    assert!(text.starts_with("prediction_id,timestamp,model_version,score,decision,a,b,c\n"));
    assert_eq!(text.lines().count(), 2);
    let rows = store
        .predictions()
        .recent(&PredictionQuery::newest(10))
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].model_version, "v2");

    // The header survives a reopen.
    drop(store);
    let store = open(dir.path());
    assert_eq!(store.predictions().feature_names().unwrap(), v2);
}

#[test]
fn invalid_records_are_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let names = features(&["note"]);
    let good = prediction(0, "v1", 1);
    let mut line_break = prediction(1, "v1", 1);
    line_break.features[0] = Some("two\nlines".to_owned());
    let err = store
        .predictions()
        .append(&names, &[good.clone(), line_break])
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidRecord { field, .. } if field == "note"),
        "{err}"
    );

    let mut bad_score = prediction(2, "v1", 1);
    bad_score.score = 1.5;
    let err = store
        .predictions()
        .append(&names, &[bad_score])
        .unwrap_err();
    assert!(err.to_string().contains("field score"), "{err}");

    let err = store
        .predictions()
        .append(&names, &[prediction(3, "v1", 2)])
        .unwrap_err();
    assert!(err.to_string().contains("field features"), "{err}");

    assert!(
        store
            .predictions()
            .recent(&PredictionQuery::newest(10))
            .unwrap()
            .is_empty()
    );

    // Commas and quotes are fine.
    let mut quoted = good;
    quoted.features[0] = Some("a, \"quoted\" value".to_owned());
    store
        .predictions()
        .append(&names, &[quoted.clone()])
        .unwrap();
    assert_eq!(
        store
            .predictions()
            .recent(&PredictionQuery::newest(1))
            .unwrap(),
        vec![quoted]
    );
}
