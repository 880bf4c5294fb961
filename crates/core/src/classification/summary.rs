//! The metrics summary: the JSON shape of `scorewatch evaluate` and of metrics history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::records::MetricName;

/// Confusion matrix at the decision threshold (score >= threshold is positive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Confusion {
    /// Positives predicted positive.
    pub tp: u64,
    /// Negatives predicted positive.
    pub fp: u64,
    /// Negatives predicted negative.
    pub tn: u64,
    /// Positives predicted negative.
    #[serde(rename = "fn")]
    pub fn_: u64,
}

/// Every metric of a labelled, scored sample. Undefined values are `None` (JSON `null`)
/// and `undefined` says why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassificationMetrics {
    /// ROC AUC with average ranks for ties.
    pub roc_auc: Option<f64>,
    /// 2 * AUC - 1.
    pub gini: Option<f64>,
    /// KS separation: max |TPR - FPR| over whole tie groups.
    pub ks: Option<f64>,
    /// Share of correct decisions at the threshold.
    pub accuracy: Option<f64>,
    /// TP / (TP + FP).
    pub precision: Option<f64>,
    /// TP / (TP + FN).
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall.
    pub f1: Option<f64>,
    /// Log loss with probabilities clipped to [eps, 1 - eps].
    pub log_loss: Option<f64>,
    /// Mean squared error of the probabilities.
    pub brier: Option<f64>,
    /// Expected calibration error over 10 equal-width bins.
    pub ece: Option<f64>,
    /// Confusion matrix at the threshold.
    pub confusion: Confusion,
    /// Decision threshold used.
    pub threshold: f64,
    /// Rows.
    pub n: u64,
    /// Positive rows.
    pub n_positive: u64,
    /// Metric name to the reason it is `null`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub undefined: BTreeMap<String, String>,
}

impl ClassificationMetrics {
    /// The defined scalar metrics by name, the form kept in metrics history.
    #[must_use]
    pub fn values(&self) -> BTreeMap<String, f64> {
        MetricName::COMPUTED
            .into_iter()
            .filter_map(|metric| self.get(metric).map(|v| (metric.as_str().to_owned(), v)))
            .collect()
    }

    /// One metric's value; `None` when undefined (the reason is in `undefined`) or not
    /// computed here ([`MetricName::Specificity`]).
    #[must_use]
    pub fn get(&self, metric: MetricName) -> Option<f64> {
        match metric {
            MetricName::RocAuc => self.roc_auc,
            MetricName::Gini => self.gini,
            MetricName::Ks => self.ks,
            MetricName::Accuracy => self.accuracy,
            MetricName::Precision => self.precision,
            MetricName::Recall => self.recall,
            MetricName::F1 => self.f1,
            MetricName::LogLoss => self.log_loss,
            MetricName::Brier => self.brier,
            MetricName::Ece => self.ece,
            MetricName::Specificity => None,
        }
    }
}
