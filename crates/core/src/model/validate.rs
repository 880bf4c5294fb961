//! Checking that the parts of a model artifact fit together before anything scores with it.
//!
//! `model.json` is written by training, but it is a file: it can be edited, truncated by a
//! bad copy, or come from another build. serde only checks its shape; these checks make
//! sure the schema, the preprocessing and the coefficients describe one model, so that a
//! [`Model`](super::Model) never fills a gap with a default value.

use super::artifact::{MODEL_FORMAT_VERSION, ModelArtifact};
use super::preprocess::FeatureTransform;
use crate::estimate::CalibratorProblem;
use crate::records::FeatureKind;

/// Why a parsed model artifact cannot be used. Each message names the field at fault by
/// its path in `model.json`; the store's `RegistryError` adds the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidModel {
    /// `format_version` is not [`MODEL_FORMAT_VERSION`].
    #[error("format_version is {found}, but this build reads only version {MODEL_FORMAT_VERSION}")]
    FormatVersion {
        /// The version in the file.
        found: u32,
    },
    /// `threshold` is outside (0, 1) or not a number.
    #[error("threshold is {0}, outside (0, 1)")]
    Threshold(f64),
    /// Two schema features share a name, so a request could not say which one it sets.
    #[error("schema.features[{index}].name '{name}' appears twice")]
    DuplicateFeature {
        /// Position of the second one.
        index: usize,
        /// The name.
        name: String,
    },
    /// The label column is also an input feature.
    #[error("schema.target.column '{0}' is also a feature")]
    TargetIsFeature(String),
    /// The schema and the preprocessing have different numbers of features.
    #[error("schema.features has {schema} features but preprocessing.transforms has {transforms}")]
    TransformCount {
        /// Features in the schema.
        schema: usize,
        /// Transforms in the preprocessing.
        transforms: usize,
    },
    /// A transform belongs to another feature than the schema's at the same position
    /// (renamed, or the order differs).
    #[error(
        "preprocessing.transforms[{index}] is for '{transform}' but schema.features[{index}] is '{schema}'"
    )]
    TransformName {
        /// Position.
        index: usize,
        /// The schema feature's name.
        schema: String,
        /// The transform's feature name.
        transform: String,
    },
    /// A transform is of the other kind than its schema feature.
    #[error(
        "preprocessing.transforms[{index}] ('{name}') is {} but schema.features[{index}] is {}",
        kind_name(*.transform),
        kind_name(*.schema)
    )]
    TransformKind {
        /// Position.
        index: usize,
        /// Feature name.
        name: String,
        /// The schema's kind.
        schema: FeatureKind,
        /// The transform's kind.
        transform: FeatureKind,
    },
    /// A standardisation parameter is not finite, or a scale is not positive.
    #[error("preprocessing.transforms[{index}].{field} ('{name}') is {value}, but must be {rule}")]
    Standardisation {
        /// Position of the transform.
        index: usize,
        /// Feature name.
        name: String,
        /// `median`, `mean` or `scale`.
        field: &'static str,
        /// The value in the file.
        value: f64,
        /// What it must be.
        rule: &'static str,
    },
    /// Categories are not strictly increasing: scoring and the design matrix look them up
    /// by binary search, and a duplicate would be two columns for one value.
    #[error(
        "preprocessing.transforms[{index}].categories ('{name}') must be sorted and unique, but '{before}' comes before '{after}'"
    )]
    Categories {
        /// Position of the transform.
        index: usize,
        /// Feature name.
        name: String,
        /// The earlier category.
        before: String,
        /// The category after it.
        after: String,
    },
    /// `coefficients.intercept` is not finite.
    #[error("coefficients.intercept is {0}, not a finite number")]
    Intercept(f64),
    /// There is not one weight per design-matrix column (one-hot and missing-indicator
    /// columns included).
    #[error(
        "coefficients.weights has {found} values but the preprocessing makes {expected} columns"
    )]
    WeightCount {
        /// Weights in the file.
        found: usize,
        /// Columns the preprocessing makes.
        expected: usize,
    },
    /// A weight is not finite.
    #[error("coefficients.weights[{index}] ('{column}') is {value}, not a finite number")]
    Weight {
        /// Position.
        index: usize,
        /// The design-matrix column it belongs to.
        column: String,
        /// The value.
        value: f64,
    },
    /// There is not one column name per design-matrix column.
    #[error(
        "coefficients.columns has {found} names but the preprocessing makes {expected} columns"
    )]
    ColumnCount {
        /// Names in the file.
        found: usize,
        /// Columns the preprocessing makes.
        expected: usize,
    },
    /// A column name differs from the preprocessing's name for that column, so the
    /// weights were fitted on another layout.
    #[error("coefficients.columns[{index}] is '{found}' but the preprocessing makes '{expected}'")]
    ColumnName {
        /// Position.
        index: usize,
        /// Name in the file.
        found: String,
        /// Name the preprocessing gives.
        expected: String,
    },
    /// A weight folded with its feature's standardisation (`weight / scale`,
    /// `weight * mean / scale`, the missing-value term) is not a finite number.
    #[error(
        "coefficients.weights[{index}] ('{column}') with the standardisation of preprocessing.transforms[{transform}] overflows"
    )]
    Overflow {
        /// Position of the weight.
        index: usize,
        /// Its design-matrix column.
        column: String,
        /// Position of the transform.
        transform: usize,
    },
    /// The stored calibrator cannot be a fitted isotonic calibration.
    #[error("calibrator.{0}")]
    Calibrator(CalibratorProblem),
    /// The stored validation scores do not fit together.
    #[error("validation_scores.{0}")]
    ValidationScores(String),
}

fn kind_name(kind: FeatureKind) -> &'static str {
    match kind {
        FeatureKind::Numeric => "numeric",
        FeatureKind::Categorical => "categorical",
    }
}

/// A numeric feature's contribution to the linear predictor with the standardisation
/// folded in: `(slope, offset, missing)` such that a value `x` adds `x * slope - offset`
/// and a missing value adds `missing`. Shared by the check and the scorer so that what
/// is checked is exactly what scores.
pub(super) fn fold_numeric(
    weight: f64,
    indicator_weight: f64,
    median: f64,
    mean: f64,
    scale: f64,
) -> (f64, f64, f64) {
    (
        weight / scale,
        weight * mean / scale,
        weight * (median - mean) / scale + indicator_weight,
    )
}

impl ModelArtifact {
    /// Checks that the schema, the preprocessing and the coefficients describe one model:
    /// the format version is known, the threshold is in (0, 1), every schema feature has
    /// a transform of its name and kind in the same order, standardisation parameters are
    /// finite with a positive scale, categories are sorted and unique, and there is one
    /// finite weight and one matching column name per design-matrix column; a stored
    /// calibrator is monotone with values in [0, 1], and stored validation scores are
    /// probabilities with one label each.
    ///
    /// # Errors
    /// The first [`InvalidModel`] found, in that order.
    pub fn validate(&self) -> Result<(), InvalidModel> {
        if self.format_version != MODEL_FORMAT_VERSION {
            return Err(InvalidModel::FormatVersion {
                found: self.format_version,
            });
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(InvalidModel::Threshold(self.threshold));
        }
        self.check_schema()?;
        self.check_transforms()?;
        self.check_coefficients()?;
        self.check_calibration()
    }

    fn check_schema(&self) -> Result<(), InvalidModel> {
        let features = &self.schema.features;
        for (index, spec) in features.iter().enumerate() {
            if features[..index].iter().any(|f| f.name == spec.name) {
                return Err(InvalidModel::DuplicateFeature {
                    index,
                    name: spec.name.clone(),
                });
            }
        }
        if self.schema.position(&self.schema.target.column).is_some() {
            return Err(InvalidModel::TargetIsFeature(
                self.schema.target.column.clone(),
            ));
        }
        Ok(())
    }

    fn check_transforms(&self) -> Result<(), InvalidModel> {
        let transforms = &self.preprocessing.transforms;
        if transforms.len() != self.schema.features.len() {
            return Err(InvalidModel::TransformCount {
                schema: self.schema.features.len(),
                transforms: transforms.len(),
            });
        }
        for (index, (spec, transform)) in self.schema.features.iter().zip(transforms).enumerate() {
            let (name, kind) = match transform {
                FeatureTransform::Numeric { name, .. } => (name, FeatureKind::Numeric),
                FeatureTransform::Categorical { name, .. } => (name, FeatureKind::Categorical),
            };
            if *name != spec.name {
                return Err(InvalidModel::TransformName {
                    index,
                    schema: spec.name.clone(),
                    transform: name.clone(),
                });
            }
            if kind != spec.kind {
                return Err(InvalidModel::TransformKind {
                    index,
                    name: name.clone(),
                    schema: spec.kind,
                    transform: kind,
                });
            }
            match transform {
                FeatureTransform::Numeric {
                    median,
                    mean,
                    scale,
                    ..
                } => {
                    const FINITE: &str = "a finite number";
                    for (field, value, ok, rule) in [
                        ("median", *median, median.is_finite(), FINITE),
                        ("mean", *mean, mean.is_finite(), FINITE),
                        (
                            "scale",
                            *scale,
                            scale.is_finite() && *scale > 0.0,
                            "a finite number greater than 0",
                        ),
                    ] {
                        if !ok {
                            return Err(InvalidModel::Standardisation {
                                index,
                                name: name.clone(),
                                field,
                                value,
                                rule,
                            });
                        }
                    }
                }
                FeatureTransform::Categorical { categories, .. } => {
                    if let Some(pair) = categories.windows(2).find(|pair| pair[0] >= pair[1]) {
                        return Err(InvalidModel::Categories {
                            index,
                            name: name.clone(),
                            before: pair[0].clone(),
                            after: pair[1].clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs after [`Self::check_transforms`]: the widths it relies on are then those of
    /// transforms that match the schema.
    fn check_coefficients(&self) -> Result<(), InvalidModel> {
        let coefficients = &self.coefficients;
        if !coefficients.intercept.is_finite() {
            return Err(InvalidModel::Intercept(coefficients.intercept));
        }
        let names = self.preprocessing.column_names();
        if coefficients.weights.len() != names.len() {
            return Err(InvalidModel::WeightCount {
                found: coefficients.weights.len(),
                expected: names.len(),
            });
        }
        if let Some((index, &value)) = coefficients
            .weights
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite())
        {
            return Err(InvalidModel::Weight {
                index,
                column: names[index].clone(),
                value,
            });
        }
        if coefficients.columns.len() != names.len() {
            return Err(InvalidModel::ColumnCount {
                found: coefficients.columns.len(),
                expected: names.len(),
            });
        }
        if let Some((index, (found, expected))) = coefficients
            .columns
            .iter()
            .zip(&names)
            .enumerate()
            .find(|(_, (found, expected))| found != expected)
        {
            return Err(InvalidModel::ColumnName {
                index,
                found: found.clone(),
                expected: expected.clone(),
            });
        }
        let mut offset = 0;
        for (transform_index, transform) in self.preprocessing.transforms.iter().enumerate() {
            if let FeatureTransform::Numeric {
                median,
                mean,
                scale,
                missing_indicator,
                ..
            } = transform
            {
                let weight = coefficients.weights[offset];
                let indicator = if *missing_indicator {
                    coefficients.weights[offset + 1]
                } else {
                    0.0
                };
                let (slope, shift, missing) =
                    fold_numeric(weight, indicator, *median, *mean, *scale);
                if !(slope.is_finite() && shift.is_finite() && missing.is_finite()) {
                    return Err(InvalidModel::Overflow {
                        index: offset,
                        column: names[offset].clone(),
                        transform: transform_index,
                    });
                }
            }
            offset += transform.width();
        }
        Ok(())
    }
}
