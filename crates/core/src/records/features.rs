//! How a feature is typed, shared by the model's schema and the drift profiles.

use serde::{Deserialize, Serialize};

/// Whether a column is compared as numbers or as categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    /// Binned on the reference's deciles; KS applies.
    Numeric,
    /// One bin per reference category plus `unseen` and `missing`; chi-square applies.
    Categorical,
}
