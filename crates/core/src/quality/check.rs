//! The per-prediction check: one application's values against the reference profile.

use crate::drift::{FeatureReference, ReferenceProfile};
use crate::model::FeatureValue;
use crate::records::{FeatureKind, IssueKind};

/// What one feature's values are compared with, derived once from the profile.
#[derive(Debug, Clone)]
enum Rule {
    /// The training range of a numeric feature; `None` when training had no value at
    /// all, so that every value is outside it.
    Numeric(Option<(f64, f64)>),
    /// The training categories, sorted and without duplicates for a binary search.
    Categorical(Vec<String>),
    /// The profile does not describe the feature: only a missing value is an issue.
    Unprofiled,
}

/// Checks the values of served applications against a model's reference profile: a
/// missing value, a numeric value outside the training range `[min, max]` and a category
/// training never saw are issues.
///
/// Built once per served model; [`QualityChecker::check`] then allocates nothing and
/// costs a comparison per numeric feature and a binary search per categorical one. The
/// checker observes: it never decides whether a prediction is served.
///
/// # Examples
/// ```
/// use scorewatch_core::{ColumnValues, FeatureValue, IssueKind, NamedColumn, NumericValues,
///     QualityChecker, ReferenceProfile};
/// let age = NamedColumn {
///     name: "age".into(),
///     values: ColumnValues::Numeric(NumericValues::from_raw(vec![21.0, 35.0, 70.0])),
/// };
/// let profile = ReferenceProfile::from_columns(vec![age], None);
/// let checker = QualityChecker::new(&profile, ["age"]);
/// let mut issues = Vec::new();
/// checker.check(&[Some(FeatureValue::Number(94.0))], |feature, kind| issues.push((feature, kind)));
/// assert_eq!(issues, [(0, IssueKind::OutOfRange)]);
/// assert_eq!(checker.check(&[Some(FeatureValue::Number(40.0))], |_, _| {}), 0);
/// ```
#[derive(Debug, Clone)]
pub struct QualityChecker {
    names: Vec<String>,
    rules: Vec<Rule>,
}

impl QualityChecker {
    /// Prepares the check of `features` (in the order the values will come, for example
    /// a model's schema order) against `profile`. A feature the profile does not describe
    /// is only checked for missing values.
    #[must_use]
    pub fn new<'a>(
        profile: &ReferenceProfile,
        features: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let (names, rules) = features
            .into_iter()
            .map(|name| {
                let reference = profile
                    .features
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| &f.reference);
                let rule = match reference {
                    Some(FeatureReference::Numeric(p)) => {
                        // A validated profile keeps its values finite and ascending; the
                        // fold does not rely on it, so a hand-edited profile cannot
                        // produce a wrong range.
                        let range = p.sorted_values.iter().fold(None, |range, &x| match range {
                            None => Some((x, x)),
                            Some((lo, hi)) => Some((f64::min(lo, x), f64::max(hi, x))),
                        });
                        Rule::Numeric(range)
                    }
                    Some(FeatureReference::Categorical(p)) => {
                        let mut seen = p.categories.clone();
                        seen.sort_unstable();
                        seen.dedup();
                        Rule::Categorical(seen)
                    }
                    None => Rule::Unprofiled,
                };
                (name.to_owned(), rule)
            })
            .unzip();
        Self { names, rules }
    }

    /// The checked features, in value order.
    #[must_use]
    pub fn features(&self) -> &[String] {
        &self.names
    }

    /// The kind of feature `i` in the profile; `None` for one the profile does not
    /// describe (or an index past the end).
    #[must_use]
    pub fn kind(&self, i: usize) -> Option<FeatureKind> {
        match self.rules.get(i)? {
            Rule::Numeric(_) => Some(FeatureKind::Numeric),
            Rule::Categorical(_) => Some(FeatureKind::Categorical),
            Rule::Unprofiled => None,
        }
    }

    /// The training range `(min, max)` of numeric feature `i`, when it had values.
    #[must_use]
    pub fn range(&self, i: usize) -> Option<(f64, f64)> {
        match self.rules.get(i)? {
            Rule::Numeric(range) => *range,
            _ => None,
        }
    }

    /// Checks one application's `values` (in the order given to [`QualityChecker::new`];
    /// `None` is a missing value) and calls `on_issue(feature index, kind)` once per
    /// issue. Returns the number of issues. A value of the wrong kind counts as missing,
    /// as [`crate::model::Model::score`] treats it; values past the checked features are
    /// ignored and absent ones are missing.
    ///
    /// Allocates nothing, so the common case (no issue) costs only the comparisons.
    pub fn check(
        &self,
        values: &[Option<FeatureValue>],
        mut on_issue: impl FnMut(usize, IssueKind),
    ) -> usize {
        let mut issues = 0;
        for (i, rule) in self.rules.iter().enumerate() {
            let issue = match values.get(i).and_then(Option::as_ref) {
                None => Some(IssueKind::Missing),
                Some(FeatureValue::Number(x)) => Self::number_issue(rule, *x),
                Some(FeatureValue::Category(c)) => Self::category_issue(rule, c),
            };
            if let Some(kind) = issue {
                issues += 1;
                on_issue(i, kind);
            }
        }
        issues
    }

    /// The issue of a logged cell of feature `i` (as the prediction log keeps values:
    /// text, empty or `None` when missing). `Err(())` for a numeric feature's cell that is
    /// not a number, which the caller reports with its row.
    pub(crate) fn cell_issue(&self, i: usize, cell: Option<&str>) -> Result<Option<IssueKind>, ()> {
        let Some(cell) = cell.map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(Some(IssueKind::Missing));
        };
        let Some(rule) = self.rules.get(i) else {
            return Ok(None);
        };
        match rule {
            Rule::Numeric(_) => {
                let x: f64 = cell.parse().map_err(|_| ())?;
                if x.is_finite() {
                    Ok(Self::number_issue(rule, x))
                } else {
                    // The log writes NaN or inf for nothing the API accepts; a hand-made
                    // log's `NaN` is a missing value, as drift reads it.
                    Ok(Some(IssueKind::Missing))
                }
            }
            Rule::Categorical(_) => Ok(Self::category_issue(rule, cell)),
            Rule::Unprofiled => Ok(None),
        }
    }

    fn number_issue(rule: &Rule, x: f64) -> Option<IssueKind> {
        match rule {
            Rule::Numeric(Some((lo, hi))) if (*lo..=*hi).contains(&x) => None,
            Rule::Numeric(_) => Some(IssueKind::OutOfRange),
            // A number where the profile has categories: the model scores it as missing.
            Rule::Categorical(_) => Some(IssueKind::Missing),
            Rule::Unprofiled => None,
        }
    }

    fn category_issue(rule: &Rule, category: &str) -> Option<IssueKind> {
        match rule {
            Rule::Categorical(seen) => seen
                .binary_search_by(|s| s.as_str().cmp(category))
                .is_err()
                .then_some(IssueKind::UnseenCategory),
            Rule::Numeric(_) => Some(IssueKind::Missing),
            Rule::Unprofiled => None,
        }
    }
}
