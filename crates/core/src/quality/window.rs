//! The window summary: per feature, the shares of missing, out-of-range and unseen values
//! among logged predictions.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::QualityError;
use super::check::{IssueKind, QualityChecker};
use crate::drift::{FeatureReference, ReferenceProfile};
use crate::records::{FeatureKind, PredictionRecord};

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

/// Summarizes the data quality of `records` (rows of the prediction log, in any order)
/// against `profile`: per profile feature, the rows with a missing value, a numeric value
/// outside the training range `[min, max]` and a category training never saw, with their
/// shares (see [`FeatureQuality`]).
///
/// `log_features` names the log's feature columns (`PredictionLog::feature_names`), which
/// `record.features` follow; a profile feature the log lacks counts as missing in every
/// row. An empty `records` gives a summary of 0 rows with every share 0.
///
/// # Errors
/// [`QualityError::NotANumber`] naming the prediction id, the feature and the cell when
/// a numeric feature's logged cell is not a number (the API never logs one).
///
/// # Examples
/// ```
/// use scorewatch_core::{ColumnValues, NamedColumn, NumericValues, PredictionRecord,
///     ReferenceProfile, summarize_window};
/// let age = NamedColumn {
///     name: "age".into(),
///     values: ColumnValues::Numeric(NumericValues::from_raw(vec![21.0, 35.0, 70.0])),
/// };
/// let profile = ReferenceProfile::from_columns(vec![age], None);
/// let row = |id: &str, age: Option<&str>| PredictionRecord {
///     prediction_id: id.into(),
///     timestamp: time::OffsetDateTime::UNIX_EPOCH,
///     model_version: "v1".into(),
///     score: 0.1,
///     decision: 0,
///     features: vec![age.map(str::to_owned)],
/// };
/// let records = [row("a", Some("40")), row("b", Some("94")), row("c", None), row("d", Some("30"))];
/// let summary = summarize_window(&profile, &["age".to_owned()], &records)?;
/// let age = &summary.features[0];
/// assert_eq!((age.rows, age.missing, age.out_of_range), (4, 1, 1));
/// assert_eq!(age.missing_share, 0.25);
/// assert_eq!(age.out_of_range_share, 1.0 / 3.0);
/// # Ok::<(), scorewatch_core::QualityError>(())
/// ```
pub fn summarize_window(
    profile: &ReferenceProfile,
    log_features: &[String],
    records: &[PredictionRecord],
) -> Result<DataQualitySummary, QualityError> {
    let checker = QualityChecker::new(profile, profile.features.iter().map(|f| f.name.as_str()));
    // Where each profile feature sits among the log's columns (the store's
    // `feature_positions`, which this module cannot use: the store is below it).
    let positions: Vec<Option<usize>> = checker
        .features()
        .iter()
        .map(|name| log_features.iter().position(|logged| logged == name))
        .collect();
    let mut counts = vec![[0_u64; IssueKind::ALL.len()]; positions.len()];
    for record in records {
        for (i, position) in positions.iter().enumerate() {
            let cell = position
                .and_then(|p| record.features.get(p))
                .and_then(Option::as_deref);
            let issue = checker
                .cell_issue(i, cell)
                .map_err(|()| QualityError::NotANumber {
                    prediction_id: record.prediction_id.clone(),
                    feature: checker.features()[i].clone(),
                    value: cell.unwrap_or_default().chars().take(MAX_ECHO).collect(),
                })?;
            if let Some(kind) = issue {
                counts[i][kind.index()] += 1;
            }
        }
    }
    let rows = records.len() as u64;
    let features = profile
        .features
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, (feature, counts))| {
            let missing = counts[IssueKind::Missing.index()];
            let out_of_range = counts[IssueKind::OutOfRange.index()];
            let unseen_category = counts[IssueKind::UnseenCategory.index()];
            let present = rows - missing;
            let (reference_missing, reference_rows) = match &feature.reference {
                FeatureReference::Numeric(p) => (p.missing, p.rows()),
                FeatureReference::Categorical(p) => (p.missing, p.rows()),
            };
            FeatureQuality {
                name: feature.name.clone(),
                kind: feature.kind(),
                rows,
                present,
                missing,
                out_of_range,
                unseen_category,
                missing_share: share(missing, rows),
                out_of_range_share: share(out_of_range, present),
                unseen_category_share: share(unseen_category, present),
                reference_missing_share: share(reference_missing, reference_rows),
                training_range: checker.range(i).map(|(lo, hi)| [lo, hi]),
            }
        })
        .collect();
    Ok(DataQualitySummary {
        model_version: None,
        rows,
        from: records.iter().map(|r| r.timestamp).min(),
        to: records.iter().map(|r| r.timestamp).max(),
        features,
    })
}

/// At most this many characters of a bad cell are quoted in an error.
const MAX_ECHO: usize = 40;

#[allow(clippy::cast_precision_loss)] // counts stay far below 2^52
fn share(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64
    }
}
