//! Data and score drift: PSI on frozen bins, two-sample KS and chi-square, reference
//! profiles and drift reports.

mod chi2;
mod compute;
mod csv_input;
mod error;
mod ks;
mod kstwo;
mod profile;
mod psi;
mod report;
mod values;
mod verdict;
mod window;

pub use chi2::chi2_homogeneity;
pub use compute::{DEFAULT_DATASET_DRIFT_THRESHOLD, DriftOptions, compute_report};
pub use csv_input::{
    CsvColumnOptions, CsvColumns, profile_and_window_from_csv, read_categorical_columns,
    read_csv_columns,
};
pub use error::DriftError;
pub use ks::{KS_MAX_EXACT_N, ks_2samp, ks_statistic};
pub use profile::{
    CategoricalProfile, FeatureProfile, FeatureReference, NumericProfile, ReferenceProfile,
};
pub use psi::{
    PSI_SHARE_FLOOR, count_sorted, decile_edges, is_missing, numeric_bin, numeric_labels, psi,
    shares,
};
pub use report::{
    BinShare, Chi2Result, DriftReport, DriftRule, FeatureDrift, KsMethod, KsResult, PsiBand,
    WindowSpec,
};
pub use values::{CategoricalValues, ColumnValues, NamedColumn, NumericValues};
pub use verdict::{DriftVerdict, VerdictReason, VerdictStatus};
pub use window::{CurrentFeature, CurrentWindow};
