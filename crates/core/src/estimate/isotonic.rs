//! Isotonic calibration by pool-adjacent-violators, as NannyML's `IsotonicCalibrator`.

use super::EstimateError;

/// A non-decreasing map from scores to probabilities, fitted on labelled scores.
///
/// NannyML 0.13.1 calibrates with
/// `sklearn.isotonic.IsotonicRegression(out_of_bounds="clip", increasing=True)`; this
/// reproduces it: tied scores are pooled first (mean label, weighted by count), PAV makes
/// the means non-decreasing, and prediction interpolates linearly between the distinct
/// fitted scores and clips outside them.
#[derive(Debug, Clone, PartialEq)]
pub struct IsotonicCalibrator {
    /// Distinct reference scores, ascending.
    xs: Vec<f64>,
    /// Fitted probability at each of `xs`, non-decreasing.
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
