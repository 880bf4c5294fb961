//! What the running service computes from its store between requests: the drift report
//! of the newest predictions against the model's reference profile, and production
//! metrics of the predictions that have an outcome, each on a schedule.
//!
//! The top of the core's one-way stack: it uses the records, the statistics, the model
//! and the store, and nothing below imports it. The API decides when to call it (after so
//! many predictions or outcomes) and on which thread; what is computed is decided here.

mod drift_window;
mod production;
mod schedule;

pub use drift_window::{
    drift_report_of_newest, drift_report_of_records, drift_report_of_window, window_of_records,
};
pub use production::{
    production_metrics, production_metrics_of_records, production_metrics_of_window,
};
pub use schedule::IntervalSchedule;

use crate::classification::MetricsError;
use crate::drift::DriftError;
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
}
