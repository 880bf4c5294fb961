//! Daily rotation of `predictions_log.csv` into `predictions_log.<YYYY-MM-DD>.csv`, and
//! retention: deleting whole archives older than a number of days.
//!
//! # Why one archive per UTC day
//! - Rotation is one `rename` (no row is copied), once a day: its cost does not grow with
//!   the log.
//! - Retention is counted in days (`--retention-days`), so a day is the finest period a
//!   whole file can be deleted at: no row outlives its retention by more than a day.
//!   A monthly archive would keep up to a month beyond it.
//! - The file count stays small: one a day, 365 a year, far below what a directory
//!   listing or the open-file limit notices; a scan opens them one at a time.
//! - Reads by time skip archives by name: a dated archive holds no row after its day, so
//!   a newest-first page with `since` stops at the first archive older than it, and the
//!   outcome index's start-up scan skips every archive that ended before the horizon
//!   without opening it.
//!
//! # Crash safety
//! A rotation is (1) fsync the log, (2) rename it to its dated name (atomic: the rows
//! are under exactly one name at every instant), (3) fsync the directory, (4) write a new
//! log holding only the header (atomically, through `tmp/`). Killed after (2), the log is
//! missing or, after `init` recreated it, empty without feature columns;
//! [`super::FilePredictionLog::open`] then takes the header of the newest dated archive,
//! so the next append continues that feature set. No row is ever in two files, and none
//! is lost.

use std::fs;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use super::PREDICTION_BASE_COLUMNS;
use super::archives::{Archive, free_archive_path, list_archives, log_dir, open_archive};
use crate::store::StoreError;
use crate::store::atomic::sync_dir;
use crate::store::csv_log::CsvLog;

/// Steps (2) and (3) of a rotation: moves the log at `path` to the first free
/// `predictions_log.<day>[-N].csv`. The caller has fsynced it and writes the new log
/// after.
pub(super) fn move_to_dated_archive(path: &Path, day: Date) -> Result<PathBuf, StoreError> {
    let middle = day
        .format(format_description!("[year]-[month]-[day]"))
        .map_err(|e| StoreError::io("name the archive of", path, std::io::Error::other(e)))?;
    let archive = free_archive_path(path, &middle)?;
    fs::rename(path, &archive).map_err(|e| StoreError::io("rotate", path, e))?;
    sync_dir(log_dir(path))?;
    Ok(archive)
}

/// The header to restore when a rotation was cut short between moving the log away and
/// writing its successor: the log (at `path`) is missing, or empty without feature
/// columns (as `init` recreates it), and the newest archive is a dated one with
/// features. `None` when there is nothing to restore.
pub(super) fn interrupted_rotation_header(
    path: &Path,
    current: Option<&CsvLog>,
) -> Result<Option<Vec<String>>, StoreError> {
    let current_is_blank = current
        .is_none_or(|log| log.is_empty() && log.header().len() <= PREDICTION_BASE_COLUMNS.len());
    if !current_is_blank {
        return Ok(None);
    }
    let Some(newest) = list_archives(path)?.pop() else {
        return Ok(None);
    };
    if !newest.is_dated() {
        return Ok(None);
    }
    let header = open_archive(&newest.path)?.header().to_vec();
    Ok((header.len() > PREDICTION_BASE_COLUMNS.len()).then_some(header))
}

/// An archive deleted by retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredArchive {
    /// Where it was.
    pub path: PathBuf,
    /// Its complete rows.
    pub rows: u64,
}

/// The archives whose every row is older than `days` days before `now`: by name, a
/// dated archive whose day ended, or a switch whose instant passed, before
/// `now - days`.
pub(super) fn expired(
    archives: Vec<Archive>,
    now: OffsetDateTime,
    days: NonZeroU32,
) -> Vec<Archive> {
    let cutoff = now - Duration::days(i64::from(days.get()));
    archives
        .into_iter()
        .filter(|archive| archive.rows_before() <= cutoff)
        .collect()
}

/// Deletes `archive` (a whole file, never part of one), logging its name and row count
/// at info. The caller holds the log's write lock, so no read has it open by name.
pub(super) fn delete_archive(
    archive: &Archive,
    days: NonZeroU32,
) -> Result<ExpiredArchive, StoreError> {
    let rows = count_rows(&archive.path)?;
    fs::remove_file(&archive.path).map_err(|e| StoreError::io("delete", &archive.path, e))?;
    tracing::info!(
        archive = %archive.path.display(),
        rows,
        retention_days = days.get(),
        "deleted prediction archive {} ({rows} rows): older than --retention-days {}",
        archive.path.display(),
        days.get()
    );
    Ok(ExpiredArchive {
        path: archive.path.clone(),
        rows,
    })
}

/// The complete rows of the archive at `path`.
fn count_rows(path: &Path) -> Result<u64, StoreError> {
    let archive = open_archive(path)?;
    let mut rows = archive.oldest_first()?;
    let mut count = 0;
    while rows.next_row()?.is_some() {
        count += 1;
    }
    Ok(count)
}
