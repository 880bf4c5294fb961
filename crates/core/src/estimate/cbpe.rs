//! The CBPE estimator: calibration fitted on the reference, estimates per chunk with
//! sampling errors, confidence bands and alerts (NannyML 0.13.1's `CBPE`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::chunking::{ChunkPeriod, ChunkRows, Chunking, period_chunks, size_chunks};
use super::expected::{MetricValues, expected_metrics, realized_metrics};
use super::isotonic::IsotonicCalibrator;
use super::sampling_error::{Components, SAMPLING_ERROR_RANGE, components};
use super::{EstimateError, PerMetric, check_scores};

/// One metric of one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// The estimates of one chunk: consecutive current rows, or the rows of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChunkEstimate {
    /// Zero-based index of the chunk's first row in the current data.
    pub start: usize,
    /// Rows in the chunk (the last chunk by size may be shorter).
    pub rows: usize,
    /// Start of the chunk's period (inclusive), for chunks by period.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub period_start: Option<OffsetDateTime>,
    /// End of the chunk's period (exclusive), for chunks by period.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub period_end: Option<OffsetDateTime>,
    /// Each metric's estimate, band and alert.
    #[serde(flatten)]
    pub metrics: PerMetric<MetricBand>,
}

/// What [`CbpeEstimator::estimate`] finds for a current data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstimateReport {
    /// Rows in the reference.
    pub reference_rows: usize,
    /// Rows in the current data.
    pub current_rows: usize,
    /// Decision threshold: a score `>= threshold` is a positive decision.
    pub threshold: f64,
    /// Chunk size, when chunked by size.
    pub chunk_size: Option<usize>,
    /// Chunk period (`1d`, ...), when chunked by period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "1d"))]
    pub chunk_period: Option<ChunkPeriod>,
    /// Estimates over all current rows.
    #[cfg_attr(feature = "openapi", schema(value_type = super::expected::MetricValuesSchema))]
    pub estimated: MetricValues,
    /// Realized metrics over all current rows, when labelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<super::expected::MetricValuesSchema>)
    )]
    pub realized: Option<MetricValues>,
    /// One entry per chunk, in row (or period) order; empty without chunking.
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
    chunking: Option<Chunking>,
    reference_rows: usize,
    components: PerMetric<Components>,
    /// `(lower, upper)` alert thresholds; `None` bounds never alert.
    alert_thresholds: PerMetric<(Option<f64>, Option<f64>)>,
}

/// The labelled rows CBPE is fitted on.
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    /// Scores, probabilities in `[0, 1]`.
    pub scores: &'a [f64],
    /// Observed outcomes, one per score.
    pub labels: &'a [bool],
    /// Each row's time, needed for alert thresholds when chunking by period (without
    /// them, chunks by period get no alert thresholds and never alert).
    pub timestamps: Option<&'a [OffsetDateTime]>,
}

/// Chunks of `rows` rows for `chunking`; `None` when chunking by period without
/// timestamps.
fn chunks_of(
    rows: usize,
    chunking: Chunking,
    timestamps: Option<&[OffsetDateTime]>,
) -> Option<Vec<ChunkRows>> {
    match chunking {
        Chunking::Size(size) => Some(size_chunks(rows, size)),
        Chunking::Period(period) => timestamps.map(|t| period_chunks(t, period)),
    }
}

/// Labels and timestamps, when given, must have one value per score.
fn check_lengths(
    scores: usize,
    labels: Option<usize>,
    timestamps: Option<&[OffsetDateTime]>,
) -> Result<(), EstimateError> {
    if let Some(labels) = labels
        && labels != scores
    {
        return Err(EstimateError::LengthMismatch { scores, labels });
    }
    if let Some(timestamps) = timestamps
        && timestamps.len() != scores
    {
        return Err(EstimateError::TimestampMismatch {
            scores,
            timestamps: timestamps.len(),
        });
    }
    Ok(())
}

/// The values at `rows`.
fn pick<T: Copy>(values: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&i| values[i]).collect()
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
        let reference = Reference {
            scores,
            labels,
            timestamps: None,
        };
        Self::fit_chunked(&reference, threshold, chunk_size.map(Chunking::Size), None)
    }

    /// As [`CbpeEstimator::fit`], for any [`Chunking`]; with `calibrator` (a model's
    /// stored one) the reference only gives the sampling errors and alert thresholds.
    ///
    /// # Errors
    /// As [`CbpeEstimator::fit`], and timestamps whose count differs from the scores'.
    pub fn fit_chunked(
        reference: &Reference<'_>,
        threshold: f64,
        chunking: Option<Chunking>,
        calibrator: Option<IsotonicCalibrator>,
    ) -> Result<Self, EstimateError> {
        let Reference {
            scores,
            labels,
            timestamps,
        } = *reference;
        if !(0.0..=1.0).contains(&threshold) {
            return Err(EstimateError::InvalidThreshold(threshold));
        }
        if chunking == Some(Chunking::Size(0)) {
            return Err(EstimateError::ZeroChunkSize);
        }
        check_scores(scores)?;
        check_lengths(scores.len(), Some(labels.len()), timestamps)?;
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
        let realized_chunks: Vec<MetricValues> = chunking
            .and_then(|c| chunks_of(scores.len(), c, timestamps))
            .unwrap_or_default()
            .iter()
            .map(|chunk| {
                realized_metrics(
                    &pick(scores, &chunk.rows),
                    &pick(labels, &chunk.rows),
                    threshold,
                )
            })
            .collect();
        let per_metric = |pick: fn(&MetricValues) -> Option<f64>| {
            let values: Vec<f64> = realized_chunks.iter().filter_map(pick).collect();
            alert_thresholds(&values)
        };
        let calibrator = match calibrator {
            Some(calibrator) => calibrator,
            None => IsotonicCalibrator::fit(scores, labels)?,
        };
        Ok(Self {
            calibrator,
            threshold,
            chunking,
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
    /// [`EstimateError`]: no rows, a score that is not a probability, lengths that differ,
    /// chunking by period (use [`CbpeEstimator::estimate_at`]).
    pub fn estimate(
        &self,
        scores: &[f64],
        labels: Option<&[bool]>,
    ) -> Result<EstimateReport, EstimateError> {
        self.estimate_at(scores, labels, None)
    }

    /// As [`CbpeEstimator::estimate`], with each row's time for chunking by period.
    ///
    /// # Errors
    /// As [`CbpeEstimator::estimate`]; [`EstimateError::TimestampsRequired`] when chunking
    /// by period without `timestamps`.
    pub fn estimate_at(
        &self,
        scores: &[f64],
        labels: Option<&[bool]>,
        timestamps: Option<&[OffsetDateTime]>,
    ) -> Result<EstimateReport, EstimateError> {
        check_scores(scores)?;
        check_lengths(scores.len(), labels.map(<[bool]>::len), timestamps)?;
        let chunks = match self.chunking {
            None => Vec::new(),
            Some(chunking) => chunks_of(scores.len(), chunking, timestamps)
                .ok_or(EstimateError::TimestampsRequired)?,
        };
        let calibrated = self.calibrator.predict_all(scores);
        let chunks = chunks
            .iter()
            .map(|chunk| self.chunk(chunk, scores, &calibrated, labels))
            .collect();
        Ok(EstimateReport {
            reference_rows: self.reference_rows,
            current_rows: scores.len(),
            threshold: self.threshold,
            chunk_size: match self.chunking {
                Some(Chunking::Size(size)) => Some(size),
                _ => None,
            },
            chunk_period: match self.chunking {
                Some(Chunking::Period(period)) => Some(period),
                _ => None,
            },
            estimated: expected_metrics(scores, &calibrated, self.threshold),
            realized: labels.map(|l| realized_metrics(scores, l, self.threshold)),
            chunks,
        })
    }

    fn chunk(
        &self,
        chunk: &ChunkRows,
        scores: &[f64],
        calibrated: &[f64],
        labels: Option<&[bool]>,
    ) -> ChunkEstimate {
        let rows = chunk.rows.len();
        let chunk_scores = pick(scores, &chunk.rows);
        let estimated = expected_metrics(
            &chunk_scores,
            &pick(calibrated, &chunk.rows),
            self.threshold,
        );
        let realized =
            labels.map(|l| realized_metrics(&chunk_scores, &pick(l, &chunk.rows), self.threshold));
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
            start: chunk.rows.iter().copied().min().unwrap_or(0),
            rows,
            period_start: chunk.period.map(|p| p.0),
            period_end: chunk.period.map(|p| p.1),
            metrics,
        }
    }
}
