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
