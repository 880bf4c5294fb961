//! Isotonic calibration by pool-adjacent-violators, as NannyML's `IsotonicCalibrator`.

use serde::{Deserialize, Serialize};

use super::EstimateError;

/// What is wrong with a stored calibrator; each message names the field and index.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibratorProblem {
    /// No points.
    #[error("scores is empty; a calibrator needs at least one point")]
    Empty,
    /// `scores` and `probabilities` differ in length.
    #[error("scores has {scores} values but probabilities has {probabilities}")]
    Lengths {
        /// Values in `scores`.
        scores: usize,
        /// Values in `probabilities`.
        probabilities: usize,
    },
    /// A value is not a finite probability.
    #[error("{field}[{index}] is {value}, not a probability in [0, 1]")]
    NotProbability {
        /// `scores` or `probabilities`.
        field: &'static str,
        /// Position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Scores must be in ascending order. (Equal neighbours are accepted: `serde_json`
    /// may read two distinct scores back as one value, and prediction never divides by
    /// their difference.)
    #[error("scores[{index}] is {value}, below scores[{}] = {previous}: scores must ascend", index - 1)]
    ScoresNotAscending {
        /// Position.
        index: usize,
        /// The value.
        value: f64,
        /// The value before it.
        previous: f64,
    },
    /// Probabilities must not decrease: a higher score never means a lower chance.
    #[error(
        "probabilities[{index}] is {value}, below probabilities[{}] = {previous}: the \
         calibration must not decrease",
        index - 1
    )]
    NotMonotone {
        /// Position.
        index: usize,
        /// The value.
        value: f64,
        /// The value before it.
        previous: f64,
    },
}

/// A non-decreasing map from scores to probabilities, fitted on labelled scores.
///
/// NannyML 0.13.1 calibrates with
/// `sklearn.isotonic.IsotonicRegression(out_of_bounds="clip", increasing=True)`; this
/// reproduces it: tied scores are pooled first (mean label, weighted by count), PAV makes
/// the means non-decreasing, and prediction interpolates linearly between the distinct
/// fitted scores and clips outside them.
///
/// Stored in a model artifact as `{"scores": [...], "probabilities": [...]}`; a stored
/// one is checked with [`IsotonicCalibrator::check`] before use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsotonicCalibrator {
    /// Distinct reference scores, ascending.
    #[serde(rename = "scores")]
    xs: Vec<f64>,
    /// Fitted probability at each of `xs`, non-decreasing.
    #[serde(rename = "probabilities")]
    ys: Vec<f64>,
}

impl IsotonicCalibrator {
    /// Fits the calibrator on reference scores and their labels.
    ///
    /// # Formula
    /// Minimises `sum (y_i - f(x_i))^2` over non-decreasing `f`, solved exactly by
    /// pool-adjacent-violators (Barlow et al., 1972): blocks of adjacent points merge
    /// while a block's mean exceeds the next one's.
    ///
    /// # Errors
    /// [`EstimateError::LengthMismatch`], [`EstimateError::Empty`],
    /// [`EstimateError::NotProbability`] for a score outside `[0, 1]` or not finite.
    ///
    /// # Examples
    /// ```
    /// use scorewatch_core::IsotonicCalibrator;
    /// let c = IsotonicCalibrator::fit(&[0.1, 0.2, 0.3, 0.4], &[false, true, false, true])?;
    /// // 0.2 and 0.3 violate monotonicity and pool to 0.5.
    /// assert_eq!(c.predict(0.25), 0.5);
    /// assert_eq!(c.predict(0.9), 1.0);
    /// # Ok::<(), scorewatch_core::EstimateError>(())
    /// ```
    pub fn fit(scores: &[f64], labels: &[bool]) -> Result<Self, EstimateError> {
        super::check_scores(scores)?;
        if scores.len() != labels.len() {
            return Err(EstimateError::LengthMismatch {
                scores: scores.len(),
                labels: labels.len(),
            });
        }
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));

        // Pool ties first, as sklearn's `_make_unique`: each distinct score is one point
        // weighted by its count, so prediction has one value per score.
        let mut points: Vec<(f64, f64, f64)> = Vec::new(); // (score, label sum, count)
        for &i in &order {
            let y = f64::from(u8::from(labels[i]));
            match points.last_mut() {
                Some(point) if point.0.total_cmp(&scores[i]).is_eq() => {
                    point.1 += y;
                    point.2 += 1.0;
                }
                _ => points.push((scores[i], y, 1.0)),
            }
        }

        // PAV over the distinct points; each block is (mean, weight, points covered).
        let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(points.len());
        for &(_, sum, weight) in &points {
            let mut block = (sum / weight, weight, 1);
            while let Some(&(mean, w, count)) = blocks.last() {
                if mean <= block.0 {
                    break;
                }
                blocks.pop();
                let total = w + block.1;
                block = (
                    (mean * w + block.0 * block.1) / total,
                    total,
                    count + block.2,
                );
            }
            blocks.push(block);
        }
        let ys = blocks
            .iter()
            .flat_map(|&(mean, _, count)| std::iter::repeat_n(mean, count))
            .collect();
        let xs = points.iter().map(|p| p.0).collect();
        Ok(Self { xs, ys })
    }

    /// The calibrated probability of `score`: linear between fitted scores, clipped to the
    /// fitted range outside them (sklearn's `out_of_bounds="clip"`).
    #[must_use]
    pub fn predict(&self, score: f64) -> f64 {
        let (Some(&first), Some(&last)) = (self.xs.first(), self.xs.last()) else {
            return score;
        };
        if score <= first {
            return self.ys[0];
        }
        if score >= last {
            return self.ys[self.ys.len() - 1];
        }
        // First fitted score above `score`; 1 <= upper < len by the checks above.
        let upper = self.xs.partition_point(|&x| x <= score);
        let (x0, x1) = (self.xs[upper - 1], self.xs[upper]);
        let (y0, y1) = (self.ys[upper - 1], self.ys[upper]);
        // numpy.interp's formula, so results agree with sklearn to the last bits.
        let slope = (y1 - y0) / (x1 - x0);
        slope * (score - x0) + y0
    }

    /// Checks a calibrator read from a file: at least one point, as many probabilities as
    /// scores, all finite and in `[0, 1]`, scores ascending and probabilities
    /// non-decreasing (what [`IsotonicCalibrator::fit`] always makes).
    ///
    /// # Errors
    /// The first [`CalibratorProblem`] found.
    pub fn check(&self) -> Result<(), CalibratorProblem> {
        if self.xs.is_empty() {
            return Err(CalibratorProblem::Empty);
        }
        if self.xs.len() != self.ys.len() {
            return Err(CalibratorProblem::Lengths {
                scores: self.xs.len(),
                probabilities: self.ys.len(),
            });
        }
        for (field, values) in [("scores", &self.xs), ("probabilities", &self.ys)] {
            if let Some(index) = values.iter().position(|v| !(0.0..=1.0).contains(v)) {
                return Err(CalibratorProblem::NotProbability {
                    field,
                    index,
                    value: values[index],
                });
            }
        }
        for index in 1..self.xs.len() {
            let (previous, value) = (self.xs[index - 1], self.xs[index]);
            if value < previous {
                return Err(CalibratorProblem::ScoresNotAscending {
                    index,
                    value,
                    previous,
                });
            }
            let (previous, value) = (self.ys[index - 1], self.ys[index]);
            if value < previous {
                return Err(CalibratorProblem::NotMonotone {
                    index,
                    value,
                    previous,
                });
            }
        }
        Ok(())
    }

    /// Calibrated probabilities of many scores.
    #[must_use]
    pub fn predict_all(&self, scores: &[f64]) -> Vec<f64> {
        scores.iter().map(|&s| self.predict(s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pools_ties_and_violators() {
        // Scores 0.3 (labels 1,0,0) pool to 1/3, then merge with 0.2's 1 to (1+1)/4 = 0.5.
        let c = IsotonicCalibrator::fit(
            &[0.1, 0.2, 0.3, 0.3, 0.3, 0.9],
            &[false, true, true, false, false, true],
        )
        .unwrap();
        assert_eq!(c.xs, vec![0.1, 0.2, 0.3, 0.9]);
        assert_eq!(c.ys, vec![0.0, 0.5, 0.5, 1.0]);
        assert!((c.predict(0.6) - 0.75).abs() < 1e-15);
        assert!(c.predict(0.0).abs() < 1e-15);
    }

    #[test]
    fn rejects_scores_outside_the_unit_interval() {
        let err = IsotonicCalibrator::fit(&[0.2, 1.5], &[true, false]).unwrap_err();
        assert_eq!(
            err,
            EstimateError::NotProbability {
                index: 1,
                value: 1.5
            }
        );
    }

    #[test]
    fn a_fitted_calibrator_round_trips_through_json_and_checks() {
        let c =
            IsotonicCalibrator::fit(&[0.1, 0.2, 0.3, 0.9], &[false, true, false, true]).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"scores":[0.1,0.2,0.3,0.9],"probabilities":[0.0,0.5,0.5,1.0]}"#
        );
        let back: IsotonicCalibrator = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.check(), Ok(()));
    }

    #[test]
    fn check_names_the_bad_value() {
        let bad = |json: &str| {
            serde_json::from_str::<IsotonicCalibrator>(json)
                .unwrap()
                .check()
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            bad(r#"{"scores":[0.1,0.2],"probabilities":[0.6,0.4]}"#),
            "probabilities[1] is 0.4, below probabilities[0] = 0.6: the calibration must not decrease"
        );
        assert_eq!(
            bad(r#"{"scores":[0.1,0.2],"probabilities":[0.2,1.5]}"#),
            "probabilities[1] is 1.5, not a probability in [0, 1]"
        );
        assert_eq!(
            bad(r#"{"scores":[0.3,0.2],"probabilities":[0.2,0.4]}"#),
            "scores[1] is 0.2, below scores[0] = 0.3: scores must ascend"
        );
        assert_eq!(
            bad(r#"{"scores":[0.1],"probabilities":[0.2,0.4]}"#),
            "scores has 1 values but probabilities has 2"
        );
        assert_eq!(
            bad(r#"{"scores":[],"probabilities":[]}"#),
            "scores is empty; a calibrator needs at least one point"
        );
    }

    proptest! {
        #[test]
        fn fitted_map_is_monotone_and_in_unit_interval(
            rows in prop::collection::vec((0.0f64..=1.0, any::<bool>()), 1..200),
            probes in prop::collection::vec(0.0f64..=1.0, 1..50),
        ) {
            let (scores, labels): (Vec<f64>, Vec<bool>) = rows.into_iter().unzip();
            let c = IsotonicCalibrator::fit(&scores, &labels).unwrap();
            prop_assert!(c.ys.windows(2).all(|w| w[0] <= w[1]));
            let mut probes = probes;
            probes.sort_by(f64::total_cmp);
            let predicted = c.predict_all(&probes);
            prop_assert!(predicted.iter().all(|p| (0.0..=1.0).contains(p)));
            prop_assert!(predicted.windows(2).all(|w| w[0] <= w[1] + 1e-15));
        }
    }
}
