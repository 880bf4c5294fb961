//! A fake API for driving the whole app in tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "test support: each test binary uses a different subset; a poisoned lock or bad fixture should fail the test"
)]

pub mod fixtures;

use std::sync::{Arc, Mutex};

use scorewatch_core::views::{
    AlertsView, DriftView, Health, MetricsView, PredictionView, RunAccepted, TrainingSetList,
};
use scorewatch_core::{Alert, AlertState, PipelineStatus, TrainingSetSummary};
use scorewatch_dashboard::{ApiClient, ApiError, ApiKey, Payload, Request, RequestKind, Response};

/// The page the fake API serves as `GET /monitoring/report`.
pub const REPORT_HTML: &str =
    "<!DOCTYPE html><html><head><title>scorewatch report</title></head><body></body></html>";

/// The key the fake API accepts unless a test says otherwise.
pub const VALID_KEY: &str = "test-key";

/// What the fake API answers.
#[derive(Debug, Clone)]
pub struct Answers {
    /// No HTTP answer at all (connection refused).
    pub unreachable: bool,
    /// The key the fake accepts; writes need it, as on the real server.
    pub valid_key: String,
    /// Reads need the key too, but `/health` (`scorewatch serve --protect-reads`).
    pub protect_reads: bool,
    pub health: Health,
    pub metrics: MetricsView,
    pub drift: DriftView,
    pub predictions: Vec<PredictionView>,
    pub pipeline: PipelineStatus,
    pub training_sets: Vec<TrainingSetSummary>,
    /// Drift per segment of `employment`; `None` answers 409 `no_reference` (the model's
    /// training set is gone).
    pub drift_segments: Option<scorewatch_core::DriftSegments>,
    /// The alerts kept, newest first; an ack changes them (see [`FakeApi`]).
    pub alerts: Vec<Alert>,
}

impl Answers {
    pub fn full() -> Self {
        Self {
            unreachable: false,
            valid_key: VALID_KEY.to_owned(),
            protect_reads: false,
            health: fixtures::health(),
            metrics: fixtures::metrics(),
            drift: fixtures::drift_view(),
            predictions: fixtures::predictions(2_000),
            pipeline: fixtures::pipeline_idle(),
            training_sets: fixtures::training_sets(),
            alerts: fixtures::alerts(),
            drift_segments: Some(fixtures::drift_segments()),
        }
    }

    pub fn empty() -> Self {
        Self {
            metrics: fixtures::metrics_without_model(),
            drift: fixtures::empty_drift_view(),
            predictions: Vec::new(),
            alerts: Vec::new(),
            pipeline: scorewatch_core::PipelineStatus {
                schema_version: 1,
                state: scorewatch_core::PipelineState::Idle,
                runs: Vec::new(),
            },
            ..Self::full()
        }
    }

    /// Refuses a request without the valid key the way the API does: 401 without a key,
    /// 403 with a wrong one.
    fn check_key(&self, request: &Request, key: Option<&ApiKey>) -> Result<(), ApiError> {
        let needs_key = request.kind().is_write()
            || (self.protect_reads && request.kind() != RequestKind::Health);
        let (status, code, message) = match key {
            _ if !needs_key => return Ok(()),
            Some(key) if key.expose() == self.valid_key => return Ok(()),
            Some(_) => (403, "invalid_api_key", "invalid API key"),
            None => (401, "missing_api_key", "missing X-API-Key header"),
        };
        Err(ApiError::Status {
            path: request.path(),
            status,
            code: Some(code.into()),
            message: message.into(),
        })
    }

    fn answer(&self, request: &Request, key: Option<&ApiKey>) -> Result<Payload, ApiError> {
        self.check_key(request, key)?;
        Ok(match request {
            Request::Health => Payload::Health(self.health.clone()),
            Request::Metrics { .. } => Payload::Metrics(Box::new(self.metrics.clone())),
            Request::Drift { id: None, .. } => Payload::Drift(self.drift.clone()),
            Request::Drift { id: Some(id), .. } => Payload::Drift(DriftView {
                report: Some(fixtures::drift_report(
                    id,
                    fixtures::drift_view().history[1].computed_at,
                )),
                history: self.drift.history.clone(),
                by_segment: None,
            }),
            Request::Predictions(query) if !(1..=1000).contains(&query.limit) => {
                return Err(ApiError::Status {
                    path: request.path(),
                    status: 422,
                    code: Some("invalid_fields".into()),
                    message: "1 invalid field (limit: must be between 1 and 1000)".into(),
                });
            }
            Request::Predictions(query) => {
                let matching: Vec<PredictionView> = self
                    .predictions
                    .iter()
                    .filter(|p| {
                        query
                            .model_version
                            .as_ref()
                            .is_none_or(|v| &p.model_version == v)
                    })
                    .cloned()
                    .collect();
                Payload::Predictions(fixtures::page(&matching, query.limit, query.offset))
            }
            Request::PipelineStatus => Payload::PipelineStatus(self.pipeline.clone()),
            Request::RunDrift => Payload::DriftRun(fixtures::drift_report(
                "drift-new",
                time::OffsetDateTime::now_utc(),
            )),
            Request::RunPipeline(_) => Payload::RunAccepted(RunAccepted {
                run_id: "run-3".into(),
                status_url: "/monitoring/pipeline-status".into(),
            }),
            Request::CancelPipeline => Payload::CancelAccepted,
            Request::TrainingSets => Payload::TrainingSets(TrainingSetList {
                training_sets: self.training_sets.clone(),
            }),
            Request::Report => Payload::Report(REPORT_HTML.to_owned()),
            Request::Alerts(_) | Request::FiringAlerts | Request::AckAlert(_) => {
                return self.answer_alerts(request);
            }
            Request::DriftSegments { .. } | Request::MetricsSegments { .. } => {
                return self.answer_segments(request);
            }
        })
    }

    /// `GET /monitoring/alerts` and the ack, as the API answers them.
    fn answer_alerts(&self, request: &Request) -> Result<Payload, ApiError> {
        Ok(match request {
            Request::Alerts(state) => Payload::Alerts(AlertsView {
                alerts: self
                    .alerts
                    .iter()
                    .filter(|a| state.is_none_or(|s| a.state == s))
                    .cloned()
                    .collect(),
            }),
            Request::FiringAlerts => Payload::Alerts(AlertsView {
                alerts: self
                    .alerts
                    .iter()
                    .filter(|a| a.state == AlertState::Firing)
                    .cloned()
                    .collect(),
            }),
            Request::AckAlert(id) => match self.alerts.iter().find(|a| &a.id == id) {
                None => {
                    return Err(ApiError::Status {
                        path: request.path(),
                        status: 404,
                        code: Some("not_found".into()),
                        message: format!("no alert has id {id}"),
                    });
                }
                Some(a) if a.state == AlertState::Resolved => {
                    return Err(ApiError::Status {
                        path: request.path(),
                        status: 409,
                        code: Some("alert_resolved".into()),
                        message: format!(
                            "alert {id} is resolved; only a firing alert can be acknowledged"
                        ),
                    });
                }
                Some(a) => Payload::AlertAcked(Box::new(Alert {
                    acked_at: Some(fixtures::ACKED_AT),
                    acked_by: Some("key-1".into()),
                    ..a.clone()
                })),
            },
            _ => unreachable!("not an alerts request: {request:?}"),
        })
    }

    /// `GET /monitoring/drift?segment_by=`, as the API answers it.
    fn answer_segments(&self, request: &Request) -> Result<Payload, ApiError> {
        Ok(match request {
            Request::DriftSegments { column, .. } if column == "employment" => {
                let Some(segments) = &self.drift_segments else {
                    return Err(ApiError::Status {
                        path: request.path(),
                        status: 409,
                        code: Some("no_reference".into()),
                        message: "the reference of model 20260110-120000 is unavailable: \
                              data/training/applications.csv changed since training"
                            .into(),
                    });
                };
                Payload::DriftSegments(DriftView {
                    by_segment: Some(segments.clone()),
                    ..self.drift.clone()
                })
            }
            Request::DriftSegments { column, .. } => {
                return Err(ApiError::Status {
                    path: request.path(),
                    status: 422,
                    code: Some("invalid_fields".into()),
                    message: format!(
                        "1 invalid field (segment_by: unknown segment column '{column}'; valid columns: employment)"
                    ),
                });
            }
            Request::MetricsSegments { column, .. } if column == "employment" => {
                Payload::MetricsSegments(fixtures::metrics_segments())
            }
            Request::MetricsSegments { column, .. } => {
                return Err(ApiError::Status {
                    path: request.path(),
                    status: 422,
                    code: Some("invalid_fields".into()),
                    message: format!(
                        "1 invalid field (by: unknown segment column '{column}'; valid columns: employment)"
                    ),
                });
            }
            _ => unreachable!("not a segments request: {request:?}"),
        })
    }
}

/// A request as the fake received it, with the `X-API-Key` it carried.
pub type Sent = (Request, Option<String>);

/// Answers at once from [`Answers`] and records every request with the key it carried;
/// clones share both.
#[derive(Debug, Clone)]
pub struct FakeApi {
    pub answers: Arc<Mutex<Answers>>,
    pub sent: Arc<Mutex<Vec<Sent>>>,
    pending: Arc<Mutex<Vec<Response>>>,
}

impl FakeApi {
    pub fn new(answers: Answers) -> Self {
        Self {
            answers: Arc::new(Mutex::new(answers)),
            sent: Arc::default(),
            pending: Arc::default(),
        }
    }

    pub fn sent(&self) -> Vec<Request> {
        self.sent_with_keys().into_iter().map(|(r, _)| r).collect()
    }

    /// Every request so far with the `X-API-Key` it carried.
    pub fn sent_with_keys(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
}

impl ApiClient for FakeApi {
    fn send(
        &mut self,
        ctx: &egui::Context,
        base_url: &str,
        key: Option<&ApiKey>,
        request: Request,
    ) {
        let answers = self.answers.lock().unwrap().clone();
        let result = if answers.unreachable {
            Err(ApiError::Unreachable {
                url: format!("{base_url}{}", request.path()),
                source: Arc::new(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "Connection refused (os error 111)",
                )),
            })
        } else {
            answers.answer(&request, key)
        };
        // The server keeps an acknowledgement: later lists show it.
        if let Ok(Payload::AlertAcked(acked)) = &result {
            let mut answers = self.answers.lock().unwrap();
            for alert in answers.alerts.iter_mut().filter(|a| a.id == acked.id) {
                *alert = (**acked).clone();
            }
        }
        self.sent
            .lock()
            .unwrap()
            .push((request.clone(), key.map(|k| k.expose().to_owned())));
        self.pending.lock().unwrap().push(Response {
            request,
            base_url: base_url.to_owned(),
            key: key.cloned(),
            result,
        });
        ctx.request_repaint();
    }

    fn poll(&mut self) -> Vec<Response> {
        std::mem::take(&mut *self.pending.lock().unwrap())
    }
}
