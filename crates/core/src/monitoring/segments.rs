//! Drift and production metrics per segment of the served model's newest predictions:
//! the store-reading half of [`crate::segment`].
//!
//! The reference of a segment is the model's own training set (the file in
//! `data/training/` that its artifact names as its first data source), every row of
//! it, scored by the model. The stored reference profile cannot serve: it keeps each
//! column's distribution, not the rows, so it cannot be split by another column. The
//! training set may hold the validation rows too (when the run split a fraction off),
//! which the overall profile leaves out; both are samples of the same data, so a
//! segment's bins differ only by sampling noise.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::PathBuf;

use crate::drift::{DriftOptions, WindowSpec};
use crate::model::{Dataset, DatasetColumn, FeatureValue, Model, parse_csv, sha256_hex};
use crate::records::{FeatureKind, PredictionRecord, prediction_key};
use crate::segment::{
    DriftSegments, LabelledSegments, MetricsSegments, SegmentColumns, SegmentError, SegmentOptions,
    drift_segments, metrics_segments,
};
use crate::store::{PredictionQuery, Store, TrainingSetName, feature_positions, outcome_labels};

use super::MonitorError;
use super::drift_window::window_description;
use super::estimate::served_estimator;

/// The columns the served model's predictions can be segmented by: its features, as
/// logged with each prediction, in schema order.
#[must_use]
pub fn segment_columns(model: &Model) -> Vec<String> {
    model.artifact().schema.names().map(str::to_owned).collect()
}

fn column_kind(model: &Model, column: &str) -> Result<FeatureKind, SegmentError> {
    model
        .artifact()
        .schema
        .features
        .iter()
        .find(|f| f.name == column)
        .map(|f| f.kind)
        .ok_or_else(|| SegmentError::UnknownColumn {
            column: column.to_owned(),
            valid: segment_columns(model),
        })
}

/// A model's training set, parsed with its schema and scored by it: the reference of
/// every per-segment drift report of the model. Load it once per model and keep it; it
/// costs a parse of the file and a score per row.
#[derive(Debug, Clone)]
pub struct TrainingReference {
    /// The model version it belongs to.
    pub version: String,
    /// Where the rows come from (`data/training/applications.csv`).
    pub location: PathBuf,
    /// The rows, in the model's schema.
    pub dataset: Dataset,
    /// The model's score of each row.
    pub scores: Vec<f64>,
}

impl TrainingReference {
    /// Reads the training set `model` was trained on, checks it is the same file (its
    /// sha256), parses it with the model's schema and scores each row.
    ///
    /// # Errors
    /// [`MonitorError::ReferenceUnavailable`] when the artifact names no training set,
    /// the set is gone or changed since; [`MonitorError::Store`] when it cannot be read;
    /// [`MonitorError::Data`] when it no longer parses with the schema.
    pub fn load(store: &Store, model: &Model) -> Result<Self, MonitorError> {
        let artifact = model.artifact();
        let version = artifact.version.to_string();
        let unavailable = |reason: String| MonitorError::ReferenceUnavailable {
            version: version.clone(),
            reason,
        };
        let source = artifact
            .data
            .first()
            .ok_or_else(|| unavailable("its artifact names no training data".to_owned()))?;
        let name = TrainingSetName::parse(&source.name).map_err(|_| {
            unavailable(format!(
                "its training data '{}' is not a training set name",
                source.name
            ))
        })?;
        let sets = store.training_sets();
        let location = sets.location(&name);
        if !sets.exists(&name)? {
            return Err(unavailable(format!(
                "its training set {} is not there any more",
                location.display()
            )));
        }
        let bytes = sets.read(&name)?;
        if let Some(recorded) = &source.sha256
            && *recorded != sha256_hex(&bytes)
        {
            return Err(unavailable(format!(
                "its training set {} changed since it was trained (sha256 differs)",
                location.display()
            )));
        }
        let schema = &artifact.schema;
        let dataset = parse_csv(&location, &bytes, &schema.target, Some(schema), &[])?;
        let mut values: Vec<Option<FeatureValue>> = Vec::with_capacity(dataset.columns.len());
        let scores = (0..dataset.len())
            .map(|row| {
                values.clear();
                values.extend(dataset.columns.iter().map(|column| match column {
                    DatasetColumn::Numeric(v) => v[row].map(FeatureValue::Number),
                    DatasetColumn::Categorical(v) => v[row].clone().map(FeatureValue::Category),
                }));
                model.score(&values)
            })
            .collect();
        Ok(Self {
            version,
            location,
            dataset,
            scores,
        })
    }

    fn segment_rows(
        &self,
        column: &str,
        kind: FeatureKind,
    ) -> Result<SegmentColumns, SegmentError> {
        let schema = &self.dataset.schema;
        let position = schema.position(column);
        let features = schema
            .features
            .iter()
            .map(|f| (f.name.clone(), f.kind))
            .collect();
        let mut side = SegmentColumns::new(column, kind, features);
        let mut cells: Vec<Option<String>> = Vec::with_capacity(self.dataset.columns.len());
        for (row, &score) in self.scores.iter().enumerate() {
            cells.clear();
            cells.extend(self.dataset.columns.iter().map(|column| match column {
                // Rust prints the shortest text that parses back to the same f64.
                DatasetColumn::Numeric(v) => v[row].map(|x| x.to_string()),
                DatasetColumn::Categorical(v) => v[row].clone(),
            }));
            let refs: Vec<Option<&str>> = cells.iter().map(Option::as_deref).collect();
            let segment = position.and_then(|i| refs[i]);
            side.push_row(segment, &refs, Some(score))?;
        }
        Ok(side)
    }
}

/// Drift per segment of `column`: the newest `window_rows` predictions of the served
/// `model`, split by their value of `column`, each against the same segment of the
/// model's `training` set. `Ok(None)` when the model has no prediction yet.
///
/// This is the one function behind `GET /monitoring/drift?segment_by=`; the report's
/// segments table calls [`drift_segments_of_records`] on the rows of its window, as this
/// does on the newest rows. Computed on demand, never stored.
///
/// # Errors
/// [`MonitorError::Segment`] with [`SegmentError::UnknownColumn`] (listing the valid
/// columns) when `column` is not a feature of the model, or too many segments, or a bad
/// `min_rows`; [`MonitorError::ReferenceUnavailable`] when `training` is another
/// model's; store errors.
pub fn drift_segments_of_newest(
    store: &Store,
    model: &Model,
    training: &TrainingReference,
    column: &str,
    window_rows: usize,
    options: &SegmentOptions,
) -> Result<Option<DriftSegments>, MonitorError> {
    // The column is checked before the log is read: a typo is a 422 even without rows.
    column_kind(model, column)?;
    let query = PredictionQuery {
        model_version: Some(model.artifact().version.to_string()),
        ..PredictionQuery::newest(window_rows)
    };
    let records = store.predictions().recent(&query)?;
    drift_segments_of_records(
        model,
        training,
        column,
        (&store.predictions().feature_names()?, &records),
        &query,
        options,
    )
}

/// Drift per segment of `column` of `records` (newest first, as `query` selected them
/// from a log whose feature columns are `log_features`), predictions of the served
/// `model`, each segment against the same segment of the model's `training` set.
/// `Ok(None)` when there is no record.
///
/// # Errors
/// As [`drift_segments_of_newest`], without the store errors.
pub fn drift_segments_of_records(
    model: &Model,
    training: &TrainingReference,
    column: &str,
    (log_features, records): (&[String], &[PredictionRecord]),
    query: &PredictionQuery,
    options: &SegmentOptions,
) -> Result<Option<DriftSegments>, MonitorError> {
    let kind = column_kind(model, column)?;
    let version = model.artifact().version.to_string();
    if training.version != version {
        return Err(MonitorError::ReferenceUnavailable {
            version,
            reason: format!("the training rows given are model {}'s", training.version),
        });
    }
    if records.is_empty() {
        return Ok(None);
    }
    let reference = training.segment_rows(column, kind)?;
    let current = current_rows(model, column, kind, log_features, records)?;
    let drift_options = DriftOptions {
        reference: WindowSpec {
            description: format!(
                "training set {} of model {version}",
                training.location.display()
            ),
            model_version: Some(version.clone()),
            from: None,
            to: None,
            rows: reference.rows(),
        },
        current: WindowSpec {
            description: window_description(&version, records.len(), query),
            model_version: Some(version.clone()),
            from: records.last().map(|r| r.timestamp),
            to: records.first().map(|r| r.timestamp),
            rows: records.len() as u64,
        },
        ..DriftOptions::default()
    };
    Ok(Some(drift_segments(
        reference,
        current,
        options,
        &drift_options,
    )?))
}

/// The current side: each record's model features, read from their log columns.
fn current_rows(
    model: &Model,
    column: &str,
    kind: FeatureKind,
    log_features: &[String],
    records: &[PredictionRecord],
) -> Result<SegmentColumns, SegmentError> {
    let schema = &model.artifact().schema;
    let positions = feature_positions(schema.names(), log_features);
    let segment_position = schema.position(column);
    let features = schema
        .features
        .iter()
        .map(|f| (f.name.clone(), f.kind))
        .collect();
    let mut side = SegmentColumns::new(column, kind, features);
    let mut cells: Vec<Option<&str>> = Vec::with_capacity(positions.len());
    // Oldest first, as a window is read.
    for record in records.iter().rev() {
        cells.clear();
        cells.extend(positions.iter().map(|position| {
            position
                .and_then(|i| record.features.get(i))
                .and_then(Option::as_deref)
        }));
        let segment = segment_position.and_then(|i| cells[i]);
        side.push_row(segment, &cells, Some(record.score))?;
    }
    Ok(side)
}

/// Production metrics per segment of `column`: the newest `window_rows` predictions of
/// the served `model` (current and archived logs of its feature set, as the production
/// metrics read them), split by their value of `column`; each segment's predictions with
/// an outcome give its AUC, Gini, KS and Brier, and those without one its estimated AUC
/// and accuracy (CBPE, when the model has a calibration). `Ok(None)` when the model has
/// no prediction yet.
///
/// This is the one function behind `GET /monitoring/metrics/segments`; the report's
/// segments table calls [`metrics_segments_of_records`] on the rows of its window, as
/// this does on the newest rows. Computed on demand, never recorded in the metrics
/// history.
///
/// # Errors
/// [`MonitorError::Segment`] with [`SegmentError::UnknownColumn`] (listing the valid
/// columns) when `column` is not a feature of the model, or too many segments, or a bad
/// `min_rows`; store errors.
pub fn metrics_segments_of_newest(
    store: &Store,
    model: &Model,
    column: &str,
    window_rows: usize,
    options: &SegmentOptions,
) -> Result<Option<MetricsSegments>, MonitorError> {
    column_kind(model, column)?;
    let records = store.predictions().recent_with_features(
        &segment_columns(model),
        &PredictionQuery {
            model_version: Some(model.artifact().version.to_string()),
            ..PredictionQuery::newest(window_rows)
        },
    )?;
    if records.is_empty() {
        return Ok(None);
    }
    let labels = outcome_labels(store.outcomes())?;
    metrics_segments_of_records(model, column, &records, &labels, options)
}

/// Production metrics per segment of `column` of `records`: predictions of `model` whose
/// features are in the model's order (as `recent_with_features` returns them), with
/// the outcomes `labels` (by [`prediction_key`]). `Ok(None)` when there is no record.
///
/// # Errors
/// As [`metrics_segments_of_newest`], without the store errors.
pub fn metrics_segments_of_records<S: BuildHasher>(
    model: &Model,
    column: &str,
    records: &[PredictionRecord],
    labels: &HashMap<u128, bool, S>,
    options: &SegmentOptions,
) -> Result<Option<MetricsSegments>, MonitorError> {
    let kind = column_kind(model, column)?;
    if records.is_empty() {
        return Ok(None);
    }
    let artifact = model.artifact();
    let position = artifact.schema.position(column);
    let mut segments = LabelledSegments::new(column, kind);
    for record in records {
        let cell = position
            .and_then(|i| record.features.get(i))
            .and_then(Option::as_deref);
        let label = labels.get(&prediction_key(&record.prediction_id)).copied();
        segments.push(cell, record.score, label)?;
    }
    // The same estimator as `GET /monitoring/performance-estimate`, over all rows at
    // once (no chunks): a segment's estimate covers its unlabelled rows.
    let estimator = served_estimator(artifact, None).map_err(|why| why.to_string());
    Ok(Some(metrics_segments(
        segments,
        model.threshold(),
        options,
        estimator.as_ref().map_err(String::as_str),
    )?))
}
