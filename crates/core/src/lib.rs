//! scorewatch-core: the engine of scorewatch, a monitor for deployed scoring models.
//!
//! The crate has no web, GUI or async dependency; the API, the dashboard and other tools
//! link it.
//!
//! - [`store`](crate::MetricsEntry): the data directory (`data/monitoring/...`), with
//!   atomic JSON files and append-only CSV logs.
//! - drift: PSI, KS and chi-square on frozen reference profiles, and [`DriftReport`].
//! - metrics: [`ClassificationMetrics`] of a scored, labelled sample.
//! - pipeline: the training pipeline's [`PipelineState`] machine and [`PipelineStatus`].
#![deny(missing_docs)]

mod drift;
mod metrics;
mod model;
mod pipeline;
mod sample;
mod store;

pub use drift::{
    BinShare, Chi2Result, DriftReport, DriftRule, FeatureDrift, FeatureKind, KsMethod, KsResult,
    PsiBand, WindowSpec,
};
pub use metrics::{
    CALIBRATION_BINS, CalibrationBin, CalibrationTable, ClassificationMetrics, Confusion,
    LOG_LOSS_EPS, MetricsError, brier_score, calibration_table, classification_metrics,
    confusion_at, ks_separation, log_loss, roc_auc,
};
pub use model::{
    ApplicationError, CURRENT_FILE, Coefficients, Column, DEFAULT_AUC_TOLERANCE, DataError,
    Dataset, DesignMatrix, FeatureSchema, FeatureSpec, FeatureTransform, FeatureValue,
    FieldProblem, FitSummary, InvalidModelVersion, LoadedFile, LogisticConfig, LogisticError,
    LogisticFit, MODEL_FILE, MODEL_FORMAT_VERSION, Model, ModelArtifact, ModelRegistry,
    ModelVersion, NUMERIC_INFERENCE_SHARE, PROFILE_FILE, Preprocessor, Promotion, PromotionPolicy,
    RegistryError, ScoredRows, TargetSpec, TrainConfig, TrainError, decide_promotion, fit_logistic,
    load_csv, parse_csv, read_scored_csv, score_matrix, sha256_hex, sigmoid, split_indices,
    train_model,
};
pub use pipeline::{
    DataSource, INTERRUPTED, PipelineEvent, PipelineState, PipelineStatus, RunOutcome, RunRecord,
    Stage, TransitionError, state_name, transition,
};
pub use sample::{
    Application, Rng, SAMPLE_COLUMNS, SampleError, SampleGenerator, Scenario, write_sample_csv,
};
pub use store::{MetricSource, MetricsEntry, OutcomeRecord, PredictionRecord};
