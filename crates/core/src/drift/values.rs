//! Column summaries that the statistics need: non-missing numbers (sortable) with a
//! missing count, or category counts with a missing count. Row order is not kept; drift
//! compares distributions, not rows.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::psi::is_missing;

/// The non-missing values of a numeric column and how many cells were missing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumericValues {
    finite: Vec<f64>,
    missing: u64,
    sorted: bool,
}

impl NumericValues {
    /// An empty column.
    #[must_use]
    pub fn new() -> Self {
        Self {
            finite: Vec::new(),
            missing: 0,
            sorted: true,
        }
    }

    /// A column from raw values; NaN and +-inf count as missing.
    #[must_use]
    pub fn from_raw(mut values: Vec<f64>) -> Self {
        let before = values.len();
        values.retain(|v| !is_missing(*v));
        let missing = (before - values.len()) as u64;
        Self {
            finite: values,
            missing,
            sorted: false,
        }
    }

    /// Adds one value (NaN and +-inf count as missing).
    pub fn push(&mut self, value: f64) {
        if is_missing(value) {
            self.missing += 1;
        } else {
            if self.sorted
                && self
                    .finite
                    .last()
                    .is_some_and(|last| last.total_cmp(&value).is_gt())
            {
                self.sorted = false;
            }
            self.finite.push(value);
        }
    }

    /// Adds one missing cell.
    pub fn push_missing(&mut self) {
        self.missing += 1;
    }

    /// Sorts the values (ascending, `f64::total_cmp`); cheap when already sorted.
    pub fn sort(&mut self) {
        if !self.sorted {
            self.finite.sort_unstable_by(f64::total_cmp);
            self.sorted = true;
        }
    }

    /// The non-missing values, sorted when [`Self::is_sorted`].
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.finite
    }

    /// Whether [`Self::values`] is in ascending order.
    #[must_use]
    pub fn is_sorted(&self) -> bool {
        self.sorted
    }

    /// Missing cells.
    #[must_use]
    pub fn missing(&self) -> u64 {
        self.missing
    }

    /// All cells, missing ones included.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.finite.len() as u64 + self.missing
    }

    /// The sorted values, consuming the column.
    #[must_use]
    pub fn into_sorted(mut self) -> (Vec<f64>, u64) {
        self.sort();
        (self.finite, self.missing)
    }
}

/// Counts of each category of a categorical column and of its missing (empty) cells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoricalValues {
    counts: HashMap<String, u64>,
    missing: u64,
}

impl CategoricalValues {
    /// An empty column.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one cell; `None` or an empty string is missing.
    pub fn push(&mut self, value: Option<&str>) {
        match value {
            Some(v) if !v.is_empty() => {
                if let Some(count) = self.counts.get_mut(v) {
                    *count += 1;
                } else {
                    self.counts.insert(v.to_owned(), 1);
                }
            }
            _ => self.missing += 1,
        }
    }

    /// Adds `count` cells of one category.
    pub fn add(&mut self, category: String, count: u64) {
        *self.counts.entry(category).or_insert(0) += count;
    }

    /// Adds `count` missing cells.
    pub fn add_missing(&mut self, count: u64) {
        self.missing += count;
    }

    /// Category to count.
    #[must_use]
    pub fn counts(&self) -> &HashMap<String, u64> {
        &self.counts
    }

    /// Missing cells.
    #[must_use]
    pub fn missing(&self) -> u64 {
        self.missing
    }

    /// All cells, missing ones included.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.counts.values().sum::<u64>() + self.missing
    }
}

/// The summary of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers.
    Numeric(NumericValues),
    /// Categories.
    Categorical(CategoricalValues),
}

/// A named column summary, as read from a CSV file or built in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedColumn {
    /// The header name.
    pub name: String,
    /// The values.
    pub values: ColumnValues,
}

impl NamedColumn {
    /// A numeric column from values in row order; `None` is a missing value.
    #[must_use]
    pub fn numeric(name: impl Into<String>, values: impl IntoIterator<Item = Option<f64>>) -> Self {
        let mut numeric = NumericValues::new();
        for value in values {
            match value {
                Some(x) => numeric.push(x),
                None => numeric.push_missing(),
            }
        }
        Self {
            name: name.into(),
            values: ColumnValues::Numeric(numeric),
        }
    }

    /// A categorical column from values in row order; `None` is a missing value.
    #[must_use]
    pub fn categorical<'a>(
        name: impl Into<String>,
        values: impl IntoIterator<Item = Option<&'a str>>,
    ) -> Self {
        let mut categorical = CategoricalValues::new();
        for value in values {
            categorical.push(value);
        }
        Self {
            name: name.into(),
            values: ColumnValues::Categorical(categorical),
        }
    }
}
