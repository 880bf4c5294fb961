//! The data-quality summary of the newest predictions of the served model.

use crate::drift::ReferenceProfile;
use crate::quality::summarize_window;
use crate::records::DataQualitySummary;
use crate::store::{PredictionQuery, Store};

use super::MonitorError;

/// Summarizes the data quality of the newest `window_rows` predictions of model
/// `version` against its reference `profile` (see [`summarize_window`]); a summary of 0
/// rows when the model has no prediction yet. Reads the log from its end, so the cost
/// depends on `window_rows`, not on the log's size.
///
/// # Errors
/// When the log cannot be read, or a logged numeric cell is not a number.
pub fn data_quality_of_newest(
    store: &Store,
    version: &str,
    profile: &ReferenceProfile,
    window_rows: usize,
) -> Result<DataQualitySummary, MonitorError> {
    let records = store.predictions().recent(&PredictionQuery {
        model_version: Some(version.to_owned()),
        ..PredictionQuery::newest(window_rows)
    })?;
    let log_features = store.predictions().feature_names()?;
    let mut summary = summarize_window(profile, &log_features, &records)?;
    summary.model_version = Some(version.to_owned());
    Ok(summary)
}
