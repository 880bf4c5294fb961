//! What a report shows, read and computed from the store.

use time::OffsetDateTime;

use std::collections::HashMap;

use crate::drift::{DriftReport, ReferenceProfile};
use crate::error_chain::error_chain;
use crate::model::{Model, ModelVersion};
use crate::monitoring::{
    MonitorError, TrainingReference, drift_report_of_records, drift_segments_of_records,
    metrics_segments_of_records, production_metrics_of_records, segment_columns,
};
use crate::records::{Alert, AlertState, MetricSource, MetricsEntry, PredictionRecord, RunRecord};
use crate::segment::{DriftSegments, MetricsSegments, SegmentError, SegmentOptions};
use crate::store::{ModelStore, PredictionQuery, Store, outcome_labels};

use super::ReportError;

/// The largest window a report reads, in predictions: about 10 s and 1 GB of rows at
/// most, where a report of the default 10,000 takes a fraction of a second.
pub const MAX_REPORT_ROWS: usize = 1_000_000;

/// Pipeline runs a report lists, newest first.
pub const DEFAULT_REPORT_RUNS: usize = 10;

/// Which model and which predictions a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// The model version; `None` is the current model.
    pub model_version: Option<String>,
    /// Only predictions at or after this instant.
    pub since: Option<OffsetDateTime>,
    /// Only predictions at or before this instant.
    pub until: Option<OffsetDateTime>,
    /// The newest this many predictions of the window (the API's drift window by default,
    /// so that a report without `since`/`until` shows what `POST /monitoring/drift/run`
    /// computes).
    pub rows: usize,
    /// Add the segments table: drift and metrics per value of this feature.
    pub segment_by: Option<String>,
    /// How the segments are judged (the minimum rows).
    pub segment_options: SegmentOptions,
}

/// Drift and metrics per segment of the window, as `GET /monitoring/drift?segment_by=`
/// and `GET /monitoring/metrics/segments` compute them.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSegments {
    /// The segment column.
    pub column: String,
    /// Fewest rows a segment needs to be judged.
    pub min_rows: u64,
    /// Drift per segment against the same segment of the training set, worst first.
    pub drift: Option<DriftSegments>,
    /// Why there is no drift per segment (empty window, training set gone or changed).
    pub drift_missing: Option<String>,
    /// Production (and estimated) metrics per segment, worst first; `None` for an empty
    /// window.
    pub metrics: Option<MetricsSegments>,
}

/// The model a report is about, as its artifact describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportModel {
    /// The version.
    pub version: String,
    /// Whether it is the current (served) model.
    pub current: bool,
    /// When it was trained.
    pub created_at: OffsetDateTime,
    /// Its decision threshold.
    pub threshold: f64,
    /// Rows it was trained on.
    pub training_rows: u64,
    /// Rows it was validated on.
    pub validation_rows: u64,
    /// Its features, in schema order.
    pub features: Vec<String>,
    /// Whether a drift reference profile was published with it.
    pub has_profile: bool,
}

/// The predictions a report read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportWindow {
    /// The requested lower bound.
    pub since: Option<OffsetDateTime>,
    /// The requested upper bound.
    pub until: Option<OffsetDateTime>,
    /// The requested row limit.
    pub limit: usize,
    /// Predictions of the model in the window.
    pub rows: u64,
    /// The oldest prediction read, when any.
    pub from: Option<OffsetDateTime>,
    /// The newest prediction read, when any.
    pub to: Option<OffsetDateTime>,
}

/// Everything a report shows; [`super::render_html`] formats it without computing.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    /// When the report was gathered.
    pub generated_at: OffsetDateTime,
    /// The model; `None` before the first model is published.
    pub model: Option<ReportModel>,
    /// The predictions read.
    pub window: ReportWindow,
    /// The window's drift report against the model's reference profile.
    pub drift: Option<DriftReport>,
    /// Why there is no drift report (empty window, no reference profile, no model).
    pub drift_missing: Option<String>,
    /// The model's newest training metrics in the metrics history.
    pub training: Option<MetricsEntry>,
    /// The model's newest validation metrics in the metrics history.
    pub validation: Option<MetricsEntry>,
    /// Production metrics of the window's predictions that have an outcome.
    pub production: Option<MetricsEntry>,
    /// The model's metrics history entries, oldest first.
    pub history: Vec<MetricsEntry>,
    /// The pipeline's state (`idle`, `running`, ...).
    pub pipeline_state: String,
    /// The newest pipeline runs, newest first (at most [`DEFAULT_REPORT_RUNS`]).
    pub runs: Vec<RunRecord>,
    /// The alerts firing when the report was gathered, newest first (as
    /// `GET /monitoring/alerts?state=firing`).
    pub firing_alerts: Vec<Alert>,
    /// The segments table, when asked for (and a model is published).
    pub segments: Option<ReportSegments>,
}

/// Reads and computes what the report of `request` shows. Nothing is written: the
/// production metrics of the window are computed, not recorded.
///
/// # Errors
/// [`ReportError::UnknownVersion`] listing the published versions when the requested one
/// is not among them; [`ReportError::Segment`] for a `segment_by` that is not one of
/// the model's features (listing them), a column with too many values or a bad minimum;
/// otherwise when the store cannot be read or a number cannot be computed.
pub fn gather_report(store: &Store, request: &ReportRequest) -> Result<ReportData, ReportError> {
    gather_report_with(store, request, None)
}

/// As [`gather_report`], with the segments' reference already loaded (the API keeps the
/// served model's); it is used only when it is the reported model's. Without it, a
/// report with segments loads the model's training set.
///
/// # Errors
/// As [`gather_report`].
pub fn gather_report_with(
    store: &Store,
    request: &ReportRequest,
    training: Option<&TrainingReference>,
) -> Result<ReportData, ReportError> {
    let mut data = report_without_model(store, request)?;
    let models = store.models();
    let Some((version, current)) = reported_version(models, request.model_version.as_deref())?
    else {
        return Ok(data);
    };
    let model = models.load(&version)?;
    let profile = models.load_profile(&version)?;
    let artifact = model.artifact();
    let name = version.as_str().to_owned();
    let features: Vec<String> = artifact.schema.names().map(str::to_owned).collect();
    // Checked before anything is read: a typo fails fast, whatever the window holds.
    if let Some(column) = &request.segment_by {
        if !features.contains(column) {
            return Err(ReportError::Segment(SegmentError::UnknownColumn {
                column: column.clone(),
                valid: segment_columns(&model),
            }));
        }
        request.segment_options.check()?;
    }
    let query = PredictionQuery {
        since: request.since,
        until: request.until,
        model_version: Some(name.clone()),
        offset: 0,
        limit: request.rows,
    };

    // The rows are read once, from every log of the model's feature set (as the
    // production metrics read them); every number below is computed from them.
    let records = store
        .predictions()
        .recent_with_features(&features, &query)?;
    data.window.rows = records.len() as u64;
    data.window.from = records.last().map(|r| r.timestamp);
    data.window.to = records.first().map(|r| r.timestamp);
    let labels = if records.is_empty() {
        HashMap::new()
    } else {
        outcome_labels(store.outcomes())?
    };
    let rows = (features.as_slice(), records.as_slice(), &labels);
    // The segments table (a drift report and metrics per segment) costs about as much
    // as the other numbers together; it is computed beside them, on a second core.
    let (numbers, table) = std::thread::scope(|scope| {
        let table = request.segment_by.as_deref().map(|column| {
            let training = training.filter(|t| t.version == name);
            let (model, query) = (&model, &query);
            let options = &request.segment_options;
            scope.spawn(move || segments(store, model, (column, options), training, rows, query))
        });
        let numbers = window_numbers(&name, profile.as_ref(), artifact.threshold, rows, &query);
        let table = table.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (numbers, table)
    });
    let numbers = numbers?;
    data.drift = numbers.drift;
    data.drift_missing = numbers.drift_missing;
    data.production = numbers.production;
    data.segments = table.transpose()?;

    // As `GET /monitoring/metrics`: a source's current value is the version's newest entry.
    let history: Vec<MetricsEntry> = store
        .metrics()
        .history()?
        .into_iter()
        .filter(|e| e.model_version.as_deref() == Some(name.as_str()))
        .collect();
    let latest = |source: MetricSource| history.iter().rev().find(|e| e.source == source).cloned();
    data.training = latest(MetricSource::Training);
    data.validation = latest(MetricSource::Validation);
    data.history = history;
    data.model = Some(ReportModel {
        version: name,
        current,
        created_at: artifact.created_at,
        threshold: artifact.threshold,
        training_rows: artifact.training_rows,
        validation_rows: artifact.validation_rows,
        features,
        has_profile: profile.is_some(),
    });
    Ok(data)
}

/// What a report shows before its model is known: the pipeline, the alerts and the
/// requested window, nothing read from it yet.
fn report_without_model(store: &Store, request: &ReportRequest) -> Result<ReportData, ReportError> {
    let generated_at = OffsetDateTime::now_utc();
    let status = store.pipeline_status().load()?;
    let runs = status
        .runs
        .iter()
        .rev()
        .take(DEFAULT_REPORT_RUNS)
        .cloned()
        .collect();
    Ok(ReportData {
        generated_at,
        model: None,
        window: ReportWindow {
            since: request.since,
            until: request.until,
            limit: request.rows,
            rows: 0,
            from: None,
            to: None,
        },
        drift: None,
        drift_missing: Some("no model is published yet; run the pipeline first".to_owned()),
        training: None,
        validation: None,
        production: None,
        history: Vec::new(),
        pipeline_state: status.state.name().to_owned(),
        runs,
        firing_alerts: firing_alerts(store)?,
        segments: None,
    })
}

/// The version a report is about, and whether it is the current one: the `requested`
/// one, which must be published, or else the current one; `None` before the first model.
fn reported_version(
    models: &dyn ModelStore,
    requested: Option<&str>,
) -> Result<Option<(ModelVersion, bool)>, ReportError> {
    let current = models.current_version()?;
    let Some(name) = requested else {
        return Ok(current.map(|version| (version, true)));
    };
    let version: ModelVersion = name.parse()?;
    let known = models.versions()?;
    if !known.contains(&version) {
        let known: Vec<&str> = known.iter().map(ModelVersion::as_str).collect();
        return Err(ReportError::UnknownVersion {
            version: name.to_owned(),
            known: if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            },
        });
    }
    let is_current = current.as_ref() == Some(&version);
    Ok(Some((version, is_current)))
}

/// What [`window_numbers`] computes.
struct WindowNumbers {
    drift: Option<DriftReport>,
    drift_missing: Option<String>,
    production: Option<MetricsEntry>,
}

/// The window's drift report (or why there is none) and its production metrics,
/// computed from its `records` (features in `features` order) and the outcomes
/// `labels` by the functions the JSON endpoints' computations call.
fn window_numbers(
    name: &str,
    profile: Option<&ReferenceProfile>,
    threshold: f64,
    (features, records, labels): (&[String], &[PredictionRecord], &HashMap<u128, bool>),
    query: &PredictionQuery,
) -> Result<WindowNumbers, ReportError> {
    if records.is_empty() {
        return Ok(WindowNumbers {
            drift: None,
            drift_missing: Some(empty_window(name)),
            production: None,
        });
    }
    let (drift, drift_missing) = match profile {
        Some(profile) => (
            drift_report_of_records(name, profile, features, records, query)?,
            None,
        ),
        None => (
            None,
            Some(format!(
                "model {name} was published without a reference profile, so drift cannot be computed"
            )),
        ),
    };
    let production = if labels.is_empty() {
        None
    } else {
        production_metrics_of_records(labels, name, records, threshold)
            .map_err(MonitorError::from)?
    };
    Ok(WindowNumbers {
        drift,
        drift_missing,
        production,
    })
}

fn empty_window(name: &str) -> String {
    format!("no prediction of model {name} falls in this window, so there is nothing to compare")
}

/// The alerts firing now, newest first.
fn firing_alerts(store: &Store) -> Result<Vec<Alert>, ReportError> {
    let book = store.alerts().load()?;
    Ok(book
        .alerts
        .into_iter()
        .rev()
        .filter(|a| a.state == AlertState::Firing)
        .collect())
}

/// The segments table: the window's `records` (features in `features` order, as read
/// for the other numbers) per segment of `column`, by the functions behind
/// `GET /monitoring/drift?segment_by=` and `GET /monitoring/metrics/segments`. A
/// training set that is gone or changed leaves the drift out with the reason; the
/// metrics need no reference.
fn segments(
    store: &Store,
    model: &Model,
    (column, options): (&str, &SegmentOptions),
    training: Option<&TrainingReference>,
    (features, records, labels): (&[String], &[PredictionRecord], &HashMap<u128, bool>),
    query: &PredictionQuery,
) -> Result<ReportSegments, ReportError> {
    let mut table = ReportSegments {
        column: column.to_owned(),
        min_rows: options.min_rows,
        drift: None,
        drift_missing: None,
        metrics: None,
    };
    let name = model.artifact().version.as_str();
    if records.is_empty() {
        table.drift_missing = Some(empty_window(name));
        return Ok(table);
    }
    let loaded;
    let training = match training {
        Some(training) => Some(training),
        None => match TrainingReference::load(store, model) {
            Ok(training) => {
                loaded = training;
                Some(&loaded)
            }
            Err(err @ (MonitorError::ReferenceUnavailable { .. } | MonitorError::Data(_))) => {
                table.drift_missing = Some(error_chain(&err));
                None
            }
            Err(err) => return Err(err.into()),
        },
    };
    if let Some(training) = training {
        table.drift =
            drift_segments_of_records(model, training, column, (features, records), query, options)
                .map_err(segment_error)?;
    }
    table.metrics = metrics_segments_of_records(model, column, records, labels, options)
        .map_err(segment_error)?;
    Ok(table)
}

/// A segment problem is the request's (a column with too many values), not the store's.
fn segment_error(err: MonitorError) -> ReportError {
    match err {
        MonitorError::Segment(err) => ReportError::Segment(err),
        other => ReportError::Monitor(other),
    }
}
