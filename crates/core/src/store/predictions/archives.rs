//! Archived prediction logs (`predictions_log.<stamp>.csv`): listing them in order and
//! reading them, never writing.

use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

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

/// How an archive came to be, read from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ArchiveKind {
    /// `predictions_log.<YYYYMMDDTHHMMSSZ>.csv`: archived when the feature set changed at
    /// that instant; the logs after it have other feature columns.
    Switched(OffsetDateTime),
    /// `predictions_log.<YYYY-MM-DD>.csv`: rotated when the first row of a later UTC day
    /// arrived; its newest row is of that day, and the log after it continues its
    /// feature set.
    Dated(Date),
}

/// An archive beside the prediction log, placed in time by its name alone (no read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Archive {
    pub(super) path: PathBuf,
    pub(super) kind: ArchiveKind,
}

impl Archive {
    /// No row of the archive is stamped at or after this instant (up to
    /// [`super::ORDER_SLACK`]): the end of a dated archive's day, or one second after a
    /// switch's stamp (the stamp is cut to the second; every row was stamped before the
    /// switch archived the log).
    pub(super) fn rows_before(&self) -> OffsetDateTime {
        match self.kind {
            ArchiveKind::Switched(at) => at + Duration::from_secs(1),
            ArchiveKind::Dated(day) => day
                .next_day()
                .unwrap_or(day)
                .with_time(time::Time::MIDNIGHT)
                .assume_utc(),
        }
    }

    pub(super) fn is_dated(&self) -> bool {
        matches!(self.kind, ArchiveKind::Dated(_))
    }
}

/// Where an archive's name puts it in time: a sort key, then its `-N` suffix (1 when
/// there is none), then its kind. `None` when `name` is not an archive of the log named
/// `stem`.csv.
///
/// The sort key of a switch is its stamp; a dated archive sorts as `<day>T240000Z`,
/// after every switch of its day (its rows run to the day's end) and before the next
/// day's.
pub(super) fn archive_order(stem: &str, name: &str) -> Option<(String, u32, ArchiveKind)> {
    let middle = name
        .strip_prefix(stem)?
        .strip_prefix('.')?
        .strip_suffix(".csv")?;
    let (key, kind, rest) = if let Some((day, rest)) = middle
        .split_at_checked(10)
        .filter(|(day, _)| day.as_bytes().get(4) == Some(&b'-'))
    {
        let date = Date::parse(day, format_description!("[year]-[month]-[day]")).ok()?;
        let key = format!("{}T240000Z", day.replace('-', ""));
        (key, ArchiveKind::Dated(date), rest)
    } else {
        let (stamp, rest) = middle.split_at_checked(16)?;
        let at = PrimitiveDateTime::parse(
            stamp,
            format_description!("[year][month][day]T[hour][minute][second]Z"),
        )
        .ok()?
        .assume_utc();
        (stamp.to_owned(), ArchiveKind::Switched(at), rest)
    };
    let n = if rest.is_empty() {
        1
    } else {
        let digits = rest.strip_prefix('-')?;
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u32>().ok().filter(|&n| n >= 2)?
    };
    Some((key, n, kind))
}

/// The archives of the prediction log at `log_path`: the files beside it named
/// `<stem>.<YYYYMMDDTHHMMSSZ>[-N].csv` (as a feature-set switch names them) or
/// `<stem>.<YYYY-MM-DD>[-N].csv` (as the daily rotation names them), oldest first.
/// Other files, such as a hand-made `predictions_log.backup.csv`, are not archives and
/// are left out.
///
/// # Errors
/// [`StoreError::Io`] naming the directory when it cannot be listed.
pub fn list_prediction_archives(log_path: &Path) -> Result<Vec<PathBuf>, StoreError> {
    Ok(list_archives(log_path)?
        .into_iter()
        .map(|archive| archive.path)
        .collect())
}

/// As [`list_prediction_archives`], with each archive's kind.
pub(super) fn list_archives(log_path: &Path) -> Result<Vec<Archive>, StoreError> {
    let dir = log_dir(log_path);
    let stem = log_stem(log_path);
    let entries = fs::read_dir(dir).map_err(|e| StoreError::io("list", dir, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("list", dir, e))?;
        let name = entry.file_name();
        let Some((key, n, kind)) = name.to_str().and_then(|n| archive_order(&stem, n)) else {
            continue;
        };
        let is_file = entry
            .file_type()
            .map_err(|e| StoreError::io("inspect", entry.path(), e))?
            .is_file();
        if is_file {
            found.push((
                (key, n),
                Archive {
                    path: entry.path(),
                    kind,
                },
            ));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found.into_iter().map(|(_, archive)| archive).collect())
}

pub(super) fn log_dir(log_path: &Path) -> &Path {
    log_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn log_stem(log_path: &Path) -> String {
    log_path.file_stem().map_or_else(
        || "predictions_log".into(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// The first name not yet taken of `<stem>.<middle>[-N].csv` beside `path`.
pub(super) fn free_archive_path(path: &Path, middle: &str) -> Result<PathBuf, StoreError> {
    let stem = log_stem(path);
    (1..=10_000)
        .map(|n| {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            path.with_file_name(format!("{stem}.{middle}{suffix}.csv"))
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
        .format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .map_err(|e| StoreError::io("name the archive of", path, std::io::Error::other(e)))?;
    free_archive_path(path, &stamp)
}
