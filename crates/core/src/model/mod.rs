//! The scoring model: feature schema, preprocessing, logistic regression, validation and
//! the promotion rule. Storing model versions is the store's job (`store::model_registry`).

mod artifact;
mod calibration;
mod dataset;
mod logistic;
mod preprocess;
mod promotion;
mod schema;
mod scored;
mod scoring;
mod train;
mod validate;

pub use artifact::{
    Coefficients, FitSummary, InvalidModelVersion, MODEL_FORMAT_VERSION, ModelArtifact,
    ModelVersion, Promotion,
};
pub use calibration::ValidationScores;
pub use dataset::{
    DataError, Dataset, DatasetColumn, LoadedFile, NUMERIC_INFERENCE_SHARE, load_csv, parse_csv,
    sha256_hex,
};
pub use logistic::{LogisticConfig, LogisticError, LogisticFit, fit_logistic, sigmoid};
pub use preprocess::{DesignMatrix, FeatureTransform, Preprocessor};
pub(crate) use promotion::replaces_broken;
pub use promotion::{DEFAULT_AUC_TOLERANCE, PromotionPolicy, decide_promotion};
pub use schema::{FeatureSchema, FeatureSpec, FeatureValue, TargetSpec};
pub use scored::{
    ScoredRows, ScoresMaybeLabelled, read_scored_csv, read_scores_csv, read_timed_scores_csv,
};
pub use scoring::{ApplicationError, FieldProblem, Model};
pub use train::{
    FittedModel, TrainConfig, TrainError, assemble_artifact, evaluate_model, fit_model,
    score_matrix, split_indices, train_model,
};
pub use validate::InvalidModel;

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod validate_tests;
