//! `pipeline_status.json`: the pipeline's state and its recent runs.

use std::fmt::Debug;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::StoreError;
use super::json_file::{JsonDocument, JsonFile};
use super::run_lease::{Lease, LeaseChange, LeaseHolder, LeaseRenewal, lease_change};
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

    /// Applies `change` to the stored status in one step that no other writer, thread or
    /// process, comes between: the read, the change and the write are atomic. `change`
    /// gets the status and the running run's [`Lease`], and returns whether to write.
    /// A write also moves the lease as [`lease_change`] says, on behalf of `holder`.
    /// Returns whether anything was written.
    ///
    /// # Errors
    /// When it cannot be read or stored; the stored status is then unchanged.
    fn update(
        &self,
        holder: &LeaseHolder,
        change: &mut dyn FnMut(&mut PipelineStatus, &Lease) -> bool,
    ) -> Result<bool, StoreError>;

    /// Renews `holder`'s lease on the running run `run_id` for another `holder.ttl`, and
    /// says whether a cancel was requested; [`LeaseRenewal::Lost`] when the run is no
    /// longer `holder`'s.
    ///
    /// # Errors
    /// When the backend cannot be reached.
    fn renew_lease(&self, run_id: &str, holder: &LeaseHolder) -> Result<LeaseRenewal, StoreError>;

    /// Asks the running run to stop, whichever process runs it (it sees the request at
    /// its next renewal). Returns its id, `None` when no run holds a live lease.
    ///
    /// # Errors
    /// When the backend cannot be reached.
    fn request_cancel(&self) -> Result<Option<String>, StoreError>;
}

/// [`PipelineStatusStore`] in `data/monitoring/pipeline_status.json`.
#[derive(Debug)]
pub struct FilePipelineStatus {
    file: JsonFile<PipelineStatus>,
    retention: usize,
    /// The running run's lease. In memory: one process owns the directory, and a
    /// restart finds no lease, so a run the last process left running is interrupted.
    lease: Mutex<Option<MemoryLease>>,
}

/// A lease as the file backend holds it.
#[derive(Debug, Clone)]
struct MemoryLease {
    run_id: String,
    owner: String,
    expires_at: Instant,
    cancel_requested: bool,
}

impl MemoryLease {
    fn live(&self, now: Instant) -> bool {
        now < self.expires_at
    }
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
            lease: Mutex::new(None),
        })
    }

    fn trim(&self, status: &mut PipelineStatus) {
        status.schema_version = PIPELINE_STATUS_SCHEMA_VERSION;
        let excess = status.runs.len().saturating_sub(self.retention);
        status.runs.drain(..excess);
    }
}

impl PipelineStatusStore for FilePipelineStatus {
    fn load(&self) -> Result<PipelineStatus, StoreError> {
        Ok(self.file.read(Clone::clone))
    }

    fn save(&self, mut status: PipelineStatus) -> Result<(), StoreError> {
        self.trim(&mut status);
        self.file.update(|doc| *doc = status)
    }

    fn update(
        &self,
        holder: &LeaseHolder,
        change: &mut dyn FnMut(&mut PipelineStatus, &Lease) -> bool,
    ) -> Result<bool, StoreError> {
        // Held through the file's update: the lease moves with the status it belongs to.
        let mut slot = self.lease.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let lease = match slot.as_ref() {
            Some(held) if held.live(now) => Lease::Held {
                owner: held.owner.clone(),
            },
            _ => Lease::Free,
        };
        let before = self.file.read(Clone::clone);
        let mut status = before.clone();
        if !change(&mut status, &lease) {
            return Ok(false);
        }
        self.trim(&mut status);
        let moved = lease_change(&before.state, &status.state, &lease, holder);
        let running = match &status.state {
            PipelineState::Running { run_id, .. } => Some(run_id.clone()),
            _ => None,
        };
        self.file.update(|doc| *doc = status)?;
        let renewed = |cancel_requested| {
            running.map(|run_id| MemoryLease {
                run_id,
                owner: holder.owner.clone(),
                expires_at: now + holder.ttl,
                cancel_requested,
            })
        };
        match moved {
            LeaseChange::Take => *slot = renewed(false),
            LeaseChange::Renew => {
                let cancel = slot.as_ref().is_some_and(|held| held.cancel_requested);
                *slot = renewed(cancel);
            }
            LeaseChange::Keep => {}
            LeaseChange::Release => *slot = None,
        }
        Ok(true)
    }

    fn renew_lease(&self, run_id: &str, holder: &LeaseHolder) -> Result<LeaseRenewal, StoreError> {
        let mut slot = self.lease.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.as_mut() {
            Some(held) if held.run_id == run_id && held.owner == holder.owner => {
                held.expires_at = Instant::now() + holder.ttl;
                Ok(LeaseRenewal::Held {
                    cancel_requested: held.cancel_requested,
                })
            }
            _ => Ok(LeaseRenewal::Lost),
        }
    }

    fn request_cancel(&self) -> Result<Option<String>, StoreError> {
        let mut slot = self.lease.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        Ok(slot.as_mut().filter(|held| held.live(now)).map(|held| {
            held.cancel_requested = true;
            held.run_id.clone()
        }))
    }
}
