//! Production metrics: the served model's newest predictions that have an outcome.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::classification::MetricsError;
use crate::classification::classification_metrics;
use crate::records::{MetricSource, MetricsEntry, PredictionRecord, prediction_key};
use crate::store::{PredictionQuery, Store, outcome_labels};

use super::MonitorError;

/// Computes and records the production metrics of model `version` (scoring `features`,
/// deciding at `threshold`) on its newest `window_rows` predictions that have an outcome.
/// `Ok(None)` when none has.
///
/// The predictions are looked for wherever the model's rows can live: the current log
/// and the archived logs of the model's feature set (a model served again after another
/// feature set was logged has older rows there).
///
/// # Errors
/// When a log cannot be read, the metrics cannot be computed or the entry cannot be
/// recorded.
pub fn production_metrics(
    store: &Store,
    version: &str,
    features: &[String],
    threshold: f64,
    window_rows: usize,
) -> Result<Option<MetricsEntry>, MonitorError> {
    let entry = production_metrics_of_window(
        store,
        version,
        features,
        threshold,
        &PredictionQuery::newest(window_rows),
    )?;
    if let Some(entry) = &entry {
        store.metrics().record(entry.clone())?;
    }
    Ok(entry)
}

/// The production metrics of model `version` on the predictions `query` selects that have
/// an outcome (its `model_version` is set to `version`), computed but not recorded: the
/// HTML report shows them for the reader's window without writing to the history.
/// `Ok(None)` when none has an outcome.
///
/// # Errors
/// When a log cannot be read or the metrics cannot be computed.
pub fn production_metrics_of_window(
    store: &Store,
    version: &str,
    features: &[String],
    threshold: f64,
    query: &PredictionQuery,
) -> Result<Option<MetricsEntry>, MonitorError> {
    let labels = outcome_labels(store.outcomes())?;
    if labels.is_empty() {
        return Ok(None);
    }
    let records = store.predictions().recent_with_features(
        features,
        &PredictionQuery {
            model_version: Some(version.to_owned()),
            ..query.clone()
        },
    )?;
    Ok(production_metrics_of_records(
        &labels, version, &records, threshold,
    )?)
}

/// The production metrics of model `version` on those of `records` that have an outcome
/// in `labels` ([`outcome_labels`]), deciding at `threshold`; `Ok(None)` when none has.
/// [`production_metrics_of_window`] reads and calls this; the HTML report calls it on the
/// rows it has already read.
///
/// # Errors
/// When the metrics cannot be computed.
pub fn production_metrics_of_records<S: std::hash::BuildHasher>(
    labels: &HashMap<u128, bool, S>,
    version: &str,
    records: &[PredictionRecord],
    threshold: f64,
) -> Result<Option<MetricsEntry>, MetricsError> {
    let (scores, actuals): (Vec<f64>, Vec<bool>) = records
        .iter()
        .filter_map(|r| {
            labels
                .get(&prediction_key(&r.prediction_id))
                .map(|&positive| (r.score, positive))
        })
        .unzip();
    if scores.is_empty() {
        return Ok(None);
    }
    let metrics = classification_metrics(&scores, &actuals, threshold)?;
    Ok(Some(MetricsEntry {
        timestamp: OffsetDateTime::now_utc(),
        source: MetricSource::Production,
        model_version: Some(version.to_owned()),
        metrics: metrics.values(),
        undefined: metrics.undefined,
        rows: Some(scores.len() as u64),
        posted_by: None,
        rejected_candidate: false,
        bands: std::collections::BTreeMap::new(),
    }))
}
