//! `pipeline_status.json`: the pipeline's state and its recent runs.

use std::fmt::Debug;
use std::path::Path;

use super::StoreError;
use super::json_file::{JsonDocument, JsonFile};
use crate::records::{PipelineState, PipelineStatus};

/// Finished runs kept in `pipeline_status.json` unless configured otherwise.
pub const DEFAULT_PIPELINE_RUNS_RETENTION: usize = 20;

/// The version of `pipeline_status.json` this build reads and writes.
pub const PIPELINE_STATUS_SCHEMA_VERSION: u32 = 1;

impl JsonDocument for PipelineStatus {
    const KIND: &'static str = "pipeline status";
    const SCHEMA_VERSION: u32 = PIPELINE_STATUS_SCHEMA_VERSION;
    fn empty() -> Self {
        Self {
            schema_version: PIPELINE_STATUS_SCHEMA_VERSION,
            state: PipelineState::Idle,
            runs: Vec::new(),
        }
    }
}

/// The pipeline status, whatever stores it.
pub trait PipelineStatusStore: Send + Sync + Debug {
    /// The stored status.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn load(&self) -> Result<PipelineStatus, StoreError>;

    /// Replaces the status, keeping only the newest runs beyond the retention and setting
    /// `schema_version` to the one this build writes.
    ///
    /// # Errors
    /// When it cannot be stored; the stored status is then unchanged.
    fn save(&self, status: PipelineStatus) -> Result<(), StoreError>;
}

/// [`PipelineStatusStore`] in `data/monitoring/pipeline_status.json`.
#[derive(Debug)]
pub struct FilePipelineStatus {
    file: JsonFile<PipelineStatus>,
    retention: usize,
}

impl FilePipelineStatus {
    /// Loads and checks `path`; keeps at most `retention` runs (at least 1).
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

impl PipelineStatusStore for FilePipelineStatus {
    fn load(&self) -> Result<PipelineStatus, StoreError> {
        Ok(self.file.read(Clone::clone))
    }

    fn save(&self, mut status: PipelineStatus) -> Result<(), StoreError> {
        status.schema_version = PIPELINE_STATUS_SCHEMA_VERSION;
        let excess = status.runs.len().saturating_sub(self.retention);
        status.runs.drain(..excess);
        self.file.update(|doc| *doc = status)
    }
}
