//! scorewatch-core: the engine of scorewatch, a monitor for deployed scoring models.
//!
//! The crate has no web, GUI or async dependency; the API, the dashboard and other tools
//! link it. Its modules form a one-way stack (each uses only those before it;
//! `docs/architecture.md` has the graph):
//!
//! - records: what is stored ([`PredictionRecord`], [`OutcomeRecord`], [`MetricsEntry`]
//!   with [`MetricName`], [`PipelineStatus`] with its [`Stage`]s, [`FeatureKind`], a
//!   window's [`DataQualitySummary`]).
//! - drift: PSI, KS and chi-square on frozen reference profiles, and [`DriftReport`]
//!   (whose `data_quality` section monitoring fills from the logged rows it read).
//! - classification: [`ClassificationMetrics`] of a scored, labelled sample
//!   ([`classification_metrics`], [`roc_auc`], [`calibration_table`], ...).
//! - estimate: performance without labels (NannyML's CBPE): [`CbpeEstimator`] calibrates
//!   scores with an [`IsotonicCalibrator`] and reports an [`EstimateReport`].
//! - model: a training CSV becomes a typed [`Dataset`] ([`load_csv`]), a fitted
//!   [`Preprocessor`] turns it into a design matrix, [`fit_logistic`] fits an L2 logistic
//!   regression by IRLS, and a [`ModelArtifact`] (`model.json`) is validated and decided
//!   on by the promotion rule ([`decide_promotion`]). [`Model`] scores one application
//!   fast.
//! - quality: data quality on the prediction path. [`QualityChecker`] checks one served
//!   application against the reference profile (missing, out of the training range,
//!   unseen category) without allocating; [`summarize_window`] gives the per-feature
//!   shares of a window of predictions ([`DataQualitySummary`]).
//! - store: [`Store`] keeps everything behind one trait per kind of record
//!   ([`PredictionLog`], [`OutcomeLog`], [`MetricsHistory`], [`DriftReportStore`],
//!   [`PipelineStatusStore`], [`ModelStore`], [`TrainingSets`]); the file backend owns
//!   the data directory (`data/...`, see [`DataLayout`]) and [`init`] creates its layout.
//! - pipeline: the training pipeline's [`PipelineRunner`], which runs the stages and
//!   records [`PipelineStatus`].
//! - monitoring: what the service computes between requests
//!   ([`drift_report_of_newest`] with its data quality, [`data_quality_of_newest`],
//!   [`production_metrics`],
//!   [`estimate_of_newest_unlabelled`],
//!   [`IntervalSchedule`]).
//! - alerts: [`evaluate_rules`] judges the [`AlertRules`] (defaults, or a TOML file)
//!   on what the service knows; [`apply_evaluation`] moves each [`Alert`] through its
//!   lifecycle and queues webhook [`Notification`]s, which the store keeps in its
//!   [`AlertStore`] with the alerts, so a restart loses neither.
//! - report: [`gather_report`] reads a data window's numbers through monitoring and the
//!   store, and [`render_html`] turns them into one self-contained HTML page.
//! - sample: [`SampleGenerator`] draws synthetic credit applications with a known ground
//!   truth and drift scenarios.
//! - [`views`]: request and response bodies of the HTTP API, shared with the dashboard.
//!
//! ```
//! use scorewatch_core::{Model, PromotionPolicy, Scenario, Store, StoreOptions, TargetSpec,
//!     TrainConfig, parse_csv, split_indices, train_model, write_sample_csv};
//!
//! let mut csv = Vec::new();
//! write_sample_csv(&mut csv, 2_000, 7, Scenario::Baseline)?;
//! let data = parse_csv("sample.csv".as_ref(), &csv, &TargetSpec::default(), None, &[])?;
//! let (train, valid) = split_indices(data.len(), 0.2, 1);
//! let artifact = train_model(&data.select(&train), &data.select(&valid), Vec::new(),
//!     &TrainConfig::default(), &|| false)?;
//! assert!(artifact.validation_metrics.roc_auc.unwrap() > 0.7);
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path(), StoreOptions::default())?;
//! let published = store.models().publish(artifact, None, &PromotionPolicy::default())?;
//! assert!(published.promotion.unwrap().promoted);
//! let model: Model = store.models().load_current()?.unwrap();
//! let application = serde_json::json!({
//!     "age": 35, "monthly_income": 4000.0, "debt_to_income": 0.25,
//!     "credit_history_months": 120, "open_accounts": 4, "recent_delinquencies": 0,
//!     "loan_amount": 8000, "term_months": 36, "utilization": null,
//!     "employment_type": "salaried", "home_ownership": "own", "loan_purpose": "car"
//! });
//! let values = model.validate(application.as_object().unwrap())?;
//! let p = model.score(&values);
//! assert!(p > 0.0 && p < 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod alerts;
mod classification;
mod drift;
mod error_chain;
mod estimate;
mod model;
mod monitoring;
mod pipeline;
mod quality;
mod records;
mod report;
mod sample;
mod segment;
mod store;
pub mod views;

// Alerts: rules, lifecycle and the webhook outbox.
pub use alerts::{
    AckError, AlertChange, AlertEvent, AlertInputs, AlertRules, AlertRulesError,
    AlertTransitionError, ChangeKind, DEFAULT_MAX_AUC_DROP, DEFAULT_MAX_MISSING_SHARE,
    DEFAULT_MAX_OUT_OF_RANGE_SHARE, DEFAULT_MAX_UNSEEN_CATEGORY_SHARE, DEFAULT_MIN_ESTIMATED_ROWS,
    DEFAULT_MIN_LABELLED_ROWS, DEFAULT_MIN_QUALITY_ROWS, DEFAULT_NO_TRAFFIC_MINUTES,
    DEFAULT_RENOTIFY_MINUTES, DEFAULT_RESOLVE_AFTER, DataQualityRule, EstimatedPerformanceDropRule,
    Evaluation, FeatureDriftRule, Finding, NoTrafficRule, NotifyPolicy, PerformanceDropRule,
    PipelineFailedRule, RetryPolicy, ScoreDriftRule, Share, StorageCondition, StorageDegradedRule,
    Traffic, WebhookBody, acknowledge, apply_evaluation, drop_unknown_targets, due_notifications,
    evaluate_rules, next_due_at, record_delivered, record_failed, transition as alert_transition,
    webhook_id,
};
pub use classification::{
    CALIBRATION_BINS, CalibrationBin, CalibrationTable, ClassificationMetrics, Confusion,
    LOG_LOSS_EPS, MetricsError, brier_score, calibration_table, classification_metrics,
    confusion_at, ks_separation, log_loss, roc_auc,
};
pub use drift::{
    BinShare, CategoricalProfile, CategoricalValues, Chi2Result, ColumnValues, CsvColumnOptions,
    CsvColumns, CurrentFeature, CurrentWindow, DEFAULT_DATASET_DRIFT_THRESHOLD, DriftError,
    DriftOptions, DriftReport, DriftRule, DriftVerdict, FeatureDrift, FeatureProfile,
    FeatureReference, KS_MAX_EXACT_N, KsMethod, KsResult, NamedColumn, NumericProfile,
    NumericValues, PSI_SHARE_FLOOR, PsiBand, ReferenceProfile, VerdictReason, VerdictStatus,
    WindowSpec, chi2_homogeneity, compute_report, count_sorted, decile_edges, is_missing, ks_2samp,
    ks_statistic, numeric_bin, numeric_labels, profile_and_window_from_csv, psi,
    read_categorical_columns, read_csv_columns, shares,
};
pub use error_chain::error_chain;
pub use estimate::{
    CalibratorProblem, CbpeEstimator, ChunkEstimate, ChunkPeriod, Chunking, EstimateError,
    EstimateReport, InvalidChunkPeriod, IsotonicCalibrator, MetricBand, MetricValues, PerMetric,
    Reference, SAMPLING_ERROR_RANGE, expected_metrics, realized_metrics,
};
pub use model::{
    ApplicationError, Coefficients, DEFAULT_AUC_TOLERANCE, DataError, Dataset, DatasetColumn,
    DesignMatrix, FeatureSchema, FeatureSpec, FeatureTransform, FeatureValue, FieldProblem,
    FitSummary, FittedModel, InvalidModel, InvalidModelVersion, LoadedFile, LogisticConfig,
    LogisticError, LogisticFit, MODEL_FORMAT_VERSION, Model, ModelArtifact, ModelVersion,
    NUMERIC_INFERENCE_SHARE, Preprocessor, Promotion, PromotionPolicy, ScoredRows,
    ScoresMaybeLabelled, TargetSpec, TrainConfig, TrainError, ValidationScores, assemble_artifact,
    decide_promotion, evaluate_model, fit_logistic, fit_model, load_csv, parse_csv,
    read_scored_csv, read_scores_csv, read_timed_scores_csv, score_matrix, sha256_hex, sigmoid,
    split_indices, train_model,
};
pub use monitoring::{
    EstimateUnavailable, IntervalSchedule, MonitorError, ServedEstimate, TrainingReference,
    data_quality_of_newest, drift_report_of_newest, drift_report_of_records,
    drift_report_of_window, drift_segments_of_newest, drift_segments_of_records,
    estimate_of_newest_unlabelled, estimated_metrics_entry, metrics_segments_of_newest,
    metrics_segments_of_records, production_metrics, production_metrics_of_records,
    production_metrics_of_window, segment_columns, served_estimator, window_of_records,
};
pub use pipeline::{
    DEFAULT_MIN_PRODUCTION_ROWS, DEFAULT_TRAINING_FILE, PipelineError, PipelineRunner, RunReport,
    RunRequest, TrainingData, TransitionError, Validation, check_training_set,
};
/// What a run records, for tests that check it (`features = ["testing"]`).
#[cfg(feature = "testing")]
pub use pipeline::{INTERRUPTED, PRODUCTION_SOURCE};
pub use quality::{QualityChecker, QualityError, summarize_current_window, summarize_window};
pub use records::{
    Alert, AlertBook, AlertRule, AlertState, DataQualitySummary, DataSource, DeliveryStatus,
    FeatureKind, FeatureQuality, IssueKind, MetricBounds, MetricName, MetricSource, MetricsEntry,
    Notification, OutcomeRecord, PipelineState, PipelineStatus, PredictionRecord, RunOutcome,
    RunRecord, Severity, Stage, prediction_key,
};
pub use report::{
    DEFAULT_REPORT_RUNS, MAX_REPORT_ROWS, ReportData, ReportError, ReportModel, ReportRequest,
    ReportSegments, ReportWindow, gather_report, gather_report_with, render_html,
};
pub use sample::{
    Application, Rng, SAMPLE_COLUMNS, SampleError, SampleGenerator, Scenario, write_sample_csv,
};
pub use segment::{
    DEFAULT_MIN_SEGMENT_ROWS, DriftSegments, LabelledSegments, MAX_SEGMENTS, MISSING_SEGMENT,
    MetricsSegments, SegmentColumns, SegmentCsv, SegmentDrift, SegmentError, SegmentMetrics,
    SegmentOptions, SegmentStatus, csv_segment_columns, drift_segments, metrics_segments,
    segment_columns_from_csv,
};
/// The pipeline status version a backend other than files writes (crates/postgres).
pub use store::PIPELINE_STATUS_SCHEMA_VERSION;
pub use store::{
    ALERTS_SCHEMA_VERSION, AlertStore, DEFAULT_ALERTS_RETENTION, FILE_BACKEND, trim_resolved,
};
/// The file backend's own types and file names, for tests that inspect or damage the
/// files (`features = ["testing"]`); callers go through [`Store`] and its traits.
#[cfg(feature = "testing")]
pub use store::{
    CURRENT_FILE, DriftReportsDocument, FileOutcomeLog, FilePredictionLog, MODEL_FILE,
    MetricsDocument, ModelRegistry, PROFILE_FILE, list_prediction_archives,
};
pub use store::{
    DEFAULT_DRIFT_RETENTION, DEFAULT_METRICS_RETENTION, DEFAULT_PIPELINE_RUNS_RETENTION,
    DataLayout, DriftReportStore, DriftReportSummary, ExpiredArchive, FsyncPolicy, InitAction,
    InitEntry, InitReport, InvalidTrainingSetName, JobClaims, Lease, LeaseChange, LeaseHolder,
    LeaseRenewal, MetricsHistory, ModelStore, NamedRowVisitor, ORDER_SLACK, OutcomeLog,
    PipelineStatusStore, PredictionLog, PredictionQuery, PromotionNotices, RUN_LEASE,
    RUN_LEASE_RENEW, RegistryError, SingleProcessClaims, Store, StoreBackends, StoreError,
    StoreOpenReport, StoreOptions, TrainingSetName, TrainingSetSummary, TrainingSets,
    check_prediction, decide_against_current, feature_positions, init, lease_change,
    outcome_labels,
};
