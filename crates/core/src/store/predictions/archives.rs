//! Archived prediction logs (`predictions_log.<stamp>.csv`): listing them in order and
//! reading them, never writing.

use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::PREDICTION_BASE_COLUMNS;
use super::row::parse_row;
use crate::records::PredictionRecord;
use crate::store::StoreError;
use crate::store::csv_log::{ReadOnlyLog, RowLocation};

/// Opens an archive for reading; its header must start with the base columns.
pub(super) fn open_archive(path: &Path) -> Result<ReadOnlyLog, StoreError> {
    ReadOnlyLog::open(
        path,
        &format!(
            "{} then one column per feature",
            PREDICTION_BASE_COLUMNS.join(",")
        ),
        &|header| {
            header.len() >= PREDICTION_BASE_COLUMNS.len()
                && header
                    .iter()
                    .zip(PREDICTION_BASE_COLUMNS)
                    .all(|(h, c)| h == c)
        },
    )
}

/// Where an archive's name puts it in time: its UTC stamp, then its `-N` suffix (1 when
/// there is none). `None` when `name` is not an archive of the log named `stem`.csv.
pub(super) fn archive_order(stem: &str, name: &str) -> Option<(String, u32)> {
    let middle = name
        .strip_prefix(stem)?
        .strip_prefix('.')?
        .strip_suffix(".csv")?;
    let (stamp, rest) = middle.split_at_checked(16)?;
    let b = stamp.as_bytes();
    let stamp_ok = b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z';
    if !stamp_ok {
        return None;
    }
    let n = if rest.is_empty() {
        1
    } else {
        let digits = rest.strip_prefix('-')?;
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u32>().ok().filter(|&n| n >= 2)?
    };
    Some((stamp.to_owned(), n))
}

/// The archives of the prediction log at `log_path`: the files beside it named
/// `<stem>.<YYYYMMDDTHHMMSSZ>[-N].csv` (as a feature-set switch names them), oldest
/// first (by stamp, then by `N`). Other files, such as a hand-made
/// `predictions_log.backup.csv`, are not archives and are left out.
///
/// # Errors
/// [`StoreError::Io`] naming the directory when it cannot be listed.
pub fn list_prediction_archives(log_path: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let dir = log_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = log_path
        .file_stem()
        .map_or_else(|| "predictions_log".into(), |s| s.to_string_lossy());
    let entries = fs::read_dir(dir).map_err(|e| StoreError::io("list", dir, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("list", dir, e))?;
        let name = entry.file_name();
        let Some(order) = name.to_str().and_then(|n| archive_order(&stem, n)) else {
            continue;
        };
        let is_file = entry
            .file_type()
            .map_err(|e| StoreError::io("inspect", entry.path(), e))?
            .is_file();
        if is_file {
            found.push((order, entry.path()));
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

/// Streams the complete rows of one archive, oldest first.
///
/// A torn last line in an archive is skipped with a warning naming the file and line,
/// never cut back and never an error. Archives are read-only: cutting would rewrite a
/// file the user may have copied or checksummed, and the torn row is one whose append
/// failed (the client got an error, so no one holds its id to label it). Refusing the
/// whole archive instead would make every other row in it unreachable, and the server
/// unable to start, over that one row.
pub(super) fn scan_archive(
    path: &Path,
    visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
) -> Result<ControlFlow<()>, StoreError> {
    let archive = open_archive(path)?;
    let mut rows = archive.oldest_first()?;
    // The header is line 1.
    let mut last_line = 1;
    while let Some((location, record)) = rows.next_row()? {
        if let RowLocation::Line(line) = location {
            last_line = line;
        }
        let prediction = parse_row(record, archive.header(), archive.path(), location)?;
        if visit(prediction)?.is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    if archive.torn_bytes() > 0 {
        warn_torn(&archive, RowLocation::Line(last_line + 1));
    }
    Ok(ControlFlow::Continue(()))
}

pub(super) fn warn_torn(archive: &ReadOnlyLog, location: RowLocation) {
    tracing::warn!(
        path = %archive.path().display(),
        %location,
        torn_bytes = archive.torn_bytes(),
        "skipped the torn last line ({location}) of archived prediction log {}; archives \
         are never rewritten",
        archive.path().display()
    );
}

/// `predictions_log.<YYYYMMDDTHHMMSSZ>[-N].csv` next to `path`, not yet taken.
pub(super) fn archive_path(path: &Path) -> Result<PathBuf, StoreError> {
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
