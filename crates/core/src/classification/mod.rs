//! Classification metrics of a scoring model: ROC AUC, Gini, KS separation, threshold
//! metrics, log loss, Brier score and calibration.

mod calibration;
mod formulas;
mod summary;

pub use calibration::{CALIBRATION_BINS, CalibrationBin, CalibrationTable, calibration_table};
pub use formulas::{
    LOG_LOSS_EPS, brier_score, classification_metrics, confusion_at, ks_separation, log_loss,
    roc_auc,
};
pub use summary::{ClassificationMetrics, Confusion};

/// Why metrics could not be computed at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// Scores and labels differ in length.
    #[error("{scores} scores but {labels} labels")]
    LengthMismatch {
        /// Number of scores.
        scores: usize,
        /// Number of labels.
        labels: usize,
    },
    /// No rows.
    #[error("no rows to compute metrics on")]
    Empty,
    /// A score is NaN or infinite.
    #[error("score at row index {index} is not a finite number")]
    NonFiniteScore {
        /// Zero-based row index.
        index: usize,
    },
    /// A probability metric got a score outside `[0, 1]`.
    #[error("score {value} at row index {index} is not a probability in [0, 1]")]
    NotProbability {
        /// Zero-based row index.
        index: usize,
        /// The score.
        value: f64,
    },
    /// The labels hold only one class.
    #[error("only one class in the labels")]
    OneClass,
    /// The threshold is NaN or infinite.
    #[error("decision threshold {0} is not a finite number")]
    InvalidThreshold(f64),
}

#[cfg(test)]
mod tests;
