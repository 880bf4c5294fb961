//! scorewatch-core: the engine of scorewatch, a monitor for deployed scoring models.
//!
//! The crate has no web, GUI or async dependency; the API, the dashboard and other tools
//! link it.
//!
//! - [`store`](crate::MetricsEntry): the data directory (`data/monitoring/...`), with
//!   atomic JSON files and append-only CSV logs.
//! - drift: PSI, KS and chi-square on frozen reference profiles, and [`DriftReport`].
//! - metrics: [`ClassificationMetrics`] of a scored, labelled sample.
//! - pipeline: the training pipeline's [`PipelineState`] machine and [`PipelineStatus`].
#![deny(missing_docs)]

mod drift;
mod metrics;
mod pipeline;
mod store;

pub use drift::{
    BinShare, Chi2Result, DriftReport, DriftRule, FeatureDrift, FeatureKind, KsMethod, KsResult,
    PsiBand, WindowSpec,
};
pub use metrics::{ClassificationMetrics, Confusion};
pub use pipeline::{DataSource, PipelineState, PipelineStatus, RunOutcome, RunRecord, Stage};
pub use store::{
    AtomicStep, DRIFT_REPORTS_FILE, DataLayout, DirLock, LOCK_FILE, MODEL_METRICS_FILE,
    MetricSource, MetricsEntry, OUTCOMES_LOG_FILE, OutcomeRecord, PIPELINE_STATUS_FILE,
    PREDICTIONS_LOG_FILE, PredictionRecord, StoreError, atomic_create_new, atomic_write_bytes,
    atomic_write_bytes_with, atomic_write_json, clean_tmp,
};
