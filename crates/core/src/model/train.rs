//! Fitting a model artifact from training and validation data.

use time::OffsetDateTime;

use super::artifact::{
    Coefficients, FitSummary, MODEL_FORMAT_VERSION, ModelArtifact, ModelVersion,
};
use super::dataset::Dataset;
use super::logistic::{LogisticConfig, LogisticError, LogisticFit, fit_logistic, sigmoid};
use super::preprocess::{DesignMatrix, Preprocessor};
use super::schema::FeatureSchema;
use crate::classification::{ClassificationMetrics, MetricsError, classification_metrics};
use crate::records::DataSource;

/// Settings of a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Logistic regression settings.
    pub logistic: LogisticConfig,
    /// Decision threshold stored with the model.
    pub threshold: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            logistic: LogisticConfig::default(),
            threshold: 0.5,
        }
    }
}

/// Errors of training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The fit failed or was cancelled.
    #[error("fitting the logistic regression failed")]
    Fit(#[source] LogisticError),
    /// Metrics could not be computed.
    #[error("computing {which} metrics failed")]
    Metrics {
        /// `training` or `validation`.
        which: &'static str,
        /// The cause.
        #[source]
        source: MetricsError,
    },
    /// The threshold is outside (0, 1).
    #[error("decision threshold {0} must be in (0, 1)")]
    InvalidThreshold(f64),
}

/// Scores of every row of a design matrix.
#[must_use]
pub fn score_matrix(x: &DesignMatrix, intercept: f64, weights: &[f64]) -> Vec<f64> {
    x.values
        .chunks_exact(x.cols.max(1))
        .take(x.rows)
        .map(|row| sigmoid(intercept + row.iter().zip(weights).map(|(a, b)| a * b).sum::<f64>()))
        .collect()
}

/// Preprocessing and coefficients fitted on training rows, before evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedModel {
    /// Fitted preprocessing.
    pub preprocessing: Preprocessor,
    /// Fitted logistic regression.
    pub fit: LogisticFit,
}

impl FittedModel {
    /// Scores of every row of `data`.
    #[must_use]
    pub fn scores(&self, data: &Dataset) -> Vec<f64> {
        let x = self.preprocessing.transform(data);
        score_matrix(&x, self.fit.intercept, &self.fit.weights)
    }
}

/// Fits preprocessing and logistic regression on `train`; `cancelled` is checked between
/// IRLS iterations.
///
/// # Errors
/// [`TrainError::Fit`].
pub fn fit_model(
    train: &Dataset,
    config: &TrainConfig,
    cancelled: &dyn Fn() -> bool,
) -> Result<FittedModel, TrainError> {
    if !(config.threshold > 0.0 && config.threshold < 1.0) {
        return Err(TrainError::InvalidThreshold(config.threshold));
    }
    let preprocessing = Preprocessor::fit(train);
    let x = preprocessing.transform(train);
    let fit =
        fit_logistic(&x, &train.labels, &config.logistic, cancelled).map_err(TrainError::Fit)?;
    Ok(FittedModel { preprocessing, fit })
}

/// Metrics of a fitted model on `data` (`which` names the set in errors).
///
/// # Errors
/// [`TrainError::Metrics`].
pub fn evaluate_model(
    model: &FittedModel,
    data: &Dataset,
    threshold: f64,
    which: &'static str,
) -> Result<ClassificationMetrics, TrainError> {
    classification_metrics(&model.scores(data), &data.labels, threshold)
        .map_err(|source| TrainError::Metrics { which, source })
}

/// The artifact of a fitted, evaluated model, without a promotion decision yet.
#[must_use]
pub fn assemble_artifact(
    fitted: FittedModel,
    schema: FeatureSchema,
    config: &TrainConfig,
    (training_metrics, validation_metrics): (ClassificationMetrics, ClassificationMetrics),
    (training_rows, validation_rows): (usize, usize),
    data: Vec<DataSource>,
) -> ModelArtifact {
    let created_at = OffsetDateTime::now_utc();
    ModelArtifact {
        format_version: MODEL_FORMAT_VERSION,
        version: ModelVersion::generate(created_at),
        created_at,
        schema,
        coefficients: Coefficients {
            intercept: fitted.fit.intercept,
            columns: fitted.preprocessing.column_names(),
            weights: fitted.fit.weights,
        },
        preprocessing: fitted.preprocessing,
        fit: FitSummary {
            c: config.logistic.c,
            iterations: fitted.fit.iterations,
            converged: fitted.fit.converged,
        },
        threshold: config.threshold,
        training_metrics,
        validation_metrics,
        training_rows: training_rows as u64,
        validation_rows: validation_rows as u64,
        data,
        promotion: None,
        calibrator: None,
        validation_scores: None,
    }
}

/// Fits on `train` and evaluates on `train` and `validation`: [`fit_model`],
/// [`evaluate_model`] and [`assemble_artifact`] in one call.
///
/// # Errors
/// [`TrainError`].
pub fn train_model(
    train: &Dataset,
    validation: &Dataset,
    data: Vec<DataSource>,
    config: &TrainConfig,
    cancelled: &dyn Fn() -> bool,
) -> Result<ModelArtifact, TrainError> {
    let fitted = fit_model(train, config, cancelled)?;
    let training = evaluate_model(&fitted, train, config.threshold, "training")?;
    let validation_metrics = evaluate_model(&fitted, validation, config.threshold, "validation")?;
    let validation_scores = fitted.scores(validation);
    Ok(assemble_artifact(
        fitted,
        train.schema.clone(),
        config,
        (training, validation_metrics),
        (train.len(), validation.len()),
        data,
    )
    .with_calibration(validation_scores, validation.labels.clone()))
}

/// Splits row indices into (training, validation) with a seeded shuffle; the validation
/// part holds `round(fraction * n)` rows, at least one and leaving at least one to train.
#[must_use]
pub fn split_indices(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = crate::sample::Rng::new(seed);
    let mut order: Vec<usize> = (0..n).collect();
    // Fisher-Yates.
    for i in (1..n).rev() {
        let j = usize::try_from(rng.next_u64() % (i as u64 + 1)).unwrap_or(0);
        order.swap(i, j);
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 <= product <= n
    let k = if n < 2 {
        0
    } else {
        ((fraction.clamp(0.0, 1.0) * n as f64).round() as usize).clamp(1, n - 1)
    };
    let validation = order.split_off(n - k);
    (order, validation)
}
