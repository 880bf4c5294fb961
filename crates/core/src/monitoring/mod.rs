//! What the running service computes from its store between requests: the drift report
//! of the newest predictions against the model's reference profile, production metrics
//! of the predictions that have an outcome, and the performance estimated (CBPE) for
//! those that have none yet, each on a schedule.
//!
//! The top of the core's one-way stack: it uses the records, the statistics, the model
//! and the store, and nothing below imports it. The API decides when to call it (after so
//! many predictions or outcomes) and on which thread; what is computed is decided here.

mod data_quality;
mod drift_window;
mod estimate;
mod production;
mod schedule;
mod segments;
#[cfg(test)]
mod tests;

pub use data_quality::data_quality_of_newest;
pub use drift_window::{
    drift_report_of_newest, drift_report_of_records, drift_report_of_window, window_of_records,
};
pub use estimate::{
    EstimateUnavailable, ServedEstimate, estimate_of_newest_unlabelled, estimated_metrics_entry,
    served_estimator,
};
pub use production::{
    production_metrics, production_metrics_of_records, production_metrics_of_window,
};
pub use schedule::IntervalSchedule;
pub use segments::{
    TrainingReference, drift_segments_of_newest, drift_segments_of_records,
    metrics_segments_of_newest, metrics_segments_of_records, segment_columns,
};

use crate::classification::MetricsError;
use crate::drift::DriftError;
use crate::estimate::EstimateError;
use crate::model::DataError;
use crate::quality::QualityError;
use crate::segment::SegmentError;
use crate::store::StoreError;

/// Why a background computation failed.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The drift report could not be computed.
    #[error("computing the drift report failed")]
    Drift(#[from] DriftError),
    /// The metrics could not be computed.
    #[error("computing production metrics failed")]
    Metrics(#[from] MetricsError),
    /// The data-quality summary could not be computed.
    #[error("computing the data-quality summary failed")]
    Quality(#[from] QualityError),
    /// The served model's performance cannot be estimated (the reason says why).
    #[error(transparent)]
    Unavailable(#[from] EstimateUnavailable),
    /// The performance estimate could not be computed.
    #[error("estimating performance failed")]
    Estimate(#[from] EstimateError),
    /// Segments could not be computed (an unknown column, too many segments, ...).
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// The training rows a per-segment reference is built from cannot be had.
    #[error("model {version} has no per-segment reference: {reason}")]
    ReferenceUnavailable {
        /// The model version.
        version: String,
        /// Why (the training set is gone, changed, or not named).
        reason: String,
    },
    /// The model's training set no longer parses with the model's schema.
    #[error("the model's training set cannot be read as its reference")]
    Data(#[from] DataError),
}
