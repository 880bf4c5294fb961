//! What a report shows, read and computed from the store.

use time::OffsetDateTime;

use crate::drift::{DriftReport, ReferenceProfile};
use crate::model::ModelVersion;
use crate::monitoring::{MonitorError, drift_report_of_records, production_metrics_of_records};
use crate::records::{MetricSource, MetricsEntry, RunRecord};
use crate::store::{PredictionQuery, Store, outcome_labels};

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
}

/// Reads and computes what the report of `request` shows. Nothing is written: the
/// production metrics of the window are computed, not recorded.
///
/// # Errors
/// [`ReportError::UnknownVersion`] listing the published versions when the requested one
/// is not among them; otherwise when the store cannot be read or a number cannot be
/// computed.
pub fn gather_report(store: &Store, request: &ReportRequest) -> Result<ReportData, ReportError> {
    let generated_at = OffsetDateTime::now_utc();
    let status = store.pipeline_status().load()?;
    let runs = status
        .runs
        .iter()
        .rev()
        .take(DEFAULT_REPORT_RUNS)
        .cloned()
        .collect();
    let mut data = ReportData {
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
    };
    let models = store.models();
    let current = models.current_version()?;
    let version = match &request.model_version {
        Some(name) => {
            let version: ModelVersion = name.parse()?;
            let known = models.versions()?;
            if !known.contains(&version) {
                let known: Vec<&str> = known.iter().map(ModelVersion::as_str).collect();
                return Err(ReportError::UnknownVersion {
                    version: name.clone(),
                    known: if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    },
                });
            }
            version
        }
        None => match current.clone() {
            Some(version) => version,
            None => return Ok(data),
        },
    };
    let model = models.load(&version)?;
    let profile = models.load_profile(&version)?;
    let artifact = model.artifact();
    let name = version.as_str().to_owned();
    let features: Vec<String> = artifact.schema.names().map(str::to_owned).collect();
    let query = PredictionQuery {
        since: request.since,
        until: request.until,
        model_version: Some(name.clone()),
        offset: 0,
        limit: request.rows,
    };

    read_window(
        store,
        &mut data,
        (&name, &features, artifact.threshold),
        profile.as_ref(),
        &query,
    )?;

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
        current: current.as_ref() == Some(&version),
        created_at: artifact.created_at,
        threshold: artifact.threshold,
        training_rows: artifact.training_rows,
        validation_rows: artifact.validation_rows,
        features,
        has_profile: profile.is_some(),
    });
    Ok(data)
}

/// The window's rows, its drift report (or why there is none) and its production
/// metrics. The rows are read once, from every log of the model's feature set (as the
/// production metrics read them), and both numbers are computed from them by the same
/// functions the JSON endpoints' computations call.
fn read_window(
    store: &Store,
    data: &mut ReportData,
    (name, features, threshold): (&str, &[String], f64),
    profile: Option<&ReferenceProfile>,
    query: &PredictionQuery,
) -> Result<(), ReportError> {
    let records = store.predictions().recent_with_features(features, query)?;
    data.window.rows = records.len() as u64;
    data.window.from = records.last().map(|r| r.timestamp);
    data.window.to = records.first().map(|r| r.timestamp);
    if records.is_empty() {
        data.drift_missing = Some(format!(
            "no prediction of model {name} falls in this window, so there is nothing to compare"
        ));
        return Ok(());
    }
    match profile {
        Some(profile) => {
            data.drift = drift_report_of_records(name, profile, features, &records, query)?;
            data.drift_missing = None;
        }
        None => {
            data.drift_missing = Some(format!(
                "model {name} was published without a reference profile, so drift cannot be computed"
            ));
        }
    }
    let labels = outcome_labels(store.outcomes())?;
    if !labels.is_empty() {
        data.production = production_metrics_of_records(&labels, name, &records, threshold)
            .map_err(MonitorError::from)?;
    }
    Ok(())
}
