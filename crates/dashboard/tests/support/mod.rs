//! A fake API for driving the whole app in tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "test support: each test binary uses a different subset; a poisoned lock or bad fixture should fail the test"
)]

pub mod fixtures;

use std::sync::{Arc, Mutex};

use scorewatch_core::views::{
    DriftView, Health, MetricsView, PredictionView, RunAccepted, TrainingSetList,
};
use scorewatch_core::{PipelineStatus, TrainingSetSummary};
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
        }
    }

    pub fn empty() -> Self {
        Self {
            metrics: fixtures::metrics_without_model(),
            drift: fixtures::empty_drift_view(),
            predictions: Vec::new(),
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
