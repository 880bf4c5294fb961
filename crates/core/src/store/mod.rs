//! The file-backed store: the data directory layout, atomic JSON files and append-only
//! CSV logs.

mod atomic;
mod error;
mod layout;
mod lock;
mod records;

pub use atomic::{
    AtomicStep, atomic_create_new, atomic_write_bytes, atomic_write_bytes_with, atomic_write_json,
    clean_tmp,
};
pub use error::StoreError;
pub use layout::{
    DRIFT_REPORTS_FILE, DataLayout, LOCK_FILE, MODEL_METRICS_FILE, OUTCOMES_LOG_FILE,
    PIPELINE_STATUS_FILE, PREDICTIONS_LOG_FILE,
};
pub use lock::DirLock;
pub use records::{MetricSource, MetricsEntry, OutcomeRecord, PredictionRecord};
