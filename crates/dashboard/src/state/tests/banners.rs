//! The banners' text: the storage problem while `/health` is degraded.

use std::sync::Arc;

use super::{NOW, failed, fixtures, ok};
use crate::client::{ApiError, Payload, Request};
use crate::state::{ViewState, apply_response, storage_warning};

#[test]
fn storage_warning_follows_health_and_hides_when_the_server_is_unreachable() {
    let mut state = ViewState::default();
    assert_eq!(storage_warning(&state), None);
    apply_response(
        &mut state,
        ok(Request::Health, Payload::Health(fixtures::health())),
        NOW,
    );
    assert_eq!(storage_warning(&state), None);

    apply_response(
        &mut state,
        ok(
            Request::Health,
            Payload::Health(fixtures::degraded_health()),
        ),
        NOW,
    );
    let warning = storage_warning(&state).expect("degraded health warns");
    assert!(
        warning.contains("predictions_log.csv: No space left"),
        "{warning}"
    );
    assert!(
        warning.ends_with("(at 2026-01-12 11:58:30 UTC)"),
        "{warning}"
    );

    // The last health known is stale once the server stops answering.
    let err = ApiError::Unreachable {
        url: "http://127.0.0.1:8000/health".into(),
        source: Arc::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        )),
    };
    apply_response(&mut state, failed(Request::Health, err), NOW);
    assert_eq!(storage_warning(&state), None);
}
