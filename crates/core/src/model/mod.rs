//! The scoring model: feature schema, preprocessing, logistic regression, model versions.

mod artifact;
mod dataset;
mod logistic;
mod preprocess;
mod schema;
mod scored;
mod scoring;
mod train;
mod validate;
mod versions;

pub use artifact::{
    Coefficients, FitSummary, InvalidModelVersion, MODEL_FORMAT_VERSION, ModelArtifact,
    ModelVersion, Promotion,
};
pub use dataset::{
    Column, DataError, Dataset, LoadedFile, NUMERIC_INFERENCE_SHARE, load_csv, parse_csv,
    sha256_hex,
};
pub use logistic::{LogisticConfig, LogisticError, LogisticFit, fit_logistic, sigmoid};
pub use preprocess::{DesignMatrix, FeatureTransform, Preprocessor};
pub use schema::{FeatureSchema, FeatureSpec, FeatureValue, TargetSpec};
pub use scored::{ScoredRows, read_scored_csv};
pub use scoring::{ApplicationError, FieldProblem, Model};
pub use train::{
    FittedModel, TrainConfig, TrainError, assemble_artifact, evaluate_model, fit_model,
    score_matrix, split_indices, train_model,
};
pub use validate::InvalidModel;
pub use versions::{
    CURRENT_FILE, DEFAULT_AUC_TOLERANCE, MODEL_FILE, ModelRegistry, PROFILE_FILE, PromotionPolicy,
    RegistryError, decide_promotion,
};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod validate_tests;
