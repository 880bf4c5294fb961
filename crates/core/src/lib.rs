//! scorewatch-core: the engine of scorewatch, a monitor for deployed scoring models.
//!
//! The crate has no web, GUI or async dependency; the API, the dashboard and other tools
//! link it.
//!
//! - store: [`Store`] owns the data directory (`data/monitoring/...`, see [`DataLayout`]):
//!   atomic JSON files and append-only CSV logs behind one trait per kind of record
//!   ([`PredictionLog`], [`OutcomeLog`], [`MetricsHistory`], [`DriftReportStore`],
//!   [`PipelineStatusStore`]); [`init`] creates the layout.
//! - drift: PSI, KS and chi-square on frozen reference profiles, and [`DriftReport`].
//! - metrics: [`ClassificationMetrics`] of a scored, labelled sample.
//! - [`views`]: request and response bodies of the HTTP API, shared with the dashboard.
//! - pipeline: the training pipeline's [`PipelineState`] machine and [`PipelineStatus`].
#![deny(missing_docs)]

mod drift;
mod metrics;
mod model;
mod pipeline;
mod sample;
mod store;
pub mod views;

pub use drift::{
    BinShare, CategoricalProfile, CategoricalValues, Chi2Result, Column, ColumnValues,
    CsvColumnOptions, CsvColumns, CurrentFeature, CurrentSample, DEFAULT_DATASET_DRIFT_THRESHOLD,
    DriftError, DriftOptions, DriftReport, DriftRule, FeatureDrift, FeatureKind, FeatureProfile,
    FeatureReference, KS_MAX_EXACT_N, KsMethod, KsResult, NumericProfile, NumericValues,
    PSI_SHARE_FLOOR, PsiBand, ReferenceProfile, WindowSpec, chi2_homogeneity, compute_report,
    count_sorted, decile_edges, is_missing, ks_2samp, ks_statistic, numeric_bin, numeric_labels,
    profile_and_window_from_csv, psi, read_categorical_columns, read_csv_columns, shares,
};
pub use metrics::{
    CALIBRATION_BINS, CalibrationBin, CalibrationTable, ClassificationMetrics, Confusion,
    LOG_LOSS_EPS, MetricsError, brier_score, calibration_table, classification_metrics,
    confusion_at, ks_separation, log_loss, roc_auc,
};
pub use model::Column as DatasetColumn;
pub use model::{
    ApplicationError, CURRENT_FILE, Coefficients, DEFAULT_AUC_TOLERANCE, DataError, Dataset,
    DesignMatrix, FeatureSchema, FeatureSpec, FeatureTransform, FeatureValue, FieldProblem,
    FitSummary, FittedModel, InvalidModelVersion, LoadedFile, LogisticConfig, LogisticError,
    LogisticFit, MODEL_FILE, MODEL_FORMAT_VERSION, Model, ModelArtifact, ModelRegistry,
    ModelVersion, NUMERIC_INFERENCE_SHARE, PROFILE_FILE, Preprocessor, Promotion, PromotionPolicy,
    RegistryError, ScoredRows, TargetSpec, TrainConfig, TrainError, assemble_artifact,
    decide_promotion, evaluate_model, fit_logistic, fit_model, load_csv, parse_csv,
    read_scored_csv, score_matrix, sha256_hex, sigmoid, split_indices, train_model,
};
pub use pipeline::{
    DEFAULT_MIN_PRODUCTION_ROWS, DEFAULT_TRAINING_FILE, DataSource, INTERRUPTED, PRODUCTION_SOURCE,
    PipelineError, PipelineEvent, PipelineRunner, PipelineState, PipelineStatus, RunOutcome,
    RunRecord, RunReport, RunRequest, Stage, TrainingData, TransitionError, Validation, state_name,
    training_file_path, transition,
};
pub use sample::{
    Application, Rng, SAMPLE_COLUMNS, SampleError, SampleGenerator, Scenario, write_sample_csv,
};
pub use store::{
    AtomicStep, CsvLog, DEFAULT_DRIFT_RETENTION, DEFAULT_METRICS_RETENTION,
    DEFAULT_PIPELINE_RUNS_RETENTION, DRIFT_REPORTS_FILE, DataLayout, DirLock, DriftReportStore,
    DriftReportSummary, DriftReportsDocument, FileDriftReports, FileMetricsHistory, FileOutcomeLog,
    FilePipelineStatus, FilePredictionLog, FsyncPolicy, InitAction, InitEntry, InitReport,
    LOCK_FILE, MODEL_METRICS_FILE, MetricSource, MetricsDocument, MetricsEntry, MetricsHistory,
    NewestFirst, ORDER_SLACK, OUTCOME_COLUMNS, OUTCOMES_LOG_FILE, OldestFirst, OpenReport,
    OutcomeLog, OutcomeRecord, PIPELINE_STATUS_FILE, PIPELINE_STATUS_SCHEMA_VERSION,
    PREDICTION_BASE_COLUMNS, PREDICTIONS_LOG_FILE, PipelineStatusStore, PredictionLog,
    PredictionQuery, PredictionRecord, RowEncoder, RowLocation, Store, StoreBackends, StoreError,
    StoreOpenReport, StoreOptions, atomic_create_new, atomic_write_bytes, atomic_write_bytes_with,
    atomic_write_json, clean_tmp, init,
};
