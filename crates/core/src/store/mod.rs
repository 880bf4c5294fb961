//! The file-backed store: the data directory layout, atomic JSON files and append-only
//! CSV logs.

mod records;

pub use records::{MetricSource, MetricsEntry, OutcomeRecord, PredictionRecord};
