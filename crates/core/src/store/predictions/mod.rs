//! `predictions_log.csv`: one row per prediction.
//!
//! Columns: `prediction_id`, `timestamp` (RFC 3339, UTC), `model_version`, `score`,
//! `decision`, then one column per model feature in schema order. When a model with a
//! different feature set logs, the old log is archived as
//! `predictions_log.<UTC timestamp>.csv` beside it and a new one begun, so a row never
//! disagrees with its header. When the first row of a later UTC day arrives, the log is
//! rotated into `predictions_log.<YYYY-MM-DD>.csv` (its newest day) and continues with
//! the same columns (see `rotation` for why a day, and its crash-safe order).
//!
//! Archives are read-only but for retention, which deletes whole expired files. Where
//! each kind of read looks:
//! - [`PredictionLog::recent`] (`GET /monitoring/predictions`) and
//!   [`PredictionLog::scan`] read the current feature set: the current log, then its
//!   dated archives since the last switch. A page costs what it reads, newest first,
//!   whatever the archives hold.
//! - [`PredictionLog::scan_archives`] streams the older feature sets' archives, and
//!   [`PredictionLog::scan_all`] every archive then the current log (oldest first), so
//!   that every prediction kept stays known (late outcomes).
//! - [`PredictionLog::scan_since`] as `scan_all` from an instant on, skipping unopened the
//!   archives that ended before it (the outcome index's horizon).
//! - [`PredictionLog::recent_with_features`] continues from the current log into the
//!   archives of one feature set (a model version's rows can only be there), so a model's
//!   production metrics find its labelled rows wherever they live.

use std::fmt::Debug;
use std::ops::ControlFlow;
use std::time::Duration;

use time::OffsetDateTime;

use super::StoreError;
use crate::records::PredictionRecord;
mod archives;
mod file_log;
mod paging;
mod rotation;
mod row;

#[cfg(feature = "testing")]
pub use archives::list_prediction_archives;
pub use file_log::FilePredictionLog;
pub use rotation::ExpiredArchive;

/// The fixed leading columns of `predictions_log.csv`; feature columns follow.
pub const PREDICTION_BASE_COLUMNS: [&str; 5] = [
    "prediction_id",
    "timestamp",
    "model_version",
    "score",
    "decision",
];

/// The rules every backend holds a prediction row to before storing it: one value per
/// feature of `feature_count`, a score in [0, 1], a decision of 0 or 1.
///
/// # Errors
/// The field at fault and why; the backend names its file or table around it.
pub fn check_prediction(
    feature_count: usize,
    record: &PredictionRecord,
) -> Result<(), (&'static str, String)> {
    if record.features.len() != feature_count {
        return Err((
            "features",
            format!(
                "prediction {} has {} feature values, the model has {feature_count} features",
                record.prediction_id,
                record.features.len(),
            ),
        ));
    }
    if !(0.0..=1.0).contains(&record.score) {
        return Err((
            "score",
            format!("{} is not a probability in [0, 1]", record.score),
        ));
    }
    if record.decision > 1 {
        return Err(("decision", format!("{} is not 0 or 1", record.decision)));
    }
    Ok(())
}

/// How far out of timestamp order rows may be. Callers stamp a prediction before it
/// reaches the log's mutex, so concurrent writers can swap neighbours by a few
/// microseconds; a scan with `since` stops only at a row older than `since` by more.
pub const ORDER_SLACK: Duration = Duration::from_secs(1);

/// Which predictions a query wants, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredictionQuery {
    /// Only predictions at or after this instant.
    pub since: Option<OffsetDateTime>,
    /// Only predictions at or before this instant.
    pub until: Option<OffsetDateTime>,
    /// Only predictions of this model version.
    pub model_version: Option<String>,
    /// Matching predictions to skip (newest first) before the page starts.
    pub offset: usize,
    /// Page size.
    pub limit: usize,
}

impl PredictionQuery {
    /// The default page size.
    pub const DEFAULT_LIMIT: usize = 100;

    /// The newest `limit` predictions, unfiltered.
    #[must_use]
    pub fn newest(limit: usize) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }
}

impl Default for PredictionQuery {
    fn default() -> Self {
        Self {
            since: None,
            until: None,
            model_version: None,
            offset: 0,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// The visitor of [`PredictionLog::scan_archived_logs`]: a log's feature names and one
/// of its rows.
pub type NamedRowVisitor<'a> =
    dyn FnMut(&[String], PredictionRecord) -> Result<ControlFlow<()>, StoreError> + 'a;

/// The prediction log, whatever stores it.
pub trait PredictionLog: Send + Sync + Debug {
    /// The feature columns of the current log, in schema order.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn feature_names(&self) -> Result<Vec<String>, StoreError>;

    /// Appends `records`, scored by a model whose features are `features` (in schema
    /// order). If they differ from the current log's, the current log is archived first
    /// and a new one begun. The records are written before this returns.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] naming the field when a record does not fit (wrong
    /// number of features, score outside [0, 1], a line break in a value); nothing of the
    /// batch is written then. [`StoreError::Io`] when the write fails.
    fn append(&self, features: &[String], records: &[PredictionRecord]) -> Result<(), StoreError>;

    /// Whether the log (archives included) holds a prediction with `id`, for a caller
    /// whose own index of ids misses those other processes log (replicas on one
    /// database). `None` when the backend does not look ids up: one process logs them
    /// all and indexes each as it logs it (the file backend).
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn logged(&self, id: &str) -> Result<Option<bool>, StoreError> {
        let _ = id;
        Ok(None)
    }

    /// The predictions matching `query`, newest first. Cost grows with the rows scanned
    /// (offset + limit + rows filtered out), not with the size of the log.
    ///
    /// # Errors
    /// [`StoreError::CsvRow`] naming the row and field when a scanned row is corrupt.
    fn recent(&self, query: &PredictionQuery) -> Result<Vec<PredictionRecord>, StoreError>;

    /// Streams every prediction of the current log, oldest first, until `visit` breaks.
    ///
    /// # Errors
    /// [`StoreError::CsvRow`] naming the line and field of a corrupt row, or whatever
    /// `visit` returns.
    fn scan(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError>;

    /// Streams every prediction of the archived logs (older feature sets), oldest archive
    /// first and each oldest first, until `visit` breaks. A backend that never moves rows
    /// out of its current log has no archives: the default visits nothing.
    ///
    /// # Errors
    /// [`StoreError::CsvHeader`] or [`StoreError::CsvRow`] naming the archive and the
    /// line of a corrupt header or row, or whatever `visit` returns.
    fn scan_archives(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let _ = visit;
        Ok(())
    }

    /// Streams the archived logs as [`PredictionLog::scan_archives`] does, each row with
    /// the feature names of its log (the archives' feature sets differ from the current
    /// one), for copying a store into another backend (`scorewatch import`/`export`).
    /// The default visits nothing, as `scan_archives`'s does.
    ///
    /// # Errors
    /// As [`PredictionLog::scan_archives`].
    fn scan_archived_logs(&self, visit: &mut NamedRowVisitor<'_>) -> Result<(), StoreError> {
        let _ = visit;
        Ok(())
    }

    /// Streams every prediction ever logged, oldest first: the archives as
    /// [`PredictionLog::scan_archives`], then the current log, until `visit` breaks.
    ///
    /// # Errors
    /// As [`PredictionLog::scan_archives`] and [`PredictionLog::scan`].
    fn scan_all(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let mut stopped = false;
        self.scan_archives(&mut |record| {
            let flow = visit(record)?;
            stopped = flow.is_break();
            Ok(flow)
        })?;
        if stopped {
            return Ok(());
        }
        self.scan(visit)
    }

    /// Streams every prediction stamped at or after `since`, in the order of
    /// [`PredictionLog::scan_all`], until `visit` breaks. The file backend skips, unopened,
    /// every archive that ended before `since`, so a start-up scan over a horizon costs
    /// what the horizon holds. The default filters [`PredictionLog::scan_all`].
    ///
    /// # Errors
    /// As [`PredictionLog::scan_all`].
    fn scan_since(
        &self,
        since: OffsetDateTime,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        self.scan_all(&mut |record| {
            if record.timestamp < since {
                Ok(ControlFlow::Continue(()))
            } else {
                visit(record)
            }
        })
    }

    /// As [`PredictionLog::recent`] over every log whose feature columns are `features`:
    /// the current log, then the archives newest first. A model version's rows can only
    /// be in a log of its own feature set, so this finds all of them while reading no row
    /// of the other logs. The default (a backend without archives) is
    /// [`PredictionLog::recent`].
    ///
    /// # Errors
    /// As [`PredictionLog::recent`], naming the archive at fault.
    fn recent_with_features(
        &self,
        features: &[String],
        query: &PredictionQuery,
    ) -> Result<Vec<PredictionRecord>, StoreError> {
        let _ = features;
        self.recent(query)
    }
}
