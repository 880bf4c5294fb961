//! Applying API answers to the [`ViewState`]: the only code that changes it from what the
//! API said.

use scorewatch_core::PipelineState;
use time::OffsetDateTime;

use crate::client::{ApiError, Payload, Request, RequestKind, Response};
use crate::state::drift::{apply_drift, apply_drift_run};
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

fn apply_error(state: &mut ViewState, request: &Request, err: &ApiError) {
    let kind = request.kind();
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
