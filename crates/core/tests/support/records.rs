//! Records the store tests of both backends write: predictions with every second feature
//! missing, and a minimal drift report (one copy, `#[path]`-included by each crate).

use scorewatch_core::{DriftReport, DriftRule, DriftVerdict, PredictionRecord, WindowSpec};
use time::OffsetDateTime;
use time::macros::datetime;

pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00:00 UTC);

pub fn features(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

/// Prediction `i`: one second after T0 per step, every second feature missing.
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
