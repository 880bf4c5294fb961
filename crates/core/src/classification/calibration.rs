//! Calibration table and expected calibration error.

use serde::{Deserialize, Serialize};

use super::MetricsError;
use super::formulas::check_probabilities;

/// Number of equal-width bins of the calibration table.
pub const CALIBRATION_BINS: usize = 10;

/// One bin of a calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Lower edge (inclusive).
    pub lower: f64,
    /// Upper edge (exclusive, except the last bin which includes 1).
    pub upper: f64,
    /// Rows whose score falls in the bin.
    pub count: u64,
    /// Mean score of those rows; `None` for an empty bin.
    pub mean_score: Option<f64>,
    /// Share of positives among those rows; `None` for an empty bin.
    pub observed_rate: Option<f64>,
}

/// Calibration of probabilities in equal-width bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationTable {
    /// The bins, lowest first.
    pub bins: Vec<CalibrationBin>,
    /// Expected calibration error.
    pub ece: f64,
}

/// Calibration table over [`CALIBRATION_BINS`] equal-width bins of `[0, 1]`, and the
/// expected calibration error.
///
/// # Formula
/// Edges `e_i = i * 0.1` (as `numpy.linspace(0, 1, 11)`); a score `p` falls in the bin
/// `numpy.searchsorted(e[1:-1], p, side="right")`, exactly as
/// `sklearn.calibration.calibration_curve(strategy="uniform")`, so `p = 1` is in the last
/// bin. `ECE = sum_b (n_b / n) |mean(p in b) - mean(y in b)|` (Naeini et al., 2015,
/// "Obtaining well calibrated probabilities using Bayesian binning").
///
/// # Errors
/// [`MetricsError::NotProbability`] when a score is outside `[0, 1]`, and the input
/// errors of [`classification_metrics`](super::classification_metrics).
///
/// # Examples
/// ```
/// let table = scorewatch_core::calibration_table(&[0.05, 0.95], &[false, true])?;
/// assert!((table.ece - 0.05).abs() < 1e-12);
/// # Ok::<(), scorewatch_core::MetricsError>(())
/// ```
pub fn calibration_table(
    scores: &[f64],
    labels: &[bool],
) -> Result<CalibrationTable, MetricsError> {
    check_probabilities(scores, labels)?;
    let step = 1.0 / CALIBRATION_BINS as f64;
    let edges: Vec<f64> = (0..=CALIBRATION_BINS).map(|i| i as f64 * step).collect();
    let interior = &edges[1..CALIBRATION_BINS];
    let mut counts = [0u64; CALIBRATION_BINS];
    let mut score_sums = [0.0; CALIBRATION_BINS];
    let mut positives = [0u64; CALIBRATION_BINS];
    for (&p, &y) in scores.iter().zip(labels) {
        let bin = interior.partition_point(|&edge| edge <= p);
        counts[bin] += 1;
        score_sums[bin] += p;
        positives[bin] += u64::from(y);
    }
    let n = scores.len() as f64;
    let mut ece = 0.0;
    let bins = (0..CALIBRATION_BINS)
        .map(|b| {
            let (mean_score, observed_rate) = if counts[b] == 0 {
                (None, None)
            } else {
                let count = counts[b] as f64;
                let mean = score_sums[b] / count;
                let rate = positives[b] as f64 / count;
                ece += count / n * (mean - rate).abs();
                (Some(mean), Some(rate))
            };
            CalibrationBin {
                lower: edges[b],
                upper: edges[b + 1],
                count: counts[b],
                mean_score,
                observed_rate,
            }
        })
        .collect();
    Ok(CalibrationTable { bins, ece })
}
