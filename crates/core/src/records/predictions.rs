//! Rows of the prediction and outcome logs (`predictions_log.csv`, `outcomes_log.csv`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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

/// A prediction id as 128 bits, the key that joins outcomes to predictions in memory: the
/// UUID's bits, or the first 128 bits of the SHA-256 of an id that is not a UUID (ids of
/// imported logs). A `u128` costs 16 bytes where the id's `String` costs 60.
#[must_use]
pub fn prediction_key(id: &str) -> u128 {
    if let Ok(uuid) = uuid::Uuid::parse_str(id) {
        return uuid.as_u128();
    }
    let digest = Sha256::digest(id.as_bytes());
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_ids_key_by_their_bits_and_other_ids_by_their_digest() {
        let id = "01926f3a-7c1e-7d2b-9c4e-3f1a2b3c4d5e";
        assert_eq!(
            prediction_key(id),
            uuid::Uuid::parse_str(id).unwrap().as_u128()
        );
        assert_eq!(prediction_key("loan-42"), prediction_key("loan-42"));
        assert_ne!(prediction_key("loan-42"), prediction_key("loan-43"));
    }
}
