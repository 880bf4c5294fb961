//! The report people share: one self-contained HTML page (inline CSS and SVG, no script,
//! no external URL) with the model, the alerts firing, its performance, score and
//! feature drift, data quality, drift and metrics per segment (when asked for) and the
//! recent pipeline runs of one data window.
//!
//! The bottom of core's one-way stack: [`gather_report`] reads the store and computes
//! every number with the functions the JSON endpoints use (`monitoring`'s drift report
//! and production metrics, the metrics history, the pipeline status); [`render_html`]
//! only formats what it is given, so the page never shows a number the API would not.

mod escape;
mod gather;
mod html;
mod sections;
mod segment_table;
mod svg;

pub use gather::{
    DEFAULT_REPORT_RUNS, MAX_REPORT_ROWS, ReportData, ReportModel, ReportRequest, ReportSegments,
    ReportWindow, gather_report, gather_report_with,
};
pub use html::render_html;

use crate::model::InvalidModelVersion;
use crate::monitoring::MonitorError;
use crate::segment::SegmentError;
use crate::store::{RegistryError, StoreError};

/// Why a report could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The requested model version is not a valid name.
    #[error(transparent)]
    InvalidVersion(#[from] InvalidModelVersion),
    /// No published model has the requested version.
    #[error("no published model has version '{version}' (published: {known})")]
    UnknownVersion {
        /// The version asked for.
        version: String,
        /// The published versions, comma-separated, or `none`.
        known: String,
    },
    /// The model registry could not be read.
    #[error("reading the model registry failed")]
    Registry(#[from] RegistryError),
    /// A store document or log could not be read.
    #[error("reading the store failed")]
    Store(#[from] StoreError),
    /// The segments asked for cannot be computed: a column that is not one of the
    /// model's features (the message lists them), too many values, a bad minimum.
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// The drift report or production metrics could not be computed.
    #[error("computing the report's numbers failed")]
    Monitor(#[from] MonitorError),
}
