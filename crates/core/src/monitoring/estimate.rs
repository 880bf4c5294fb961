//! Performance of the served model estimated without outcomes (CBPE) from its newest
//! unlabelled predictions, calibrated on its validation split.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::estimate::{CbpeEstimator, Chunking, EstimateError, EstimateReport, Reference};
use crate::model::ModelArtifact;
use crate::records::{MetricBounds, MetricSource, MetricsEntry, prediction_key};
use crate::store::{PredictionQuery, Store, outcome_labels};

use super::MonitorError;

/// Why the served model's performance cannot be estimated; the message says what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateUnavailable {
    /// A model trained before scorewatch kept the validation split's scores and labels.
    #[error(
        "model {version} has no calibration: it was trained before scorewatch stored the \
         validation scores and the calibrator in model.json; train a new model to estimate \
         performance without outcomes"
    )]
    NoValidationScores {
        /// The model version.
        version: String,
    },
    /// The validation split cannot give a calibration (one class only, ...).
    #[error("model {version} cannot be calibrated from its validation split: {source}")]
    Calibration {
        /// The model version.
        version: String,
        /// What is wrong.
        #[source]
        source: EstimateError,
    },
}

/// The CBPE estimator of `artifact`: its stored calibrator, or, for a model that has
/// validation scores but no calibrator, one fitted from them now. The validation split
/// also gives the sampling errors and, for chunks by size, the alert thresholds (it has
/// no timestamps, so chunks by period get none).
///
/// # Errors
/// [`EstimateUnavailable`] with the reason.
pub fn served_estimator(
    artifact: &ModelArtifact,
    chunking: Option<Chunking>,
) -> Result<CbpeEstimator, EstimateUnavailable> {
    let version = artifact.version.to_string();
    let Some(validation) = &artifact.validation_scores else {
        return Err(EstimateUnavailable::NoValidationScores { version });
    };
    let reference = Reference {
        scores: &validation.scores,
        labels: &validation.labels,
        timestamps: None,
    };
    CbpeEstimator::fit_chunked(
        &reference,
        artifact.threshold,
        chunking,
        artifact.calibrator.clone(),
    )
    .map_err(|source| EstimateUnavailable::Calibration { version, source })
}

/// The estimate over the newest unlabelled predictions of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServedEstimate {
    /// The model version whose predictions were estimated.
    pub model_version: String,
    /// Predictions of the model read (the newest ones), labelled or not.
    pub predictions_read: u64,
    /// Those of them without an outcome: the rows estimated.
    pub unlabelled_rows: u64,
    /// Timestamp of the oldest unlabelled row estimated.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub from: Option<OffsetDateTime>,
    /// Timestamp of the newest unlabelled row estimated.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub to: Option<OffsetDateTime>,
    /// The estimate, as `scorewatch estimate --format json` prints it; `null` when there
    /// is no unlabelled row (then `reason` says so).
    pub estimate: Option<EstimateReport>,
    /// Why there is no estimate, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Estimates the performance of `artifact`'s newest unlabelled predictions: of its
/// newest `window_rows` predictions (current log, then archives of its feature set
/// `features`), those without an outcome, oldest first so chunks are in time order;
/// chunks by period use each prediction's timestamp.
///
/// # Errors
/// [`MonitorError::Store`] when a log cannot be read, [`MonitorError::Unavailable`]
/// without a usable calibration, [`MonitorError::Estimate`] when the estimate fails.
pub fn estimate_of_newest_unlabelled(
    store: &Store,
    artifact: &ModelArtifact,
    features: &[String],
    window_rows: usize,
    chunking: Option<Chunking>,
) -> Result<ServedEstimate, MonitorError> {
    let estimator = served_estimator(artifact, chunking)?;
    let version = artifact.version.to_string();
    let labels = outcome_labels(store.outcomes())?;
    let records = store.predictions().recent_with_features(
        features,
        &PredictionQuery {
            model_version: Some(version.clone()),
            ..PredictionQuery::newest(window_rows)
        },
    )?;
    // Newest first from the log; reversed so that rows and chunks run forward in time.
    let (scores, timestamps): (Vec<f64>, Vec<OffsetDateTime>) = records
        .iter()
        .rev()
        .filter(|r| !labels.contains_key(&prediction_key(&r.prediction_id)))
        .map(|r| (r.score, r.timestamp))
        .unzip();
    let mut served = ServedEstimate {
        model_version: version.clone(),
        predictions_read: records.len() as u64,
        unlabelled_rows: scores.len() as u64,
        from: timestamps.iter().min().copied(),
        to: timestamps.iter().max().copied(),
        estimate: None,
        reason: None,
    };
    if scores.is_empty() {
        served.reason = Some(if records.is_empty() {
            format!("model {version} has no predictions yet")
        } else {
            format!(
                "all {} newest predictions of model {version} have an outcome: there is \
                 nothing to estimate (see the production metrics)",
                records.len()
            )
        });
        return Ok(served);
    }
    served.estimate = Some(estimator.estimate_at(&scores, None, Some(&timestamps))?);
    Ok(served)
}

/// The metrics history entry (source `estimated`) of the estimate over `artifact`'s
/// newest unlabelled predictions among its newest `window_rows`: each defined metric with
/// its band (estimate -/+ 3 sampling errors for that many rows). `Ok(None)` when there is
/// no unlabelled row. The caller records it (`store.metrics().record`), as with
/// [`drift_report_of_newest`](super::drift_report_of_newest).
///
/// # Errors
/// As [`estimate_of_newest_unlabelled`].
pub fn estimated_metrics_entry(
    store: &Store,
    artifact: &ModelArtifact,
    features: &[String],
    window_rows: usize,
) -> Result<Option<MetricsEntry>, MonitorError> {
    // One chunk holding every row gives the whole window's band.
    let served = estimate_of_newest_unlabelled(
        store,
        artifact,
        features,
        window_rows,
        Some(Chunking::Size(window_rows.max(1))),
    )?;
    let Some(report) = served.estimate else {
        return Ok(None);
    };
    let mut metrics = BTreeMap::new();
    let mut bands = BTreeMap::new();
    let mut undefined = BTreeMap::new();
    if let Some(whole) = report.chunks.first() {
        for (name, band) in whole.metrics.named() {
            match band.estimated {
                Some(value) => {
                    metrics.insert(name.to_owned(), value);
                    if let (Some(lower), Some(upper)) = (band.lower, band.upper) {
                        bands.insert(name.to_owned(), MetricBounds { lower, upper });
                    }
                }
                None => {
                    undefined.insert(
                        name.to_owned(),
                        "undefined for these rows (e.g. every calibrated score is 0 or 1)"
                            .to_owned(),
                    );
                }
            }
        }
    }
    Ok(Some(MetricsEntry {
        timestamp: OffsetDateTime::now_utc(),
        source: MetricSource::Estimated,
        model_version: Some(served.model_version),
        metrics,
        undefined,
        rows: Some(served.unlabelled_rows),
        posted_by: None,
        rejected_candidate: false,
        bands,
    }))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::model::tests::trained;
    use crate::records::{OutcomeRecord, PredictionRecord};
    use crate::store::StoreOptions;

    #[test]
    fn a_model_from_before_calibration_is_unavailable_with_the_reason() {
        let (mut artifact, _) = trained(400);
        artifact.calibrator = None;
        artifact.validation_scores = None;
        let err = served_estimator(&artifact, None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("model {} has no calibration", artifact.version))
                && text.contains("train a new model"),
            "{text}"
        );
    }

    #[test]
    fn a_model_with_validation_scores_but_no_calibrator_is_calibrated_from_them() {
        let (artifact, _) = trained(400);
        let stored = served_estimator(&artifact, None).unwrap();
        let mut old = artifact.clone();
        old.calibrator = None;
        let fitted = served_estimator(&old, None).unwrap();
        assert_eq!(fitted.calibrator(), stored.calibrator());
    }

    #[test]
    fn one_class_validation_scores_are_unavailable_not_an_error() {
        let (mut artifact, _) = trained(400);
        if let Some(v) = artifact.validation_scores.as_mut() {
            v.labels.iter_mut().for_each(|l| *l = false);
        }
        let err = served_estimator(&artifact, None).unwrap_err();
        assert!(err.to_string().contains("has no positive labels"), "{err}");
    }

    /// A store holding `scores` as predictions of `artifact` (a minute apart from
    /// 2026-03-01), the first `labelled` of them with an outcome.
    fn store_with(
        artifact: &ModelArtifact,
        scores: &[f64],
        labelled: usize,
    ) -> (tempfile::TempDir, Store, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data"), StoreOptions::default()).unwrap();
        let features: Vec<String> = artifact.schema.names().map(str::to_owned).collect();
        let start = datetime!(2026-03-01 00:00 UTC);
        let records: Vec<PredictionRecord> = scores
            .iter()
            .enumerate()
            .map(|(i, &score)| PredictionRecord {
                prediction_id: format!("p{i}"),
                timestamp: start + time::Duration::minutes(i64::try_from(i).unwrap()),
                model_version: artifact.version.to_string(),
                score,
                decision: u8::from(score >= artifact.threshold),
                features: vec![None; features.len()],
            })
            .collect();
        store.predictions().append(&features, &records).unwrap();
        let outcomes: Vec<OutcomeRecord> = (0..labelled)
            .map(|i| OutcomeRecord {
                prediction_id: format!("p{i}"),
                timestamp: start,
                actual: 1,
            })
            .collect();
        store.outcomes().append(&outcomes).unwrap();
        (dir, store, features)
    }

    #[test]
    fn the_estimated_entry_covers_the_unlabelled_rows_with_bands_and_is_not_saved() {
        let (artifact, valid) = trained(600);
        let scores: Vec<f64> = (0..300).map(|i| f64::from(i) / 300.0).collect();
        let (_dir, store, features) = store_with(&artifact, &scores, 100);

        let entry = estimated_metrics_entry(&store, &artifact, &features, 1000)
            .unwrap()
            .unwrap();
        assert_eq!(entry.source, MetricSource::Estimated);
        assert_eq!(entry.rows, Some(200));
        assert_eq!(
            entry.model_version.as_deref(),
            Some(artifact.version.as_str())
        );

        // The same numbers as CBPE fitted on the validation split, over the 200
        // predictions without an outcome.
        let expected = CbpeEstimator::fit(
            &artifact.validation_scores.as_ref().unwrap().scores,
            &valid.labels,
            artifact.threshold,
            Some(200),
        )
        .unwrap()
        .estimate(&scores[100..], None)
        .unwrap();
        for (name, band) in expected.chunks[0].metrics.named() {
            let Some(value) = band.estimated else {
                assert!(entry.undefined.contains_key(name), "{name}");
                continue;
            };
            assert!((entry.metrics[name] - value).abs() < 1e-12, "{name}");
            let bounds = entry.bands[name];
            assert!((bounds.lower - band.lower.unwrap()).abs() < 1e-12, "{name}");
            assert!((bounds.upper - band.upper.unwrap()).abs() < 1e-12, "{name}");
            assert!(bounds.lower <= value && value <= bounds.upper, "{name}");
        }
        // The caller saves it.
        assert!(store.metrics().history().unwrap().is_empty());
    }

    #[test]
    fn chunks_by_day_follow_the_prediction_timestamps() {
        let (artifact, _) = trained(600);
        // 3000 predictions a minute apart: 1440 on 03-01, 1440 on 03-02, 120 on 03-03.
        let scores: Vec<f64> = (0..3000).map(|i| f64::from(i % 97) / 97.0).collect();
        let (_dir, store, features) = store_with(&artifact, &scores, 0);
        let served = estimate_of_newest_unlabelled(
            &store,
            &artifact,
            &features,
            5000,
            Some(Chunking::Period("1d".parse().unwrap())),
        )
        .unwrap();
        let report = served.estimate.unwrap();
        let rows: Vec<usize> = report.chunks.iter().map(|c| c.rows).collect();
        assert_eq!(rows, [1440, 1440, 120]);
        assert_eq!(
            report.chunks[1].period_start,
            Some(datetime!(2026-03-02 00:00 UTC))
        );
        assert_eq!(served.from, Some(datetime!(2026-03-01 00:00 UTC)));
    }

    #[test]
    fn no_unlabelled_prediction_gives_no_estimate_and_says_why() {
        let (artifact, _) = trained(400);
        let (_dir, store, features) = store_with(&artifact, &[0.2, 0.7], 2);
        let served =
            estimate_of_newest_unlabelled(&store, &artifact, &features, 100, None).unwrap();
        assert!(served.estimate.is_none());
        assert_eq!(served.unlabelled_rows, 0);
        assert!(
            served
                .reason
                .as_deref()
                .unwrap()
                .contains("have an outcome"),
            "{:?}",
            served.reason
        );
        assert!(
            estimated_metrics_entry(&store, &artifact, &features, 100)
                .unwrap()
                .is_none()
        );
    }
}
