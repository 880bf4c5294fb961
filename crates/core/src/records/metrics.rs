//! The metrics history's entries (`model_metrics.json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where a metrics history entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MetricSource {
    /// Metrics on the training rows of a new model.
    Training,
    /// Metrics on the held-out validation rows of a new model.
    Validation,
    /// Posted by hand through `POST /monitoring/metrics`.
    Manual,
    /// Computed from production predictions joined with their outcomes.
    Production,
    /// Estimated without outcomes (CBPE) from the scores of unlabelled production
    /// predictions; each metric's confidence band is in [`MetricsEntry::bands`].
    Estimated,
}

/// A metric scorewatch knows: its name in JSON, its label for people and its valid range.
///
/// Metrics history keys are strings (a manual post may carry any well-formed name); the
/// known ones are checked against their range and drawn under their label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricName {
    /// Area under the ROC curve.
    RocAuc,
    /// 2 * AUC - 1.
    Gini,
    /// Kolmogorov-Smirnov separation of the two classes' scores.
    Ks,
    /// Share of correct decisions at the threshold.
    Accuracy,
    /// TP / (TP + FP) at the threshold.
    Precision,
    /// TP / (TP + FN) at the threshold.
    Recall,
    /// Harmonic mean of precision and recall.
    F1,
    /// Mean negative log-likelihood, probabilities clipped.
    LogLoss,
    /// Mean squared error of the probabilities.
    Brier,
    /// Expected calibration error.
    Ece,
    /// TN / (TN + FP); accepted in manual posts, not computed.
    Specificity,
}

impl MetricName {
    /// The metrics computed for every scored, labelled sample, in the order they are shown.
    pub const COMPUTED: [MetricName; 10] = [
        MetricName::RocAuc,
        MetricName::Gini,
        MetricName::Ks,
        MetricName::Accuracy,
        MetricName::Precision,
        MetricName::Recall,
        MetricName::F1,
        MetricName::LogLoss,
        MetricName::Brier,
        MetricName::Ece,
    ];

    /// The name in JSON, metrics history and Prometheus labels (`roc_auc`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MetricName::RocAuc => "roc_auc",
            MetricName::Gini => "gini",
            MetricName::Ks => "ks",
            MetricName::Accuracy => "accuracy",
            MetricName::Precision => "precision",
            MetricName::Recall => "recall",
            MetricName::F1 => "f1",
            MetricName::LogLoss => "log_loss",
            MetricName::Brier => "brier",
            MetricName::Ece => "ece",
            MetricName::Specificity => "specificity",
        }
    }

    /// The label on cards and plots (`AUC`, `Gini`, ...).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            MetricName::RocAuc => "AUC",
            MetricName::Gini => "Gini",
            MetricName::Ks => "KS",
            MetricName::Accuracy => "Accuracy",
            MetricName::Precision => "Precision",
            MetricName::Recall => "Recall",
            MetricName::F1 => "F1",
            MetricName::LogLoss => "Log loss",
            MetricName::Brier => "Brier",
            MetricName::Ece => "ECE",
            MetricName::Specificity => "Specificity",
        }
    }

    /// The closed range a value must fall in.
    #[must_use]
    pub fn range(self) -> (f64, f64) {
        match self {
            MetricName::Gini => (-1.0, 1.0),
            MetricName::LogLoss => (0.0, f64::INFINITY),
            _ => (0.0, 1.0),
        }
    }

    /// The metric a history key names; `auc` is accepted for `roc_auc`.
    #[must_use]
    pub fn parse(name: &str) -> Option<MetricName> {
        if name == "auc" {
            return Some(MetricName::RocAuc);
        }
        [MetricName::Specificity]
            .into_iter()
            .chain(MetricName::COMPUTED)
            .find(|metric| metric.as_str() == name)
    }
}

impl std::fmt::Display for MetricName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the metrics history in `model_metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricsEntry {
    /// When the metrics were recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    /// Where they came from.
    pub source: MetricSource,
    /// The model version they describe, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// Metric name to value; always finite.
    pub metrics: BTreeMap<String, f64>,
    /// Metric name to the reason it could not be computed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub undefined: BTreeMap<String, String>,
    /// Rows the metrics were computed on, when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Id (never the value) of the API key that posted a manual entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted_by: Option<String>,
    /// The training or validation metrics of a candidate model that the promotion rule
    /// rejected: that version was never served, so these are not the current model's
    /// metrics even when they are the newest entry. Written only when true; entries
    /// written before this field existed read as false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rejected_candidate: bool,
    /// Metric name to its confidence band, for estimated metrics (source `estimated`).
    /// Written only when not empty; entries written before this field existed read as
    /// empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bands: BTreeMap<String, MetricBounds>,
}

/// The confidence band of an estimated metric: the estimate -/+ 3 sampling errors,
/// clipped to the metric's range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricBounds {
    /// Lower end of the band.
    pub lower: f64,
    /// Upper end of the band.
    pub upper: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_name_parses_back_and_auc_is_an_alias() {
        for metric in MetricName::COMPUTED
            .into_iter()
            .chain([MetricName::Specificity])
        {
            assert_eq!(MetricName::parse(metric.as_str()), Some(metric));
            assert_eq!(metric.to_string(), metric.as_str());
        }
        assert_eq!(MetricName::parse("auc"), Some(MetricName::RocAuc));
        assert_eq!(MetricName::parse("approval_rate"), None);
        assert_eq!(MetricName::Gini.range(), (-1.0, 1.0));
        assert_eq!(MetricName::LogLoss.range(), (0.0, f64::INFINITY));
        assert_eq!(MetricName::Brier.range(), (0.0, 1.0));
    }

    #[test]
    fn rejected_candidate_defaults_to_false_and_is_written_only_when_true() {
        // An entry as files written before the field existed hold it.
        let old = r#"{"timestamp":"2026-03-01T12:00:00Z","source":"validation",
            "model_version":"v1","metrics":{"roc_auc":0.8},"rows":400}"#;
        let mut entry: MetricsEntry = serde_json::from_str(old).unwrap();
        assert!(!entry.rejected_candidate);
        assert!(
            !serde_json::to_string(&entry)
                .unwrap()
                .contains("rejected_candidate")
        );
        entry.rejected_candidate = true;
        let text = serde_json::to_string(&entry).unwrap();
        assert!(text.contains(r#""rejected_candidate":true"#), "{text}");
        assert_eq!(serde_json::from_str::<MetricsEntry>(&text).unwrap(), entry);
    }

    #[test]
    fn estimated_entries_carry_bands_and_old_entries_read_without_them() {
        let old = r#"{"timestamp":"2026-03-01T12:00:00Z","source":"production",
            "model_version":"v1","metrics":{"roc_auc":0.8},"rows":400}"#;
        let entry: MetricsEntry = serde_json::from_str(old).unwrap();
        assert!(entry.bands.is_empty());
        assert!(!serde_json::to_string(&entry).unwrap().contains("bands"));

        let estimated = r#"{"timestamp":"2026-03-02T12:00:00Z","source":"estimated",
            "model_version":"v1","metrics":{"roc_auc":0.78},
            "bands":{"roc_auc":{"lower":0.74,"upper":0.82}},"rows":250}"#;
        let entry: MetricsEntry = serde_json::from_str(estimated).unwrap();
        assert_eq!(entry.source, MetricSource::Estimated);
        assert_eq!(
            entry.bands["roc_auc"],
            MetricBounds {
                lower: 0.74,
                upper: 0.82
            }
        );
        let text = serde_json::to_string(&entry).unwrap();
        assert!(text.contains(r#""source":"estimated""#), "{text}");
        assert_eq!(serde_json::from_str::<MetricsEntry>(&text).unwrap(), entry);
    }
}
