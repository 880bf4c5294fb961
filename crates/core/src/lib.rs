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
mod pipeline;
mod store;

pub use drift::{
    BinShare, CategoricalProfile, CategoricalValues, Chi2Result, Column, ColumnValues,
    CsvColumnOptions, CsvColumns, CurrentFeature, CurrentSample, DEFAULT_DATASET_DRIFT_THRESHOLD,
    DriftError, DriftOptions, DriftReport, DriftRule, FeatureDrift, FeatureKind, FeatureProfile,
    FeatureReference, KS_MAX_EXACT_N, KsMethod, KsResult, NumericProfile, NumericValues,
    PSI_SHARE_FLOOR, PsiBand, ReferenceProfile, WindowSpec, chi2_homogeneity, compute_report,
    count_sorted, decile_edges, is_missing, ks_2samp, ks_statistic, numeric_bin, numeric_labels,
    profile_and_window_from_csv, psi, read_categorical_columns, read_csv_columns, shares,
};
pub use metrics::{ClassificationMetrics, Confusion};
pub use pipeline::{DataSource, PipelineState, PipelineStatus, RunOutcome, RunRecord, Stage};
pub use store::{MetricSource, MetricsEntry, OutcomeRecord, PredictionRecord};
