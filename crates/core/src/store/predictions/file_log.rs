//! The file backend of the prediction log: the current `predictions_log.csv`, its switch
//! to a new log when the feature set changes, and reads across it and its archives.

use std::fmt::Debug;
use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use super::archives::list_prediction_archives;
use super::archives::{archive_path, open_archive, scan_archive, warn_torn};
use super::paging::RecentPage;
use super::row::parse_row;
use super::{PREDICTION_BASE_COLUMNS, PredictionLog, PredictionQuery};
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
