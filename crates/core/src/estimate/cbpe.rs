//! The CBPE estimator: calibration fitted on the reference, estimates per chunk with
//! sampling errors, confidence bands and alerts (NannyML 0.13.1's `CBPE`).

use serde::{Deserialize, Serialize};

use super::expected::{MetricValues, expected_metrics, realized_metrics};
use super::isotonic::IsotonicCalibrator;
use super::sampling_error::{Components, SAMPLING_ERROR_RANGE, components};
use super::{EstimateError, PerMetric, check_scores};

/// One metric of one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricBand {
    /// The CBPE estimate.
    pub estimated: Option<f64>,
    /// Standard error of the estimate for a chunk of this size.
    pub sampling_error: Option<f64>,
    /// `estimated - 3 sampling_error`, at least 0.
    pub lower: Option<f64>,
    /// `estimated + 3 sampling_error`, at most 1.
    pub upper: Option<f64>,
    /// Mean - 3 std of the realized metric over the reference's chunks, at least 0.
    pub lower_threshold: Option<f64>,
    /// Mean + 3 std of the realized metric over the reference's chunks, at most 1.
    pub upper_threshold: Option<f64>,
    /// The estimate is outside `[lower_threshold, upper_threshold]`.
    pub alert: bool,
    /// The metric computed from the chunk's labels, when the current data has them
    /// (`null` when undefined for the chunk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized: Option<Option<f64>>,
}

/// The estimates of one chunk of consecutive current rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkEstimate {
    /// Zero-based index of the chunk's first row in the current data.
    pub start: usize,
    /// Rows in the chunk (the last chunk may be shorter).
    pub rows: usize,
    /// Each metric's estimate, band and alert.
    #[serde(flatten)]
    pub metrics: PerMetric<MetricBand>,
}

/// What [`CbpeEstimator::estimate`] finds for a current data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateReport {
    /// Rows in the reference.
    pub reference_rows: usize,
    /// Rows in the current data.
    pub current_rows: usize,
    /// Decision threshold: a score `>= threshold` is a positive decision.
    pub threshold: f64,
    /// Chunk size, when chunked.
    pub chunk_size: Option<usize>,
    /// Estimates over all current rows.
    pub estimated: MetricValues,
    /// Realized metrics over all current rows, when labelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized: Option<MetricValues>,
    /// One entry per chunk, in row order; empty without a chunk size.
    pub chunks: Vec<ChunkEstimate>,
}

/// A CBPE estimator fitted on a labelled reference.
///
/// # Examples
/// ```
/// use scorewatch_core::CbpeEstimator;
/// let scores = [0.1, 0.3, 0.35, 0.6, 0.8, 0.9];
/// let labels = [false, false, true, false, true, true];
/// let estimator = CbpeEstimator::fit(&scores, &labels, 0.5, Some(3))?;
/// let report = estimator.estimate(&[0.2, 0.7, 0.95], None)?;
/// assert_eq!(report.chunks.len(), 1);
/// assert!(report.estimated.accuracy.unwrap() > 0.5);
/// # Ok::<(), scorewatch_core::EstimateError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CbpeEstimator {
    calibrator: IsotonicCalibrator,
    threshold: f64,
    chunk_size: Option<usize>,
    reference_rows: usize,
    components: PerMetric<Components>,
    /// `(lower, upper)` alert thresholds; `None` bounds never alert.
    alert_thresholds: PerMetric<(Option<f64>, Option<f64>)>,
}

/// Row ranges of consecutive chunks; a shorter last chunk is kept (NannyML's
/// `SizeBasedChunker(incomplete='keep')`).
fn chunk_ranges(rows: usize, size: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..rows)
        .step_by(size)
        .map(move |start| start..(start + size).min(rows))
}

/// NannyML's `StandardDeviationThreshold` (mean -/+ 3 population std, NaN ignored),
/// clipped to the metric's range `[0, 1]`.
fn alert_thresholds(values: &[f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let lower = mean - 3.0 * std;
    let upper = mean + 3.0 * std;
    (Some(lower.max(0.0)), Some(upper.min(1.0)))
}

impl CbpeEstimator {
    /// Fits the calibrator, the sampling-error components and, with a chunk size, the
    /// alert thresholds (from the realized metrics of the reference's chunks).
    ///
    /// # Errors
    /// [`EstimateError`]: threshold outside `[0, 1]`, chunk size 0, empty reference,
    /// lengths that differ, a score that is not a probability, one class only.
    pub fn fit(
        scores: &[f64],
        labels: &[bool],
        threshold: f64,
        chunk_size: Option<usize>,
    ) -> Result<Self, EstimateError> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(EstimateError::InvalidThreshold(threshold));
        }
        if chunk_size == Some(0) {
            return Err(EstimateError::ZeroChunkSize);
        }
        check_scores(scores)?;
        if scores.len() != labels.len() {
            return Err(EstimateError::LengthMismatch {
                scores: scores.len(),
                labels: labels.len(),
            });
        }
        if !labels.contains(&true) {
            return Err(EstimateError::OneClass {
                missing: "positive",
            });
        }
        if !labels.contains(&false) {
            return Err(EstimateError::OneClass {
                missing: "negative",
            });
        }
        let realized_chunks: Vec<MetricValues> = chunk_size
            .map(|size| {
                chunk_ranges(scores.len(), size)
                    .map(|r| realized_metrics(&scores[r.clone()], &labels[r], threshold))
                    .collect()
            })
            .unwrap_or_default();
        let per_metric = |pick: fn(&MetricValues) -> Option<f64>| {
            let values: Vec<f64> = realized_chunks.iter().filter_map(pick).collect();
            alert_thresholds(&values)
        };
        Ok(Self {
            calibrator: IsotonicCalibrator::fit(scores, labels)?,
            threshold,
            chunk_size,
            reference_rows: scores.len(),
            components: components(scores, labels, threshold),
            alert_thresholds: PerMetric {
                roc_auc: per_metric(|m| m.roc_auc),
                accuracy: per_metric(|m| m.accuracy),
                precision: per_metric(|m| m.precision),
                recall: per_metric(|m| m.recall),
                f1: per_metric(|m| m.f1),
            },
        })
    }

    /// The fitted calibrator.
    #[must_use]
    pub fn calibrator(&self) -> &IsotonicCalibrator {
        &self.calibrator
    }

    /// Estimates the metrics of `scores`, overall and per chunk; `labels`, when known,
    /// add the realized metrics beside the estimates.
    ///
    /// # Errors
    /// [`EstimateError`]: no rows, a score that is not a probability, lengths that differ.
    pub fn estimate(
        &self,
        scores: &[f64],
        labels: Option<&[bool]>,
    ) -> Result<EstimateReport, EstimateError> {
        check_scores(scores)?;
        if let Some(labels) = labels
            && labels.len() != scores.len()
        {
            return Err(EstimateError::LengthMismatch {
                scores: scores.len(),
                labels: labels.len(),
            });
        }
        let calibrated = self.calibrator.predict_all(scores);
        let realized = |r: std::ops::Range<usize>| {
            labels.map(|l| realized_metrics(&scores[r.clone()], &l[r], self.threshold))
        };
        let chunks = self
            .chunk_size
            .map(|size| {
                chunk_ranges(scores.len(), size)
                    .map(|r| self.chunk(r.clone(), scores, &calibrated, realized(r)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(EstimateReport {
            reference_rows: self.reference_rows,
            current_rows: scores.len(),
            threshold: self.threshold,
            chunk_size: self.chunk_size,
            estimated: expected_metrics(scores, &calibrated, self.threshold),
            realized: realized(0..scores.len()),
            chunks,
        })
    }

    fn chunk(
        &self,
        range: std::ops::Range<usize>,
        scores: &[f64],
        calibrated: &[f64],
        realized: Option<MetricValues>,
    ) -> ChunkEstimate {
        let rows = range.len();
        let estimated = expected_metrics(
            &scores[range.clone()],
            &calibrated[range.clone()],
            self.threshold,
        );
        let realized = realized.map_or_else(PerMetric::default, |r| r.map(Some));
        let metrics = estimated
            .zip(self.components)
            .zip(self.alert_thresholds)
            .zip(realized)
            .map(
                |(((estimated, components), (lower_t, upper_t)), realized)| {
                    let sampling_error = components.sampling_error(rows);
                    let band = estimated.zip(sampling_error);
                    MetricBand {
                        estimated,
                        sampling_error,
                        lower: band.map(|(e, s)| (e - SAMPLING_ERROR_RANGE * s).max(0.0)),
                        upper: band.map(|(e, s)| (e + SAMPLING_ERROR_RANGE * s).min(1.0)),
                        lower_threshold: lower_t,
                        upper_threshold: upper_t,
                        alert: estimated.is_some_and(|e| {
                            lower_t.is_some_and(|t| e < t) || upper_t.is_some_and(|t| e > t)
                        }),
                        realized,
                    }
                },
            );
        ChunkEstimate {
            start: range.start,
            rows,
            metrics,
        }
    }
}
