//! Rough throughput of the prediction log: appends from N threads (one row per append,
//! as `POST /predict` does), then newest-first reads on the grown log.
//!
//! `cargo run --release -p scorewatch-core --example store_throughput -- [rows] [threads]`
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "measurement tool"
)]

use std::sync::Arc;
use std::time::Instant;

use scorewatch_core::{FsyncPolicy, PredictionQuery, PredictionRecord, Store, StoreOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let threads: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        Store::open(
            dir.path(),
            StoreOptions {
                fsync: FsyncPolicy::default(),
                ..StoreOptions::default()
            },
        )
        .unwrap(),
    );
    let features: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = Arc::clone(&store);
            let features = features.clone();
            std::thread::spawn(move || {
                for i in 0..rows / threads {
                    let record = PredictionRecord {
                        prediction_id: uuid::Uuid::now_v7().to_string(),
                        timestamp: time::OffsetDateTime::now_utc(),
                        model_version: "v1".to_owned(),
                        score: ((t + i) % 1000) as f64 / 1000.0,
                        decision: u8::from(i % 2 == 0),
                        features: (0..20).map(|f| Some(format!("{}.5", i + f))).collect(),
                    };
                    store.predictions().append(&features, &[record]).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = started.elapsed();
    let size = std::fs::metadata(store.layout().predictions_log())
        .unwrap()
        .len();
    println!(
        "appended {rows} rows from {threads} threads in {elapsed:.2?}: {:.0} rows/s, log {} MB",
        rows as f64 / elapsed.as_secs_f64(),
        size / 1_000_000
    );
    for limit in [100, 1000, 10_000] {
        let started = Instant::now();
        let reps = 20;
        for _ in 0..reps {
            let page = store
                .predictions()
                .recent(&PredictionQuery::newest(limit))
                .unwrap();
            assert_eq!(page.len(), limit);
        }
        println!(
            "recent(limit={limit}): {:.2?} per query",
            started.elapsed() / reps
        );
    }
    let started = Instant::now();
    let page = store
        .predictions()
        .recent(&PredictionQuery {
            model_version: Some("v1".to_owned()),
            offset: 5000,
            limit: 100,
            ..PredictionQuery::default()
        })
        .unwrap();
    println!(
        "recent(model_version, offset=5000, limit=100): {:.2?} ({} rows)",
        started.elapsed(),
        page.len()
    );
}
