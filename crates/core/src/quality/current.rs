//! The window summary of a drift window: the data quality of rows already read into a
//! [`CurrentWindow`], such as the current CSV file of `scorewatch drift`, which has no
//! prediction records to summarize.

use super::check::QualityChecker;
use super::window::features_of_counts;
use crate::drift::{CurrentFeature, CurrentWindow, ReferenceProfile};
use crate::records::{DataQualitySummary, IssueKind};

/// Summarizes the data quality of `window` (built against `profile`) as
/// [`summarize_window`](super::summarize_window) summarizes logged rows: per profile
/// feature, the missing values, the numeric values outside the training range `[min,
/// max]` and the categories training never saw, with their shares. The window keeps no
/// timestamps, so `from` and `to` are absent, and no model version.
///
/// Counts what the window already counted: a missing or non-finite number is missing
/// there as here, and its categorical `unseen` count is the unseen categories.
///
/// # Examples
/// ```
/// use scorewatch_core::{ColumnValues, CurrentWindow, NamedColumn, NumericValues,
///     ReferenceProfile, summarize_current_window};
/// let age = NamedColumn {
///     name: "age".into(),
///     values: ColumnValues::Numeric(NumericValues::from_raw(vec![21.0, 35.0, 70.0])),
/// };
/// let profile = ReferenceProfile::from_columns(vec![age], None);
/// let mut window = CurrentWindow::new(&profile);
/// for cell in [Some("40"), Some("94"), None, Some("30")] {
///     window.push_row(&[cell], None).unwrap();
/// }
/// let summary = summarize_current_window(&profile, &window);
/// let age = &summary.features[0];
/// assert_eq!((age.rows, age.missing, age.out_of_range), (4, 1, 1));
/// assert_eq!(age.out_of_range_share, 1.0 / 3.0);
/// ```
#[must_use]
pub fn summarize_current_window(
    profile: &ReferenceProfile,
    window: &CurrentWindow,
) -> DataQualitySummary {
    let checker = QualityChecker::new(profile, profile.features.iter().map(|f| f.name.as_str()));
    let counts: Vec<[u64; IssueKind::ALL.len()]> = window
        .features()
        .iter()
        .enumerate()
        .map(|(i, feature)| {
            let mut counts = [0; IssueKind::ALL.len()];
            match feature {
                CurrentFeature::Numeric(values) => {
                    counts[IssueKind::Missing.index()] = values.missing();
                    // A numeric feature training never saw a value of has no range:
                    // every value is outside it, as the per-prediction check says.
                    counts[IssueKind::OutOfRange.index()] = values
                        .values()
                        .iter()
                        .filter(|&&x| {
                            checker
                                .range(i)
                                .is_none_or(|(lo, hi)| !(lo..=hi).contains(&x))
                        })
                        .count() as u64;
                }
                CurrentFeature::Categorical {
                    unseen, missing, ..
                } => {
                    counts[IssueKind::Missing.index()] = *missing;
                    counts[IssueKind::UnseenCategory.index()] = *unseen;
                }
            }
            counts
        })
        .collect();
    let features = features_of_counts(profile, &checker, window.rows(), &counts);
    DataQualitySummary {
        model_version: None,
        rows: window.rows(),
        from: None,
        to: None,
        features,
    }
}
