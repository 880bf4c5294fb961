//! Word of promotions made by other processes sharing the store (replicas on one
//! database), so that each serves a newly promoted model within moments.

use std::fmt::Debug;
use std::time::Duration;

use super::StoreError;

/// Notices of promotions, from a store that several processes share. The file backend
/// has one process and none: a promotion there is always this process's own.
pub trait PromotionNotices: Send + Sync + Debug {
    /// Waits up to `timeout` for a promotion notice: `Ok(Some(version))` for one,
    /// `Ok(None)` when none came (or the notice channel was lost and is being
    /// re-established: notices sent meanwhile are lost, so callers also compare the
    /// current version from time to time).
    ///
    /// # Errors
    /// When the backend cannot be reached; the next call tries again.
    fn wait(&self, timeout: Duration) -> Result<Option<String>, StoreError>;
}
