//! Ingest throughput of the prediction log: `/predict`-sized appends (one row each) from
//! 64 threads, one transaction per call against group commit. Numbers go to
//! docs/performance.md; nothing here asserts a time.
//!
//! ```text
//! SCOREWATCH_TEST_DATABASE_URL=postgres://user:pw@localhost/any \
//!   cargo run -p scorewatch-postgres --features testing --example ingest_bench -- 200
//! ```
//! The argument is the calls per thread (default 200). A database of its own is created
//! on that server and dropped at the end.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    reason = "a benchmark binary: prints its table, panics on setup failure"
)]

use std::sync::Barrier;
use std::time::{Duration, Instant};

use scorewatch_core::{PredictionLog as _, PredictionRecord, StoreOptions};
use scorewatch_postgres::testing::{create_database, drop_database};
use scorewatch_postgres::{DatabaseUrl, PgPredictionLog, PgStore};
use time::OffsetDateTime;

const THREADS: usize = 64;

/// One way of appending a call's rows.
type Append = fn(&PgPredictionLog, &[String], &[PredictionRecord]);

fn record(thread: usize, call: usize) -> PredictionRecord {
    PredictionRecord {
        prediction_id: uuid::Uuid::now_v7().to_string(),
        timestamp: OffsetDateTime::now_utc(),
        model_version: "bench".to_owned(),
        score: 0.25,
        decision: 0,
        features: vec![
            Some(format!("{thread}")),
            Some(format!("{call}")),
            None,
            Some("paris".to_owned()),
        ],
    }
}

/// Runs `calls` appends on each of the threads; returns (rows/s, p50, p99 of one call).
fn run(log: &PgPredictionLog, calls: usize, append: Append) -> (f64, Duration, Duration) {
    let names: Vec<String> = ["a", "b", "c", "city"].map(str::to_owned).to_vec();
    let start = Barrier::new(THREADS + 1);
    let (elapsed, mut latencies) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (log, names, start) = (log.clone(), &names, &start);
                scope.spawn(move || {
                    start.wait();
                    (0..calls)
                        .map(|call| {
                            let rows = [record(thread, call)];
                            let began = Instant::now();
                            append(&log, names, &rows);
                            began.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        start.wait();
        let began = Instant::now();
        let latencies: Vec<Duration> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        (began.elapsed(), latencies)
    });
    latencies.sort();
    // The call at quantile `per_mille` / 1000.
    let at = |per_mille: usize| latencies[(latencies.len() - 1) * per_mille / 1000];
    (
        latencies.len() as f64 / elapsed.as_secs_f64(),
        at(500),
        at(990),
    )
}

fn main() {
    let calls: usize = std::env::args()
        .nth(1)
        .map_or(200, |n| n.parse().expect("calls per thread"));
    let server = DatabaseUrl::parse(
        &std::env::var("SCOREWATCH_TEST_DATABASE_URL").expect("SCOREWATCH_TEST_DATABASE_URL"),
    )
    .unwrap();
    let name = format!("scorewatch_bench_{}", std::process::id());
    create_database(&server, &name).unwrap();
    let store = PgStore::open(&server.with_database(&name), &StoreOptions::default()).unwrap();
    let log = store.predictions();
    println!("{THREADS} threads x {calls} calls x 1 row");
    println!(
        "{:<28} {:>10} {:>10} {:>10}",
        "mode", "rows/s", "p50 ms", "p99 ms"
    );
    let modes: [(&str, Append); 2] = [
        ("one transaction per call", |log, names, rows| {
            log.append_unbatched(names, rows).unwrap();
        }),
        ("group commit", |log, names, rows| {
            log.append(names, rows).unwrap();
        }),
    ];
    for (mode, append) in modes {
        // A short warm-up fills the pool and the partitions' caches.
        run(&log, 5, append);
        let (rate, p50, p99) = run(&log, calls, append);
        println!(
            "{mode:<28} {rate:>10.0} {:>10.2} {:>10.2}",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    drop(log);
    drop(store);
    drop_database(&server, &name).unwrap();
}
