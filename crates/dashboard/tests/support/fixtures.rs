//! API answers for tests, shaped like the real API's (built from the shared core types).
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "test support: each test binary uses a different subset; a poisoned lock or bad fixture should fail the test"
)]

use std::collections::BTreeMap;

use scorewatch_core::views::{
    DriftSummary, DriftView, Health, MetricsView, ModelSummary, PredictionView, PredictionsPage,
    StorageProblem,
};
use scorewatch_core::{
    BinShare, Chi2Result, DataSource, DriftReport, DriftRule, DriftVerdict, FeatureDrift,
    FeatureKind, KsMethod, KsResult, MetricSource, MetricsEntry, PipelineState, PipelineStatus,
    PsiBand, RunOutcome, RunRecord, Stage, TrainingSetSummary, WindowSpec,
};
use time::OffsetDateTime;
use time::macros::datetime;

pub const MODEL: &str = "20260110-120000";
pub const OLD_MODEL: &str = "20260101-090000";
/// When the fake API acknowledges an alert.
pub const ACKED_AT: OffsetDateTime = datetime!(2026-01-12 12:05:00 UTC);

pub fn health() -> Health {
    Health {
        status: "ok".into(),
        version: "0.1.0".into(),
        model_version: Some(MODEL.into()),
        backend: "files".into(),
        replica: "host-4242".into(),
        uptime_seconds: 3723.0,
        resident_memory_bytes: Some(20_000_000),
        storage: None,
    }
}

/// Health of a server whose disk is full, as `/health` words it.
pub fn degraded_health() -> Health {
    Health {
        status: "degraded".into(),
        storage: Some(StorageProblem {
            message: "the data directory cannot be written: cannot append to \
                      data/monitoring/predictions_log.csv: No space left on device (os error \
                      28); free space or fix permissions, reads keep working"
                .into(),
            at: datetime!(2026-01-12 11:58:30 UTC),
        }),
        ..health()
    }
}

fn entry(
    timestamp: OffsetDateTime,
    source: MetricSource,
    version: &str,
    values: &[(&str, f64)],
) -> MetricsEntry {
    MetricsEntry {
        timestamp,
        source,
        model_version: Some(version.into()),
        metrics: values.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        undefined: BTreeMap::new(),
        rows: Some(1000),
        posted_by: None,
        rejected_candidate: false,
        bands: std::collections::BTreeMap::new(),
    }
}

pub fn metrics() -> MetricsView {
    let training = entry(
        datetime!(2026-01-10 12:00:00 UTC),
        MetricSource::Training,
        MODEL,
        &[
            ("roc_auc", 0.8123),
            ("gini", 0.6246),
            ("ks", 0.4711),
            ("accuracy", 0.7712),
            ("precision", 0.6534),
            ("recall", 0.5901),
            ("f1", 0.6201),
        ],
    );
    let validation = entry(
        datetime!(2026-01-10 12:00:01 UTC),
        MetricSource::Validation,
        MODEL,
        &[
            ("roc_auc", 0.7988),
            ("gini", 0.5976),
            ("ks", 0.4522),
            ("accuracy", 0.7645),
        ],
    );
    let production = entry(
        datetime!(2026-01-12 08:00:00 UTC),
        MetricSource::Production,
        MODEL,
        &[
            ("roc_auc", 0.7345),
            ("gini", 0.4690),
            ("ks", 0.3810),
            ("accuracy", 0.7301),
        ],
    );
    let old = entry(
        datetime!(2026-01-01 09:00:00 UTC),
        MetricSource::Training,
        OLD_MODEL,
        &[("roc_auc", 0.7901), ("gini", 0.5802)],
    );
    let mut manual = entry(
        datetime!(2026-01-11 10:00:00 UTC),
        MetricSource::Manual,
        MODEL,
        &[("accuracy", 0.95), ("precision", 0.82)],
    );
    manual.posted_by = Some("key-1".into());
    let history = vec![
        production.clone(),
        manual,
        validation.clone(),
        training.clone(),
        old,
    ];
    MetricsView {
        model: Some(ModelSummary {
            version: MODEL.into(),
            created_at: datetime!(2026-01-10 12:00:00 UTC),
            threshold: 0.5,
            training_rows: 8000,
            features: vec!["age".into(), "income".into(), "employment".into()],
        }),
        training: Some(training),
        validation: Some(validation),
        production: Some(production),
        estimated: None,
        history_total: history.len() as u64,
        history,
        predictions_total: 12_345,
        outcomes_total: 678,
    }
}

pub fn metrics_without_model() -> MetricsView {
    MetricsView {
        model: None,
        training: None,
        validation: None,
        production: None,
        estimated: None,
        history: Vec::new(),
        history_total: 0,
        predictions_total: 0,
        outcomes_total: 0,
    }
}

fn numeric(
    name: &str,
    psi: f64,
    band: PsiBand,
    statistic: f64,
    p: f64,
    drifted: bool,
) -> FeatureDrift {
    FeatureDrift {
        name: name.into(),
        kind: FeatureKind::Numeric,
        n_reference: 5000,
        n_current: 1000,
        missing_reference: 0.01,
        missing_current: 0.03,
        psi: Some(psi),
        psi_band: Some(band),
        bins: vec![
            BinShare {
                label: "[-inf, 30)".into(),
                reference_share: 0.3,
                current_share: 0.2,
            },
            BinShare {
                label: "[30, 50)".into(),
                reference_share: 0.4,
                current_share: 0.35,
            },
            BinShare {
                label: "[50, +inf)".into(),
                reference_share: 0.29,
                current_share: 0.42,
            },
            BinShare {
                label: "missing".into(),
                reference_share: 0.01,
                current_share: 0.03,
            },
        ],
        ks: Some(KsResult {
            statistic,
            p_value: p,
            method: KsMethod::Exact,
        }),
        chi2: None,
        drifted,
        reason: format!("PSI {psi:.3}"),
    }
}

pub fn drift_report(id: &str, computed_at: OffsetDateTime) -> DriftReport {
    let features = vec![
        numeric("age", 0.0312, PsiBand::Stable, 0.0412, 0.2113, false),
        numeric("income", 0.3187, PsiBand::Significant, 0.1534, 1.2e-9, true),
        FeatureDrift {
            name: "employment".into(),
            kind: FeatureKind::Categorical,
            n_reference: 5000,
            n_current: 1000,
            missing_reference: 0.0,
            missing_current: 0.002,
            psi: Some(0.1422),
            psi_band: Some(PsiBand::Moderate),
            bins: vec![
                BinShare {
                    label: "employed".into(),
                    reference_share: 0.7,
                    current_share: 0.6,
                },
                BinShare {
                    label: "self_employed".into(),
                    reference_share: 0.3,
                    current_share: 0.38,
                },
                BinShare {
                    label: "unseen".into(),
                    reference_share: 0.0,
                    current_share: 0.018,
                },
                BinShare {
                    label: "missing".into(),
                    reference_share: 0.0,
                    current_share: 0.002,
                },
            ],
            ks: None,
            chi2: Some(Chi2Result {
                statistic: 41.27,
                dof: 2,
                p_value: 1.1e-9,
            }),
            drifted: true,
            reason: "PSI band moderate".into(),
        },
    ];
    let verdict = DriftVerdict::judge(None, &features, 2.0 / 3.0, 0.5, true);
    DriftReport {
        id: id.into(),
        computed_at,
        reference: WindowSpec {
            description: format!("training profile of {MODEL}"),
            model_version: Some(MODEL.into()),
            from: None,
            to: None,
            rows: 5000,
        },
        current: WindowSpec {
            description: "newest 1000 predictions".into(),
            model_version: Some(MODEL.into()),
            from: None,
            to: None,
            rows: 1000,
        },
        rule: DriftRule::default(),
        dataset_drift_threshold: 0.5,
        features,
        score: None,
        drifted_share: 2.0 / 3.0,
        dataset_drift: true,
        verdict,
        data_quality: None,
    }
}

/// Issue 16: the score's PSI is significant (0.29) while only one feature in three drifted,
/// under the share threshold.
pub fn score_drift_report(id: &str, computed_at: OffsetDateTime) -> DriftReport {
    let mut report = drift_report(id, computed_at);
    report.features[2].drifted = false;
    report.drifted_share = 1.0 / 3.0;
    report.dataset_drift = false;
    report.score = Some(numeric(
        "score",
        0.29,
        PsiBand::Significant,
        0.2011,
        3.4e-12,
        true,
    ));
    report.verdict = DriftVerdict::judge(
        report.score.as_ref(),
        &report.features,
        report.drifted_share,
        report.dataset_drift_threshold,
        report.dataset_drift,
    );
    report
}

pub fn drift_view() -> DriftView {
    let latest = drift_report("drift-2", datetime!(2026-01-12 09:00:00 UTC));
    let older = drift_report("drift-1", datetime!(2026-01-11 09:00:00 UTC));
    DriftView {
        history: vec![DriftSummary::from(&latest), DriftSummary::from(&older)],
        report: Some(latest),
        by_segment: None,
    }
}

pub fn empty_drift_view() -> DriftView {
    DriftView {
        report: None,
        history: Vec::new(),
        by_segment: None,
    }
}

/// `n` predictions, newest first, one second apart.
pub fn predictions(n: usize) -> Vec<PredictionView> {
    let newest = datetime!(2026-01-12 10:00:00 UTC);
    (0..n)
        .map(|i| {
            let mut features = BTreeMap::new();
            features.insert("age".to_owned(), serde_json::json!(20 + i % 50));
            features.insert("employment".to_owned(), serde_json::json!("employed"));
            features.insert("income".to_owned(), serde_json::Value::Null);
            PredictionView {
                prediction_id: format!("pred-{i:05}"),
                timestamp: newest - time::Duration::seconds(i64::try_from(i).unwrap()),
                model_version: MODEL.into(),
                score: (i % 100) as f64 / 100.0,
                decision: u8::from(i % 100 >= 50),
                features,
            }
        })
        .collect()
}

/// A page of `all` as the API would cut it.
pub fn page(all: &[PredictionView], limit: usize, offset: usize) -> PredictionsPage {
    let end = (offset + limit).min(all.len());
    let start = offset.min(end);
    PredictionsPage {
        predictions: all[start..end].to_vec(),
        limit,
        offset,
        has_more: end < all.len(),
    }
}

pub fn pipeline_idle() -> PipelineStatus {
    PipelineStatus {
        schema_version: 1,
        state: PipelineState::Succeeded {
            run_id: "run-2".into(),
            model_version: MODEL.into(),
            finished_at: datetime!(2026-01-10 12:00:05 UTC),
        },
        runs: vec![
            RunRecord {
                run_id: "run-1".into(),
                started_at: datetime!(2026-01-09 08:00:00 UTC),
                finished_at: datetime!(2026-01-09 08:00:07 UTC),
                outcome: RunOutcome::Failed,
                last_stage: Some(Stage::Validating),
                model_version: None,
                error: Some(
                    "training file applications.csv line 12: column income is not a number".into(),
                ),
                stage_seconds: vec![(Stage::LoadingData, 2.0), (Stage::Validating, 5.0)],
                data: Vec::new(),
            },
            RunRecord {
                run_id: "run-2".into(),
                started_at: datetime!(2026-01-10 11:58:00 UTC),
                finished_at: datetime!(2026-01-10 12:00:05 UTC),
                outcome: RunOutcome::Promoted,
                last_stage: Some(Stage::Publishing),
                model_version: Some(MODEL.into()),
                error: None,
                stage_seconds: vec![(Stage::Training, 100.0)],
                data: vec![DataSource {
                    name: "applications.csv".into(),
                    rows: 8000,
                    sha256: None,
                }],
            },
        ],
    }
}

pub fn pipeline_running() -> PipelineStatus {
    PipelineStatus {
        state: PipelineState::Running {
            run_id: "run-3".into(),
            stage: Stage::Training,
            progress: 0.42,
            started_at: datetime!(2026-01-12 10:00:00 UTC),
        },
        ..pipeline_idle()
    }
}

pub fn training_sets() -> Vec<TrainingSetSummary> {
    let set = |name: &str, rows: Option<u64>, problem: Option<&str>| TrainingSetSummary {
        name: name.to_owned(),
        rows,
        bytes: 1000,
        sha256: "ab".repeat(32),
        modified: datetime!(2026-11-30 10:00 UTC),
        problem: problem.map(str::to_owned),
    };
    vec![
        set("applications.csv", Some(5000), None),
        set("broken.csv", None, Some("line 3: malformed csv")),
        set("q3.csv", Some(1200), None),
    ]
}

/// [`metrics`] with estimated entries (source `estimated`, with bands) every 6 hours after
/// the production entry, one missing run of them (a gap), and the newest as the view's
/// `estimated`.
pub fn metrics_with_estimate() -> MetricsView {
    let mut view = metrics();
    let times = [
        datetime!(2026-01-12 00:00:00 UTC),
        datetime!(2026-01-12 06:00:00 UTC),
        datetime!(2026-01-12 12:00:00 UTC),
        // No estimate for two days: the line breaks here.
        datetime!(2026-01-14 12:00:00 UTC),
        datetime!(2026-01-14 18:00:00 UTC),
    ];
    let aucs = [0.79, 0.785, 0.77, 0.74, 0.7812];
    for (timestamp, auc) in times.into_iter().zip(aucs) {
        let mut estimated = entry(
            timestamp,
            MetricSource::Estimated,
            MODEL,
            &[("roc_auc", auc), ("accuracy", 0.7421)],
        );
        estimated.rows = Some(250);
        estimated.bands = [
            ("roc_auc", auc - 0.0312, auc + 0.0288),
            ("accuracy", 0.7101, 0.7733),
        ]
        .into_iter()
        .map(|(name, lower, upper)| {
            (
                name.to_owned(),
                scorewatch_core::MetricBounds { lower, upper },
            )
        })
        .collect();
        view.estimated = Some(estimated.clone());
        view.history.insert(0, estimated);
    }
    view.history_total = view.history.len() as u64;
    view
}

/// Drift per segment of `employment`: one drifted, one stable, one too thin, worst first.
pub fn drift_segments() -> scorewatch_core::DriftSegments {
    use scorewatch_core::{SegmentDrift, SegmentStatus, VerdictReason};
    let window = |description: &str, rows| WindowSpec {
        description: description.into(),
        model_version: Some("20260110-080000".into()),
        from: None,
        to: None,
        rows,
    };
    let segment = |name: &str, rows: (u64, u64), psi: Option<f64>, status| {
        SegmentDrift {
        segment: name.into(),
        reference_rows: rows.0,
        current_rows: rows.1,
        status,
        score_psi: psi,
        score_psi_band: psi.map(PsiBand::from_psi),
        score_ks: psi.map(|p| KsResult {
            statistic: p / 2.0,
            p_value: 1e-6,
            method: KsMethod::Exact,
        }),
        drifted_features: if status == SegmentStatus::Drifted {
            vec!["income".into()]
        } else {
            Vec::new()
        },
        drifted_share: psi.map(|_| 0.0),
        verdict: psi.map(|p| DriftVerdict {
            status: if p >= 0.25 {
                scorewatch_core::VerdictStatus::Drifted
            } else {
                scorewatch_core::VerdictStatus::Stable
            },
            reasons: if p >= 0.25 {
                vec![VerdictReason::ScorePsi {
                    psi: p,
                    band: PsiBand::Significant,
                }]
            } else {
                Vec::new()
            },
        }),
        reason: match status {
            SegmentStatus::Insufficient => "too few rows to judge: 300 reference and 12 current, at least 100 needed on each side".into(),
            _ => "Score drift: PSI 0.41".into(),
        },
    }
    };
    scorewatch_core::DriftSegments {
        column: "employment".into(),
        min_rows: 100,
        reference: window("training set", 8000),
        current: window("newest 10000 predictions", 10000),
        computed_at: OffsetDateTime::UNIX_EPOCH,
        segments: vec![
            segment(
                "self_employed",
                (1600, 2100),
                Some(0.4123),
                SegmentStatus::Drifted,
            ),
            segment(
                "salaried",
                (6100, 7888),
                Some(0.0211),
                SegmentStatus::Stable,
            ),
            segment("unemployed", (300, 12), None, SegmentStatus::Insufficient),
            // A value the training set never had.
            SegmentDrift {
                reason: "not in the reference: a new segment, nothing to compare with".into(),
                ..segment("gig", (0, 118), None, SegmentStatus::Insufficient)
            },
        ],
    }
}

/// One alert as `GET /monitoring/alerts` lists it.
fn alert(
    id: &str,
    rule: scorewatch_core::AlertRule,
    severity: scorewatch_core::Severity,
    summary: &str,
    since: OffsetDateTime,
) -> scorewatch_core::Alert {
    scorewatch_core::Alert {
        id: id.into(),
        rule,
        subject: "score".into(),
        state: scorewatch_core::AlertState::Firing,
        severity,
        since,
        resolved_at: None,
        summary: summary.into(),
        details: serde_json::json!({ "psi": 0.2931, "band": "significant" }),
        acked_at: None,
        acked_by: None,
        last_notified_at: Some(since),
        delivery: scorewatch_core::DeliveryStatus::default(),
        clear_streak: 0,
    }
}

/// The alerts the fake API keeps, newest first: a critical score drift firing (one
/// webhook accepted it, another keeps refusing), a warning already acknowledged, and a
/// resolved pipeline failure.
pub fn alerts() -> Vec<scorewatch_core::Alert> {
    use scorewatch_core::{AlertRule, AlertState, DeliveryStatus, Severity};
    let mut score = alert(
        "0193a-score",
        AlertRule::ScoreDrift,
        Severity::Critical,
        "Score drift: PSI 0.29 (significant)",
        datetime!(2026-01-12 09:00:00 UTC),
    );
    score.delivery = DeliveryStatus {
        pending: 1,
        delivered: 1,
        failed: 0,
        last_delivered_at: Some(datetime!(2026-01-12 09:00:01 UTC)),
        last_error: Some("connection refused".into()),
    };
    let mut features = alert(
        "0193a-features",
        AlertRule::FeatureDrift,
        Severity::Warning,
        "Feature drift: 67% of features (threshold 50%)",
        datetime!(2026-01-12 08:00:00 UTC),
    );
    features.subject = MODEL.into();
    features.acked_at = Some(datetime!(2026-01-12 08:30:00 UTC));
    features.acked_by = Some("key-1".into());
    let mut pipeline = alert(
        "0193a-pipeline",
        AlertRule::PipelineFailed,
        Severity::Critical,
        "Pipeline run run-2 failed: training file applications.csv line 12",
        datetime!(2026-01-11 07:00:00 UTC),
    );
    pipeline.subject = "pipeline".into();
    pipeline.state = AlertState::Resolved;
    pipeline.resolved_at = Some(datetime!(2026-01-11 07:45:00 UTC));
    pipeline.delivery.failed = 1;
    vec![score, features, pipeline]
}

/// Production metrics per segment of `employment`, lowest AUC first: two with metrics,
/// one with too few labelled rows.
pub fn metrics_segments() -> scorewatch_core::MetricsSegments {
    use scorewatch_core::SegmentMetrics;
    let with_auc = |name: &str, rows, labelled, auc: f64| SegmentMetrics {
        segment: name.into(),
        rows,
        labelled_rows: labelled,
        positives: labelled / 5,
        positive_rate: Some(0.2),
        roc_auc: Some(auc),
        gini: Some(2.0 * auc - 1.0),
        ks: Some(0.3141),
        brier: Some(0.1502),
        unlabelled_rows: rows - labelled,
        estimated_roc_auc: None,
        estimated_accuracy: None,
        insufficient: None,
        undefined: BTreeMap::new(),
    };
    scorewatch_core::MetricsSegments {
        column: "employment".into(),
        min_rows: 100,
        threshold: 0.5,
        rows: 10_000,
        labelled_rows: 3_100,
        segments: vec![
            with_auc("self_employed", 2100, 700, 0.6123),
            with_auc("salaried", 7888, 2390, 0.8011),
            SegmentMetrics {
                segment: "unemployed".into(),
                rows: 12,
                labelled_rows: 10,
                positives: 3,
                positive_rate: Some(0.3),
                roc_auc: None,
                gini: None,
                ks: None,
                brier: None,
                unlabelled_rows: 2,
                estimated_roc_auc: None,
                estimated_accuracy: None,
                insufficient: Some("too few labelled rows: 10, at least 100 needed".into()),
                undefined: BTreeMap::new(),
            },
        ],
    }
}
