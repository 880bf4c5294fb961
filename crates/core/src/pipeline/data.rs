//! The first two stages of a run: loading the training data (a named training set or a
//! file, the validation file, labelled production rows) and turning it into the training
//! and validation data sets.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::error::PipelineError;
use super::request::{PRODUCTION_SOURCE, RunRequest, TrainingData, Validation};
use crate::model::{
    DataError, Dataset, DatasetColumn, FeatureSchema, parse_csv, sha256_hex, split_indices,
};
use crate::records::{DataSource, FeatureKind, prediction_key};
use crate::store::{
    InvalidTrainingSetName, Store, TrainingSetName, feature_positions, outcome_labels,
};

/// Checks a training set before it is stored, as a run started through the API would read
/// it (the default target column and positive class, every other column a feature), so
/// that a set which is accepted can be trained on. Returns its data rows.
///
/// # Errors
/// The first problem, naming the set, the line and the column.
pub fn check_training_set(name: &TrainingSetName, bytes: &[u8]) -> Result<usize, DataError> {
    let defaults = RunRequest::default();
    let data = parse_csv(
        Path::new(name.as_str()),
        bytes,
        &defaults.target,
        None,
        &defaults.exclude,
    )?;
    Ok(data.len())
}

/// The bytes a run trains on, read in the loading stage.
pub(super) struct LoadedData {
    /// Where the training rows come from (for messages and the data source's name).
    path: PathBuf,
    bytes: Vec<u8>,
    validation: Option<(PathBuf, Vec<u8>)>,
    production: Vec<LabelledRow>,
}

/// Reads everything the run trains on.
///
/// # Errors
/// A bad training set name, or data that cannot be read.
pub(super) fn load(store: &Store, request: &RunRequest) -> Result<LoadedData, PipelineError> {
    let (path, bytes) = match &request.data {
        TrainingData::Named(name) => {
            let name = TrainingSetName::parse(name)
                .map_err(|InvalidTrainingSetName(name)| PipelineError::BadTrainingName(name))?;
            let sets = store.training_sets();
            (
                sets.location(&name),
                sets.read(&name).map_err(PipelineError::Store)?,
            )
        }
        TrainingData::Path(path) => (path.clone(), read(path)?),
    };
    let validation = match &request.validation {
        Validation::Path(p) => Some((p.clone(), read(p)?)),
        Validation::Fraction(_) => None,
    };
    let production = if request.include_production {
        production_rows(store)?
    } else {
        Vec::new()
    };
    Ok(LoadedData {
        path,
        bytes,
        validation,
        production,
    })
}

/// Parses and checks the loaded data, adds the production rows when there are enough,
/// and splits off the validation rows; each data set used is added to `sources`.
///
/// # Errors
/// Data that does not parse or fit the schema, or an empty validation set.
pub(super) fn split(
    store: &Store,
    loaded: LoadedData,
    request: &RunRequest,
    sources: &mut Vec<DataSource>,
) -> Result<(Dataset, Dataset), PipelineError> {
    let LoadedData {
        path,
        bytes,
        validation: validation_bytes,
        production,
    } = loaded;
    let mut data = parse_csv(&path, &bytes, &request.target, None, &request.exclude)?;
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    sources.push(DataSource {
        name: file_name,
        rows: data.len() as u64,
        sha256: Some(sha256_hex(&bytes)),
    });
    if production.len() >= request.min_production_rows && !production.is_empty() {
        let rows = production_dataset(
            &data.schema,
            &production,
            &store
                .predictions()
                .feature_names()
                .map_err(PipelineError::Store)?,
        );
        if let Some(rows) = rows {
            sources.push(DataSource {
                name: PRODUCTION_SOURCE.to_owned(),
                rows: rows.len() as u64,
                sha256: None,
            });
            data.extend(rows);
        }
    }
    let (train, validation) = match (&request.validation, validation_bytes) {
        (_, Some((vpath, vbytes))) => {
            let validation = parse_csv(
                &vpath,
                &vbytes,
                &request.target,
                Some(&data.schema),
                &request.exclude,
            )?;
            sources.push(DataSource {
                name: vpath
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                rows: validation.len() as u64,
                sha256: Some(sha256_hex(&vbytes)),
            });
            (data, validation)
        }
        (Validation::Fraction(fraction), None) => {
            let (t, v) = split_indices(data.len(), *fraction, request.seed);
            (data.select(&t), data.select(&v))
        }
        (Validation::Path(_), None) => return Err(PipelineError::EmptyValidation),
    };
    if validation.is_empty() {
        return Err(PipelineError::EmptyValidation);
    }
    Ok((train, validation))
}

/// Predictions joined with their outcomes (the latest outcome wins).
fn production_rows(store: &Store) -> Result<Vec<LabelledRow>, PipelineError> {
    let labels = outcome_labels(store.outcomes()).map_err(PipelineError::Store)?;
    let mut rows = Vec::new();
    if labels.is_empty() {
        return Ok(rows);
    }
    store
        .predictions()
        .scan(&mut |p| {
            if let Some(&actual) = labels.get(&prediction_key(&p.prediction_id)) {
                rows.push((p.features, actual));
            }
            Ok(ControlFlow::Continue(()))
        })
        .map_err(PipelineError::Store)?;
    Ok(rows)
}

/// A labelled production row: feature cells in prediction-log order, and the label.
type LabelledRow = (Vec<Option<String>>, bool);

fn read(path: &Path) -> Result<Vec<u8>, PipelineError> {
    std::fs::read(path).map_err(|source| {
        PipelineError::Data(DataError::Io {
            path: path.to_owned(),
            source,
        })
    })
}

/// Labelled production rows as a data set of `schema`; `None` when the prediction log
/// lacks a schema feature. Cells that do not parse as numbers count as missing (they were
/// validated when predicted).
fn production_dataset(
    schema: &FeatureSchema,
    rows: &[LabelledRow],
    log_features: &[String],
) -> Option<Dataset> {
    let positions: Vec<usize> = feature_positions(
        schema.features.iter().map(|f| f.name.as_str()),
        log_features,
    )
    .into_iter()
    .collect::<Option<_>>()?;
    let columns = schema
        .features
        .iter()
        .zip(&positions)
        .map(|(spec, &i)| {
            let cell = |row: &LabelledRow| row.0.get(i).cloned().flatten();
            match spec.kind {
                FeatureKind::Numeric => DatasetColumn::Numeric(
                    rows.iter()
                        .map(|r| cell(r).and_then(|c| c.trim().parse::<f64>().ok()))
                        .map(|v| v.filter(|x| x.is_finite()))
                        .collect(),
                ),
                FeatureKind::Categorical => DatasetColumn::Categorical(
                    rows.iter()
                        .map(|r| cell(r).filter(|c| !c.trim().is_empty()))
                        .collect(),
                ),
            }
        })
        .collect();
    Some(Dataset {
        schema: schema.clone(),
        columns,
        labels: rows.iter().map(|r| r.1).collect(),
    })
}
