//! What the banners above every tab say: how to start an unreachable API, the server's
//! storage problem, and a refused key.

use crate::format::format_time;
use crate::startup::KeySource;
use crate::state::{Connection, ViewState};

/// The banner's title while the API refuses the dashboard's requests for want of a key.
pub const AUTH_BANNER_TITLE: &str = "Unauthorised key";

/// How to give the dashboard the key, in the "Unauthorised key" banner: where the
/// dashboard takes it from, and where the server keeps it.
pub const SET_KEY_HINT: &str = "Give the dashboard the server's key: start it with \
     --api-key or SCOREWATCH_API_KEY, or type it in Settings. The server keeps its key in \
     its data directory, <data dir>/secrets/api_key (data/secrets/api_key by default, \
     written at its first start) unless it was started with SCOREWATCH_API_KEYS; on the \
     server's machine the dashboard reads that file itself when no key is given (same \
     --data-dir / SCOREWATCH_DATA_DIR).";

/// The "Unauthorised key" banner's text: which requests were refused and why, whether the
/// dashboard has a key and where it came from, and how to set it. `None` when nothing
/// was refused, or while the server cannot be reached (the refusals are then stale).
#[must_use]
pub fn auth_warning(state: &ViewState, key_source: KeySource) -> Option<String> {
    if state.auth_refused.is_empty() || matches!(state.connection, Connection::Unreachable { .. }) {
        return None;
    }
    let whose = match key_source {
        KeySource::None => "The dashboard has no key, and the server asks for one.".to_owned(),
        source => format!(
            "The server refused the dashboard's key ({}).",
            source.label()
        ),
    };
    let refused: Vec<&str> = state.auth_refused.values().map(String::as_str).collect();
    Some(format!("{whose} {}.\n{SET_KEY_HINT}", refused.join("; ")))
}

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
