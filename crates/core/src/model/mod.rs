//! The scoring model: feature schema, preprocessing, logistic regression, model versions.

mod dataset;
mod logistic;
mod preprocess;
mod schema;

pub use dataset::{
    Column, DataError, Dataset, LoadedFile, NUMERIC_INFERENCE_SHARE, load_csv, parse_csv,
    sha256_hex,
};
pub use logistic::{LogisticConfig, LogisticError, LogisticFit, fit_logistic, sigmoid};
pub use preprocess::{DesignMatrix, FeatureTransform, Preprocessor};
pub use schema::{FeatureSchema, FeatureSpec, FeatureValue, TargetSpec};
