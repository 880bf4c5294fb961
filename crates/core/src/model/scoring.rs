//! Fast scoring of one application with a loaded model.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use super::artifact::ModelArtifact;
use super::logistic::sigmoid;
use super::preprocess::FeatureTransform;
use super::schema::FeatureValue;
use super::validate::{InvalidModel, fold_numeric};
use crate::records::FeatureKind;

/// A feature's contribution to the linear predictor, with everything that does not
/// depend on the value folded in ahead of time.
#[derive(Debug, Clone)]
enum Plan {
    Numeric {
        /// `w / scale`: the contribution is `x * slope - offset`.
        slope: f64,
        /// `w * mean / scale`.
        offset: f64,
        /// Contribution of a missing value (median, plus the indicator weight).
        missing: f64,
    },
    Categorical {
        weights: HashMap<String, f64>,
    },
}

/// A model ready to score: the artifact plus precomputed scoring plans.
#[derive(Debug, Clone)]
pub struct Model {
    artifact: ModelArtifact,
    plans: Vec<Plan>,
}

/// What is wrong with one field of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum FieldProblem {
    /// A schema feature is absent (send `null` for a missing value).
    Missing,
    /// The field is not a feature of the model.
    Unknown,
    /// The value has the wrong JSON type.
    WrongType {
        /// `number` or `string`.
        expected: &'static str,
    },
}

/// Every problem of an application, listed at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct ApplicationError {
    /// Field name and problem, in schema order then input order.
    pub problems: Vec<(String, FieldProblem)>,
}

impl fmt::Display for ApplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid application: ")?;
        for (i, (field, problem)) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match problem {
                FieldProblem::Missing => write!(f, "field '{field}' is missing")?,
                FieldProblem::Unknown => write!(f, "field '{field}' is unknown")?,
                FieldProblem::WrongType { expected } => {
                    write!(f, "field '{field}' must be a {expected} or null")?;
                }
            }
        }
        Ok(())
    }
}

impl Model {
    /// Prepares `artifact` for scoring, after [`ModelArtifact::validate`]: a model that
    /// exists always has one finite weight per design-matrix column.
    ///
    /// # Errors
    /// [`InvalidModel`] when the artifact's parts do not fit together.
    pub fn new(artifact: ModelArtifact) -> Result<Self, InvalidModel> {
        artifact.validate()?;
        let mut plans = Vec::with_capacity(artifact.preprocessing.transforms.len());
        let weights = &artifact.coefficients.weights;
        let mut offset = 0;
        for transform in &artifact.preprocessing.transforms {
            // Validated: `weights` has exactly `preprocessing.width()` values, so every
            // index below is in range.
            let plan = match transform {
                FeatureTransform::Numeric {
                    median,
                    mean,
                    scale,
                    missing_indicator,
                    ..
                } => {
                    let indicator = if *missing_indicator {
                        weights[offset + 1]
                    } else {
                        0.0
                    };
                    let (slope, offset, missing) =
                        fold_numeric(weights[offset], indicator, *median, *mean, *scale);
                    Plan::Numeric {
                        slope,
                        offset,
                        missing,
                    }
                }
                FeatureTransform::Categorical { categories, .. } => Plan::Categorical {
                    weights: categories
                        .iter()
                        .cloned()
                        .zip(weights[offset..offset + categories.len()].iter().copied())
                        .collect(),
                },
            };
            offset += transform.width();
            plans.push(plan);
        }
        Ok(Self { artifact, plans })
    }

    /// The artifact.
    #[must_use]
    pub fn artifact(&self) -> &ModelArtifact {
        &self.artifact
    }

    /// The decision threshold.
    #[must_use]
    pub fn threshold(&self) -> f64 {
        self.artifact.threshold
    }

    /// The probability of the positive class for values in schema order (`None` is a
    /// missing value). A value of the wrong kind counts as missing and an unseen category
    /// contributes nothing; use [`Model::validate`] on untrusted input first.
    #[must_use]
    pub fn score(&self, values: &[Option<FeatureValue>]) -> f64 {
        let mut z = self.artifact.coefficients.intercept;
        for (i, plan) in self.plans.iter().enumerate() {
            let value = values.get(i).and_then(Option::as_ref);
            z += match (plan, value) {
                (Plan::Numeric { slope, offset, .. }, Some(FeatureValue::Number(x))) => {
                    x * slope - offset
                }
                (Plan::Numeric { missing, .. }, _) => *missing,
                (Plan::Categorical { weights }, Some(FeatureValue::Category(c))) => {
                    weights.get(c).copied().unwrap_or(0.0)
                }
                (Plan::Categorical { .. }, _) => 0.0,
            };
        }
        sigmoid(z)
    }

    /// Checks a JSON application against the schema and returns its values in schema
    /// order. Every feature must be present (`null` for a missing value), numeric ones as
    /// finite numbers, categorical ones as strings; no other field is allowed.
    ///
    /// # Errors
    /// [`ApplicationError`] listing every problem at once.
    pub fn validate(
        &self,
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Vec<Option<FeatureValue>>, ApplicationError> {
        use serde_json::Value;
        let schema = &self.artifact.schema;
        let mut problems = Vec::new();
        let mut values = Vec::with_capacity(schema.features.len());
        for spec in &schema.features {
            let value = match (spec.kind, fields.get(&spec.name)) {
                (_, None) => {
                    problems.push((spec.name.clone(), FieldProblem::Missing));
                    None
                }
                (_, Some(Value::Null)) => None,
                (FeatureKind::Numeric, Some(Value::Number(n))) => {
                    // serde_json numbers are always finite; as_f64 only fails for
                    // arbitrary-precision numbers, which this crate does not enable.
                    n.as_f64().map(FeatureValue::Number)
                }
                (FeatureKind::Categorical, Some(Value::String(s))) => {
                    Some(FeatureValue::Category(s.clone()))
                }
                (kind, Some(_)) => {
                    let expected = match kind {
                        FeatureKind::Numeric => "number",
                        FeatureKind::Categorical => "string",
                    };
                    problems.push((spec.name.clone(), FieldProblem::WrongType { expected }));
                    None
                }
            };
            values.push(value);
        }
        for name in fields.keys() {
            if schema.position(name).is_none() {
                problems.push((name.clone(), FieldProblem::Unknown));
            }
        }
        if problems.is_empty() {
            Ok(values)
        } else {
            Err(ApplicationError { problems })
        }
    }
}
