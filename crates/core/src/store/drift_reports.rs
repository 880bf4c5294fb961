//! `drift_reports.json`: drift reports, newest last, bounded.

use std::fmt::Debug;
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::StoreError;
use super::json_file::{JsonDocument, JsonFile};
use crate::drift::DriftReport;

/// Reports kept in `drift_reports.json` unless configured otherwise; the oldest go first.
/// A report of 25 columns is about 20 KB, so the file stays around 1 MB.
pub const DEFAULT_DRIFT_RETENTION: usize = 50;

/// The content of `drift_reports.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReportsDocument {
    /// File format version ([`DriftReportsDocument::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Reports, oldest first.
    pub reports: Vec<DriftReport>,
}

impl DriftReportsDocument {
    /// The version this build reads and writes.
    pub const SCHEMA_VERSION: u32 = 1;
}

impl JsonDocument for DriftReportsDocument {
    const KIND: &'static str = "drift reports";
    const SCHEMA_VERSION: u32 = Self::SCHEMA_VERSION;
    fn empty() -> Self {
        Self {
            schema_version: Self::SCHEMA_VERSION,
            reports: Vec::new(),
        }
    }
}

/// A drift report in one line, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReportSummary {
    /// The report's id.
    pub id: String,
    /// When it was computed.
    #[serde(with = "time::serde::rfc3339")]
    pub computed_at: OffsetDateTime,
    /// Whether the data set drifted.
    pub dataset_drift: bool,
    /// Share of features that drifted.
    pub drifted_share: f64,
    /// Names of the drifted features, in schema order.
    pub drifted_features: Vec<String>,
    /// PSI of the model score, when the report has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_psi: Option<f64>,
}

impl From<&DriftReport> for DriftReportSummary {
    fn from(report: &DriftReport) -> Self {
        Self {
            id: report.id.clone(),
            computed_at: report.computed_at,
            dataset_drift: report.dataset_drift,
            drifted_share: report.drifted_share,
            drifted_features: report
                .features
                .iter()
                .filter(|f| f.drifted)
                .map(|f| f.name.clone())
                .collect(),
            score_psi: report.score.as_ref().and_then(|s| s.psi),
        }
    }
}

/// The drift reports, whatever stores them.
pub trait DriftReportStore: Send + Sync + Debug {
    /// Adds a report as the newest, dropping the oldest beyond the retention.
    ///
    /// # Errors
    /// When it cannot be stored; the reports are then unchanged.
    fn save(&self, report: DriftReport) -> Result<(), StoreError>;

    /// The newest report.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn latest(&self) -> Result<Option<DriftReport>, StoreError>;

    /// The report with this id, if still kept.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn get(&self, id: &str) -> Result<Option<DriftReport>, StoreError>;

    /// A summary of every kept report, oldest first.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn summaries(&self) -> Result<Vec<DriftReportSummary>, StoreError>;
}

/// [`DriftReportStore`] in `data/monitoring/drift_reports.json`.
#[derive(Debug)]
pub struct FileDriftReports {
    file: JsonFile<DriftReportsDocument>,
    retention: usize,
}

impl FileDriftReports {
    /// Loads and checks `path`; keeps at most `retention` reports (at least 1).
    ///
    /// # Errors
    /// [`StoreError::Missing`], [`StoreError::Json`] or [`StoreError::SchemaVersion`]
    /// naming the file.
    pub fn open(path: &Path, tmp_dir: &Path, retention: usize) -> Result<Self, StoreError> {
        Ok(Self {
            file: JsonFile::open(path, tmp_dir)?,
            retention: retention.max(1),
        })
    }
}

impl DriftReportStore for FileDriftReports {
    fn save(&self, report: DriftReport) -> Result<(), StoreError> {
        self.file.update(|doc| {
            doc.reports.push(report);
            let excess = doc.reports.len().saturating_sub(self.retention);
            doc.reports.drain(..excess);
        })
    }

    fn latest(&self) -> Result<Option<DriftReport>, StoreError> {
        Ok(self.file.read(|doc| doc.reports.last().cloned()))
    }

    fn get(&self, id: &str) -> Result<Option<DriftReport>, StoreError> {
        Ok(self
            .file
            .read(|doc| doc.reports.iter().find(|r| r.id == id).cloned()))
    }

    fn summaries(&self) -> Result<Vec<DriftReportSummary>, StoreError> {
        Ok(self
            .file
            .read(|doc| doc.reports.iter().map(DriftReportSummary::from).collect()))
    }
}
