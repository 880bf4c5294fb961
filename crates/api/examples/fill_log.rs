//! Appends generated, scored predictions to the prediction log of a data directory, as
//! `POST /predict` would, so that a server can be measured on a large log without
//! driving a million requests first.
//!
//! `cargo run --release -p scorewatch-api --example fill_log -- <data-dir> [rows] [seed]`
//!
//! The data directory needs a promoted model (`scorewatch train`). Rows are appended in
//! batches of 1,000 with UUID v7 ids, the current model's version and its features.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "measurement tool")]

use std::path::PathBuf;
use std::time::Instant;

use scorewatch_api::served::Served;
use scorewatch_core::{
    FeatureValue, PredictionRecord, SampleGenerator, Scenario, Store, StoreOptions,
};

const BATCH: usize = 1000;

fn cell(value: Option<FeatureValue>) -> Option<String> {
    match value? {
        FeatureValue::Number(x) => Some(x.to_string()),
        FeatureValue::Category(c) => Some(c),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .expect("usage: fill_log <data-dir> [rows] [seed]"),
    );
    let rows: usize = args.next().map_or(1_000_000, |a| a.parse().expect("rows"));
    let seed: u64 = args.next().map_or(7, |a| a.parse().expect("seed"));
    let store = Store::open(&dir, StoreOptions::default()).expect("opening the store");
    let registry = scorewatch_core::ModelRegistry::for_layout(store.layout());
    let served = Served::load_current(&registry)
        .expect("loading the model")
        .expect("no promoted model: run `scorewatch train` first");
    let threshold = served.model.threshold();
    let mut generator = SampleGenerator::new(seed, Scenario::Baseline);
    let started = Instant::now();
    let mut written = 0;
    while written < rows {
        let n = BATCH.min(rows - written);
        let timestamp = time::OffsetDateTime::now_utc();
        let records: Vec<PredictionRecord> = generator
            .by_ref()
            .take(n)
            .map(|application| {
                let serde_json::Value::Object(mut fields) =
                    serde_json::to_value(application).expect("serialising")
                else {
                    unreachable!("an application serialises to an object")
                };
                fields.remove("true_probability");
                fields.remove("default");
                let values = served.model.validate(&fields).expect("a valid application");
                let score = served.model.score(&values);
                PredictionRecord {
                    prediction_id: uuid::Uuid::now_v7().to_string(),
                    timestamp,
                    model_version: served.version.clone(),
                    score,
                    decision: u8::from(score >= threshold),
                    features: values.into_iter().map(cell).collect(),
                }
            })
            .collect();
        store
            .predictions()
            .append(&served.features, &records)
            .expect("appending");
        written += n;
    }
    println!(
        "appended {rows} predictions to {} in {:.2?}",
        store.layout().predictions_log().display(),
        started.elapsed()
    );
}
