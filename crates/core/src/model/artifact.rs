//! The model artifact (`model.json`) and the checked model version name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::calibration::ValidationScores;
use super::preprocess::Preprocessor;
use super::schema::FeatureSchema;
use crate::classification::ClassificationMetrics;
use crate::estimate::IsotonicCalibrator;
use crate::records::DataSource;

/// Version of the `model.json` format.
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// A model version name: 1 to 64 ASCII letters, digits, `.`, `_` or `-`, not starting with
/// `.`, so it is always a safe directory name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ModelVersion(String);

/// A string that is not a valid [`ModelVersion`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid model version '{0}': use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"
)]
pub struct InvalidModelVersion(pub String);

impl ModelVersion {
    /// A fresh, time-ordered version: `YYYYMMDD-HHMMSS-` plus 6 hex digits of a UUID v7.
    #[must_use]
    pub fn generate(at: OffsetDateTime) -> Self {
        let uuid = uuid::Uuid::now_v7().simple().to_string();
        Self(format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}-{}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            &uuid[uuid.len() - 6..]
        ))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ModelVersion {
    type Err = InvalidModelVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidModelVersion(s.to_owned()))
        }
    }
}

impl TryFrom<String> for ModelVersion {
    type Error = InvalidModelVersion;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ModelVersion> for String {
    fn from(v: ModelVersion) -> String {
        v.0
    }
}

impl fmt::Display for ModelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fitted coefficients with the design-matrix column each belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficients {
    /// Intercept.
    pub intercept: f64,
    /// Design-matrix column names (see [`Preprocessor::column_names`]).
    pub columns: Vec<String>,
    /// One weight per column.
    pub weights: Vec<f64>,
}

/// How the fit went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    /// Inverse regularisation strength used.
    pub c: f64,
    /// Newton iterations.
    pub iterations: usize,
    /// Whether the convergence rule was met.
    pub converged: bool,
}

/// Whether a published model became current, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    /// True when the model became current.
    pub promoted: bool,
    /// Why (always set, for promotion and rejection).
    pub reason: String,
    /// The current model it was compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

/// Everything needed to score with a model and to know where it came from: the content
/// of `data/models/<version>/model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelArtifact {
    /// [`MODEL_FORMAT_VERSION`].
    pub format_version: u32,
    /// The version name (also the directory name).
    pub version: ModelVersion,
    /// When it was trained.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Input features and target.
    pub schema: FeatureSchema,
    /// Fitted preprocessing.
    pub preprocessing: Preprocessor,
    /// Fitted coefficients.
    pub coefficients: Coefficients,
    /// Fit settings and outcome.
    pub fit: FitSummary,
    /// Decision threshold: a score `>=` it is a positive decision.
    pub threshold: f64,
    /// Metrics on the training rows.
    pub training_metrics: ClassificationMetrics,
    /// Metrics on the validation rows.
    pub validation_metrics: ClassificationMetrics,
    /// Training rows.
    pub training_rows: u64,
    /// Validation rows.
    pub validation_rows: u64,
    /// The data used (files with row counts and sha256, production rows).
    pub data: Vec<DataSource>,
    /// The promotion decision, set when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion: Option<Promotion>,
    /// Isotonic calibration of the scores, fitted on the validation split, for estimating
    /// performance without outcomes. Absent in models trained before it was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibrator: Option<IsotonicCalibrator>,
    /// The validation split's scores and labels: the reference of performance estimates
    /// (and the calibration of a model that has these but no calibrator). Absent in
    /// models trained before they were stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_scores: Option<ValidationScores>,
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn versions_are_checked_names() {
        let v = ModelVersion::generate(datetime!(2025-03-04 05:06:07 UTC));
        assert!(v.as_str().starts_with("20250304-050607-"), "{v}");
        assert!(v.as_str().parse::<ModelVersion>().is_ok());
        for bad in ["", "../x", ".hidden", "a/b", "a b", &"x".repeat(65)] {
            assert!(bad.parse::<ModelVersion>().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<ModelVersion>("\"../etc\"").is_err());
    }
}
