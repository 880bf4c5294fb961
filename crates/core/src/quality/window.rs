//! The window summary: per feature, the shares of missing, out-of-range and unseen values
//! among logged predictions.

use super::QualityError;
use super::check::QualityChecker;
use crate::drift::{FeatureReference, ReferenceProfile};
use crate::records::{DataQualitySummary, FeatureQuality, IssueKind, PredictionRecord};

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
    let features = features_of_counts(profile, &checker, rows, &counts);
    Ok(DataQualitySummary {
        model_version: None,
        rows,
        from: records.iter().map(|r| r.timestamp).min(),
        to: records.iter().map(|r| r.timestamp).max(),
        features,
    })
}

/// Per profile feature (in profile order), its quality from its issue `counts` (indexed
/// by [`IssueKind::index`]) among `rows` rows: the shares as [`FeatureQuality`] defines
/// them. Both summaries, of logged rows and of a drift window, end here.
pub(super) fn features_of_counts(
    profile: &ReferenceProfile,
    checker: &QualityChecker,
    rows: u64,
    counts: &[[u64; IssueKind::ALL.len()]],
) -> Vec<FeatureQuality> {
    profile
        .features
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, (feature, counts))| {
            let missing = counts[IssueKind::Missing.index()];
            let out_of_range = counts[IssueKind::OutOfRange.index()];
            let unseen_category = counts[IssueKind::UnseenCategory.index()];
            let present = rows.saturating_sub(missing);
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
        .collect()
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
