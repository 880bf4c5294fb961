//! What a model keeps for estimating its performance without outcomes: the validation
//! split's scores and labels, and the isotonic calibrator fitted on them.

use serde::{Deserialize, Serialize};

use super::artifact::ModelArtifact;
use super::validate::InvalidModel;
use crate::estimate::IsotonicCalibrator;

/// The model's scores on its validation rows and their outcomes, in row order.
///
/// CBPE needs them beyond the calibrator: the sampling errors and alert thresholds of an
/// estimate come from the labelled reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationScores {
    /// The model's probability of the positive class for each validation row.
    pub scores: Vec<f64>,
    /// Whether each row's outcome was positive.
    pub labels: Vec<bool>,
}

impl ModelArtifact {
    /// Stores the validation split's `scores` and `labels` and the isotonic calibration
    /// fitted on them (none when there are no rows).
    #[must_use]
    pub fn with_calibration(mut self, scores: Vec<f64>, labels: Vec<bool>) -> Self {
        self.calibrator = IsotonicCalibrator::fit(&scores, &labels).ok();
        self.validation_scores = Some(ValidationScores { scores, labels });
        self
    }

    /// Checks the calibrator and the validation scores, when present: the calibrator as
    /// [`IsotonicCalibrator::check`], the scores finite probabilities with one label each.
    pub(super) fn check_calibration(&self) -> Result<(), InvalidModel> {
        if let Some(calibrator) = &self.calibrator {
            calibrator.check().map_err(InvalidModel::Calibrator)?;
        }
        if let Some(validation) = &self.validation_scores {
            if validation.scores.len() != validation.labels.len() {
                return Err(InvalidModel::ValidationScores(format!(
                    "scores has {} values but labels has {}",
                    validation.scores.len(),
                    validation.labels.len()
                )));
            }
            if let Some((index, value)) = validation
                .scores
                .iter()
                .enumerate()
                .find(|(_, s)| !(0.0..=1.0).contains(*s))
            {
                return Err(InvalidModel::ValidationScores(format!(
                    "scores[{index}] is {value}, not a probability in [0, 1]"
                )));
            }
        }
        Ok(())
    }
}
