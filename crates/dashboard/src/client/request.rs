//! What the dashboard asks the API for ([`Request`], [`PredictionsQuery`]) and what comes
//! back when it works ([`Payload`]).

use scorewatch_core::views::{
    AlertsView, DriftView, Health, MetricsView, PredictionsPage, RunAccepted, RunPipelineRequest,
    TrainingSetList,
};
use scorewatch_core::{Alert, AlertState, DriftReport, MetricsSegments, PipelineStatus};
use serde::Serialize;
use time::OffsetDateTime;

/// Query of `GET /monitoring/predictions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PredictionsQuery {
    /// Page size.
    pub limit: usize,
    /// Predictions to skip, newest first.
    pub offset: usize,
    /// Only predictions at or after this time.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub since: Option<OffsetDateTime>,
    /// Only predictions before this time.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub until: Option<OffsetDateTime>,
    /// Only predictions of this model version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
}

impl PredictionsQuery {
    /// Whether `other` asks for the same predictions, ignoring paging.
    #[must_use]
    pub fn same_filter(&self, other: &Self) -> bool {
        self.since == other.since
            && self.until == other.until
            && self.model_version == other.model_version
    }
}

/// One call to the API. The key is not part of it: every request carries the dashboard's
/// key, when it has one (see [`ApiClient::send`](crate::client::ApiClient::send)).
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `GET /health`.
    Health,
    /// `GET /monitoring/metrics?limit=&offset=`.
    Metrics {
        /// History entries to return.
        limit: usize,
        /// History entries to skip.
        offset: usize,
    },
    /// `GET /monitoring/drift?history=N[&id=ID]`.
    Drift {
        /// Summaries of earlier reports to return.
        history: usize,
        /// A specific report; the latest when `None`.
        id: Option<String>,
    },
    /// `POST /monitoring/drift/run`.
    RunDrift,
    /// `GET /monitoring/drift?segment_by=COL&min_rows=N`: drift per segment.
    DriftSegments {
        /// The segment column.
        column: String,
        /// Fewest rows a segment needs on each side to be judged.
        min_rows: u64,
    },
    /// `GET /monitoring/metrics/segments?by=COL&min_rows=N`: production metrics per
    /// segment.
    MetricsSegments {
        /// The segment column.
        column: String,
        /// Fewest labelled rows a segment needs for its metrics.
        min_rows: u64,
    },
    /// `GET /monitoring/predictions`.
    Predictions(PredictionsQuery),
    /// `POST /monitoring/run-pipeline` with the options of the run.
    RunPipeline(RunPipelineRequest),
    /// `POST /monitoring/pipeline/cancel`.
    CancelPipeline,
    /// `GET /monitoring/pipeline-status`.
    PipelineStatus,
    /// `GET /monitoring/training-data`.
    TrainingSets,
    /// `GET /monitoring/report`: the HTML report of the server's default window.
    Report,
    /// `GET /monitoring/alerts[?state=]`: the Alerts tab's list (`None`: every state).
    Alerts(Option<AlertState>),
    /// `GET /monitoring/alerts?state=firing`: the banner's poll, on every refresh.
    FiringAlerts,
    /// `POST /monitoring/alerts/{id}/ack`: acknowledges the alert with this id.
    AckAlert(String),
}

/// Which kind of call a [`Request`] is; used to avoid sending the same refresh twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestKind {
    /// `GET /health`.
    Health,
    /// `GET /monitoring/metrics`.
    Metrics,
    /// `GET /monitoring/drift`.
    Drift,
    /// `POST /monitoring/drift/run`.
    RunDrift,
    /// `GET /monitoring/drift?segment_by=`.
    DriftSegments,
    /// `GET /monitoring/metrics/segments`.
    MetricsSegments,
    /// `GET /monitoring/predictions`.
    Predictions,
    /// `POST /monitoring/run-pipeline`.
    RunPipeline,
    /// `POST /monitoring/pipeline/cancel`.
    CancelPipeline,
    /// `GET /monitoring/pipeline-status`.
    PipelineStatus,
    /// `GET /monitoring/training-data`.
    TrainingSets,
    /// `GET /monitoring/report`.
    Report,
    /// `GET /monitoring/alerts` for the Alerts tab.
    Alerts,
    /// `GET /monitoring/alerts?state=firing` for the banner; apart from [`Self::Alerts`]
    /// so the banner's poll never waits on, or replaces, the tab's list.
    FiringAlerts,
    /// `POST /monitoring/alerts/{id}/ack`.
    AckAlert,
}

impl RequestKind {
    /// Whether the call changes something on the server (a POST). Writes are sent only when
    /// the user asks, and their failures are shown as a notice.
    #[must_use]
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Self::RunDrift | Self::RunPipeline | Self::CancelPipeline | Self::AckAlert
        )
    }
}

impl Request {
    /// The kind of call.
    #[must_use]
    pub fn kind(&self) -> RequestKind {
        match self {
            Self::Health => RequestKind::Health,
            Self::Metrics { .. } => RequestKind::Metrics,
            Self::Drift { .. } => RequestKind::Drift,
            Self::RunDrift => RequestKind::RunDrift,
            Self::DriftSegments { .. } => RequestKind::DriftSegments,
            Self::MetricsSegments { .. } => RequestKind::MetricsSegments,
            Self::Predictions(_) => RequestKind::Predictions,
            Self::RunPipeline(_) => RequestKind::RunPipeline,
            Self::CancelPipeline => RequestKind::CancelPipeline,
            Self::PipelineStatus => RequestKind::PipelineStatus,
            Self::TrainingSets => RequestKind::TrainingSets,
            Self::Report => RequestKind::Report,
            Self::Alerts(_) => RequestKind::Alerts,
            Self::FiringAlerts => RequestKind::FiringAlerts,
            Self::AckAlert(_) => RequestKind::AckAlert,
        }
    }

    /// The path of the endpoint, for messages.
    #[must_use]
    pub fn path(&self) -> &'static str {
        match self.kind() {
            RequestKind::Health => "/health",
            RequestKind::Metrics => "/monitoring/metrics",
            RequestKind::Drift | RequestKind::DriftSegments => "/monitoring/drift",
            RequestKind::RunDrift => "/monitoring/drift/run",
            RequestKind::MetricsSegments => "/monitoring/metrics/segments",
            RequestKind::Predictions => "/monitoring/predictions",
            RequestKind::RunPipeline => "/monitoring/run-pipeline",
            RequestKind::CancelPipeline => "/monitoring/pipeline/cancel",
            RequestKind::PipelineStatus => "/monitoring/pipeline-status",
            RequestKind::TrainingSets => "/monitoring/training-data",
            RequestKind::Report => "/monitoring/report",
            RequestKind::Alerts | RequestKind::FiringAlerts => "/monitoring/alerts",
            // The id goes into the URL (see `execute`); messages name the route.
            RequestKind::AckAlert => "/monitoring/alerts/{id}/ack",
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// Of `GET /health`.
    Health(Health),
    /// Of `GET /monitoring/metrics`.
    /// Boxed: the view is several times larger than the other answers.
    Metrics(Box<MetricsView>),
    /// Of `GET /monitoring/drift`.
    Drift(DriftView),
    /// Of `POST /monitoring/drift/run`.
    DriftRun(DriftReport),
    /// Of `GET /monitoring/drift?segment_by=` (its `by_segment`).
    DriftSegments(DriftView),
    /// Of `GET /monitoring/metrics/segments`.
    MetricsSegments(MetricsSegments),
    /// Of `GET /monitoring/predictions`.
    Predictions(PredictionsPage),
    /// Of `POST /monitoring/run-pipeline`.
    RunAccepted(RunAccepted),
    /// Of `POST /monitoring/pipeline/cancel`; its body is not needed, the status is re-read.
    CancelAccepted,
    /// Of `GET /monitoring/pipeline-status`.
    PipelineStatus(PipelineStatus),
    /// Of `GET /monitoring/training-data`.
    TrainingSets(TrainingSetList),
    /// Of `GET /monitoring/report`: the page's HTML.
    Report(String),
    /// Of `GET /monitoring/alerts` (the tab's list or the banner's firing poll).
    Alerts(AlertsView),
    /// Of `POST /monitoring/alerts/{id}/ack`: the alert as acknowledged.
    AlertAcked(Box<Alert>),
}
