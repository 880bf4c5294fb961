//! Production metrics per segment: the labelled rows of each segment, scored by the
//! same functions as the production metrics.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::columns::{entry_or_refuse, segment_key};
use super::{SegmentError, SegmentOptions};
use crate::classification::classification_metrics;
use crate::estimate::CbpeEstimator;
use crate::records::{FeatureKind, MetricName};

/// The metrics a segment reports, beside its counts.
const SEGMENT_METRICS: [MetricName; 4] = [
    MetricName::RocAuc,
    MetricName::Gini,
    MetricName::Ks,
    MetricName::Brier,
];

/// The metrics of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentMetrics {
    /// The segment value (`(missing)` for rows whose cell is empty).
    pub segment: String,
    /// Predictions of the segment in the window, labelled or not.
    pub rows: u64,
    /// Those with an outcome.
    pub labelled_rows: u64,
    /// Labelled rows whose outcome is positive.
    pub positives: u64,
    /// `positives / labelled_rows`; `null` without labelled rows.
    pub positive_rate: Option<f64>,
    /// ROC AUC (average ranks for ties), as `sklearn.metrics.roc_auc_score`.
    pub roc_auc: Option<f64>,
    /// 2 * AUC - 1.
    pub gini: Option<f64>,
    /// KS separation of the positives' and negatives' scores.
    pub ks: Option<f64>,
    /// Mean squared error of the scores, as `sklearn.metrics.brier_score_loss`.
    pub brier: Option<f64>,
    /// Those without an outcome: the rows the estimate covers.
    #[serde(default)]
    pub unlabelled_rows: u64,
    /// ROC AUC estimated without outcomes (CBPE, as `GET /monitoring/performance-estimate`)
    /// over the unlabelled rows; `null` with the reason in `undefined` when the model
    /// has no calibration or the segment too few unlabelled rows.
    #[serde(default)]
    pub estimated_roc_auc: Option<f64>,
    /// Accuracy at the threshold, estimated the same way.
    #[serde(default)]
    pub estimated_accuracy: Option<f64>,
    /// Fewer labelled rows than the minimum: why no metric was computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insufficient: Option<String>,
    /// Metric name to the reason it is `null` (too few rows, one class, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub undefined: BTreeMap<String, String>,
}

/// Production metrics per segment, worst first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricsSegments {
    /// The segment column.
    pub column: String,
    /// Fewest labelled rows a segment needs for its metrics.
    pub min_rows: u64,
    /// Decision threshold of the model (not used by these metrics; for reference).
    pub threshold: f64,
    /// Predictions in the window, all segments.
    pub rows: u64,
    /// Those with an outcome.
    pub labelled_rows: u64,
    /// Segments with an AUC first, lowest AUC first; then the others, most labelled rows
    /// first; ties by segment value.
    pub segments: Vec<SegmentMetrics>,
}

#[derive(Debug, Clone, Default)]
struct Part {
    rows: u64,
    scores: Vec<f64>,
    labels: Vec<bool>,
    unlabelled: Vec<f64>,
}

/// Scored predictions split by segment, with their outcomes where known.
///
/// # Examples
/// ```
/// use scorewatch_core::{FeatureKind, LabelledSegments};
/// let mut rows = LabelledSegments::new("channel", FeatureKind::Categorical);
/// rows.push(Some("web"), 0.8, Some(true)).unwrap();
/// rows.push(Some("branch"), 0.3, None).unwrap();
/// assert_eq!(rows.rows(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct LabelledSegments {
    column: String,
    kind: FeatureKind,
    parts: BTreeMap<String, Part>,
    rows: u64,
}

impl LabelledSegments {
    /// No rows yet, segmented by `column` of `kind`.
    #[must_use]
    pub fn new(column: impl Into<String>, kind: FeatureKind) -> Self {
        Self {
            column: column.into(),
            kind,
            parts: BTreeMap::new(),
            rows: 0,
        }
    }

    /// Adds one prediction: its segment cell, its score and its outcome, if known.
    ///
    /// # Errors
    /// [`SegmentError::TooManySegments`].
    pub fn push(
        &mut self,
        segment: Option<&str>,
        score: f64,
        label: Option<bool>,
    ) -> Result<(), SegmentError> {
        let key = segment_key(self.kind, segment);
        let part = entry_or_refuse(&mut self.parts, key, &self.column, Part::default)?;
        part.rows += 1;
        if let Some(label) = label {
            part.scores.push(score);
            part.labels.push(label);
        } else {
            part.unlabelled.push(score);
        }
        self.rows += 1;
        Ok(())
    }

    /// Predictions pushed.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// Computes the metrics of each segment's labelled rows.
///
/// # Formula
/// For a segment with at least `options.min_rows` labelled rows: AUC, Gini, KS
/// separation and Brier exactly as [`classification_metrics`] computes them for the
/// production metrics, with the same `undefined` reasons (one class, scores that are not
/// probabilities). Below the minimum, the counts and the positive rate only; each
/// metric is `null` with the reason in `undefined` and in `insufficient`.
///
/// With an `estimator` (CBPE, NannyML's confidence-based performance estimation), a
/// segment with at least `options.min_rows` unlabelled rows also gets the estimated AUC
/// and accuracy of those rows, exactly [`CbpeEstimator::estimate`]'s overall values.
/// Otherwise (`Err(reason)`: the model has no calibration; or too few unlabelled rows)
/// both are `null` with the reason in `undefined`.
///
/// # Errors
/// [`SegmentError::BadMinRows`]; [`SegmentError::Metrics`] naming the segment for a
/// score that is not finite or a threshold that is not finite;
/// [`SegmentError::Estimate`] naming the segment when a score is not a probability.
///
/// # Examples
/// ```
/// use scorewatch_core::*;
/// let mut rows = LabelledSegments::new("channel", FeatureKind::Categorical);
/// for (score, label) in [(0.9, true), (0.2, false), (0.7, false), (0.6, true)] {
///     rows.push(Some("web"), score, Some(label)).unwrap();
/// }
/// rows.push(Some("branch"), 0.4, Some(true)).unwrap();
/// let result = metrics_segments(rows, 0.5, &SegmentOptions { min_rows: 4 }, Err("no calibration")).unwrap();
/// assert_eq!(result.segments[0].segment, "web");
/// assert_eq!(result.segments[0].roc_auc, Some(0.75));
/// assert!(result.segments[1].insufficient.is_some());
/// ```
pub fn metrics_segments(
    segments: LabelledSegments,
    threshold: f64,
    options: &SegmentOptions,
    estimator: Result<&CbpeEstimator, &str>,
) -> Result<MetricsSegments, SegmentError> {
    let options = options.check()?;
    let mut entries = Vec::with_capacity(segments.parts.len());
    let mut labelled_rows = 0;
    for (key, part) in segments.parts {
        let labelled = part.labels.len() as u64;
        labelled_rows += labelled;
        let positives = part.labels.iter().filter(|&&l| l).count() as u64;
        let mut entry = SegmentMetrics {
            segment: key,
            rows: part.rows,
            labelled_rows: labelled,
            positives,
            positive_rate: (labelled > 0).then(|| positives as f64 / labelled as f64),
            unlabelled_rows: part.unlabelled.len() as u64,
            estimated_roc_auc: None,
            estimated_accuracy: None,
            roc_auc: None,
            gini: None,
            ks: None,
            brier: None,
            insufficient: None,
            undefined: BTreeMap::new(),
        };
        if entry.positive_rate.is_none() {
            entry
                .undefined
                .insert("positive_rate".to_owned(), "no labelled rows".to_owned());
        }
        if labelled < options.min_rows {
            let reason = format!(
                "too few labelled rows: {labelled}, at least {} needed",
                options.min_rows
            );
            for metric in SEGMENT_METRICS {
                entry
                    .undefined
                    .insert(metric.as_str().to_owned(), reason.clone());
            }
            entry.insufficient = Some(reason);
        } else {
            let metrics = classification_metrics(&part.scores, &part.labels, threshold).map_err(
                |source| SegmentError::Metrics {
                    segment: entry.segment.clone(),
                    source,
                },
            )?;
            entry.roc_auc = metrics.roc_auc;
            entry.gini = metrics.gini;
            entry.ks = metrics.ks;
            entry.brier = metrics.brier;
            for metric in SEGMENT_METRICS {
                if let Some(reason) = metrics.undefined.get(metric.as_str()) {
                    entry
                        .undefined
                        .insert(metric.as_str().to_owned(), reason.clone());
                }
            }
        }
        estimate(&mut entry, &part.unlabelled, options.min_rows, estimator)?;
        entries.push(entry);
    }
    entries.sort_by(worst_first);
    Ok(MetricsSegments {
        column: segments.column,
        min_rows: options.min_rows,
        threshold,
        rows: segments.rows,
        labelled_rows,
        segments: entries,
    })
}

/// The estimated AUC and accuracy of `entry`'s `unlabelled` scores, or why not.
fn estimate(
    entry: &mut SegmentMetrics,
    unlabelled: &[f64],
    min_rows: u64,
    estimator: Result<&CbpeEstimator, &str>,
) -> Result<(), SegmentError> {
    let reason = match estimator {
        Err(why) => Some(why.to_owned()),
        Ok(_) if (unlabelled.len() as u64) < min_rows => Some(format!(
            "too few unlabelled rows: {}, at least {min_rows} needed",
            unlabelled.len()
        )),
        Ok(estimator) => {
            let report =
                estimator
                    .estimate(unlabelled, None)
                    .map_err(|source| SegmentError::Estimate {
                        segment: entry.segment.clone(),
                        source,
                    })?;
            entry.estimated_roc_auc = report.estimated.roc_auc;
            entry.estimated_accuracy = report.estimated.accuracy;
            None
        }
    };
    let undefined = "undefined for these rows (e.g. every calibrated score is 0 or 1)";
    for (name, value) in [
        ("estimated_roc_auc", entry.estimated_roc_auc),
        ("estimated_accuracy", entry.estimated_accuracy),
    ] {
        if value.is_none() {
            entry.undefined.insert(
                name.to_owned(),
                reason.clone().unwrap_or_else(|| undefined.to_owned()),
            );
        }
    }
    Ok(())
}

/// With an AUC before without; the lower AUC first; then more labelled rows; then the
/// segment value.
fn worst_first(a: &SegmentMetrics, b: &SegmentMetrics) -> Ordering {
    let auc = match (a.roc_auc, b.roc_auc) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    auc.then_with(|| b.labelled_rows.cmp(&a.labelled_rows))
        .then_with(|| a.segment.cmp(&b.segment))
}
