//! Whether the data directory takes writes, or the database answers, as `/health`
//! reports it: set by a write the disk refused (full, read-only) or a call the database
//! did not answer, cleared by the next write that succeeds (with a database, also by the
//! key refresh's read every few seconds, so `/health` follows the database without
//! traffic).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use scorewatch_core::views::StorageProblem;
use time::OffsetDateTime;

/// The storage state shared by every handler.
#[derive(Debug, Default)]
pub struct StorageHealth {
    /// Only changed under `problem`'s lock; read alone so that a successful write (every
    /// prediction) takes no lock.
    failing: AtomicBool,
    /// The last refused write's message and time.
    problem: Mutex<Option<StorageProblem>>,
}

impl StorageHealth {
    /// Whether the last write to the data directory was refused by the disk.
    #[must_use]
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Acquire)
    }

    /// The last write the disk refused, while no write has succeeded since.
    #[must_use]
    pub fn problem(&self) -> Option<StorageProblem> {
        if !self.is_failing() {
            return None;
        }
        self.problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The refused write, if any; else whether the store's staging directory (where
    /// every write starts) is writable. What `/health` and the storage alert report.
    #[must_use]
    pub fn current_problem(&self, store: &scorewatch_core::Store) -> Option<StorageProblem> {
        if let Some(problem) = self.problem() {
            return Some(problem);
        }
        store.unwritable_reason().map(|reason| StorageProblem {
            message: format!(
                "the data directory cannot be written: {reason}; free space or fix \
             permissions, reads keep working"
            ),
            at: OffsetDateTime::now_utc(),
        })
    }

    /// Records how a write to the data directory ended, for `/health`: a success clears
    /// the failing state, a full or read-only disk sets it, other errors leave it.
    pub fn note<T, E: std::error::Error + 'static>(&self, result: &Result<T, E>) {
        match result {
            Ok(_) => self.note_success(),
            Err(err) => self.note_failure(err),
        }
    }

    /// As [`StorageHealth::note`] for an `anyhow` result.
    pub fn note_anyhow<T>(&self, result: &anyhow::Result<T>) {
        match result {
            Ok(_) => self.note_success(),
            Err(err) => self.note_failure(err.as_ref()),
        }
    }

    fn note_success(&self) {
        if self.is_failing() {
            let mut problem = self.problem.lock().unwrap_or_else(PoisonError::into_inner);
            *problem = None;
            self.failing.store(false, Ordering::Release);
        }
    }

    /// Records a failed write: only a full or read-only disk, or a database that cannot
    /// be reached, sets the failing state, with the message its 503 answer carries.
    pub fn note_failure(&self, err: &(dyn std::error::Error + 'static)) {
        let message = if crate::error::is_storage_fault(err) {
            Some(crate::error::storage_fault_message(err))
        } else if crate::error::is_database_fault(err) {
            Some(crate::error::database_fault_message(err))
        } else {
            None
        };
        if let Some(message) = message {
            let mut problem = self.problem.lock().unwrap_or_else(PoisonError::into_inner);
            *problem = Some(StorageProblem {
                message,
                at: OffsetDateTime::now_utc(),
            });
            self.failing.store(true, Ordering::Release);
        }
    }
}
