//! Fitting a model artifact from training and validation data.

use time::OffsetDateTime;

use super::artifact::{
    Coefficients, FitSummary, MODEL_FORMAT_VERSION, ModelArtifact, ModelVersion,
};
use super::dataset::Dataset;
use super::logistic::{LogisticConfig, LogisticError, fit_logistic, sigmoid};
use super::preprocess::{DesignMatrix, Preprocessor};
use crate::{ClassificationMetrics, DataSource, MetricsError, classification_metrics};

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

/// Fits preprocessing and logistic regression on `train`, and computes training and
/// validation metrics. The returned artifact has no promotion decision yet.
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
    if !(config.threshold > 0.0 && config.threshold < 1.0) {
        return Err(TrainError::InvalidThreshold(config.threshold));
    }
    let preprocessing = Preprocessor::fit(train);
    let x = preprocessing.transform(train);
    let fit =
        fit_logistic(&x, &train.labels, &config.logistic, cancelled).map_err(TrainError::Fit)?;
    let metrics = |which: &'static str, d: &Dataset, x: &DesignMatrix| {
        let scores = score_matrix(x, fit.intercept, &fit.weights);
        classification_metrics(&scores, &d.labels, config.threshold)
            .map_err(|source| TrainError::Metrics { which, source })
    };
    let training_metrics: ClassificationMetrics = metrics("training", train, &x)?;
    let validation_x = preprocessing.transform(validation);
    let validation_metrics = metrics("validation", validation, &validation_x)?;
    let created_at = OffsetDateTime::now_utc();
    Ok(ModelArtifact {
        format_version: MODEL_FORMAT_VERSION,
        version: ModelVersion::generate(created_at),
        created_at,
        schema: train.schema.clone(),
        coefficients: Coefficients {
            intercept: fit.intercept,
            columns: preprocessing.column_names(),
            weights: fit.weights,
        },
        preprocessing,
        fit: FitSummary {
            c: config.logistic.c,
            iterations: fit.iterations,
            converged: fit.converged,
        },
        threshold: config.threshold,
        training_metrics,
        validation_metrics,
        training_rows: train.len() as u64,
        validation_rows: validation.len() as u64,
        data,
        promotion: None,
    })
}

/// Splits row indices into (training, validation) with a seeded shuffle; the validation
/// part holds `round(fraction * n)` rows, at least one and leaving at least one to train.
#[must_use]
pub fn split_indices(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = crate::Rng::new(seed);
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
