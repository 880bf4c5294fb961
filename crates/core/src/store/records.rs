//! Records kept in the data directory's files.

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
}

/// One row of `predictions_log.csv`, feature values kept as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PredictionRecord {
    /// Unique id (UUID v7, time ordered).
    pub prediction_id: String,
    /// When the prediction was made (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    /// The model version that scored it.
    pub model_version: String,
    /// The model's probability of the positive class.
    pub score: f64,
    /// 1 when `score >= threshold`, else 0.
    pub decision: u8,
    /// Feature values in schema order; `None` is a missing value (empty cell).
    pub features: Vec<Option<String>>,
}

/// One row of `outcomes_log.csv`: a late label for a prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeRecord {
    /// The prediction it labels.
    pub prediction_id: String,
    /// When the outcome was recorded (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    /// The observed label, 0 or 1.
    pub actual: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
