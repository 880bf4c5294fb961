//! Bodies of the HTTP API's requests and responses, shared by the API (which serialises
//! them) and the dashboard (which deserialises them), so the two cannot drift apart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::drift::DriftReport;
use crate::records::MetricsEntry;
use crate::segment::DriftSegments;
use crate::store::TrainingSetSummary;

/// A feature value as it travels in JSON: a number, a string or null (missing).
pub type FeatureMap = BTreeMap<String, serde_json::Value>;

fn files_backend() -> String {
    crate::store::FILE_BACKEND.to_owned()
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok`, or `degraded` when the data directory cannot be written or the database
    /// cannot be reached.
    pub status: String,
    /// Version of the scorewatch binary.
    pub version: String,
    /// The current model version, if a model is published.
    pub model_version: Option<String>,
    /// Where the data is kept: `files` (the data directory) or `postgres`. Absent from
    /// servers that predate it, which kept files.
    #[serde(default = "files_backend")]
    pub backend: String,
    /// Which replica answered (`serve --replica-name`; by default `RENDER_INSTANCE_ID`,
    /// else `hostname-pid`): several replicas can share one database. Absent from servers
    /// that predate it.
    #[serde(default)]
    pub replica: String,
    /// Seconds since the server started.
    pub uptime_seconds: f64,
    /// Resident memory of the server process, when the platform reports it.
    pub resident_memory_bytes: Option<u64>,
    /// Why the status is `degraded`; absent when `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageProblem>,
}

/// Why the data directory cannot be written, as `GET /health` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorageProblem {
    /// The message of the last refused write, the same text as its 503
    /// `storage_unavailable` body: it names the file and the operating system's error.
    /// Or, when no write was refused, which directory the health check found unwritable.
    pub message: String,
    /// When the problem was last seen: the refused write's time, or this check's.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// What the API tells about the current model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelSummary {
    /// Model version (directory name under `data/models/`).
    pub version: String,
    /// When it was trained.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Decision threshold: score >= threshold is positive.
    pub threshold: f64,
    /// Rows it was trained on.
    pub training_rows: u64,
    /// Feature names in schema order.
    pub features: Vec<String>,
}

/// `GET /monitoring/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricsView {
    /// The current model, if any.
    pub model: Option<ModelSummary>,
    /// Latest `training` entry of the current model.
    pub training: Option<MetricsEntry>,
    /// Latest `validation` entry of the current model.
    pub validation: Option<MetricsEntry>,
    /// Latest `production` entry of the current model.
    pub production: Option<MetricsEntry>,
    /// Latest `estimated` entry of the current model (performance estimated without
    /// outcomes, with bands); absent in responses of servers before it existed.
    #[serde(default)]
    pub estimated: Option<MetricsEntry>,
    /// History entries, newest first, after `offset` and up to `limit`.
    pub history: Vec<MetricsEntry>,
    /// Entries in the whole history.
    pub history_total: u64,
    /// Predictions logged since the server started (all models).
    pub predictions_total: u64,
    /// Outcomes received since the server started.
    pub outcomes_total: u64,
}

/// One line of the drift history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftSummary {
    /// Report id; `GET /monitoring/drift?id=...` returns the full report.
    pub id: String,
    /// When it was computed.
    #[serde(with = "time::serde::rfc3339")]
    pub computed_at: OffsetDateTime,
    /// Model version of the current window.
    pub model_version: Option<String>,
    /// Rows in the current window.
    pub current_rows: u64,
    /// Share of drifted features.
    pub drifted_share: f64,
    /// The dataset verdict.
    pub dataset_drift: bool,
}

impl From<&DriftReport> for DriftSummary {
    fn from(report: &DriftReport) -> Self {
        Self {
            id: report.id.clone(),
            computed_at: report.computed_at,
            model_version: report.current.model_version.clone(),
            current_rows: report.current.rows,
            drifted_share: report.drifted_share,
            dataset_drift: report.dataset_drift,
        }
    }
}

/// `GET /monitoring/drift`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftView {
    /// The latest report (or the one asked for by id); `None` before the first one.
    pub report: Option<DriftReport>,
    /// Summaries of the newest reports, newest first (`?history=N`).
    pub history: Vec<DriftSummary>,
    /// Drift per segment of the newest predictions (`?segment_by=COL`), computed for this
    /// request; absent when not asked for or before the model's first prediction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_segment: Option<DriftSegments>,
}

/// One logged prediction as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PredictionView {
    /// Unique id, used to post its outcome.
    pub prediction_id: String,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    /// The model version that scored it.
    pub model_version: String,
    /// Probability of the positive class.
    pub score: f64,
    /// 1 when score >= threshold.
    pub decision: u8,
    /// Feature name to value (number, string or null).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub features: FeatureMap,
}

/// `GET /monitoring/predictions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PredictionsPage {
    /// Newest first.
    pub predictions: Vec<PredictionView>,
    /// The limit applied.
    pub limit: usize,
    /// The offset applied.
    pub offset: usize,
    /// Whether older matching predictions exist beyond this page.
    pub has_more: bool,
}

/// `POST /predict` body: one application or a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum PredictRequest {
    /// `{"features": {...}}`.
    One {
        /// Feature name to value.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        features: FeatureMap,
    },
    /// `{"instances": [{...}, ...]}`.
    Batch {
        /// One feature map per application.
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
        instances: Vec<FeatureMap>,
    },
}

/// One scored application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PredictResponse {
    /// Id under which it was logged.
    pub prediction_id: String,
    /// Probability of the positive class.
    pub score: f64,
    /// 1 when score >= threshold.
    pub decision: u8,
    /// The model version that scored it.
    pub model_version: String,
}

/// `POST /predict` answer to a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchPredictResponse {
    /// In the order of the instances.
    pub predictions: Vec<PredictResponse>,
}

/// One late label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeItem {
    /// The prediction it labels.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub prediction_id: String,
    /// Observed label, 0 or 1.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    pub actual: u8,
}

/// `POST /monitoring/outcomes` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum OutcomesRequest {
    /// A batch: `{"outcomes": [...]}`.
    Batch {
        /// The labels.
        outcomes: Vec<OutcomeItem>,
    },
    /// One label.
    One(OutcomeItem),
}

/// What happened to one posted outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    /// Recorded.
    Accepted,
    /// No prediction has this id.
    UnknownId,
    /// An outcome for this id was already recorded (a single post of it gets 409).
    Duplicate,
    /// The id's prediction is older than the outcome horizon (`serve
    /// --outcome-horizon-days`), so the server no longer takes outcomes for it (a single
    /// post of it gets 422 `outside_outcome_horizon`).
    OutsideOutcomeHorizon,
}

/// Per-item result of `POST /monitoring/outcomes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeResult {
    /// The id posted.
    pub prediction_id: String,
    /// What happened.
    pub status: OutcomeStatus,
}

/// `POST /monitoring/outcomes` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomesResponse {
    /// How many were recorded.
    pub accepted: usize,
    /// One result per posted item, in order.
    pub results: Vec<OutcomeResult>,
}

/// `POST /monitoring/run-pipeline` answer (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunAccepted {
    /// Id of the started run.
    pub run_id: String,
    /// Where to follow it: `/monitoring/pipeline-status`.
    pub status_url: String,
}

/// `POST /monitoring/run-pipeline` body (optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct RunPipelineRequest {
    /// Training file name inside `data/training/` (default `applications.csv`).
    pub training_file: Option<String>,
    /// Whether to add labelled production rows (default true).
    pub include_production: Option<bool>,
    /// Promote even when validation AUC is worse than the current model's.
    pub force: bool,
    /// Labelled production rows needed before they join the training data (0: any;
    /// default: the server's `--min-production-rows`, 1000 unless set).
    pub min_production_rows: Option<usize>,
}

/// The training sets of `GET /monitoring/training-data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingSetList {
    /// Every set, ordered by name.
    pub training_sets: Vec<TrainingSetSummary>,
}

/// The body of every error response: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable machine code such as `invalid_fields`, `unauthorized`, `pipeline_running`.
    pub code: String,
    /// Human message.
    pub message: String,
    /// Per-field problems, when there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldProblem>,
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    /// Field path, such as `instances[3].monthly_income`.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

// Alerts (issue 16).
/// `GET /monitoring/alerts`: alerts, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertsView {
    /// The alerts asked for, newest first: state, severity, since, resolved at,
    /// summary, details and delivery status.
    pub alerts: Vec<crate::records::Alert>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_from_a_server_without_the_storage_field_parses() {
        let body = r#"{"status":"degraded","version":"0.1.0","model_version":null,
            "uptime_seconds":1.5,"resident_memory_bytes":null}"#;
        let health: Health = serde_json::from_str(body).unwrap();
        assert_eq!(health.status, "degraded");
        assert_eq!(health.storage, None);
        assert_eq!(health.replica, "");
    }

    #[test]
    fn storage_problem_travels_with_an_rfc3339_time() {
        let health = Health {
            status: "degraded".to_owned(),
            version: "0.1.0".to_owned(),
            model_version: None,
            backend: "postgres".to_owned(),
            replica: "web-1".to_owned(),
            uptime_seconds: 1.5,
            resident_memory_bytes: None,
            storage: Some(StorageProblem {
                message: "the data directory cannot be written: /d/predictions_log.csv: \
                          No space left on device (os error 28)"
                    .to_owned(),
                at: time::macros::datetime!(2025-03-01 10:02:03 UTC),
            }),
        };
        let json = serde_json::to_value(&health).unwrap();
        assert_eq!(json["storage"]["at"], "2025-03-01T10:02:03Z");
        assert_eq!(serde_json::from_value::<Health>(json).unwrap(), health);
    }
}
