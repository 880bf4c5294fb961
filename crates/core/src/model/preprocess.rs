//! Turning typed columns into the model's numeric design matrix.

use serde::{Deserialize, Serialize};

use super::dataset::{Dataset, DatasetColumn};

/// How one feature becomes design-matrix columns. Every parameter is fitted on the
/// training rows and stored in the model artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeatureTransform {
    /// `(x - mean) / scale`, a missing `x` replaced by `median` first; plus a 0/1
    /// missing-indicator column when the training rows had missing values.
    Numeric {
        /// Feature name.
        name: String,
        /// Training median of the non-missing values (numpy's `median`).
        median: f64,
        /// Mean after imputation.
        mean: f64,
        /// Population standard deviation after imputation (1 when it is 0), as
        /// scikit-learn's `StandardScaler`.
        scale: f64,
        /// Whether a missing-indicator column follows.
        missing_indicator: bool,
    },
    /// One 0/1 column per training category, in this order; a missing or unseen value is
    /// all zeros.
    Categorical {
        /// Feature name.
        name: String,
        /// Training categories, sorted.
        categories: Vec<String>,
    },
}

impl FeatureTransform {
    /// Design-matrix columns this feature produces.
    #[must_use]
    pub fn width(&self) -> usize {
        match self {
            FeatureTransform::Numeric {
                missing_indicator, ..
            } => 1 + usize::from(*missing_indicator),
            FeatureTransform::Categorical { categories, .. } => categories.len(),
        }
    }
}

/// The fitted preprocessing of a model, one transform per schema feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessor {
    /// Transforms in schema order.
    pub transforms: Vec<FeatureTransform>,
}

/// A dense row-major design matrix without the intercept column.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignMatrix {
    /// Row-major values, `rows * cols`.
    pub values: Vec<f64>,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

/// The median as `numpy.median`: the mean of the two middle values for an even count.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        f64::midpoint(values[n / 2 - 1], values[n / 2])
    }
}

impl Preprocessor {
    /// Fits every transform on the rows of `data`.
    #[must_use]
    pub fn fit(data: &Dataset) -> Self {
        let transforms = data
            .schema
            .features
            .iter()
            .zip(&data.columns)
            .map(|(spec, column)| match column {
                DatasetColumn::Numeric(values) => {
                    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
                    let missing_indicator = present.len() < values.len();
                    let median = if present.is_empty() {
                        0.0
                    } else {
                        median(&mut present)
                    };
                    let n = values.len().max(1) as f64;
                    let imputed = || values.iter().map(|v| v.unwrap_or(median));
                    let mean = imputed().sum::<f64>() / n;
                    let variance = imputed().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                    let sd = variance.sqrt();
                    FeatureTransform::Numeric {
                        name: spec.name.clone(),
                        median,
                        mean,
                        scale: if sd > 0.0 { sd } else { 1.0 },
                        missing_indicator,
                    }
                }
                DatasetColumn::Categorical(values) => {
                    let mut categories: Vec<String> = values.iter().flatten().cloned().collect();
                    categories.sort_unstable();
                    categories.dedup();
                    FeatureTransform::Categorical {
                        name: spec.name.clone(),
                        categories,
                    }
                }
            })
            .collect();
        Self { transforms }
    }

    /// Design-matrix width.
    #[must_use]
    pub fn width(&self) -> usize {
        self.transforms.iter().map(FeatureTransform::width).sum()
    }

    /// Names of the design-matrix columns: the feature name, `name__missing` for an
    /// indicator, `name=category` for a one-hot column.
    #[must_use]
    pub fn column_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.width());
        for transform in &self.transforms {
            match transform {
                FeatureTransform::Numeric {
                    name,
                    missing_indicator,
                    ..
                } => {
                    names.push(name.clone());
                    if *missing_indicator {
                        names.push(format!("{name}__missing"));
                    }
                }
                FeatureTransform::Categorical { name, categories } => {
                    names.extend(categories.iter().map(|c| format!("{name}={c}")));
                }
            }
        }
        names
    }

    /// The design matrix of `data`, whose columns must follow the schema this
    /// preprocessor was fitted on (a column of the other kind is read as all missing).
    #[must_use]
    pub fn transform(&self, data: &Dataset) -> DesignMatrix {
        let rows = data.len();
        let cols = self.width();
        let mut values = vec![0.0; rows * cols];
        let mut offset = 0;
        for (transform, column) in self.transforms.iter().zip(&data.columns) {
            match (transform, column) {
                (
                    FeatureTransform::Numeric {
                        median,
                        mean,
                        scale,
                        missing_indicator,
                        ..
                    },
                    DatasetColumn::Numeric(column),
                ) => {
                    for (r, value) in column.iter().enumerate() {
                        let x = value.unwrap_or(*median);
                        values[r * cols + offset] = (x - mean) / scale;
                        if *missing_indicator && value.is_none() {
                            values[r * cols + offset + 1] = 1.0;
                        }
                    }
                }
                (
                    FeatureTransform::Categorical { categories, .. },
                    DatasetColumn::Categorical(column),
                ) => {
                    for (r, value) in column.iter().enumerate() {
                        if let Some(k) = value
                            .as_deref()
                            .and_then(|v| categories.binary_search_by(|c| c.as_str().cmp(v)).ok())
                        {
                            values[r * cols + offset + k] = 1.0;
                        }
                    }
                }
                (
                    FeatureTransform::Numeric {
                        median,
                        mean,
                        scale,
                        missing_indicator,
                        ..
                    },
                    _,
                ) => {
                    for r in 0..rows {
                        values[r * cols + offset] = (median - mean) / scale;
                        if *missing_indicator {
                            values[r * cols + offset + 1] = 1.0;
                        }
                    }
                }
                (FeatureTransform::Categorical { .. }, _) => {}
            }
            offset += transform.width();
        }
        DesignMatrix { values, rows, cols }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::dataset::parse_csv;
    use crate::model::schema::TargetSpec;

    #[test]
    fn numeric_standardised_missing_imputed_categories_one_hot() {
        let train = parse_csv(
            Path::new("t.csv"),
            b"x,c,default\n1,a,0\n3,b,1\n,a,0\n10,,1\n",
            &TargetSpec::default(),
            None,
            &[],
        )
        .unwrap();
        let pre = Preprocessor::fit(&train);
        // np.median([1, 3, 10]) == 3.0; imputed [1, 3, 3, 10]: mean 4.25, np.std 3.4186985...
        let FeatureTransform::Numeric {
            median,
            mean,
            scale,
            missing_indicator,
            ..
        } = &pre.transforms[0]
        else {
            panic!("numeric expected")
        };
        assert_eq!((*median, *mean, *missing_indicator), (3.0, 4.25, true));
        // python3 -c "import numpy as np; print(np.std([1,3,3,10]))"
        assert!((scale - 3.418_698_582_794_336).abs() < 1e-12);
        assert_eq!(pre.column_names(), ["x", "x__missing", "c=a", "c=b"]);
        let m = pre.transform(&train);
        assert_eq!(m.cols, 4);
        assert_eq!(&m.values[8..12], &[(3.0 - 4.25) / scale, 1.0, 1.0, 0.0]);
        // Missing category: all zeros.
        assert_eq!(&m.values[14..16], &[0.0, 0.0]);

        let unseen = parse_csv(
            Path::new("s.csv"),
            b"x,c,default\n2,z,0\n2,a,1\n",
            &TargetSpec::default(),
            Some(&train.schema),
            &[],
        )
        .unwrap();
        let m = pre.transform(&unseen);
        assert_eq!(&m.values[2..4], &[0.0, 0.0]);
        assert_eq!(&m.values[6..8], &[1.0, 0.0]);
    }
}
