//! The feature schema: which columns a model reads, their kinds, and its target.

use serde::{Deserialize, Serialize};

use crate::records::FeatureKind;

/// One input feature of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Column name.
    pub name: String,
    /// Numeric or categorical.
    pub kind: FeatureKind,
}

/// The target column and which of its values is the positive class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSpec {
    /// Column holding the label.
    pub column: String,
    /// The label value that counts as positive (for example `1`, `yes`, `default`).
    pub positive: String,
}

impl Default for TargetSpec {
    fn default() -> Self {
        Self {
            column: "default".to_owned(),
            positive: "1".to_owned(),
        }
    }
}

/// The features of a model, in the order the model reads them, and its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSchema {
    /// Features in model order.
    pub features: Vec<FeatureSpec>,
    /// The label.
    pub target: TargetSpec,
}

impl FeatureSchema {
    /// The position of a feature by name.
    #[must_use]
    pub fn position(&self, name: &str) -> Option<usize> {
        self.features.iter().position(|f| f.name == name)
    }

    /// Feature names in model order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.features.iter().map(|f| f.name.as_str())
    }
}

/// A value of one feature in one application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FeatureValue {
    /// A numeric feature's value (finite).
    Number(f64),
    /// A categorical feature's value.
    Category(String),
}

/// Parses a CSV cell as a numeric value: `None` for an empty cell, `Err` for anything that
/// is not a finite number.
pub(crate) fn parse_number(cell: &str) -> Result<Option<f64>, ()> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(None);
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(()),
    }
}
