//! `outcomes_log.csv`: late labels, `prediction_id,timestamp,actual`, append-only.

use std::fmt::Debug;
use std::ops::ControlFlow;
use std::path::Path;

use csv::StringRecord;

use super::StoreError;
use super::csv_log::{CsvLog, FsyncPolicy, OpenReport, RowEncoder, RowLocation};
use super::fields::{check_width, field, format_timestamp, parse_binary, parse_timestamp};
use crate::records::OutcomeRecord;

/// The header of `outcomes_log.csv`.
pub const OUTCOME_COLUMNS: [&str; 3] = ["prediction_id", "timestamp", "actual"];

/// The outcome log, whatever stores it.
pub trait OutcomeLog: Send + Sync + Debug {
    /// Appends `records`; they are written before this returns.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] naming the field when a record does not fit (nothing
    /// of the batch is written then), [`StoreError::Io`] when the write fails.
    fn append(&self, records: &[OutcomeRecord]) -> Result<(), StoreError>;

    /// The newest `limit` outcomes, newest first, read from the end of the log.
    ///
    /// # Errors
    /// [`StoreError::CsvRow`] naming the row and field when a row is corrupt.
    fn recent(&self, limit: usize) -> Result<Vec<OutcomeRecord>, StoreError>;

    /// Streams every outcome, oldest first, until `visit` breaks.
    ///
    /// # Errors
    /// [`StoreError::CsvRow`] naming the line and field of a corrupt row, or whatever
    /// `visit` returns.
    fn scan(
        &self,
        visit: &mut dyn FnMut(OutcomeRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError>;
}

/// [`OutcomeLog`] in `data/monitoring/outcomes_log.csv`.
#[derive(Debug)]
pub struct FileOutcomeLog {
    log: CsvLog,
}

impl FileOutcomeLog {
    /// The content of a new, empty log (what `init` writes).
    #[must_use]
    pub fn empty_log_bytes() -> Vec<u8> {
        CsvLog::header_bytes(&OUTCOME_COLUMNS)
    }

    /// Opens the log at `path`, checking its header and cutting back a torn last line.
    ///
    /// # Errors
    /// As [`CsvLog::open`].
    pub fn open(path: &Path, policy: FsyncPolicy) -> Result<(Self, OpenReport), StoreError> {
        let (log, report) = CsvLog::open(path, policy, &OUTCOME_COLUMNS.join(","), &|header| {
            header == OUTCOME_COLUMNS
        })?;
        Ok((Self { log }, report))
    }

    /// Fsyncs the log if rows were appended since the last fsync.
    ///
    /// # Errors
    /// [`StoreError::Io`] naming the file.
    pub fn sync_if_dirty(&self) -> Result<(), StoreError> {
        self.log.sync_if_dirty()
    }
}

fn parse_row(
    record: &StringRecord,
    path: &Path,
    location: RowLocation,
) -> Result<OutcomeRecord, StoreError> {
    check_width(record, &OUTCOME_COLUMNS.map(str::to_owned), path, location)?;
    let get = |i: usize| field(record, i, OUTCOME_COLUMNS[i], path, location);
    let actual = parse_binary(get(2)?, "actual", path, location)?;
    Ok(OutcomeRecord {
        prediction_id: get(0)?.to_owned(),
        timestamp: parse_timestamp(get(1)?, path, location)?,
        actual,
    })
}

impl OutcomeLog for FileOutcomeLog {
    fn append(&self, records: &[OutcomeRecord]) -> Result<(), StoreError> {
        let path = self.log.path();
        let mut encoder = RowEncoder::new();
        for record in records {
            if record.actual > 1 {
                return Err(StoreError::InvalidRecord {
                    path: path.to_owned(),
                    field: "actual".to_owned(),
                    reason: format!("{} is not 0 or 1", record.actual),
                });
            }
            let timestamp = format_timestamp(record.timestamp, path)?;
            let actual: &[u8] = if record.actual == 1 { b"1" } else { b"0" };
            encoder
                .push([
                    record.prediction_id.as_bytes(),
                    timestamp.as_bytes(),
                    actual,
                ])
                .map_err(|at| StoreError::InvalidRecord {
                    path: path.to_owned(),
                    field: OUTCOME_COLUMNS[at.min(2)].to_owned(),
                    reason: "holds a line break".to_owned(),
                })?;
        }
        self.log.append(encoder)
    }

    fn recent(&self, limit: usize) -> Result<Vec<OutcomeRecord>, StoreError> {
        let mut out = Vec::with_capacity(limit.min(10_000));
        let mut rows = self.log.newest_first()?;
        while out.len() < limit {
            let Some((location, record)) = rows.next_row()? else {
                break;
            };
            out.push(parse_row(record, self.log.path(), location)?);
        }
        Ok(out)
    }

    fn scan(
        &self,
        visit: &mut dyn FnMut(OutcomeRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let mut rows = self.log.oldest_first()?;
        while let Some((location, record)) = rows.next_row()? {
            if visit(parse_row(record, self.log.path(), location)?)?.is_break() {
                break;
            }
        }
        Ok(())
    }
}
