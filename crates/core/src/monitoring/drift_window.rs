//! The drift report of the newest predictions of the served model.

use crate::drift::{
    CurrentWindow, DriftError, DriftOptions, DriftReport, ReferenceProfile, WindowSpec,
    compute_report,
};
use crate::records::PredictionRecord;
use crate::store::{PredictionQuery, Store, feature_positions};

use super::MonitorError;

/// The current window of `records` (newest first, as the log pages them) for `profile`:
/// each profile feature is read from its column of the prediction log, whose feature
/// columns are `log_features`; a feature the log lacks counts as missing.
///
/// # Errors
/// [`DriftError`] when a row does not fit the profile.
pub fn window_of_records(
    profile: &ReferenceProfile,
    log_features: &[String],
    records: &[PredictionRecord],
) -> Result<CurrentWindow, DriftError> {
    let positions = feature_positions(
        profile.features.iter().map(|f| f.name.as_str()),
        log_features,
    );
    let mut window = CurrentWindow::new(profile);
    let mut cells: Vec<Option<&str>> = Vec::with_capacity(positions.len());
    // Oldest first, as a window is read.
    for record in records.iter().rev() {
        cells.clear();
        cells.extend(positions.iter().map(|position| {
            position
                .and_then(|i| record.features.get(i))
                .and_then(Option::as_deref)
        }));
        window.push_row(&cells, Some(record.score))?;
    }
    Ok(window)
}

/// Computes the drift report of the newest `window_rows` predictions of model `version`
/// against its reference `profile`. `Ok(None)` when the model has no prediction yet.
///
/// The caller saves it (`store.drift_reports().save`): the API first checks that the
/// request is still wanted, so that a request answered 503 writes nothing.
///
/// # Errors
/// When the log cannot be read or the report cannot be computed.
pub fn drift_report_of_newest(
    store: &Store,
    version: &str,
    profile: &ReferenceProfile,
    window_rows: usize,
) -> Result<Option<DriftReport>, MonitorError> {
    let records = store.predictions().recent(&PredictionQuery {
        model_version: Some(version.to_owned()),
        ..PredictionQuery::newest(window_rows)
    })?;
    if records.is_empty() {
        return Ok(None);
    }
    let window = window_of_records(profile, &store.predictions().feature_names()?, &records)?;
    let options = DriftOptions {
        reference: WindowSpec {
            description: format!("training data of model {version}"),
            model_version: Some(version.to_owned()),
            from: None,
            to: None,
            rows: profile.rows,
        },
        current: WindowSpec {
            description: format!("newest {} predictions of model {version}", records.len()),
            model_version: Some(version.to_owned()),
            from: records.last().map(|r| r.timestamp),
            to: records.first().map(|r| r.timestamp),
            rows: records.len() as u64,
        },
        ..DriftOptions::default()
    };
    Ok(Some(compute_report(profile, &window, &options)?))
}
