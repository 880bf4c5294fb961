//! What a run trains on and how.

use std::path::PathBuf;

use crate::model::{PromotionPolicy, TargetSpec, TrainConfig};

/// Default training file inside `data/training/`.
pub const DEFAULT_TRAINING_FILE: &str = "applications.csv";
/// Labelled production rows needed before they join the training data.
pub const DEFAULT_MIN_PRODUCTION_ROWS: usize = 1000;
/// Name of the production rows in [`DataSource`].
pub const PRODUCTION_SOURCE: &str = "production";

/// Where the training rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrainingData {
    /// A file name inside `data/training/` (the API's choice; never a path).
    Named(String),
    /// Any path (the admin CLI's `--data`).
    Path(PathBuf),
}

impl Default for TrainingData {
    fn default() -> Self {
        TrainingData::Named(DEFAULT_TRAINING_FILE.to_owned())
    }
}

/// Where the validation rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Validation {
    /// A seeded random share of the training rows.
    Fraction(f64),
    /// A separate file.
    Path(PathBuf),
}

/// What a run trains on and how.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    /// The training file.
    pub data: TrainingData,
    /// The validation rows.
    pub validation: Validation,
    /// Seed of the validation split.
    pub seed: u64,
    /// Target column and positive class.
    pub target: TargetSpec,
    /// Columns that are not features (ids, timestamps).
    pub exclude: Vec<String>,
    /// Whether labelled production rows may join the training data.
    pub include_production: bool,
    /// Labelled production rows needed before they are used.
    pub min_production_rows: usize,
    /// Fit settings and threshold.
    pub train: TrainConfig,
    /// Promotion rule.
    pub policy: PromotionPolicy,
}

impl Default for RunRequest {
    fn default() -> Self {
        Self {
            data: TrainingData::default(),
            validation: Validation::Fraction(0.2),
            seed: 42,
            target: TargetSpec::default(),
            exclude: Vec::new(),
            include_production: true,
            min_production_rows: DEFAULT_MIN_PRODUCTION_ROWS,
            train: TrainConfig::default(),
            policy: PromotionPolicy::default(),
        }
    }
}
