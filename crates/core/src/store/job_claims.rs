//! Background jobs (drift reports, production metrics) run once per interval for all the
//! processes sharing a store: a process claims the job before running it, and only one
//! claim per interval wins.

use std::fmt::Debug;
use std::time::Duration;

use super::StoreError;

/// Claims of interval jobs, whatever stores them.
pub trait JobClaims: Send + Sync + Debug {
    /// Claims `job` for this interval: `Ok(true)` when no process started it within the
    /// last `interval` (the claim is then recorded as now), `Ok(false)` when another did.
    /// Two processes claiming at once: exactly one wins.
    ///
    /// # Errors
    /// When the backend cannot be reached; the claim is then not recorded.
    fn claim(&self, job: &str, holder: &str, interval: Duration) -> Result<bool, StoreError>;
}

/// The file backend's claims: one process owns the directory, so it always wins (its own
/// schedule already spaces the jobs).
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleProcessClaims;

impl JobClaims for SingleProcessClaims {
    fn claim(&self, _job: &str, _holder: &str, _interval: Duration) -> Result<bool, StoreError> {
        Ok(true)
    }
}
