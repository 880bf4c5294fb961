//! What the dashboard knows and remembers: [`Settings`] (persisted by eframe) and
//! [`ViewState`] (rebuilt from the API), with the plain functions that apply API answers.

use std::collections::BTreeMap;

use scorewatch_core::views::{DriftSummary, DriftView, Health, MetricsView, PredictionsPage};
use scorewatch_core::{DriftReport, PipelineState, PipelineStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::client::{ApiError, Payload, PredictionsQuery, Request, RequestKind, Response};

/// The default API address, as `scorewatch serve` binds it.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8000";

/// Largest page the API serves (`limit` is 1 to 1000).
pub const MAX_PAGE_SIZE: usize = 1000;

/// How many predictions "Load up to 10,000" fetches, page by page.
pub const MAX_LOADED_PREDICTIONS: usize = 10_000;

/// The metrics on the KPI cards and, by default, in the history plot.
pub const KPI_METRICS: [(&str, &str); 7] = [
    ("roc_auc", "AUC"),
    ("gini", "Gini"),
    ("ks", "KS"),
    ("accuracy", "Accuracy"),
    ("precision", "Precision"),
    ("recall", "Recall"),
    ("f1", "F1"),
];

/// How to start the API, shown when it cannot be reached.
pub const START_API_HINT: &str = "Start it with `cargo run --release -p scorewatch-api -- demo` (sample data and a model) \
     or `scorewatch serve` (your data directory).";

/// The banner's title while the server cannot write its data directory.
pub const STORAGE_BANNER_TITLE: &str = "The server cannot write its data directory: new \
     predictions and outcomes are refused (503).";

/// The banner's detail: the refused write's message (it names the file) and when, from
/// `/health`; `None` while the server is healthy or its last known health is stale (it
/// cannot be reached).
#[must_use]
pub fn storage_warning(state: &ViewState) -> Option<String> {
    if matches!(state.connection, Connection::Unreachable { .. }) {
        return None;
    }
    let health = state.health.as_ref().filter(|h| h.status == "degraded")?;
    Some(match &health.storage {
        Some(problem) => format!("{} (at {} UTC)", problem.message, format_time(problem.at)),
        // A server older than the `storage` field only says `degraded`.
        None => "The server did not say which file; read its log (data/logs/api.log). \
                 Free space or fix the permissions of the data directory."
            .to_owned(),
    })
}

/// The tabs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// Model, KPIs, volume, drift verdict, pipeline state.
    #[default]
    Overview,
    /// Metrics over time.
    Metrics,
    /// The drift report.
    Drift,
    /// The prediction log.
    Predictions,
    /// Training runs.
    Pipeline,
}

impl Tab {
    /// Every tab, in display order.
    pub const ALL: [Self; 5] = [
        Self::Overview,
        Self::Metrics,
        Self::Drift,
        Self::Predictions,
        Self::Pipeline,
    ];

    /// The tab's title.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Metrics => "Metrics history",
            Self::Drift => "Drift",
            Self::Predictions => "Predictions",
            Self::Pipeline => "Pipeline",
        }
    }
}

/// Settings remembered between runs (eframe persistence). New fields must have a default
/// so older saved settings still load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Base URL of the API.
    pub api_url: String,
    /// The open tab.
    pub tab: Tab,
    /// Whether to refresh on a timer.
    pub auto_refresh: bool,
    /// Seconds between automatic refreshes.
    pub refresh_seconds: u32,
    /// Metric names drawn in the history plot.
    pub shown_metrics: Vec<String>,
    /// Predictions per page.
    pub page_size: usize,
    /// History entries fetched for the metrics plot.
    pub metrics_history_limit: usize,
    /// Drift summaries fetched for the report selector.
    pub drift_history: usize,
    /// Whether the user asked to store the API key (in plain text) with these settings.
    pub remember_key: bool,
    /// The key, only when `remember_key` is set; filled at save time.
    pub remembered_key: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            api_url: DEFAULT_API_URL.to_owned(),
            tab: Tab::Overview,
            auto_refresh: true,
            refresh_seconds: 10,
            shown_metrics: vec!["roc_auc".into(), "gini".into(), "ks".into()],
            page_size: 500,
            metrics_history_limit: 500,
            drift_history: 20,
            remember_key: false,
            remembered_key: None,
        }
    }
}

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

/// A column of the drift table to sort by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DriftColumn {
    /// Schema order.
    #[default]
    Schema,
    /// Feature name.
    Feature,
    /// PSI.
    Psi,
    /// KS or chi-square statistic.
    Statistic,
    /// p-value.
    PValue,
    /// Current missing share.
    Missing,
}

/// The drift tab's data and choices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriftState {
    /// Whether an answer has arrived.
    pub loaded: bool,
    /// The report on screen.
    pub report: Option<DriftReport>,
    /// Earlier reports, newest first.
    pub history: Vec<DriftSummary>,
    /// An earlier report the user chose; refreshes keep showing it.
    pub pinned: Option<String>,
    /// The feature whose bins are drawn.
    pub selected_feature: Option<String>,
    /// Sort column.
    pub sort: DriftColumn,
    /// Sort direction.
    pub descending: bool,
}

/// A time window preset of the predictions filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeRange {
    /// No time filter.
    #[default]
    All,
    /// The last hour.
    LastHour,
    /// The last 24 hours.
    LastDay,
    /// The last 7 days.
    LastWeek,
    /// RFC 3339 bounds typed by the user.
    Custom,
}

impl TimeRange {
    /// Every preset, in display order.
    pub const ALL: [Self; 5] = [
        Self::All,
        Self::LastHour,
        Self::LastDay,
        Self::LastWeek,
        Self::Custom,
    ];

    /// How it is shown.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All time",
            Self::LastHour => "Last hour",
            Self::LastDay => "Last 24 hours",
            Self::LastWeek => "Last 7 days",
            Self::Custom => "Custom range",
        }
    }
}

/// The filters of the predictions tab, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PredictionFilter {
    /// Model version; empty for all.
    pub model_version: String,
    /// Time window.
    pub range: TimeRange,
    /// Custom lower bound, RFC 3339.
    pub since: String,
    /// Custom upper bound, RFC 3339.
    pub until: String,
}

/// Why a filter cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A custom bound is not RFC 3339.
    #[error("field `{field}`: `{value}` is not an RFC 3339 time such as 2026-01-31T12:00:00Z")]
    BadTime {
        /// `since` or `until`.
        field: &'static str,
        /// What was typed.
        value: String,
    },
    /// The window is empty.
    #[error("field `until`: must be after `since`")]
    EmptyWindow,
}

impl PredictionFilter {
    /// The query for the first page of this filter at time `now`.
    ///
    /// # Errors
    /// [`FilterError`] when a custom bound does not parse or the window is empty.
    pub fn query(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<PredictionsQuery, FilterError> {
        let parse =
            |field: &'static str, value: &str| -> Result<Option<OffsetDateTime>, FilterError> {
                let value = value.trim();
                if value.is_empty() {
                    return Ok(None);
                }
                OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
                    .map(Some)
                    .map_err(|_| FilterError::BadTime {
                        field,
                        value: value.to_owned(),
                    })
            };
        let (since, until) = match self.range {
            TimeRange::All => (None, None),
            TimeRange::LastHour => (Some(now - time::Duration::HOUR), None),
            TimeRange::LastDay => (Some(now - time::Duration::DAY), None),
            TimeRange::LastWeek => (Some(now - time::Duration::WEEK), None),
            TimeRange::Custom => (parse("since", &self.since)?, parse("until", &self.until)?),
        };
        if let (Some(since), Some(until)) = (since, until)
            && until <= since
        {
            return Err(FilterError::EmptyWindow);
        }
        let model_version = self.model_version.trim();
        Ok(PredictionsQuery {
            limit,
            offset: 0,
            since,
            until,
            model_version: (!model_version.is_empty()).then(|| model_version.to_owned()),
        })
    }
}

/// The predictions tab's data and choices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictionsState {
    /// Whether an answer for the current filter has arrived.
    pub loaded: bool,
    /// Loaded rows, newest first.
    pub rows: Vec<PredictionsRow>,
    /// Whether older matching predictions exist.
    pub has_more: bool,
    /// The filter being edited.
    pub filter: PredictionFilter,
    /// The query the rows answer (paging aside); answers to other queries are stale.
    pub active: Option<PredictionsQuery>,
    /// Why the filter cannot be applied.
    pub filter_error: Option<String>,
    /// Keep fetching pages until this many rows are loaded (0: one page at a time).
    pub load_until: usize,
}

/// One prediction as the table shows it: formatted once when it arrives, so drawing
/// 10,000 rows does no formatting.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionsRow {
    /// Prediction id.
    pub id: String,
    /// Time, `YYYY-MM-DD HH:MM:SS`.
    pub time: String,
    /// Model version.
    pub model_version: String,
    /// Score.
    pub score: f64,
    /// Decision.
    pub decision: u8,
    /// Features as `name=value`, comma separated.
    pub features: String,
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
    /// Per-endpoint errors other than unreachability, shown in the tab concerned.
    pub errors: BTreeMap<RequestKind, String>,
    /// Set when the API refused the key (401/403).
    pub auth_problem: Option<String>,
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
}

/// Applies one answer to the state, at time `now`.
pub fn apply_response(state: &mut ViewState, response: Response, now: OffsetDateTime) -> FollowUp {
    let kind = response.request.kind();
    match response.result {
        Ok(payload) => {
            state.connection = Connection::Online;
            state.last_updated = Some(now);
            state.errors.remove(&kind);
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
        Payload::Metrics(metrics) => state.metrics = Some(metrics),
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
            state.auth_problem = None;
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
            state.auth_problem = None;
            state.notice = Some(Notice {
                level: NoticeLevel::Info,
                text: format!("Pipeline run {} started.", accepted.run_id),
            });
            return FollowUp::PipelineStatus;
        }
        Payload::CancelAccepted => {
            state.auth_problem = None;
            state.notice = Some(Notice {
                level: NoticeLevel::Info,
                text: "Cancellation requested; the run stops at the end of its current step."
                    .into(),
            });
            return FollowUp::PipelineStatus;
        }
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

/// Applies `GET /monitoring/drift`.
pub fn apply_drift(drift: &mut DriftState, view: DriftView) {
    drift.loaded = true;
    if !view.history.is_empty() || drift.pinned.is_none() {
        drift.history = view.history;
    }
    let keep_selection = drift
        .selected_feature
        .as_ref()
        .zip(view.report.as_ref())
        .is_some_and(|(name, report)| report.features.iter().any(|f| &f.name == name));
    if !keep_selection {
        drift.selected_feature = None;
    }
    drift.report = view.report;
}

/// Applies the report of `POST /monitoring/drift/run`: it becomes the one on screen and the
/// newest in the history.
pub fn apply_drift_run(drift: &mut DriftState, report: DriftReport) {
    drift.loaded = true;
    drift.pinned = None;
    if !drift.history.iter().any(|s| s.id == report.id) {
        drift.history.insert(0, DriftSummary::from(&report));
    }
    drift.selected_feature = None;
    drift.report = Some(report);
}

/// Applies a page of `GET /monitoring/predictions` asked with `query`. A page for another
/// filter than the active one is stale and dropped; offset 0 replaces, the next offset
/// appends.
pub fn apply_predictions(
    predictions: &mut PredictionsState,
    query: &PredictionsQuery,
    page: PredictionsPage,
) {
    if let Some(active) = &predictions.active
        && !active.same_filter(query)
    {
        return;
    }
    let rows = page.predictions.into_iter().map(|p| PredictionsRow {
        features: p
            .features
            .iter()
            .map(|(name, value)| match value {
                serde_json::Value::Null => format!("{name}=null"),
                serde_json::Value::String(text) => format!("{name}={text}"),
                other => format!("{name}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        time: format_time(p.timestamp),
        id: p.prediction_id,
        model_version: p.model_version,
        score: p.score,
        decision: p.decision,
    });
    if page.offset == 0 {
        predictions.rows = rows.collect();
    } else if page.offset == predictions.rows.len() {
        predictions.rows.extend(rows);
    } else {
        // An answer for a page that no longer follows the loaded rows (a refresh raced a
        // "load more"); keeping it would duplicate or skip rows.
        return;
    }
    predictions.loaded = true;
    predictions.has_more = page.has_more;
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
            status: 401 | 403,
            message,
            ..
        } => {
            state.connection = Connection::Online;
            state.auth_problem = Some(format!(
                "The API refused the key ({message}). Set it with --api-key or \
                 SCOREWATCH_API_KEY, or put it in the key file <data dir>/secrets/api_key, \
                 or type it in Settings."
            ));
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
            if matches!(
                kind,
                RequestKind::RunDrift | RequestKind::RunPipeline | RequestKind::CancelPipeline
            ) {
                state.notice = Some(Notice {
                    level: NoticeLevel::Error,
                    text: text.clone(),
                });
            }
            state.errors.insert(kind, text);
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC; the dashboard shows every time in UTC, like the API.
#[must_use]
pub fn format_time(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `1h 02m 03s`, `2m 03s` or `4.2s`.
#[must_use]
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "?".into();
    }
    if seconds < 60.0 {
        return format!("{seconds:.1}s");
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked finite and >= 60 above"
    )]
    let whole = seconds.round() as u64;
    let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else {
        format!("{m}m {s:02}s")
    }
}

/// Sorts drift rows for the table; `None` PSI and p-values sort last either way.
#[must_use]
pub fn sorted_features(report: &DriftReport, sort: DriftColumn, descending: bool) -> Vec<usize> {
    use scorewatch_core::FeatureDrift;
    fn statistic(f: &FeatureDrift) -> Option<f64> {
        f.ks.map(|ks| ks.statistic).or(f.chi2.map(|c| c.statistic))
    }
    fn p_value(f: &FeatureDrift) -> Option<f64> {
        f.ks.map(|ks| ks.p_value).or(f.chi2.map(|c| c.p_value))
    }
    let key = |f: &FeatureDrift| -> Option<f64> {
        match sort {
            DriftColumn::Schema | DriftColumn::Feature => Some(0.0),
            DriftColumn::Psi => f.psi,
            DriftColumn::Statistic => statistic(f),
            DriftColumn::PValue => p_value(f),
            DriftColumn::Missing => Some(f.missing_current),
        }
    };
    let mut order: Vec<usize> = (0..report.features.len()).collect();
    if sort == DriftColumn::Schema {
        if descending {
            order.reverse();
        }
        return order;
    }
    order.sort_by(|&a, &b| {
        let (fa, fb) = (&report.features[a], &report.features[b]);
        let ordering = if sort == DriftColumn::Feature {
            fa.name.cmp(&fb.name)
        } else {
            match (key(fa), key(fb)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => return std::cmp::Ordering::Less,
                (None, Some(_)) => return std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        };
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    order
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
