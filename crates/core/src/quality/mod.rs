//! Data quality on the prediction path: each served application's values against the
//! model's reference profile (missing values, numeric values outside the training range,
//! categories unseen in training), and the shares of those issues over a window of logged
//! predictions.
//!
//! Two entry points: [`QualityChecker`] is built once per served model and checks one
//! application without allocating (the API counts its issues per feature); the window
//! summary [`summarize_window`] gives per-feature counts and shares
//! ([`DataQualitySummary`]) for the alert rules and the HTML report.
//!
//! Sits after `model` in core's one-way stack: it uses `records`, `drift` (the reference
//! profile) and `model` (the typed values), and the store and everything after it may
//! use it.

mod check;
mod window;

pub use check::{IssueKind, QualityChecker};
pub use window::{DataQualitySummary, FeatureQuality, summarize_window};

/// Why a window's data quality cannot be summarized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QualityError {
    /// A numeric feature's logged cell is not a number.
    #[error("prediction {prediction_id}: feature {feature:?}: {value:?} is not a number")]
    NotANumber {
        /// The row's prediction id.
        prediction_id: String,
        /// The feature.
        feature: String,
        /// The cell, cut to 40 characters.
        value: String,
    },
}

#[cfg(test)]
mod tests;
