//! Data and score drift: PSI on frozen bins, two-sample KS and chi-square, reference
//! profiles and drift reports.

mod report;

pub use report::{
    BinShare, Chi2Result, DriftReport, DriftRule, FeatureDrift, FeatureKind, KsMethod, KsResult,
    PsiBand, WindowSpec,
};
