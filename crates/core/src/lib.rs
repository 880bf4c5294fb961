//! scorewatch-core: the engine of scorewatch, a monitor for deployed scoring models.
//!
//! The crate has no web, GUI or async dependency; the API, the dashboard and other tools
//! link it.
//!
//! - [`store`](crate::MetricsEntry): the data directory (`data/monitoring/...`), with
//!   atomic JSON files and append-only CSV logs.
//! - drift: PSI, KS and chi-square on frozen reference profiles, and [`DriftReport`].
//! - metrics: [`ClassificationMetrics`] of a scored, labelled sample.
//! - [`views`]: request and response bodies of the HTTP API, shared with the dashboard.
//! - pipeline: the training pipeline's [`PipelineState`] machine and [`PipelineStatus`].
#![deny(missing_docs)]

mod drift;
mod metrics;
mod pipeline;
mod store;
pub mod views;

pub use drift::{
    BinShare, Chi2Result, DriftReport, DriftRule, FeatureDrift, FeatureKind, KsMethod, KsResult,
    PsiBand, WindowSpec,
};
pub use metrics::{ClassificationMetrics, Confusion};
pub use pipeline::{DataSource, PipelineState, PipelineStatus, RunOutcome, RunRecord, Stage};
pub use store::{MetricSource, MetricsEntry, OutcomeRecord, PredictionRecord};
