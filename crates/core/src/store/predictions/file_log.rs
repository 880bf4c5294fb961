//! The file backend of the prediction log: the current `predictions_log.csv`, its switch
//! to a new log when the feature set changes, and reads across it and its archives.

use std::fmt::Debug;
use std::fs;
use std::num::NonZeroU32;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use time::{Date, OffsetDateTime};

use super::archives::{
    Archive, archive_path, list_archives, list_prediction_archives, open_archive, scan_archive,
    warn_torn,
};
use super::paging::RecentPage;
use super::rotation::{
    ExpiredArchive, delete_archive, expired, interrupted_rotation_header, move_to_dated_archive,
};
use super::row::parse_row;
use super::{NamedRowVisitor, PREDICTION_BASE_COLUMNS, PredictionLog, PredictionQuery};
use crate::records::PredictionRecord;
use crate::store::csv_log::{CsvLog, FsyncPolicy, OpenReport, RowEncoder, RowLocation};
use crate::store::fields::format_timestamp;
use crate::store::{StoreError, atomic};

/// [`PredictionLog`] in `data/monitoring/predictions_log.csv`.
#[derive(Debug)]
pub struct FilePredictionLog {
    path: PathBuf,
    tmp_dir: PathBuf,
    policy: FsyncPolicy,
    /// Appends share the read side (the log serialises them itself); switching to a new
    /// feature set, rotating and deleting expired archives take the write side.
    log: RwLock<CsvLog>,
    /// The UTC day (Julian day number) of the newest row in the current log, or
    /// [`NO_DAY`] when it has none: a batch of a later day rotates the log first.
    newest_day: AtomicI32,
    /// A rotation moved the log away but could not write its successor: every append
    /// takes the write side and finishes that first, so none lands in the archive.
    successor_missing: AtomicBool,
    /// Archives whose every row is older than this many days are deleted (`None`: kept).
    retention_days: Option<NonZeroU32>,
}

/// [`FilePredictionLog::newest_day`] of a log without rows.
const NO_DAY: i32 = i32::MIN;

fn julian_day(at: OffsetDateTime) -> i32 {
    at.to_offset(time::UtcOffset::UTC).date().to_julian_day()
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
        let opened = if path.exists() {
            Some(open_log(path, policy)?)
        } else {
            None
        };
        let restore = interrupted_rotation_header(path, opened.as_ref().map(|(log, _)| log))?;
        let (log, report) = match (restore, opened) {
            (Some(header), opened) => {
                // A rotation was cut short after moving the log away (see `rotation`).
                drop(opened);
                let refs: Vec<&str> = header.iter().map(String::as_str).collect();
                atomic::atomic_write_bytes(tmp_dir, path, &CsvLog::header_bytes(&refs))?;
                tracing::warn!(
                    path = %path.display(),
                    "finished a rotation that was interrupted: began {} with the newest \
                     dated archive's columns",
                    path.display()
                );
                open_log(path, policy)?
            }
            (None, Some(opened)) => opened,
            (None, None) => open_log(path, policy)?,
        };
        let newest_day = newest_day(&log);
        Ok((
            Self {
                path: path.to_owned(),
                tmp_dir: tmp_dir.to_owned(),
                policy,
                log: RwLock::new(log),
                newest_day: AtomicI32::new(newest_day),
                successor_missing: AtomicBool::new(false),
                retention_days: None,
            },
            report,
        ))
    }

    /// Deletes, from now on, archives whose every row is older than `days` days (`None`
    /// keeps every archive, the default).
    #[must_use]
    pub fn with_retention(mut self, days: Option<NonZeroU32>) -> Self {
        self.retention_days = days;
        self
    }

    /// Deletes the archives whose every row is older than the retention before `now`
    /// (whole files; the current log never), logging each at info. Nothing without a
    /// retention.
    ///
    /// # Errors
    /// [`StoreError::Io`] naming the file that cannot be read or deleted; archives
    /// deleted before it stay deleted.
    pub fn apply_retention(&self, now: OffsetDateTime) -> Result<Vec<ExpiredArchive>, StoreError> {
        let _log = self
            .log
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.delete_expired(now)
    }

    /// As [`FilePredictionLog::apply_retention`], the caller holding the write side.
    fn delete_expired(&self, now: OffsetDateTime) -> Result<Vec<ExpiredArchive>, StoreError> {
        let Some(days) = self.retention_days else {
            return Ok(Vec::new());
        };
        let mut deleted = Vec::new();
        for archive in expired(list_archives(&self.path)?, now, days) {
            deleted.push(delete_archive(&archive, days)?);
        }
        if !deleted.is_empty() {
            crate::store::atomic::sync_parent(&self.path)?;
        }
        Ok(deleted)
    }

    /// The UTC day of the oldest archive kept (by its name), or of the current log's
    /// oldest row when there is no archive; `None` when no prediction is logged.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the directory cannot be listed, or
    /// [`StoreError::CsvRow`] when the current log's oldest row is corrupt.
    #[cfg(feature = "testing")]
    pub fn oldest_day(&self) -> Result<Option<Date>, StoreError> {
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for archive in list_archives(&self.path)? {
            let mut oldest = None;
            let _ = scan_archive(&archive.path, &mut |record| {
                oldest = Some(record.timestamp.date());
                Ok(ControlFlow::Break(()))
            })?;
            if oldest.is_some() {
                return Ok(oldest);
            }
        }
        let mut oldest = None;
        let _ = scan_current(&log, &mut |record| {
            oldest = Some(record.timestamp.date());
            Ok(ControlFlow::Break(()))
        })?;
        Ok(oldest)
    }

    /// The archived logs beside this one, oldest first; see [`list_prediction_archives`].
    ///
    /// # Errors
    /// [`StoreError::Io`] when the directory cannot be listed.
    pub fn archives(&self) -> Result<Vec<PathBuf>, StoreError> {
        list_prediction_archives(&self.path)
    }

    /// Visits every archive, oldest first, until `visit` breaks. The caller holds the
    /// log's lock, so that no switch adds an archive meanwhile.
    fn scan_listed_archives(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<ControlFlow<()>, StoreError> {
        for path in self.archives()? {
            if scan_archive(&path, visit)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
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
        self.begin_log(log, &bytes)?;
        Ok(archive)
    }

    /// Writes a log holding only `header_bytes` and makes it the current one.
    fn begin_log(&self, log: &mut CsvLog, header_bytes: &[u8]) -> Result<(), StoreError> {
        atomic::atomic_write_bytes(&self.tmp_dir, &self.path, header_bytes)?;
        let (new_log, _) = open_log(&self.path, self.policy)?;
        *log = new_log;
        self.newest_day.store(NO_DAY, Ordering::Release);
        self.successor_missing.store(false, Ordering::Release);
        Ok(())
    }

    /// Whether a batch whose newest row is of `batch_day` must rotate the log first: the
    /// log holds rows, all of earlier days.
    fn needs_rotation(&self, log: &CsvLog, batch_day: i32) -> bool {
        let newest = self.newest_day.load(Ordering::Acquire);
        newest != NO_DAY && batch_day > newest && !log.is_empty()
    }

    /// Rotates the current log into `predictions_log.<its newest day>.csv` and begins an
    /// empty one with the same columns (see `rotation` for the order of the steps), then
    /// deletes archives past the retention. The caller holds the write side.
    fn rotate(&self, log: &mut CsvLog) -> Result<(), StoreError> {
        let header: Vec<&str> = log.header().iter().map(String::as_str).collect();
        let bytes = CsvLog::header_bytes(&header);
        if !self.successor_missing.load(Ordering::Acquire) {
            let day = Date::from_julian_day(self.newest_day.load(Ordering::Acquire))
                .map_err(|e| StoreError::io("rotate", &self.path, std::io::Error::other(e)))?;
            log.sync_if_dirty()?;
            let archive = move_to_dated_archive(&self.path, day)?;
            // From here until `begin_log` succeeds the old handle points at the archive.
            self.successor_missing.store(true, Ordering::Release);
            tracing::info!(
                archive = %archive.display(),
                "rotated the prediction log into {}",
                archive.display()
            );
        }
        self.begin_log(log, &bytes)?;
        if let Err(err) = self.delete_expired(OffsetDateTime::now_utc()) {
            // The rotation is done and the batch can be written; retention tries again at
            // the next rotation or start.
            tracing::warn!(error = %err, "could not delete expired prediction archives");
        }
        Ok(())
    }

    /// The archives after the last feature-set switch: the current log's own earlier
    /// days, which [`PredictionLog::recent`] and [`PredictionLog::scan`] read with it.
    /// Returns (older feature sets, current feature set's days).
    fn split_archives(&self) -> Result<(Vec<Archive>, Vec<Archive>), StoreError> {
        let mut all = list_archives(&self.path)?;
        let first_day = all
            .iter()
            .rposition(|archive| !archive.is_dated())
            .map_or(0, |switch| switch + 1);
        let days = all.split_off(first_day);
        Ok((all, days))
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
            super::check_prediction(features.len(), record)
                .map_err(|(field, reason)| invalid(field, reason))?;
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

/// Adds the rows of the archive at `path` to `page`, newest first.
fn fill_from_archive(page: &mut RecentPage, path: &Path) -> Result<ControlFlow<()>, StoreError> {
    let archive = open_archive(path)?;
    if archive.torn_bytes() > 0 {
        warn_torn(&archive, RowLocation::Offset(archive.complete_len()));
    }
    page.fill(
        &mut archive.newest_first()?,
        archive.header(),
        archive.path(),
    )
}

/// The UTC day of the log's newest row, or [`NO_DAY`] when it has none (or it cannot be
/// read: a corrupt row is reported by the reads, and only delays the rotation).
fn newest_day(log: &CsvLog) -> i32 {
    let Ok(mut rows) = log.newest_first() else {
        return NO_DAY;
    };
    match rows.next_row() {
        Ok(Some((location, record))) => parse_row(record, log.header(), log.path(), location)
            .map_or(NO_DAY, |row| julian_day(row.timestamp)),
        _ => NO_DAY,
    }
}

/// Streams the current log's rows, oldest first.
fn scan_current(
    log: &CsvLog,
    visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
) -> Result<ControlFlow<()>, StoreError> {
    let mut rows = log.oldest_first()?;
    while let Some((location, record)) = rows.next_row()? {
        let prediction = parse_row(record, log.header(), log.path(), location)?;
        if visit(prediction)?.is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
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
        let batch_day = records
            .iter()
            .map(|record| julian_day(record.timestamp))
            .max()
            .unwrap_or(NO_DAY);
        {
            let log = self
                .log
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if log.header()[PREDICTION_BASE_COLUMNS.len()..] == *features
                && !self.needs_rotation(&log, batch_day)
                && !self.successor_missing.load(Ordering::Acquire)
            {
                log.append(encoder)?;
                self.newest_day.fetch_max(batch_day, Ordering::AcqRel);
                return Ok(());
            }
        }
        let mut log = self
            .log
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Another thread may have switched or rotated while this one waited.
        if log.header()[PREDICTION_BASE_COLUMNS.len()..] != *features {
            if self.successor_missing.load(Ordering::Acquire) {
                self.rotate(&mut log)?;
            }
            self.switch_features(&mut log, features)?;
        } else if self.needs_rotation(&log, batch_day)
            || self.successor_missing.load(Ordering::Acquire)
        {
            self.rotate(&mut log)?;
        }
        log.append(encoder)?;
        self.newest_day.fetch_max(batch_day, Ordering::AcqRel);
        Ok(())
    }

    fn recent(&self, query: &PredictionQuery) -> Result<Vec<PredictionRecord>, StoreError> {
        let mut page = RecentPage::new(query);
        if query.limit == 0 {
            return Ok(page.out);
        }
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if page
            .fill(&mut log.newest_first()?, log.header(), log.path())?
            .is_break()
        {
            return Ok(page.out);
        }
        // Earlier days of the same feature set, newest first: a page with `since` stops
        // at the first one older than it without opening the rest.
        let (_, days) = self.split_archives()?;
        for archive in days.iter().rev() {
            if query
                .since
                .is_some_and(|since| archive.rows_before() <= since)
            {
                break;
            }
            if fill_from_archive(&mut page, &archive.path)?.is_break() {
                break;
            }
        }
        Ok(page.out)
    }

    fn scan(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (_, days) = self.split_archives()?;
        for archive in &days {
            if scan_archive(&archive.path, visit)?.is_break() {
                return Ok(());
            }
        }
        let _ = scan_current(&log, visit)?;
        Ok(())
    }

    fn scan_archives(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        // The read side keeps a feature-set switch from adding an archive mid-listing.
        let _log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (switched, _) = self.split_archives()?;
        for archive in &switched {
            if scan_archive(&archive.path, visit)?.is_break() {
                return Ok(());
            }
        }
        Ok(())
    }

    fn scan_archived_logs(&self, visit: &mut NamedRowVisitor<'_>) -> Result<(), StoreError> {
        let _log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (switched, _) = self.split_archives()?;
        for archive in &switched {
            // The header is the base columns, then this archive's features.
            let names = open_archive(&archive.path)?
                .header()
                .get(PREDICTION_BASE_COLUMNS.len()..)
                .unwrap_or_default()
                .to_vec();
            if scan_archive(&archive.path, &mut |record| visit(&names, record))?.is_break() {
                return Ok(());
            }
        }
        Ok(())
    }

    fn scan_since(
        &self,
        since: OffsetDateTime,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut newer = |record: PredictionRecord| {
            if record.timestamp < since {
                Ok(ControlFlow::Continue(()))
            } else {
                visit(record)
            }
        };
        for archive in list_archives(&self.path)? {
            // Skipped by name, unopened: every row of it is older than `since`.
            if archive.rows_before() <= since {
                continue;
            }
            if scan_archive(&archive.path, &mut newer)?.is_break() {
                return Ok(());
            }
        }
        let _ = scan_current(&log, &mut newer)?;
        Ok(())
    }

    fn scan_all(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        // One read lock over both parts: a switch in between would move the current
        // log's rows into an archive already listed past, and they would be missed.
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.scan_listed_archives(visit)?.is_break() {
            return Ok(());
        }
        let _ = scan_current(&log, visit)?;
        Ok(())
    }

    fn recent_with_features(
        &self,
        features: &[String],
        query: &PredictionQuery,
    ) -> Result<Vec<PredictionRecord>, StoreError> {
        let mut page = RecentPage::new(query);
        if query.limit == 0 {
            return Ok(page.out);
        }
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if log.header()[PREDICTION_BASE_COLUMNS.len()..] == *features
            && page
                .fill(&mut log.newest_first()?, log.header(), log.path())?
                .is_break()
        {
            return Ok(page.out);
        }
        for path in self.archives()?.iter().rev() {
            let archive = open_archive(path)?;
            if archive.header()[PREDICTION_BASE_COLUMNS.len()..] != *features {
                continue;
            }
            if archive.torn_bytes() > 0 {
                warn_torn(&archive, RowLocation::Offset(archive.complete_len()));
            }
            if page
                .fill(
                    &mut archive.newest_first()?,
                    archive.header(),
                    archive.path(),
                )?
                .is_break()
            {
                break;
            }
        }
        Ok(page.out)
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
