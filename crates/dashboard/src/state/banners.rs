//! What the banners above every tab say: how to start an unreachable API, and the
//! server's storage problem.

use crate::format::format_time;
use crate::state::{Connection, ViewState};

/// How to start the API, shown when it cannot be reached.
pub const START_API_HINT: &str = "Start it with `cargo run --release -p scorewatch-api -- demo` (sample data and a model) \
     or `scorewatch serve` (your data directory).";

/// The banner's title while the server cannot write its data directory.
pub const STORAGE_BANNER_TITLE: &str = "The server cannot write its data directory: new \
     predictions and outcomes are refused (503).";

/// The banner's detail: the refused write's message (it names the file) and when, from
/// `/health`'s `storage` field. `None` while the server is healthy (the field is absent
/// exactly when the status is `ok`) or its last known health is stale (it cannot be
/// reached).
#[must_use]
pub fn storage_warning(state: &ViewState) -> Option<String> {
    if matches!(state.connection, Connection::Unreachable { .. }) {
        return None;
    }
    let problem = state.health.as_ref()?.storage.as_ref()?;
    Some(format!(
        "{} (at {} UTC)",
        problem.message,
        format_time(problem.at)
    ))
}
