//! The current window, accumulated against a reference profile.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::DriftError;
use super::profile::{FeatureReference, ReferenceProfile};
use super::values::{CategoricalValues, ColumnValues, NamedColumn, NumericValues};
use crate::records::FeatureKind;

/// Longest cell echoed back in an error message.
const MAX_ECHO: usize = 40;

/// One feature of the current window.
#[derive(Debug, Clone, PartialEq)]
pub enum CurrentFeature {
    /// Non-missing numbers and the missing count.
    Numeric(NumericValues),
    /// Counts over the reference's categories.
    Categorical {
        /// Rows of each reference category, in the profile's order.
        counts: Vec<u64>,
        /// Rows whose category the reference never saw.
        unseen: u64,
        /// Rows with an empty cell.
        missing: u64,
    },
}

/// The current window: what [`compute_report`](super::compute_report) compares with a
/// [`ReferenceProfile`]. Feed it row by row with [`Self::push_row`] (memory grows only with
/// the window's numeric values) or build it from column summaries with
/// [`Self::from_columns`].
///
/// # Examples
/// ```
/// use scorewatch_core::{NamedColumn, ColumnValues, CurrentWindow, NumericValues, ReferenceProfile};
/// let age = NamedColumn {
///     name: "age".into(),
///     values: ColumnValues::Numeric(NumericValues::from_raw(vec![30.0, 41.0, 52.0])),
/// };
/// let profile = ReferenceProfile::from_columns(vec![age], None);
/// let mut window = CurrentWindow::new(&profile);
/// window.push_row(&[Some("35")], Some(0.2)).unwrap();
/// window.push_row(&[None], None).unwrap();
/// assert_eq!(window.rows(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct CurrentWindow {
    names: Vec<String>,
    features: Vec<CurrentFeature>,
    lookups: Vec<Option<HashMap<String, usize>>>,
    score: Option<NumericValues>,
    rows: u64,
}

impl CurrentWindow {
    /// An empty window shaped by `profile`.
    #[must_use]
    pub fn new(profile: &ReferenceProfile) -> Self {
        let mut features = Vec::with_capacity(profile.features.len());
        let mut lookups = Vec::with_capacity(profile.features.len());
        for feature in &profile.features {
            match &feature.reference {
                FeatureReference::Numeric(_) => {
                    features.push(CurrentFeature::Numeric(NumericValues::new()));
                    lookups.push(None);
                }
                FeatureReference::Categorical(reference) => {
                    features.push(CurrentFeature::Categorical {
                        counts: vec![0; reference.categories.len()],
                        unseen: 0,
                        missing: 0,
                    });
                    lookups.push(Some(
                        reference
                            .categories
                            .iter()
                            .enumerate()
                            .map(|(i, c)| (c.clone(), i))
                            .collect(),
                    ));
                }
            }
        }
        Self {
            names: profile.features.iter().map(|f| f.name.clone()).collect(),
            features,
            lookups,
            score: None,
            rows: 0,
        }
    }

    /// Adds one row: the feature cells in the profile's order (`None` or an empty cell is
    /// missing) and the model score, when known.
    ///
    /// # Errors
    /// [`DriftError::RowWidth`] when the row has the wrong number of cells,
    /// [`DriftError::NotANumber`] when a numeric feature's cell does not parse.
    pub fn push_row(
        &mut self,
        cells: &[Option<&str>],
        score: Option<f64>,
    ) -> Result<(), DriftError> {
        let row = self.rows + 1;
        if cells.len() != self.features.len() {
            return Err(DriftError::RowWidth {
                row,
                expected: self.features.len(),
                got: cells.len(),
            });
        }
        for (i, cell) in cells.iter().enumerate() {
            let cell = cell.map(str::trim).filter(|c| !c.is_empty());
            match &mut self.features[i] {
                CurrentFeature::Numeric(values) => match cell {
                    None => values.push_missing(),
                    Some(text) => {
                        let value: f64 = text.parse().map_err(|_| DriftError::NotANumber {
                            path: PathBuf::from("current window"),
                            line: row,
                            column: self.names[i].clone(),
                            value: text.chars().take(MAX_ECHO).collect(),
                        })?;
                        values.push(value);
                    }
                },
                CurrentFeature::Categorical {
                    counts,
                    unseen,
                    missing,
                } => match cell {
                    None => *missing += 1,
                    Some(text) => match self.lookups[i].as_ref().and_then(|l| l.get(text)) {
                        Some(&index) => counts[index] += 1,
                        None => *unseen += 1,
                    },
                },
            }
        }
        if let Some(score) = score {
            self.score
                .get_or_insert_with(NumericValues::new)
                .push(score);
        }
        self.rows = row;
        Ok(())
    }

    /// A window from column summaries, matched to the profile's features by name; columns
    /// the profile does not know are ignored.
    ///
    /// # Errors
    /// [`DriftError::MissingColumn`] when a profile feature has no column,
    /// [`DriftError::KindMismatch`] when a column's kind differs from the reference's.
    pub fn from_columns(
        profile: &ReferenceProfile,
        columns: Vec<NamedColumn>,
        score: Option<NumericValues>,
        source: &Path,
    ) -> Result<Self, DriftError> {
        let mut sample = Self::new(profile);
        let mut by_name: HashMap<String, ColumnValues> =
            columns.into_iter().map(|c| (c.name, c.values)).collect();
        let mut rows = score.as_ref().map_or(0, NumericValues::rows);
        for (i, feature) in profile.features.iter().enumerate() {
            let values =
                by_name
                    .remove(&feature.name)
                    .ok_or_else(|| DriftError::MissingColumn {
                        path: source.to_path_buf(),
                        column: feature.name.clone(),
                    })?;
            let slot = &mut sample.features[i];
            match (values, slot) {
                (ColumnValues::Numeric(values), CurrentFeature::Numeric(current)) => {
                    rows = rows.max(values.rows());
                    *current = values;
                }
                (
                    ColumnValues::Categorical(values),
                    CurrentFeature::Categorical {
                        counts,
                        unseen,
                        missing,
                    },
                ) => {
                    rows = rows.max(values.rows());
                    fill_categorical(&values, sample.lookups[i].as_ref(), counts, unseen);
                    *missing = values.missing();
                }
                _ => {
                    return Err(DriftError::KindMismatch {
                        path: source.to_path_buf(),
                        column: feature.name.clone(),
                        reference: feature.kind(),
                    });
                }
            }
        }
        sample.score = score;
        sample.rows = rows;
        Ok(sample)
    }

    /// Sorts every numeric column (the report needs sorted values; it sorts a copy of an
    /// unsorted column otherwise).
    pub fn sort(&mut self) {
        for feature in &mut self.features {
            if let CurrentFeature::Numeric(values) = feature {
                values.sort();
            }
        }
        if let Some(score) = &mut self.score {
            score.sort();
        }
    }

    /// Rows pushed (or the longest column given).
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The features, in the profile's order.
    #[must_use]
    pub fn features(&self) -> &[CurrentFeature] {
        &self.features
    }

    /// The model scores, when any were given.
    #[must_use]
    pub fn score(&self) -> Option<&NumericValues> {
        self.score.as_ref()
    }

    /// The kind of feature `i` (as the profile says).
    #[must_use]
    pub fn kind(&self, i: usize) -> Option<FeatureKind> {
        self.features.get(i).map(|f| match f {
            CurrentFeature::Numeric(_) => FeatureKind::Numeric,
            CurrentFeature::Categorical { .. } => FeatureKind::Categorical,
        })
    }
}

fn fill_categorical(
    values: &CategoricalValues,
    lookup: Option<&HashMap<String, usize>>,
    counts: &mut [u64],
    unseen: &mut u64,
) {
    for (name, &count) in values.counts() {
        match lookup.and_then(|l| l.get(name)) {
            Some(&index) => counts[index] += count,
            None => *unseen += count,
        }
    }
}
