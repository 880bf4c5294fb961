//! Performance estimation without labels: NannyML's confidence-based performance
//! estimation (CBPE) for a binary scoring model.
//!
//! An [`IsotonicCalibrator`] is fitted on labelled reference scores; the calibrated
//! probability of each unlabelled row is then its chance of being positive, so the
//! expected confusion matrix and the expected ROC curve follow from the scores alone
//! ([`expected_metrics`]). [`CbpeEstimator`] adds chunking, sampling errors, confidence
//! bands and alert thresholds, as NannyML 0.13.1's `CBPE` does.
//!
//! The estimate is valid only while P(outcome | score) stays as it was in the reference
//! (no concept drift): CBPE sees covariate shift, never a changed relationship.

mod cbpe;
mod chunking;
mod expected;
mod isotonic;
mod sampling_error;

pub use cbpe::{CbpeEstimator, ChunkEstimate, EstimateReport, MetricBand, Reference};
pub use chunking::{ChunkPeriod, Chunking, InvalidChunkPeriod};
pub use expected::{MetricValues, expected_metrics, realized_metrics};
pub use isotonic::{CalibratorProblem, IsotonicCalibrator};
pub use sampling_error::SAMPLING_ERROR_RANGE;

use serde::{Deserialize, Serialize};

/// One value per estimated metric, in the order they are reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PerMetric<T> {
    /// ROC AUC.
    pub roc_auc: T,
    /// Share of correct decisions.
    pub accuracy: T,
    /// TP / (TP + FP).
    pub precision: T,
    /// TP / (TP + FN).
    pub recall: T,
    /// 2 TP / (2 TP + FP + FN).
    pub f1: T,
}

impl<T> PerMetric<T> {
    /// The metric names, as in the JSON output.
    pub const NAMES: [&'static str; 5] = ["roc_auc", "accuracy", "precision", "recall", "f1"];

    /// Applies `f` to each value.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> PerMetric<U> {
        PerMetric {
            roc_auc: f(self.roc_auc),
            accuracy: f(self.accuracy),
            precision: f(self.precision),
            recall: f(self.recall),
            f1: f(self.f1),
        }
    }

    /// Pairs each value with the same metric's value in `other`.
    pub fn zip<U>(self, other: PerMetric<U>) -> PerMetric<(T, U)> {
        PerMetric {
            roc_auc: (self.roc_auc, other.roc_auc),
            accuracy: (self.accuracy, other.accuracy),
            precision: (self.precision, other.precision),
            recall: (self.recall, other.recall),
            f1: (self.f1, other.f1),
        }
    }

    /// The values with their names, in [`PerMetric::NAMES`] order.
    pub fn named(&self) -> [(&'static str, &T); 5] {
        [
            ("roc_auc", &self.roc_auc),
            ("accuracy", &self.accuracy),
            ("precision", &self.precision),
            ("recall", &self.recall),
            ("f1", &self.f1),
        ]
    }
}

/// Why an estimate cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    /// No rows.
    #[error("no rows to estimate from")]
    Empty,
    /// Scores and labels differ in length.
    #[error("{scores} scores but {labels} labels")]
    LengthMismatch {
        /// Number of scores.
        scores: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A score is not a probability (CBPE reads scores as probabilities).
    #[error("score {value} at row index {index} is not a probability in [0, 1]")]
    NotProbability {
        /// Zero-based row index.
        index: usize,
        /// The score.
        value: f64,
    },
    /// The reference holds one class only, so the calibration has nothing to learn from.
    #[error("the reference has no {missing} labels; calibration needs both classes")]
    OneClass {
        /// `"positive"` or `"negative"`.
        missing: &'static str,
    },
    /// The decision threshold is not in `[0, 1]`.
    #[error("decision threshold {0} is not in [0, 1]")]
    InvalidThreshold(f64),
    /// A chunk size of zero.
    #[error("chunk size must be at least 1")]
    ZeroChunkSize,
    /// Scores and timestamps differ in length.
    #[error("{scores} scores but {timestamps} timestamps")]
    TimestampMismatch {
        /// Number of scores.
        scores: usize,
        /// Number of timestamps.
        timestamps: usize,
    },
    /// Chunking by period without a timestamp per row.
    #[error("chunking by period needs a timestamp for every row")]
    TimestampsRequired,
}

/// Checks that there are rows and each is a finite probability.
fn check_scores(scores: &[f64]) -> Result<(), EstimateError> {
    if scores.is_empty() {
        return Err(EstimateError::Empty);
    }
    match scores.iter().position(|s| !(0.0..=1.0).contains(s)) {
        Some(index) => Err(EstimateError::NotProbability {
            index,
            value: scores[index],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
