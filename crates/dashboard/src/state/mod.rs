//! What the dashboard knows from the API: the [`ViewState`], rebuilt at start and never
//! persisted, and the plain functions that apply API answers to it.
//!
//! - `apply`: [`apply_response`], the entry point for every answer.
//! - `alerts`, `drift`, `predictions`: each tab's own state and how its answers apply.
//! - `banners`: the text of the banners above every tab.

mod alerts;
mod apply;
mod banners;
mod drift;
mod predictions;

use std::collections::BTreeMap;

use scorewatch_core::views::{Health, MetricsView};
use scorewatch_core::{MetricName, PipelineStatus, TrainingSetSummary};
use time::OffsetDateTime;

use crate::client::RequestKind;

pub use alerts::{
    AlertsState, can_ack, choose_alert_filter, critical_alerts_banner, delivery_text,
};
pub use apply::apply_response;
pub use banners::{
    AUTH_BANNER_TITLE, SET_KEY_HINT, START_API_HINT, STORAGE_BANNER_TITLE, auth_warning,
    storage_warning,
};
pub use drift::{
    DriftColumn, DriftState, apply_drift, apply_drift_run, choose_segment_column, drift_headline,
    sorted_features,
};
pub use predictions::{
    FilterError, MAX_LOADED_PREDICTIONS, MAX_PAGE_SIZE, PredictionFilter, PredictionsRow,
    PredictionsState, TimeRange, apply_predictions,
};

/// The metrics on the KPI cards, in card order.
pub const KPI_METRICS: [MetricName; 7] = [
    MetricName::RocAuc,
    MetricName::Gini,
    MetricName::Ks,
    MetricName::Accuracy,
    MetricName::Precision,
    MetricName::Recall,
    MetricName::F1,
];

/// Whether the API answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Connection {
    /// Nothing has come back yet.
    #[default]
    Unknown,
    /// The last call got an HTTP answer.
    Online,
    /// The last call got no HTTP answer.
    Unreachable {
        /// The URL that failed.
        url: String,
        /// The error with its causes.
        error: String,
    },
}

/// How a notice is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    /// Something the user started worked.
    Info,
    /// Something the user started was refused for a normal reason (already running).
    Warning,
    /// Something failed.
    Error,
}

/// The result of the last user action, shown until dismissed or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// How to show it.
    pub level: NoticeLevel,
    /// What to say.
    pub text: String,
}

/// Everything learned from the API. Rebuilt at start; never persisted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewState {
    /// Whether the API answers.
    pub connection: Connection,
    /// `GET /health`.
    pub health: Option<Health>,
    /// `GET /monitoring/metrics`.
    pub metrics: Option<MetricsView>,
    /// Drift tab.
    pub drift: DriftState,
    /// Predictions tab.
    pub predictions: PredictionsState,
    /// `GET /monitoring/pipeline-status`.
    pub pipeline: Option<PipelineStatus>,
    /// Alerts tab and the critical-alert banner.
    pub alerts: AlertsState,
    /// `GET /monitoring/training-data`: the sets a run can train on.
    pub training_sets: Option<Vec<TrainingSetSummary>>,
    /// Per-endpoint errors other than unreachability, shown in the tab concerned.
    pub errors: BTreeMap<RequestKind, String>,
    /// Requests the API refused for want of a valid key (401 or 403), with the error as
    /// shown; an entry goes when that endpoint answers, or when the key changes.
    pub auth_refused: BTreeMap<RequestKind, String>,
    /// The result of the last user action.
    pub notice: Option<Notice>,
    /// When the last successful answer arrived.
    pub last_updated: Option<OffsetDateTime>,
}

/// What the app should do after an answer was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Nothing.
    None,
    /// Re-read the pipeline status (a run was started or cancelled).
    PipelineStatus,
    /// Re-read everything (a new model or drift report may exist).
    All,
    /// Fetch the next page of predictions (loading up to `load_until`).
    MorePredictions,
    /// Re-read the alerts (one was acknowledged, or the ack was refused).
    Alerts,
}

#[cfg(test)]
mod tests;
