//! `model_metrics.json`: the model's metrics and their bounded history.

use std::fmt::Debug;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::json_file::{JsonDocument, JsonFile};
use crate::records::MetricsEntry;

/// Entries of each source kept in `model_metrics.json` unless configured otherwise; the
/// oldest of that source go first. At a few hundred bytes per entry and five sources the
/// file stays under a few MB.
pub const DEFAULT_METRICS_RETENTION: usize = 1000;

/// The content of `model_metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsDocument {
    /// File format version ([`MetricsDocument::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Entries, oldest first. The served model's current metrics are the newest of its
    /// version for each source (not simply the last entry: see
    /// [`MetricsEntry::rejected_candidate`]).
    pub history: Vec<MetricsEntry>,
}

impl MetricsDocument {
    /// The version this build reads and writes.
    pub const SCHEMA_VERSION: u32 = 1;
}

impl JsonDocument for MetricsDocument {
    const KIND: &'static str = "metrics history";
    const SCHEMA_VERSION: u32 = Self::SCHEMA_VERSION;
    fn empty() -> Self {
        Self {
            schema_version: Self::SCHEMA_VERSION,
            history: Vec::new(),
        }
    }
}

/// The metrics history, whatever stores it.
pub trait MetricsHistory: Send + Sync + Debug {
    /// Adds an entry; beyond the retention, drops the oldest entry of the same source.
    ///
    /// # Errors
    /// When it cannot be stored; the history is then unchanged.
    fn record(&self, entry: MetricsEntry) -> Result<(), StoreError>;

    /// Every kept entry, oldest first.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn history(&self) -> Result<Vec<MetricsEntry>, StoreError>;

    /// The newest entry, whatever its source and model version. It is not necessarily
    /// the served model's: a rejected candidate's metrics
    /// ([`MetricsEntry::rejected_candidate`]) are recorded after them. To find a model's
    /// current metrics, search [`MetricsHistory::history`] from the end for its version
    /// and the source wanted, as `GET /monitoring/metrics` does.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn latest(&self) -> Result<Option<MetricsEntry>, StoreError>;
}

/// [`MetricsHistory`] in `data/monitoring/model_metrics.json`.
#[derive(Debug)]
pub struct FileMetricsHistory {
    file: JsonFile<MetricsDocument>,
    retention: usize,
}

impl FileMetricsHistory {
    /// Loads and checks `path`; keeps at most `retention` entries (at least 1) of each
    /// source.
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

impl MetricsHistory for FileMetricsHistory {
    fn record(&self, entry: MetricsEntry) -> Result<(), StoreError> {
        // The bound is per source: estimated and production entries arrive every few
        // minutes, and one shared bound would soon push out the training and validation
        // entries a model has only once, which `GET /monitoring/metrics` shows beside them.
        self.file.update(|doc| {
            let source = entry.source;
            doc.history.push(entry);
            let of_source = doc.history.iter().filter(|e| e.source == source).count();
            let mut excess = of_source.saturating_sub(self.retention);
            doc.history.retain(|e| {
                let drop = excess > 0 && e.source == source;
                excess -= usize::from(drop);
                !drop
            });
        })
    }

    fn history(&self) -> Result<Vec<MetricsEntry>, StoreError> {
        Ok(self.file.read(|doc| doc.history.clone()))
    }

    fn latest(&self) -> Result<Option<MetricsEntry>, StoreError> {
        Ok(self.file.read(|doc| doc.history.last().cloned()))
    }
}
