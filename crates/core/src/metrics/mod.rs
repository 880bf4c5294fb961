//! Classification metrics of a scoring model: ROC AUC, Gini, KS separation, threshold
//! metrics, log loss, Brier score and calibration.

mod summary;

pub use summary::{ClassificationMetrics, Confusion};
