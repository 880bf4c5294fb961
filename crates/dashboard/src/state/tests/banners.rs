//! The banners' text: the storage problem while `/health` is degraded, and a refused key.

use std::sync::Arc;

use super::{NOW, failed, fixtures, ok, status_error};
use crate::client::{ApiError, Payload, Request};
use crate::startup::KeySource;
use crate::state::{SET_KEY_HINT, ViewState, apply_response, auth_warning, storage_warning};

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

fn refused_read() -> ViewState {
    let mut state = ViewState::default();
    apply_response(
        &mut state,
        failed(
            Request::PipelineStatus,
            status_error(
                "/monitoring/pipeline-status",
                401,
                "missing X-API-Key header",
            ),
        ),
        NOW,
    );
    state
}

#[test]
fn auth_warning_names_the_refusal_and_where_the_key_comes_from() {
    assert_eq!(
        auth_warning(&ViewState::default(), KeySource::None),
        None,
        "nothing refused, no banner"
    );
    let state = refused_read();

    let without = auth_warning(&state, KeySource::None).expect("a refusal warns");
    assert!(
        without.starts_with("The dashboard has no key, and the server asks for one."),
        "{without}"
    );
    assert!(
        without.contains("/monitoring/pipeline-status answered 401: missing X-API-Key header"),
        "{without}"
    );
    for how in [
        "--api-key",
        "SCOREWATCH_API_KEY",
        "Settings",
        "data/secrets/api_key",
    ] {
        assert!(without.contains(how), "missing `{how}`: {without}");
    }

    let with = auth_warning(&state, KeySource::Environment).expect("a refusal warns");
    assert!(
        with.starts_with(
            "The server refused the dashboard's key (from --api-key / SCOREWATCH_API_KEY)."
        ),
        "{with}"
    );
    assert!(with.ends_with(SET_KEY_HINT), "{with}");
}

#[test]
fn auth_warning_hides_while_the_server_is_unreachable() {
    let mut state = refused_read();
    let err = ApiError::Unreachable {
        url: "http://127.0.0.1:8000/health".into(),
        source: Arc::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        )),
    };
    apply_response(&mut state, failed(Request::Health, err), NOW);
    assert_eq!(auth_warning(&state, KeySource::Typed), None);
}
