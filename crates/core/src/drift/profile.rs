//! The reference profile: what drift needs to remember about the training data.

use serde::{Deserialize, Serialize};

use super::error::DriftError;
use super::psi::{count_sorted, decile_edges};
use super::values::{CategoricalValues, ColumnValues, NamedColumn, NumericValues};
use crate::records::FeatureKind;

/// The frozen reference of one numeric column (a feature or the model score).
///
/// `sorted_values` keeps every non-missing reference value: the exact KS p-value needs
/// the whole reference ECDF. A 500k-row reference costs 4 MB per column in memory and
/// about 10 MB per column as JSON; sampling it down would change the KS statistic, so it
/// is deliberately kept whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericProfile {
    /// Interior bin edges: the reference deciles without duplicates.
    pub edges: Vec<f64>,
    /// Reference rows in each of the `edges.len() + 1` bins.
    pub bin_counts: Vec<u64>,
    /// Reference rows with a missing value (empty, NaN, +-inf).
    pub missing: u64,
    /// The non-missing reference values, ascending.
    pub sorted_values: Vec<f64>,
}

impl NumericProfile {
    /// Freezes the bins of a numeric column.
    #[must_use]
    pub fn from_values(values: NumericValues) -> Self {
        let (sorted_values, missing) = values.into_sorted();
        let edges = decile_edges(&sorted_values);
        let bin_counts = count_sorted(&edges, &sorted_values);
        Self {
            edges,
            bin_counts,
            missing,
            sorted_values,
        }
    }

    /// Reference rows, missing ones included.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.sorted_values.len() as u64 + self.missing
    }

    /// Why this profile cannot be computed on, if it cannot: `edges.len() + 1` bins
    /// whose counts add up to the values, edges and values finite and ascending.
    fn inconsistency(&self) -> Option<String> {
        if self.bin_counts.len() != self.edges.len() + 1 {
            return Some(format!(
                "{} bin counts for {} edges (expected {})",
                self.bin_counts.len(),
                self.edges.len(),
                self.edges.len() + 1
            ));
        }
        let ascending = |v: &[f64]| v.iter().all(|x| x.is_finite()) && v.is_sorted();
        if !ascending(&self.edges) {
            return Some("edges are not finite and ascending".to_owned());
        }
        if !ascending(&self.sorted_values) {
            return Some("sorted_values are not finite and ascending".to_owned());
        }
        let binned: u64 = self.bin_counts.iter().fold(0, |a, &b| a.saturating_add(b));
        if binned != self.sorted_values.len() as u64 {
            return Some(format!(
                "bin counts add up to {binned} but there are {} values",
                self.sorted_values.len()
            ));
        }
        None
    }
}

/// The frozen reference of one categorical column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoricalProfile {
    /// The reference categories, sorted by name; each is a bin.
    pub categories: Vec<String>,
    /// Reference rows of each category.
    pub counts: Vec<u64>,
    /// Reference rows with an empty cell.
    pub missing: u64,
}

impl CategoricalProfile {
    /// Freezes the categories of a categorical column.
    #[must_use]
    pub fn from_values(values: &CategoricalValues) -> Self {
        let mut pairs: Vec<(&String, &u64)> = values.counts().iter().collect();
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Self {
            categories: pairs.iter().map(|(name, _)| (*name).clone()).collect(),
            counts: pairs.iter().map(|(_, count)| **count).collect(),
            missing: values.missing(),
        }
    }

    /// Reference rows, missing ones included.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.missing
    }
}

/// The frozen reference of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FeatureReference {
    /// A numeric feature.
    Numeric(NumericProfile),
    /// A categorical feature.
    Categorical(CategoricalProfile),
}

/// One feature of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureProfile {
    /// The column's name.
    pub name: String,
    /// Its frozen reference.
    pub reference: FeatureReference,
}

impl FeatureProfile {
    /// Numeric or categorical.
    #[must_use]
    pub fn kind(&self) -> FeatureKind {
        match self.reference {
            FeatureReference::Numeric(_) => FeatureKind::Numeric,
            FeatureReference::Categorical(_) => FeatureKind::Categorical,
        }
    }
}

/// Everything drift needs about the reference (training) data, stored with each model
/// version so that every later window is compared on the same bins.
///
/// # Examples
/// ```
/// use scorewatch_core::{NamedColumn, ColumnValues, NumericValues, ReferenceProfile};
/// let age = NamedColumn {
///     name: "age".into(),
///     values: ColumnValues::Numeric(NumericValues::from_raw(vec![30.0, 41.0, f64::NAN])),
/// };
/// let profile = ReferenceProfile::from_columns(vec![age], None);
/// assert_eq!(profile.rows, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceProfile {
    /// Rows of the reference data set.
    pub rows: u64,
    /// The features, in column order.
    pub features: Vec<FeatureProfile>,
    /// The model score on the reference rows, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<NumericProfile>,
}

impl ReferenceProfile {
    /// Checks that every part of the profile fits the others, as the drift computation
    /// relies on (a profile this crate built always does; one read from a file may not).
    ///
    /// # Errors
    /// [`DriftError::InconsistentProfile`] naming the feature and what does not fit.
    pub fn validate(&self) -> Result<(), DriftError> {
        let features = self
            .features
            .iter()
            .map(|f| (f.name.as_str(), &f.reference));
        for (name, reference) in features {
            let problem = match reference {
                FeatureReference::Numeric(p) => p.inconsistency(),
                FeatureReference::Categorical(p) => {
                    (p.counts.len() != p.categories.len()).then(|| {
                        format!(
                            "{} counts for {} categories",
                            p.counts.len(),
                            p.categories.len()
                        )
                    })
                }
            };
            if let Some(reason) = problem {
                return Err(DriftError::InconsistentProfile {
                    feature: name.to_owned(),
                    reason,
                });
            }
        }
        if let Some(reason) = self.score.as_ref().and_then(NumericProfile::inconsistency) {
            return Err(DriftError::InconsistentProfile {
                feature: "score".to_owned(),
                reason,
            });
        }
        Ok(())
    }

    /// Builds a profile from column summaries (sorting each numeric column).
    #[must_use]
    pub fn from_columns(columns: Vec<NamedColumn>, score: Option<NumericValues>) -> Self {
        let score = score.map(NumericProfile::from_values);
        let mut rows = score.as_ref().map_or(0, NumericProfile::rows);
        let features: Vec<FeatureProfile> = columns
            .into_iter()
            .map(|column| {
                let reference = match column.values {
                    ColumnValues::Numeric(values) => {
                        FeatureReference::Numeric(NumericProfile::from_values(values))
                    }
                    ColumnValues::Categorical(values) => {
                        FeatureReference::Categorical(CategoricalProfile::from_values(&values))
                    }
                };
                FeatureProfile {
                    name: column.name,
                    reference,
                }
            })
            .collect();
        for feature in &features {
            let n = match &feature.reference {
                FeatureReference::Numeric(p) => p.rows(),
                FeatureReference::Categorical(p) => p.rows(),
            };
            rows = rows.max(n);
        }
        Self {
            rows,
            features,
            score,
        }
    }

    /// The index of a feature by name.
    #[must_use]
    pub fn feature_index(&self, name: &str) -> Option<usize> {
        self.features.iter().position(|f| f.name == name)
    }
}
