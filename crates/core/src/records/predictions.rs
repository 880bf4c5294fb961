//! Rows of the prediction and outcome logs (`predictions_log.csv`, `outcomes_log.csv`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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
