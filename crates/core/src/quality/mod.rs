//! Data quality on the prediction path: each served application's values against the
//! model's reference profile (missing values, numeric values outside the training range,
//! categories unseen in training), and the shares of those issues over a window of logged
//! predictions.
//!
//! Two entry points: [`QualityChecker`] is built once per served model and checks one
//! application without allocating (the API counts its issues per feature); the window
//! summary [`summarize_window`] gives per-feature counts and shares of logged rows, a
//! [`DataQualitySummary`](crate::records::DataQualitySummary), for the drift report's
//! `data_quality` section, the alert rules and the HTML report;
//! [`summarize_current_window`] gives the same of a drift window read from a CSV file.
//!
//! Sits after `model` in core's one-way stack: it uses `records` (where the summary's
//! types live, so that the drift report can hold one without importing this module),
//! `drift` (the reference profile) and `model` (the typed values), and the store and
//! everything after it may use it.

mod check;
mod current;
mod window;

pub use check::QualityChecker;
pub use current::summarize_current_window;
pub use window::summarize_window;

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
