//! Data quality of a window of predictions, as stored: per feature, the counts and shares
//! of missing values, numeric values outside the training range and categories training
//! never saw. `quality` computes them (it needs the reference profile, which sits above
//! the records); the drift report keeps them in its `data_quality` section, and the alert
//! rules and the HTML report read them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::features::FeatureKind;

/// What can be wrong with one value of one feature, compared with the training data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// The value is missing (`null`, an empty cell).
    Missing,
    /// A numeric value outside the training range `[min, max]`.
    OutOfRange,
    /// A categorical value that training never saw.
    UnseenCategory,
}

impl IssueKind {
    /// Every kind, in the order of [`IssueKind::index`].
    pub const ALL: [Self; 3] = [Self::Missing, Self::OutOfRange, Self::UnseenCategory];

    /// The kind's name as it appears in JSON and in the Prometheus label `issue`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::OutOfRange => "out_of_range",
            Self::UnseenCategory => "unseen_category",
        }
    }

    /// The position in [`IssueKind::ALL`], for fixed-size per-kind counters.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The data quality of one feature over a window of predictions.
///
/// Shares are fractions in `[0, 1]`. `missing_share` is over all `rows` of the window;
/// `out_of_range_share` and `unseen_category_share` are over the `present` (non-missing)
/// values, so that a mostly missing feature whose few values are all new still shows
/// 1.0. A share whose denominator is 0 is 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureQuality {
    /// The feature.
    pub name: String,
    /// Numeric or categorical, as in the reference profile.
    pub kind: FeatureKind,
    /// Rows of the window.
    pub rows: u64,
    /// Rows with a value (`rows - missing`).
    pub present: u64,
    /// Rows with a missing value.
    pub missing: u64,
    /// Numeric values outside the training range (0 for a categorical feature).
    pub out_of_range: u64,
    /// Categorical values training never saw (0 for a numeric feature).
    pub unseen_category: u64,
    /// `missing / rows`.
    pub missing_share: f64,
    /// `out_of_range / present`.
    pub out_of_range_share: f64,
    /// `unseen_category / present`.
    pub unseen_category_share: f64,
    /// The missing share of the training data, to tell a feature that was always often
    /// missing from one that became so.
    pub reference_missing_share: f64,
    /// The training range `[min, max]` of a numeric feature; absent for a categorical
    /// feature or one training never saw a value of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_range: Option<[f64; 2]>,
}

impl FeatureQuality {
    /// The count of one kind of issue.
    #[must_use]
    pub fn count(&self, kind: IssueKind) -> u64 {
        match kind {
            IssueKind::Missing => self.missing,
            IssueKind::OutOfRange => self.out_of_range,
            IssueKind::UnseenCategory => self.unseen_category,
        }
    }

    /// The share of one kind of issue, as the fields define it.
    #[must_use]
    pub fn share(&self, kind: IssueKind) -> f64 {
        match kind {
            IssueKind::Missing => self.missing_share,
            IssueKind::OutOfRange => self.out_of_range_share,
            IssueKind::UnseenCategory => self.unseen_category_share,
        }
    }
}

/// The data quality of a window of predictions against the model's reference profile:
/// what the data-quality alert rules compare with their thresholds and what the HTML
/// report shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataQualitySummary {
    /// The model version whose predictions these are, when the window is one version's
    /// (monitoring's `data_quality_of_newest` sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// Rows (predictions) in the window.
    pub rows: u64,
    /// Timestamp of the oldest row, when the window has one.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<OffsetDateTime>,
    /// Timestamp of the newest row, when the window has one.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<OffsetDateTime>,
    /// One entry per profile feature, in profile order.
    pub features: Vec<FeatureQuality>,
}

impl DataQualitySummary {
    /// The feature with the highest share of `kind`, if any feature has one above 0 (the
    /// first such feature on a tie).
    #[must_use]
    pub fn worst(&self, kind: IssueKind) -> Option<&FeatureQuality> {
        self.features.iter().filter(|f| f.share(kind) > 0.0).fold(
            None,
            |worst: Option<&FeatureQuality>, f| match worst {
                Some(w) if w.share(kind) >= f.share(kind) => Some(w),
                _ => Some(f),
            },
        )
    }
}
