//! Segments: the same drift report and the same production metrics, computed once per
//! value of one column (a product, a channel, an employment type, a region).
//!
//! A model can look fine overall while one segment drifts or loses its ranking power, so
//! every segment is judged on its own rows only: the current window's rows of that
//! segment against the same segment of the reference.
//!
//! Two rules keep a per-segment view honest:
//! - **minimum rows** ([`SegmentOptions::min_rows`], default [`DEFAULT_MIN_SEGMENT_ROWS`]):
//!   a segment with fewer rows (on either side for drift, labelled rows for metrics) is
//!   still listed, with its row counts and the reason, but gets no verdict and no
//!   ranking metrics, so it can neither be hidden nor raise an alarm on noise;
//! - **worst first**: drift lists drifted segments, then stable ones, then thin ones;
//!   within a group by the score's PSI, largest first. Metrics list segments with an AUC
//!   by AUC, lowest first, then the rest. Ties go by segment value, so the order is stable.
//!
//! Everything here is pure: [`SegmentColumns`] gathers rows (from a CSV file, the
//! prediction log or a training set), [`drift_segments`] and [`metrics_segments`] compute.

mod columns;
mod csv_input;
mod drift;
mod metrics;

pub use columns::{MISSING_SEGMENT, SegmentColumns};
pub use csv_input::{SegmentCsv, csv_segment_columns, segment_columns_from_csv};
pub use drift::{DriftSegments, SegmentDrift, SegmentStatus, drift_segments};
pub use metrics::{LabelledSegments, MetricsSegments, SegmentMetrics, metrics_segments};

use std::path::PathBuf;

use crate::classification::MetricsError;
use crate::drift::DriftError;
use crate::estimate::EstimateError;

/// Default minimum rows for a segment to be judged: with ten decile bins this leaves
/// about ten rows per bin, below which a PSI or an AUC is mostly noise.
pub const DEFAULT_MIN_SEGMENT_ROWS: u64 = 100;

/// Most distinct values a segment column may have. A column with more (a numeric feature
/// such as income) is not a segmentation; refusing it keeps responses bounded.
pub const MAX_SEGMENTS: usize = 100;

/// How segments are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentOptions {
    /// Fewest rows a segment needs to be judged (see the module docs); at least 1.
    pub min_rows: u64,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        Self {
            min_rows: DEFAULT_MIN_SEGMENT_ROWS,
        }
    }
}

/// Why segments cannot be computed.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The segment column is not one of the columns the rows carry.
    #[error("unknown segment column '{column}'; valid columns: {}", valid.join(", "))]
    UnknownColumn {
        /// The column asked for.
        column: String,
        /// The columns that can segment these rows.
        valid: Vec<String>,
    },
    /// The column has more distinct values than [`MAX_SEGMENTS`].
    #[error(
        "segment column '{column}' has more than {max} distinct values; segment by a column with few values, such as a categorical feature"
    )]
    TooManySegments {
        /// The column.
        column: String,
        /// The limit.
        max: usize,
    },
    /// `min_rows` is 0.
    #[error("min_rows must be at least 1")]
    BadMinRows,
    /// A row has the wrong number of cells.
    #[error("row {row}: {got} cells, expected {expected}")]
    RowWidth {
        /// 1-based row number.
        row: u64,
        /// Cells expected.
        expected: usize,
        /// Cells given.
        got: usize,
    },
    /// A numeric feature's cell is not a number.
    #[error("row {row}, column '{column}': '{value}' is not a number")]
    NotANumber {
        /// 1-based row number.
        row: u64,
        /// The column.
        column: String,
        /// The cell (cut to 40 characters).
        value: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Malformed CSV.
    #[error("malformed csv")]
    Csv(#[source] csv::Error),
    /// A problem at a line of a file.
    #[error("{path}: line {line}")]
    File {
        /// The file.
        path: PathBuf,
        /// The 1-based line (the header is line 1).
        line: u64,
        /// What is wrong there.
        #[source]
        source: Box<SegmentError>,
    },
    /// A segment's drift report could not be computed.
    #[error("segment '{segment}': computing its drift report failed")]
    Drift {
        /// The segment value.
        segment: String,
        /// The cause.
        #[source]
        source: DriftError,
    },
    /// A segment's performance could not be estimated.
    #[error("segment '{segment}': estimating its performance failed")]
    Estimate {
        /// The segment value.
        segment: String,
        /// The cause.
        #[source]
        source: EstimateError,
    },
    /// A segment's metrics could not be computed.
    #[error("segment '{segment}': computing its metrics failed")]
    Metrics {
        /// The segment value.
        segment: String,
        /// The cause.
        #[source]
        source: MetricsError,
    },
}

impl SegmentOptions {
    pub(crate) fn check(self) -> Result<Self, SegmentError> {
        if self.min_rows == 0 {
            Err(SegmentError::BadMinRows)
        } else {
            Ok(self)
        }
    }
}

#[cfg(test)]
mod tests;
