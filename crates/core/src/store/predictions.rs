//! `predictions_log.csv`: one row per prediction.
//!
//! Columns: `prediction_id`, `timestamp` (RFC 3339, UTC), `model_version`, `score`,
//! `decision`, then one column per model feature in schema order. When a model with a
//! different feature set logs, the old log is archived as
//! `predictions_log.<UTC timestamp>.csv` beside it and a new one begun, so a row never
//! disagrees with its header. Queries read the current log only.

use std::fmt::Debug;
use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Duration;

use csv::StringRecord;
use time::OffsetDateTime;

use super::csv_log::{CsvLog, FsyncPolicy, OpenReport, RowEncoder, RowLocation};
use super::fields::{
    check_width, field, field_error, format_timestamp, parse_binary, parse_timestamp,
};
use super::{PredictionRecord, StoreError, atomic};

/// The fixed leading columns of `predictions_log.csv`; feature columns follow.
pub const PREDICTION_BASE_COLUMNS: [&str; 5] = [
    "prediction_id",
    "timestamp",
    "model_version",
    "score",
    "decision",
];

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
}

/// [`PredictionLog`] in `data/monitoring/predictions_log.csv`.
#[derive(Debug)]
pub struct FilePredictionLog {
    path: PathBuf,
    tmp_dir: PathBuf,
    policy: FsyncPolicy,
    /// Appends share the read side (the log serialises them itself); switching to a new
    /// feature set takes the write side.
    log: RwLock<CsvLog>,
}

impl FilePredictionLog {
    /// The header of a log for `features`.
    #[must_use]
    pub fn header(features: &[String]) -> Vec<String> {
        PREDICTION_BASE_COLUMNS
            .iter()
            .map(|&c| c.to_owned())
            .chain(features.iter().cloned())
            .collect()
    }

    /// The content of a new, empty log without features (what `init` writes).
    #[must_use]
    pub fn empty_log_bytes() -> Vec<u8> {
        CsvLog::header_bytes(&PREDICTION_BASE_COLUMNS)
    }

    /// Opens the log at `path`, checking its leading columns and cutting back a torn
    /// last line.
    ///
    /// # Errors
    /// As [`CsvLog::open`].
    pub fn open(
        path: &Path,
        tmp_dir: &Path,
        policy: FsyncPolicy,
    ) -> Result<(Self, OpenReport), StoreError> {
        let (log, report) = open_log(path, policy)?;
        Ok((
            Self {
                path: path.to_owned(),
                tmp_dir: tmp_dir.to_owned(),
                policy,
                log: RwLock::new(log),
            },
            report,
        ))
    }

    /// Archives the current log (or drops it when it has no row) and begins one for
    /// `features`. Returns the archive's path.
    fn switch_features(
        &self,
        log: &mut CsvLog,
        features: &[String],
    ) -> Result<Option<PathBuf>, StoreError> {
        let header = Self::header(features);
        let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
        let bytes = CsvLog::header_bytes(&header_refs);
        let archive = if log.is_empty() {
            None
        } else {
            log.sync_if_dirty()?;
            let archive = archive_path(&self.path)?;
            fs::rename(&self.path, &archive)
                .map_err(|e| StoreError::io("archive", &self.path, e))?;
            tracing::info!(
                archive = %archive.display(),
                "feature set changed; archived the prediction log and began a new one"
            );
            Some(archive)
        };
        atomic::atomic_write_bytes(&self.tmp_dir, &self.path, &bytes)?;
        let (new_log, _) = open_log(&self.path, self.policy)?;
        *log = new_log;
        Ok(archive)
    }

    fn encode(
        &self,
        features: &[String],
        records: &[PredictionRecord],
    ) -> Result<RowEncoder, StoreError> {
        let invalid = |field: &str, reason: String| StoreError::InvalidRecord {
            path: self.path.clone(),
            field: field.to_owned(),
            reason,
        };
        let mut encoder = RowEncoder::new();
        for record in records {
            if record.features.len() != features.len() {
                return Err(invalid(
                    "features",
                    format!(
                        "prediction {} has {} feature values, the model has {} features",
                        record.prediction_id,
                        record.features.len(),
                        features.len()
                    ),
                ));
            }
            if !(0.0..=1.0).contains(&record.score) {
                return Err(invalid(
                    "score",
                    format!("{} is not a probability in [0, 1]", record.score),
                ));
            }
            if record.decision > 1 {
                return Err(invalid(
                    "decision",
                    format!("{} is not 0 or 1", record.decision),
                ));
            }
            let timestamp = format_timestamp(record.timestamp, &self.path)?;
            let score = record.score.to_string();
            let decision: &[u8] = if record.decision == 1 { b"1" } else { b"0" };
            let mut fields: Vec<&[u8]> =
                Vec::with_capacity(PREDICTION_BASE_COLUMNS.len() + features.len());
            fields.extend([
                record.prediction_id.as_bytes(),
                timestamp.as_bytes(),
                record.model_version.as_bytes(),
                score.as_bytes(),
                decision,
            ]);
            fields.extend(
                record
                    .features
                    .iter()
                    .map(|v| v.as_deref().map_or(&b""[..], str::as_bytes)),
            );
            encoder.push(fields.iter().copied()).map_err(|at| {
                let name = PREDICTION_BASE_COLUMNS
                    .get(at)
                    .copied()
                    .or_else(|| {
                        features
                            .get(at - PREDICTION_BASE_COLUMNS.len())
                            .map(String::as_str)
                    })
                    .unwrap_or("(row)");
                invalid(name, "holds a line break".to_owned())
            })?;
        }
        Ok(encoder)
    }
}

fn open_log(path: &Path, policy: FsyncPolicy) -> Result<(CsvLog, OpenReport), StoreError> {
    let expected = format!(
        "{} then one column per feature",
        PREDICTION_BASE_COLUMNS.join(",")
    );
    CsvLog::open(path, policy, &expected, &|header| {
        header.len() >= PREDICTION_BASE_COLUMNS.len()
            && header
                .iter()
                .zip(PREDICTION_BASE_COLUMNS)
                .all(|(h, c)| h == c)
    })
}

/// `predictions_log.<YYYYMMDDTHHMMSSZ>[-N].csv` next to `path`, not yet taken.
fn archive_path(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .map_err(|e| StoreError::io("name the archive of", path, std::io::Error::other(e)))?;
    let stem = path
        .file_stem()
        .map_or_else(|| "predictions_log".into(), |s| s.to_string_lossy());
    (1..=10_000)
        .map(|n| {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            path.with_file_name(format!("{stem}.{stamp}{suffix}.csv"))
        })
        .find(|candidate| !candidate.exists())
        .ok_or_else(|| {
            StoreError::io(
                "name the archive of",
                path,
                std::io::Error::other("no free name"),
            )
        })
}

/// Parses one row of a log whose header is `header`.
fn parse_row(
    record: &StringRecord,
    header: &[String],
    path: &Path,
    location: RowLocation,
) -> Result<PredictionRecord, StoreError> {
    check_width(record, header, path, location)?;
    let get = |i: usize| field(record, i, &header[i], path, location);
    let score_text = get(3)?;
    let score = score_text
        .parse::<f64>()
        .ok()
        .filter(|s| (0.0..=1.0).contains(s))
        .ok_or_else(|| {
            field_error(
                path,
                location,
                "score",
                &format!("{score_text:?} is not a probability"),
            )
        })?;
    let decision = parse_binary(get(4)?, "decision", path, location)?;
    Ok(PredictionRecord {
        prediction_id: get(0)?.to_owned(),
        timestamp: parse_timestamp(get(1)?, path, location)?,
        model_version: get(2)?.to_owned(),
        score,
        decision,
        features: record
            .iter()
            .skip(PREDICTION_BASE_COLUMNS.len())
            .map(|v| (!v.is_empty()).then(|| v.to_owned()))
            .collect(),
    })
}

impl PredictionLog for FilePredictionLog {
    fn feature_names(&self) -> Result<Vec<String>, StoreError> {
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(log.header()[PREDICTION_BASE_COLUMNS.len()..].to_vec())
    }

    fn append(&self, features: &[String], records: &[PredictionRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let encoder = self.encode(features, records)?;
        {
            let log = self
                .log
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if log.header()[PREDICTION_BASE_COLUMNS.len()..] == *features {
                return log.append(encoder);
            }
        }
        let mut log = self
            .log
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Another thread may have switched while this one waited.
        if log.header()[PREDICTION_BASE_COLUMNS.len()..] != *features {
            self.switch_features(&mut log, features)?;
        }
        log.append(encoder)
    }

    fn recent(&self, query: &PredictionQuery) -> Result<Vec<PredictionRecord>, StoreError> {
        let mut out = Vec::with_capacity(query.limit.min(10_000));
        if query.limit == 0 {
            return Ok(out);
        }
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stop_before = query.since.map(|since| since - ORDER_SLACK);
        let mut skipped = 0;
        let mut rows = log.newest_first()?;
        while let Some((location, record)) = rows.next_row()? {
            if let Some(version) = &query.model_version
                && record.get(2) != Some(version.as_str())
            {
                continue;
            }
            let prediction = parse_row(record, log.header(), log.path(), location)?;
            if query
                .until
                .is_some_and(|until| prediction.timestamp > until)
            {
                continue;
            }
            if let Some(since) = query.since
                && prediction.timestamp < since
            {
                if stop_before.is_some_and(|stop| prediction.timestamp < stop) {
                    break;
                }
                continue;
            }
            if skipped < query.offset {
                skipped += 1;
                continue;
            }
            out.push(prediction);
            if out.len() == query.limit {
                break;
            }
        }
        Ok(out)
    }

    fn scan(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut rows = log.oldest_first()?;
        while let Some((location, record)) = rows.next_row()? {
            let prediction = parse_row(record, log.header(), log.path(), location)?;
            if visit(prediction)?.is_break() {
                break;
            }
        }
        Ok(())
    }
}

impl FilePredictionLog {
    /// Fsyncs the current log if rows were appended since the last fsync.
    ///
    /// # Errors
    /// [`StoreError::Io`] naming the file.
    pub fn sync_if_dirty(&self) -> Result<(), StoreError> {
        self.log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .sync_if_dirty()
    }
}
