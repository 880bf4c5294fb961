use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use scorewatch_core::{
    DriftReport, DriftRule, DriftVerdict, FsyncPolicy, PredictionRecord, Store, StoreOptions,
    WindowSpec,
};
use time::OffsetDateTime;
use time::macros::datetime;

pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00:00 UTC);

pub fn open(dir: &Path) -> Store {
    Store::open(
        dir,
        StoreOptions {
            fsync: FsyncPolicy::Never,
            ..StoreOptions::default()
        },
    )
    .unwrap()
}

pub fn features(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

pub fn prediction(i: u64, version: &str, n_features: usize) -> PredictionRecord {
    PredictionRecord {
        prediction_id: uuid::Uuid::now_v7().to_string(),
        timestamp: T0 + time::Duration::seconds(i64::try_from(i).unwrap()),
        model_version: version.to_owned(),
        score: (i % 100) as f64 / 100.0,
        decision: u8::from(i % 100 >= 50),
        features: (0..n_features)
            .map(|f| (f != 1).then(|| format!("{}", i * 10 + f as u64)))
            .collect(),
    }
}

pub fn drift_report(id: &str) -> DriftReport {
    let window = WindowSpec {
        description: "test".to_owned(),
        model_version: None,
        from: None,
        to: None,
        rows: 10,
    };
    DriftReport {
        id: id.to_owned(),
        computed_at: T0,
        reference: window.clone(),
        current: window,
        rule: DriftRule::default(),
        dataset_drift_threshold: 0.5,
        features: Vec::new(),
        score: None,
        drifted_share: 0.0,
        dataset_drift: false,
        verdict: DriftVerdict::judge(None, &[], 0.0, 0.5, false),
        data_quality: None,
    }
}

/// Every file under `dir` with its bytes, and every directory.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.insert(path.clone(), None);
                stack.push(path);
            } else {
                out.insert(path.clone(), Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

pub fn metrics_entry(accuracy: f64) -> scorewatch_core::MetricsEntry {
    scorewatch_core::MetricsEntry {
        timestamp: T0,
        source: scorewatch_core::MetricSource::Manual,
        model_version: None,
        metrics: BTreeMap::from([("accuracy".to_owned(), accuracy)]),
        undefined: BTreeMap::new(),
        rows: None,
        posted_by: None,
        rejected_candidate: false,
        bands: std::collections::BTreeMap::new(),
    }
}
