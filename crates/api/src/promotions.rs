//! Replicas on one database serve the model any of them promoted. A thread waits for
//! the store's promotion notices (LISTEN/NOTIFY with PostgreSQL) and, whether one came
//! or [`POLL`] passed without one, compares the store's current version with the served
//! one and reloads on a difference. The comparison every [`POLL`] covers notices lost
//! while the listening connection was down, so a promotion is served within about
//! [`POLL`] even then. The file backend has one process and no notices: no thread.

use std::sync::{Arc, Weak};
use std::time::Duration;

use scorewatch_core::{PromotionNotices, error_chain};

use crate::state::AppState;

/// The longest wait for a notice before the current version is compared anyway.
pub const POLL: Duration = Duration::from_secs(2);

/// Starts following promotions when the store is shared; the thread ends once the
/// state is gone (after shutdown).
pub fn follow_promotions(state: &Arc<AppState>) {
    let Some(notices) = state.store.promotions() else {
        return;
    };
    // Weak: the thread must not keep the state (and the store) alive at shutdown.
    let weak = Arc::downgrade(state);
    let spawned = std::thread::Builder::new()
        .name("scorewatch-promotions".to_owned())
        .spawn(move || watch(&weak, &*notices));
    if let Err(err) = spawned {
        tracing::error!(%err, "cannot start following promotions; other replicas' promotions are served after a restart");
    }
}

fn watch(state: &Weak<AppState>, notices: &dyn PromotionNotices) {
    loop {
        let notice = notices.wait(POLL);
        let Some(state) = state.upgrade() else {
            return;
        };
        match notice {
            Ok(Some(version)) => tracing::debug!(%version, "promotion notice"),
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(error = %error_chain(&err), "cannot listen for promotions; polling");
                // The wait failed at once: pause, so a database away is not hammered.
                drop(state);
                std::thread::sleep(POLL);
                continue;
            }
        }
        if let Err(err) = state.follow_current_model() {
            tracing::warn!(
                error = format!("{err:#}"),
                "cannot load the current model; still serving the previous one"
            );
        }
    }
}
