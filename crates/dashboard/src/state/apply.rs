//! Applying API answers to the [`ViewState`]: the only code that changes it from what the
//! API said.

use scorewatch_core::{AlertState, PipelineState};
use time::OffsetDateTime;

use crate::client::{ApiError, Payload, Request, RequestKind, Response};
use crate::state::alerts::{apply_alert_acked, apply_alert_list};
use crate::state::drift::{
    apply_drift, apply_drift_run, apply_drift_segments, apply_metrics_segments,
};
use crate::state::predictions::apply_predictions;
use crate::state::{Connection, FollowUp, Notice, NoticeLevel, ViewState};

/// Applies one answer to the state, at time `now`.
pub fn apply_response(state: &mut ViewState, response: Response, now: OffsetDateTime) -> FollowUp {
    let kind = response.request.kind();
    match response.result {
        Ok(payload) => {
            state.connection = Connection::Online;
            state.last_updated = Some(now);
            state.errors.remove(&kind);
            // The endpoint took the key (or needs none): a refusal of another endpoint
            // stays, since a write can be refused while reads are open to all.
            state.auth_refused.remove(&kind);
            apply_payload(state, &response.request, payload)
        }
        Err(err) if response.request.kind() == RequestKind::AckAlert => {
            apply_ack_error(state, &err);
            FollowUp::Alerts
        }
        Err(err) => {
            apply_error(state, &response.request, &err);
            FollowUp::None
        }
    }
}

fn apply_payload(state: &mut ViewState, request: &Request, payload: Payload) -> FollowUp {
    match payload {
        Payload::Health(health) => state.health = Some(health),
        Payload::Metrics(metrics) => state.metrics = Some(*metrics),
        Payload::Drift(view) => apply_drift(&mut state.drift, view),
        Payload::DriftSegments(view) => {
            if let Request::DriftSegments { column, min_rows } = request {
                apply_drift_segments(&mut state.drift, column, *min_rows, view);
            }
        }
        Payload::MetricsSegments(metrics) => {
            if let Request::MetricsSegments { column, min_rows } = request {
                apply_metrics_segments(&mut state.drift, column, *min_rows, metrics);
            }
        }
        Payload::DriftRun(report) => {
            state.notice = Some(Notice {
                level: NoticeLevel::Info,
                text: format!(
                    "Drift check done: {} of {} features drifted.",
                    report.features.iter().filter(|f| f.drifted).count(),
                    report.features.len()
                ),
            });
            apply_drift_run(&mut state.drift, report);
        }
        Payload::Predictions(page) => {
            if let Request::Predictions(query) = request {
                apply_predictions(&mut state.predictions, query, page);
                let p = &state.predictions;
                if p.has_more && p.rows.len() < p.load_until {
                    return FollowUp::MorePredictions;
                }
            }
        }
        Payload::RunAccepted(accepted) => {
            state.notice = Some(Notice {
                level: NoticeLevel::Info,
                text: format!("Pipeline run {} started.", accepted.run_id),
            });
            return FollowUp::PipelineStatus;
        }
        Payload::CancelAccepted => {
            state.notice = Some(Notice {
                level: NoticeLevel::Info,
                text: "Cancellation requested; the run stops at the end of its current step."
                    .into(),
            });
            return FollowUp::PipelineStatus;
        }
        Payload::TrainingSets(list) => state.training_sets = Some(list.training_sets),
        Payload::Alerts(view) => match request {
            Request::FiringAlerts => state.alerts.firing = Some(view.alerts),
            Request::Alerts(filter) => {
                // The tab's list holds the firing alerts too, maybe read after the
                // banner's poll: the banner follows it, so the two never disagree
                // on screen (a severity can change between two reads).
                if filter.is_none_or(|s| s == AlertState::Firing) {
                    state.alerts.firing = Some(
                        view.alerts
                            .iter()
                            .filter(|a| a.state == AlertState::Firing)
                            .cloned()
                            .collect(),
                    );
                }
                apply_alert_list(&mut state.alerts, *filter, view.alerts);
            }
            _ => {}
        },
        Payload::AlertAcked(alert) => {
            state.notice = Some(Notice {
                level: NoticeLevel::Info,
                text: format!("Alert acknowledged: {}", alert.summary),
            });
            apply_alert_acked(&mut state.alerts, &alert);
            return FollowUp::Alerts;
        }
        // Saved by the app (it owns the report directory); nothing to keep here.
        Payload::Report(_) => {}
        Payload::PipelineStatus(status) => {
            let finished_now = state
                .pipeline
                .as_ref()
                .is_some_and(|old| matches!(old.state, PipelineState::Running { .. }))
                && !matches!(status.state, PipelineState::Running { .. });
            state.pipeline = Some(status);
            if finished_now {
                return FollowUp::All;
            }
        }
    }
    FollowUp::None
}

/// A refused or failed acknowledgement, said where the user pressed the button (the
/// Alerts tab) in words that tell what to do; the list is re-read after it, since a
/// 404 or 409 means it is out of date.
fn apply_ack_error(state: &mut ViewState, err: &ApiError) {
    let hint = match err {
        ApiError::Unreachable { url, .. } => {
            state.connection = Connection::Unreachable {
                url: url.clone(),
                error: err.chain(),
            };
            ""
        }
        ApiError::Status { status: 401, .. } => {
            " The server wants the API key and the dashboard has none: set it in Settings."
        }
        ApiError::Status { status: 403, .. } => {
            " The server refused the dashboard's API key: check it in Settings."
        }
        ApiError::Status { status: 404, .. } => " The alert is no longer kept on the server.",
        ApiError::Status { status: 409, .. } => " It was resolved in the meantime.",
        _ => "",
    };
    if matches!(err, ApiError::Status { .. } | ApiError::Decode { .. }) {
        state.connection = Connection::Online;
    }
    if matches!(err.status(), Some(401 | 403)) {
        // The "Unauthorised key" banner says where the key comes from, as for any write.
        state
            .auth_refused
            .insert(RequestKind::AckAlert, err.to_string());
    }
    let text = format!(
        "Not acknowledged: {}.{hint}",
        err.chain().trim_end_matches('.')
    );
    state.alerts.ack_error = Some(text.clone());
    state.errors.insert(RequestKind::AckAlert, text);
}

fn apply_error(state: &mut ViewState, request: &Request, err: &ApiError) {
    let kind = request.kind();
    if let Request::DriftSegments { column, .. } | Request::MetricsSegments { column, .. } = request
        && matches!(err, ApiError::Status { status, .. } if !matches!(status, 401 | 403))
    {
        state.connection = Connection::Online;
        // Shown in the Drift tab under the selector (422 unknown column, 409
        // no_reference when the training set is gone): the answer names what is wrong.
        // Not a notice: nothing was started, and a 409 is no "already running".
        if state.drift.segment_by.as_ref() == Some(column) {
            let shown = if kind == RequestKind::DriftSegments {
                &mut state.drift.segments_error
            } else {
                &mut state.drift.metrics_segments_error
            };
            *shown = Some(err.chain());
        }
        state.errors.insert(kind, err.chain());
        return;
    }
    match err {
        ApiError::Unreachable { url, .. } => {
            state.connection = Connection::Unreachable {
                url: url.clone(),
                error: err.chain(),
            };
        }
        ApiError::Status {
            status: 401 | 403, ..
        } => {
            state.connection = Connection::Online;
            state.auth_refused.insert(kind, err.to_string());
        }
        ApiError::Status {
            status: 409,
            message,
            ..
        } => {
            state.connection = Connection::Online;
            state.notice = Some(Notice {
                level: NoticeLevel::Warning,
                text: format!("Not started: {message}"),
            });
        }
        ApiError::Status {
            status: 404,
            message,
            ..
        } if kind == RequestKind::Drift && state.drift.pinned.is_some() => {
            state.connection = Connection::Online;
            state.drift.pinned = None;
            state
                .errors
                .insert(kind, format!("That report is gone: {message}"));
        }
        ApiError::Status { .. } | ApiError::Decode { .. } | ApiError::Client { .. } => {
            if !matches!(err, ApiError::Client { .. }) {
                state.connection = Connection::Online;
            }
            let text = err.chain();
            // The user pressed a button for these: the answer goes where they look.
            if kind.is_write() || kind == RequestKind::Report {
                state.notice = Some(Notice {
                    level: NoticeLevel::Error,
                    text: text.clone(),
                });
            }
            state.errors.insert(kind, text);
        }
    }
}
