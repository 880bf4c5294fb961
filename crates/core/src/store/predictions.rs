//! `predictions_log.csv`: one row per prediction.
//!
//! Columns: `prediction_id`, `timestamp` (RFC 3339, UTC), `model_version`, `score`,
//! `decision`, then one column per model feature in schema order. When a model with a
//! different feature set logs, the old log is archived as
//! `predictions_log.<UTC timestamp>.csv` beside it and a new one begun, so a row never
//! disagrees with its header.
//!
//! Archives are read-only: nothing here opens one for writing. Where each kind of read
//! looks:
//! - [`PredictionLog::recent`] (`GET /monitoring/predictions`) and
//!   [`PredictionLog::scan`] read the current log only, so a page costs what it reads
//!   from the current log's tail whatever the archives hold.
//! - [`PredictionLog::scan_archives`] and [`PredictionLog::scan_all`] stream the archives
//!   (oldest first), so that every prediction ever logged stays known (late outcomes).
//! - [`PredictionLog::recent_with_features`] continues from the current log into the
//!   archives of one feature set (a model version's rows can only be there), so a model's
//!   production metrics find its labelled rows wherever they live.

use std::fmt::Debug;
use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Duration;

use csv::StringRecord;
use time::OffsetDateTime;

use super::csv_log::{
    CsvLog, FsyncPolicy, NewestFirst, OpenReport, ReadOnlyLog, RowEncoder, RowLocation,
};
use super::fields::{
    check_width, field, field_error, format_timestamp, parse_binary, parse_timestamp,
};
use super::{StoreError, atomic};
use crate::records::PredictionRecord;

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

/// Opens an archive for reading; its header must start with the base columns.
fn open_archive(path: &Path) -> Result<ReadOnlyLog, StoreError> {
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
fn archive_order(stem: &str, name: &str) -> Option<(String, u32)> {
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
fn scan_archive(
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

fn warn_torn(archive: &ReadOnlyLog, location: RowLocation) {
    tracing::warn!(
        path = %archive.path().display(),
        %location,
        torn_bytes = archive.torn_bytes(),
        "skipped the torn last line ({location}) of archived prediction log {}; archives \
         are never rewritten",
        archive.path().display()
    );
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

/// A page of [`PredictionLog::recent`] being filled from one log after another, newest
/// first.
struct RecentPage<'q> {
    query: &'q PredictionQuery,
    /// Rows older than this end the read (see [`ORDER_SLACK`]).
    stop_before: Option<OffsetDateTime>,
    skipped: usize,
    out: Vec<PredictionRecord>,
}

impl<'q> RecentPage<'q> {
    fn new(query: &'q PredictionQuery) -> Self {
        Self {
            query,
            stop_before: query.since.map(|since| since - ORDER_SLACK),
            skipped: 0,
            out: Vec::with_capacity(query.limit.min(10_000)),
        }
    }

    /// Adds matching rows of one log; breaks when the page is full or the rows are older
    /// than `since` (every later log is older still).
    fn fill(
        &mut self,
        rows: &mut NewestFirst,
        header: &[String],
        path: &Path,
    ) -> Result<ControlFlow<()>, StoreError> {
        let query = self.query;
        if self.out.len() >= query.limit {
            return Ok(ControlFlow::Break(()));
        }
        while let Some((location, record)) = rows.next_row()? {
            if let Some(version) = &query.model_version
                && record.get(2) != Some(version.as_str())
            {
                continue;
            }
            let prediction = parse_row(record, header, path, location)?;
            if query
                .until
                .is_some_and(|until| prediction.timestamp > until)
            {
                continue;
            }
            if let Some(since) = query.since
                && prediction.timestamp < since
            {
                if self
                    .stop_before
                    .is_some_and(|stop| prediction.timestamp < stop)
                {
                    return Ok(ControlFlow::Break(()));
                }
                continue;
            }
            if self.skipped < query.offset {
                self.skipped += 1;
                continue;
            }
            self.out.push(prediction);
            if self.out.len() == query.limit {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }
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
        let mut page = RecentPage::new(query);
        if query.limit == 0 {
            return Ok(page.out);
        }
        let log = self
            .log
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = page.fill(&mut log.newest_first()?, log.header(), log.path())?;
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
        let _ = self.scan_listed_archives(visit)?;
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
