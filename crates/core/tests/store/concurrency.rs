use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;

use scorewatch_core::{FsyncPolicy, PredictionQuery, Store, StoreOptions};

use crate::helpers::{features, prediction};

const THREADS: u64 = 16;
const ROWS_PER_THREAD: u64 = 10_000;

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
    assert_send_sync::<Arc<Store>>();
}

#[test]
fn sixteen_threads_append_160000_complete_rows_with_unique_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        Store::open(
            dir.path(),
            StoreOptions {
                fsync: FsyncPolicy::Interval(std::time::Duration::from_millis(20)),
                ..StoreOptions::default()
            },
        )
        .unwrap(),
    );
    let names = features(&["income", "age", "region"]);
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            let names = names.clone();
            std::thread::spawn(move || {
                for i in 0..ROWS_PER_THREAD {
                    let record = prediction(t * ROWS_PER_THREAD + i, &format!("v{t}"), 3);
                    store.predictions().append(&names, &[record]).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    drop(store);

    // Reopen: a torn or interleaved row would fail to parse or be cut back.
    let store = crate::helpers::open(dir.path());
    assert_eq!(store.open_report().predictions_dropped_bytes, 0);
    let mut ids = HashSet::new();
    let mut per_version = std::collections::HashMap::<String, u64>::new();
    store
        .predictions()
        .scan(&mut |p| {
            assert_eq!(p.features.len(), 3);
            assert!(ids.insert(p.prediction_id));
            *per_version.entry(p.model_version).or_default() += 1;
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    assert_eq!(ids.len() as u64, THREADS * ROWS_PER_THREAD);
    assert_eq!(per_version.len() as u64, THREADS);
    assert!(per_version.values().all(|&n| n == ROWS_PER_THREAD));

    // The rows span three UTC days (one a second from T0), so the log rotated under the
    // sixteen writers: every row is in exactly one of the files, whole.
    let log = store.layout().predictions_log();
    let archives = scorewatch_core::list_prediction_archives(&log).unwrap();
    assert!(!archives.is_empty());
    let mut rows = 0;
    for path in archives.iter().chain([&log]) {
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.iter().all(|l| l.split(',').count() == 8));
        rows += lines.len() as u64 - 1;
    }
    assert_eq!(rows, THREADS * ROWS_PER_THREAD);

    let newest = store
        .predictions()
        .recent(&PredictionQuery::newest(1000))
        .unwrap();
    assert_eq!(newest.len(), 1000);
}
