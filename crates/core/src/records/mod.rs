//! The records scorewatch keeps: the bottom of the core's one-way stack.
//!
//! Every type here is stored (a CSV row or a JSON document of the data directory) or
//! names how stored data is typed. They depend on nothing else in the crate, so the
//! statistics (`drift`, `classification`), `model`, `store`, `pipeline` and `monitoring`
//! modules above can all use them without importing one another's types.

mod alerts;
mod features;
mod metrics;
mod pipeline;
mod predictions;
mod quality;

pub use alerts::{Alert, AlertBook, AlertRule, AlertState, DeliveryStatus, Notification, Severity};
pub use features::FeatureKind;
pub use metrics::{MetricBounds, MetricName, MetricSource, MetricsEntry};
pub use pipeline::{DataSource, PipelineState, PipelineStatus, RunOutcome, RunRecord, Stage};
pub use predictions::{OutcomeRecord, PredictionRecord, prediction_key};
pub use quality::{DataQualitySummary, FeatureQuality, IssueKind};
