//! Sampling errors of the estimates, from the reference only (NannyML 0.13.1's
//! `sampling_error/binary_classification.py`).
//!
//! Each metric is written as a mean over the rows that matter to it (all rows for
//! accuracy, predicted positives for precision, positives for recall, ...). Its sampling
//! error for a chunk of `n` rows is the reference's standard deviation of those
//! row-level values over `sqrt(n * fraction)`, `fraction` being the share of rows that
//! matter, as the standard error of a mean.

use super::PerMetric;
use crate::classification::confusion_at;

/// Width of the confidence band in sampling errors (NannyML's `SAMPLING_ERROR_RANGE`).
pub const SAMPLING_ERROR_RANGE: f64 = 3.0;

/// What the reference contributes to one metric's sampling error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Components {
    /// Population standard deviation of the row-level values (NaN when there are none).
    std: f64,
    /// Share of rows the metric averages over.
    fraction: f64,
}

impl Components {
    /// The sampling error for a chunk of `rows` rows; `None` when the reference gives no
    /// rows to the metric.
    pub(super) fn sampling_error(self, rows: usize) -> Option<f64> {
        let error = self.std / (rows as f64 * self.fraction).sqrt();
        error.is_finite().then_some(error)
    }
}

/// Population standard deviation of `ones` values `v` and `zeros` values 0.
fn two_valued_std(ones: u64, zeros: u64, v: f64) -> f64 {
    let m = (ones + zeros) as f64;
    let mean = ones as f64 * v / m;
    ((ones as f64 * (v - mean).powi(2) + zeros as f64 * mean.powi(2)) / m).sqrt()
}

fn population_std(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// The components of every metric, from the labelled reference (inputs already checked).
pub(super) fn components(scores: &[f64], labels: &[bool], threshold: f64) -> PerMetric<Components> {
    let c = confusion_at(scores, labels, threshold);
    let n = scores.len() as f64;
    let relevant_f1 = c.tp + c.fp + c.fn_;
    // F1 = mean over TP, FP and FN rows of (TP ? 1 : 0) times this factor.
    let f1_factor = relevant_f1 as f64 / (0.5 * (c.fp + c.fn_) as f64 + c.tp as f64);
    PerMetric {
        roc_auc: auroc_components(scores, labels),
        accuracy: Components {
            std: two_valued_std(c.tp + c.tn, c.fp + c.fn_, 1.0),
            fraction: 1.0,
        },
        precision: Components {
            std: two_valued_std(c.tp, c.fp, 1.0),
            fraction: (c.tp + c.fp) as f64 / n,
        },
        recall: Components {
            std: two_valued_std(c.tp, c.fn_, 1.0),
            fraction: (c.tp + c.fn_) as f64 / n,
        },
        f1: Components {
            std: two_valued_std(c.tp, c.fp + c.fn_, f1_factor),
            fraction: relevant_f1 as f64 / n,
        },
    }
}

/// AUC as a Mann-Whitney statistic: the mean, over positives, of the share of negatives
/// scored below each (NannyML's `auroc_sampling_error_components`).
fn auroc_components(scores: &[f64], labels: &[bool]) -> Components {
    // The minority class plays "positive", as in NannyML.
    let flip = 2 * labels.iter().filter(|&&l| l).count() > labels.len();
    let mut order: Vec<usize> = (0..scores.len()).collect();
    let key = |i: usize| if flip { 1.0 - scores[i] } else { scores[i] };
    order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    let positive = |i: usize| labels[i] != flip;
    let n_pos = order.iter().filter(|&&i| positive(i)).count();
    let n_neg = (scores.len() - n_pos) as f64;
    // NannyML takes `np.unique(y_true * rank)[1:]`, which drops a positive at rank 0;
    // kept here so the numbers agree.
    let below: Vec<f64> = order
        .iter()
        .enumerate()
        .filter(|&(rank, &i)| rank > 0 && positive(i))
        .enumerate()
        .map(|(k, (rank, _))| (rank - k) as f64 / n_neg)
        .collect();
    Components {
        std: population_std(&below),
        fraction: n_pos as f64 / scores.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_error_is_the_standard_error_of_a_proportion() {
        // 3 of 4 decisions right: std = sqrt(0.75 * 0.25); for 100 rows / 10.
        let c = components(&[0.9, 0.8, 0.1, 0.2], &[true, false, false, false], 0.5);
        let error = c.accuracy.sampling_error(100).unwrap();
        assert!((error - (0.75f64 * 0.25).sqrt() / 10.0).abs() < 1e-15);
    }

    #[test]
    fn a_metric_without_rows_in_the_reference_has_no_error() {
        // Nothing predicted positive: precision has no rows.
        let c = components(&[0.1, 0.2], &[true, false], 0.5);
        assert_eq!(c.precision.sampling_error(10), None);
    }
}
