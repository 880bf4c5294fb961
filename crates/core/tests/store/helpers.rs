use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use scorewatch_core::{FsyncPolicy, Store, StoreOptions};

#[path = "../support/records.rs"]
mod records;
pub use records::{T0, drift_report, features, prediction};

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
