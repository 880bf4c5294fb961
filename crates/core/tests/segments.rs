//! Drift and metrics per segment of a trained model's logged predictions, through the
//! store: the current window against the same segment of the model's training set.

#![allow(clippy::unwrap_used)] // fixtures outside #[test] functions

use std::sync::Arc;

use scorewatch_core::{
    DEFAULT_TRAINING_FILE, FsyncPolicy, Model, MonitorError, OutcomeRecord, PipelineRunner,
    PredictionRecord, RunRequest, Scenario, SegmentError, SegmentOptions, SegmentStatus, Store,
    StoreOptions, TrainingReference, drift_segments_of_newest, metrics_segments_of_newest, roc_auc,
    served_estimator, write_sample_csv,
};
use time::OffsetDateTime;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    model: Model,
}

/// A model trained on 3000 baseline rows (seed 11).
fn trained() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        fsync: FsyncPolicy::Never,
        ..StoreOptions::default()
    };
    let store = Arc::new(Store::open(&dir.path().join("data"), options).unwrap());
    let mut csv = Vec::new();
    write_sample_csv(&mut csv, 3000, 11, Scenario::Baseline).unwrap();
    std::fs::write(
        store.layout().training_dir().join(DEFAULT_TRAINING_FILE),
        &csv,
    )
    .unwrap();
    let runner = PipelineRunner::new(Arc::clone(&store)).unwrap();
    let report = runner.run(&RunRequest::default(), &|_, _| {}).unwrap();
    let model = Model::new(report.model.unwrap()).unwrap();
    Fixture {
        _dir: dir,
        store,
        model,
    }
}

/// Rows of a generated CSV as (employment type, feature cells in schema order, label).
fn rows(
    model: &Model,
    n: usize,
    seed: u64,
    scenario: Scenario,
) -> Vec<(String, Vec<Option<String>>, bool)> {
    let mut csv = Vec::new();
    write_sample_csv(&mut csv, n, seed, scenario).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            let cells = model
                .artifact()
                .schema
                .features
                .iter()
                .map(|f| Some(row[at(&f.name)].to_owned()).filter(|c| !c.is_empty()))
                .collect();
            let segment = match &row[at("employment_type")] {
                "" => scorewatch_core::MISSING_SEGMENT.to_owned(),
                value => value.to_owned(),
            };
            (segment, cells, &row[at("default")] == "1")
        })
        .collect()
}

/// Logs baseline predictions for every employment type but `salaried`, whose rows come
/// from the score-inflation scenario; every prediction gets its outcome.
fn log_predictions(fixture: &Fixture) -> Vec<(String, f64, bool)> {
    log_predictions_labelling(fixture, 1)
}

/// As [`log_predictions`], with an outcome for every `every`-th prediction only.
fn log_predictions_labelling(fixture: &Fixture, every: usize) -> Vec<(String, f64, bool)> {
    let model = &fixture.model;
    let names: Vec<String> = model.artifact().schema.names().map(str::to_owned).collect();
    let baseline = rows(model, 3000, 12, Scenario::Baseline);
    let shifted = rows(model, 3000, 13, Scenario::ScoreInflation);
    let chosen = baseline
        .into_iter()
        .filter(|r| r.0 != "salaried")
        .chain(shifted.into_iter().filter(|r| r.0 == "salaried"));
    let mut records = Vec::new();
    let mut outcomes = Vec::new();
    let mut logged = Vec::new();
    for (i, (segment, cells, label)) in chosen.enumerate() {
        let features = names
            .iter()
            .zip(&cells)
            .map(|(name, cell)| {
                let value = match cell {
                    None => serde_json::Value::Null,
                    Some(c) => c
                        .parse::<f64>()
                        .map_or_else(|_| serde_json::json!(c), |x| serde_json::json!(x)),
                };
                (name.clone(), value)
            })
            .collect();
        let values = model.validate(&features).unwrap();
        let score = model.score(&values);
        let id = format!("p-{i}");
        records.push(PredictionRecord {
            prediction_id: id.clone(),
            timestamp: OffsetDateTime::now_utc(),
            model_version: model.artifact().version.to_string(),
            score,
            decision: u8::from(score >= model.threshold()),
            features: cells,
        });
        if i % every == 0 {
            outcomes.push(OutcomeRecord {
                prediction_id: id,
                timestamp: OffsetDateTime::now_utc(),
                actual: u8::from(label),
            });
        }
        logged.push((segment, score, label));
    }
    fixture
        .store
        .predictions()
        .append(&names, &records)
        .unwrap();
    fixture.store.outcomes().append(&outcomes).unwrap();
    logged
}

#[test]
fn the_shifted_segment_drifts_and_the_others_do_not() {
    let fixture = trained();
    log_predictions(&fixture);
    let training = TrainingReference::load(&fixture.store, &fixture.model).unwrap();
    let result = drift_segments_of_newest(
        &fixture.store,
        &fixture.model,
        &training,
        "employment_type",
        100_000,
        &SegmentOptions::default(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(result.column, "employment_type");
    let first = &result.segments[0];
    assert_eq!(first.segment, "salaried");
    assert_eq!(first.status, SegmentStatus::Drifted, "{first:?}");
    assert!(
        first.drifted_features.iter().any(|f| f == "debt_to_income"),
        "{first:?}"
    );
    for other in &result.segments[1..] {
        assert_ne!(other.status, SegmentStatus::Drifted, "{other:?}");
    }
    // Every training row has its segment on the reference side.
    let reference_rows: u64 = result.segments.iter().map(|s| s.reference_rows).sum();
    assert_eq!(reference_rows, 3000);
    assert_eq!(result.reference.rows, 3000);
}

#[test]
fn segment_metrics_are_the_metrics_of_the_segments_rows() {
    let fixture = trained();
    let logged = log_predictions(&fixture);
    let result = metrics_segments_of_newest(
        &fixture.store,
        &fixture.model,
        "employment_type",
        100_000,
        &SegmentOptions::default(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(result.labelled_rows, logged.len() as u64);
    for segment in &result.segments {
        let (scores, labels): (Vec<f64>, Vec<bool>) = logged
            .iter()
            .filter(|r| r.0 == segment.segment)
            .map(|r| (r.1, r.2))
            .unzip();
        assert_eq!(segment.labelled_rows, scores.len() as u64);
        if segment.insufficient.is_none() {
            assert_eq!(segment.roc_auc, Some(roc_auc(&scores, &labels).unwrap()));
        }
    }
    let aucs: Vec<f64> = result.segments.iter().filter_map(|s| s.roc_auc).collect();
    assert!(aucs.is_sorted(), "worst (lowest AUC) first: {aucs:?}");
}

#[test]
fn an_unknown_column_lists_the_valid_ones() {
    let fixture = trained();
    log_predictions(&fixture);
    let err = metrics_segments_of_newest(
        &fixture.store,
        &fixture.model,
        "region",
        100,
        &SegmentOptions::default(),
    )
    .unwrap_err();
    let MonitorError::Segment(SegmentError::UnknownColumn { valid, .. }) = &err else {
        panic!("{err:?}")
    };
    assert!(valid.iter().any(|c| c == "employment_type"), "{valid:?}");
    assert!(
        err.to_string()
            .starts_with("unknown segment column 'region'; valid columns: age, "),
        "{err}"
    );
}

#[test]
fn a_changed_training_set_is_not_taken_for_the_reference() {
    let fixture = trained();
    let path = fixture
        .store
        .layout()
        .training_dir()
        .join(DEFAULT_TRAINING_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"\n");
    std::fs::write(&path, bytes).unwrap();
    let err = TrainingReference::load(&fixture.store, &fixture.model).unwrap_err();
    assert!(
        err.to_string().contains("changed since it was trained"),
        "{err}"
    );
}

#[test]
fn no_prediction_yet_is_none() {
    let fixture = trained();
    let training = TrainingReference::load(&fixture.store, &fixture.model).unwrap();
    let result = drift_segments_of_newest(
        &fixture.store,
        &fixture.model,
        &training,
        "home_ownership",
        100,
        &SegmentOptions::default(),
    )
    .unwrap();
    assert!(result.is_none());
}

#[test]
fn segment_estimates_are_the_estimator_over_each_segments_unlabelled_rows() {
    let fixture = trained();
    // Every other prediction has its outcome; the others are estimated.
    let logged = log_predictions_labelling(&fixture, 2);
    let result = metrics_segments_of_newest(
        &fixture.store,
        &fixture.model,
        "employment_type",
        100_000,
        &SegmentOptions { min_rows: 50 },
    )
    .unwrap()
    .unwrap();
    let estimator = served_estimator(fixture.model.artifact(), None).unwrap();
    let mut estimated = 0;
    for segment in &result.segments {
        // The log is read newest first.
        let unlabelled: Vec<f64> = logged
            .iter()
            .enumerate()
            .rev()
            .filter(|(i, r)| i % 2 == 1 && r.0 == segment.segment)
            .map(|(_, r)| r.1)
            .collect();
        assert_eq!(segment.unlabelled_rows, unlabelled.len() as u64);
        if unlabelled.len() < 50 {
            assert_eq!(segment.estimated_roc_auc, None);
            assert!(
                segment.undefined["estimated_roc_auc"].starts_with("too few unlabelled rows"),
                "{segment:?}"
            );
            continue;
        }
        let expected = estimator.estimate(&unlabelled, None).unwrap().estimated;
        let close =
            |got: Option<f64>, want: Option<f64>| (got.unwrap() - want.unwrap()).abs() < 1e-12;
        assert!(
            close(segment.estimated_roc_auc, expected.roc_auc),
            "{segment:?}"
        );
        assert!(
            close(segment.estimated_accuracy, expected.accuracy),
            "{segment:?}"
        );
        estimated += 1;
    }
    assert!(estimated >= 3, "{result:?}");
}
