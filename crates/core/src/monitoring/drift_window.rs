//! The drift report of the newest predictions of the served model, or of a chosen window.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::drift::{
    CurrentWindow, DriftError, DriftOptions, DriftReport, ReferenceProfile, WindowSpec,
    compute_report,
};
use crate::quality::summarize_window;
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
    drift_report_of_window(
        store,
        version,
        profile,
        &PredictionQuery {
            model_version: Some(version.to_owned()),
            ..PredictionQuery::newest(window_rows)
        },
    )
}

/// Computes the drift report of the predictions of model `version` that `query` selects
/// (its `model_version` is set to `version`; newest `limit` rows between `since` and
/// `until`) against the reference `profile`. `Ok(None)` when the window holds no row.
/// [`drift_report_of_newest`] is this over the newest rows; the HTML report calls it
/// with the reader's window, so both compute their numbers the same way.
///
/// # Errors
/// When the log cannot be read or the report cannot be computed.
pub fn drift_report_of_window(
    store: &Store,
    version: &str,
    profile: &ReferenceProfile,
    query: &PredictionQuery,
) -> Result<Option<DriftReport>, MonitorError> {
    let query = PredictionQuery {
        model_version: Some(version.to_owned()),
        ..query.clone()
    };
    let records = store.predictions().recent(&query)?;
    let report = drift_report_of_records(
        version,
        profile,
        &store.predictions().feature_names()?,
        &records,
        &query,
    );
    drop_in_background(records);
    report
}

/// Frees `records` on a thread of its own: a window of a million predictions is some
/// twelve million allocations, whose freeing need not delay the report. Freed here when
/// no thread can be started.
fn drop_in_background(records: Vec<PredictionRecord>) {
    if records.len() < 10_000 {
        return;
    }
    // On failure the closure, and the records with it, are dropped right here.
    let _ = std::thread::Builder::new()
        .name("scorewatch-free-window".to_owned())
        .spawn(move || drop(records));
}

/// The drift report of `records` (newest first, as `query` selected them from a log
/// whose feature columns are `log_features`) of model `version` against `profile`, with
/// its `data_quality` section: the window summary ([`summarize_window`]) of the same
/// rows, as `GET /monitoring/data-quality` computes it for its window.
/// `Ok(None)` when there is no record. [`drift_report_of_window`] reads and calls this;
/// the HTML report calls it on the rows it has already read for its other numbers.
///
/// # Errors
/// [`MonitorError::Drift`] when a row does not fit the profile,
/// [`MonitorError::Quality`] when a numeric cell is not a number.
pub fn drift_report_of_records(
    version: &str,
    profile: &ReferenceProfile,
    log_features: &[String],
    records: &[PredictionRecord],
    query: &PredictionQuery,
) -> Result<Option<DriftReport>, MonitorError> {
    if records.is_empty() {
        return Ok(None);
    }
    // The data-quality section reads the same rows: on a second core meanwhile.
    std::thread::scope(|scope| {
        let quality = scope.spawn(|| summarize_window(profile, log_features, records));
        let report = drift_of_records(version, profile, log_features, records, query);
        let quality = quality
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut report = report?;
        let mut quality = quality?;
        quality.model_version = Some(version.to_owned());
        report.data_quality = Some(quality);
        Ok(Some(report))
    })
}

/// The drift part of [`drift_report_of_records`] (no data-quality section).
fn drift_of_records(
    version: &str,
    profile: &ReferenceProfile,
    log_features: &[String],
    records: &[PredictionRecord],
    query: &PredictionQuery,
) -> Result<DriftReport, MonitorError> {
    let window = window_of_records(profile, log_features, records)?;
    let description = window_description(version, records.len(), query);
    let options = DriftOptions {
        reference: WindowSpec {
            description: format!("training data of model {version}"),
            model_version: Some(version.to_owned()),
            from: None,
            to: None,
            rows: profile.rows,
        },
        current: WindowSpec {
            description,
            model_version: Some(version.to_owned()),
            from: records.last().map(|r| r.timestamp),
            to: records.first().map(|r| r.timestamp),
            rows: records.len() as u64,
        },
        ..DriftOptions::default()
    };
    Ok(compute_report(profile, &window, &options)?)
}

/// How a drift report names its current side: `rows` predictions of model `version`
/// that `query` selected.
pub(super) fn window_description(version: &str, rows: usize, query: &PredictionQuery) -> String {
    if query.since.is_none() && query.until.is_none() {
        format!("newest {rows} predictions of model {version}")
    } else {
        format!(
            "{rows} predictions of model {version}{}{}",
            query
                .since
                .map_or_else(String::new, |t| format!(" since {}", rfc3339(t))),
            query
                .until
                .map_or_else(String::new, |t| format!(" until {}", rfc3339(t))),
        )
    }
}

/// An instant as RFC 3339, as the JSON documents write it.
fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}
