use scorewatch_core::{
    DataLayout, DataQualitySummary, FeatureDrift, FeatureKind, MetricSource, MetricsEntry,
    PipelineState, PipelineStatus, PsiBand, RunOutcome, RunRecord, Store, StoreOptions,
    VerdictReason, VerdictStatus,
};

use crate::helpers::{T0, drift_report, metrics_entry};

#[test]
fn metrics_history_is_bounded_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        metrics_retention: 3,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), options).unwrap();
    assert_eq!(store.metrics().latest().unwrap(), None);
    for i in 0..5 {
        store
            .metrics()
            .record(metrics_entry(f64::from(i) / 10.0))
            .unwrap();
    }
    drop(store);
    let store = Store::open(dir.path(), options).unwrap();
    let history = store.metrics().history().unwrap();
    let accuracies: Vec<f64> = history.iter().map(|e| e.metrics["accuracy"]).collect();
    assert_eq!(accuracies, vec![0.2, 0.3, 0.4]);
    assert_eq!(store.metrics().latest().unwrap(), history.last().cloned());
}

#[test]
fn frequent_sources_never_push_out_a_models_training_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        metrics_retention: 2,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), options).unwrap();
    let with_source = |source, accuracy| MetricsEntry {
        source,
        ..metrics_entry(accuracy)
    };
    store
        .metrics()
        .record(with_source(MetricSource::Training, 0.9))
        .unwrap();
    for i in 0..5 {
        let accuracy = f64::from(i) / 10.0;
        store
            .metrics()
            .record(with_source(MetricSource::Estimated, accuracy))
            .unwrap();
    }
    let kept: Vec<(MetricSource, f64)> = store
        .metrics()
        .history()
        .unwrap()
        .iter()
        .map(|e| (e.source, e.metrics["accuracy"]))
        .collect();
    assert_eq!(
        kept,
        [
            (MetricSource::Training, 0.9),
            (MetricSource::Estimated, 0.3),
            (MetricSource::Estimated, 0.4),
        ]
    );
}

#[test]
fn drift_reports_keep_the_newest_and_summarise() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        drift_retention: 2,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), options).unwrap();
    for id in ["r1", "r2", "r3"] {
        store.drift_reports().save(drift_report(id)).unwrap();
    }
    drop(store);
    let store = Store::open(dir.path(), options).unwrap();
    let reports = store.drift_reports();
    assert_eq!(reports.latest().unwrap().unwrap().id, "r3");
    assert!(reports.get("r1").unwrap().is_none(), "oldest dropped");
    assert_eq!(reports.get("r2").unwrap().unwrap().id, "r2");
    let ids: Vec<String> = reports
        .summaries()
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, ["r2", "r3"]);
}

#[test]
fn pipeline_status_round_trips_with_bounded_runs() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        pipeline_runs_retention: 2,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), options).unwrap();
    let initial = store.pipeline_status().load().unwrap();
    assert_eq!(initial.state, PipelineState::Idle);
    let run = |n: u32| RunRecord {
        run_id: format!("run{n}"),
        started_at: T0,
        finished_at: T0,
        outcome: RunOutcome::Promoted,
        last_stage: None,
        model_version: None,
        error: None,
        stage_seconds: Vec::new(),
        data: Vec::new(),
    };
    let status = PipelineStatus {
        schema_version: 0,
        state: PipelineState::Failed {
            run_id: "run3".to_owned(),
            error: "boom".to_owned(),
            finished_at: T0,
        },
        runs: (1..=3).map(run).collect(),
    };
    store.pipeline_status().save(status).unwrap();
    drop(store);
    let store = Store::open(dir.path(), options).unwrap();
    let back = store.pipeline_status().load().unwrap();
    assert_eq!(back.schema_version, 1);
    assert!(matches!(back.state, PipelineState::Failed { .. }));
    let ids: Vec<&str> = back.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["run2", "run3"]);
}

#[test]
fn leftover_temporary_files_are_removed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = crate::helpers::open(dir.path()).layout().tmp_dir();
    std::fs::write(tmp.join("model_metrics.json.123.0.tmp"), b"{\"half").unwrap();
    let store = crate::helpers::open(dir.path());
    assert_eq!(store.open_report().tmp_files_removed, 1);
    assert!(std::fs::read_dir(&tmp).unwrap().next().is_none());
}

/// A `drift_reports.json` written before the report had a `verdict` still opens, and the
/// verdict it reads as is the one its saved numbers give: here the score's PSI is
/// significant while no feature drifted, so it reads as drifted by the score rule.
#[test]
fn issue_16_a_report_saved_without_a_verdict_loads_with_one_derived() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let mut report = drift_report("old");
    report.score = Some(score_entry(0.29));
    store.drift_reports().save(report).unwrap();
    drop(store);
    let path = DataLayout::new(dir.path()).drift_reports();
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let saved = doc["reports"][0].as_object_mut().unwrap();
    assert!(saved.remove("verdict").is_some(), "the new build writes it");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();

    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let loaded = store.drift_reports().latest().unwrap().unwrap();
    assert!(!loaded.dataset_drift);
    assert_eq!(loaded.verdict.status, VerdictStatus::Drifted);
    assert_eq!(
        loaded.verdict.reasons,
        [VerdictReason::ScorePsi {
            psi: 0.29,
            band: PsiBand::Significant
        }]
    );
}

/// A `drift_reports.json` written before reports had a `data_quality` section (this
/// document is what that build wrote, verbatim but for the feature list) still opens:
/// the old report reads without a section, a new report with one is saved beside it,
/// and both read back as saved.
#[test]
fn issue_16_a_report_saved_without_data_quality_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = DataLayout::new(dir.path()).drift_reports();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, OLD_DRIFT_REPORTS).unwrap();

    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let old = store.drift_reports().latest().unwrap().unwrap();
    assert_eq!(old.id, "019ad1c2-old");
    assert_eq!(old.current.rows, 200);
    assert_eq!(old.verdict.status, VerdictStatus::Stable);
    assert_eq!(old.data_quality, None);

    let mut new = drift_report("new");
    new.data_quality = Some(DataQualitySummary {
        model_version: Some("v1".to_owned()),
        rows: 10,
        from: Some(T0),
        to: Some(T0),
        features: Vec::new(),
    });
    store.drift_reports().save(new.clone()).unwrap();
    drop(store);

    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(
        store.drift_reports().get("019ad1c2-old").unwrap(),
        Some(old)
    );
    assert_eq!(store.drift_reports().latest().unwrap(), Some(new));
}

/// `drift_reports.json` as the build before the `data_quality` section wrote it.
const OLD_DRIFT_REPORTS: &str = r#"{
  "schema_version": 1,
  "reports": [
    {
      "id": "019ad1c2-old",
      "computed_at": "2026-12-01T12:00:00Z",
      "reference": {"description": "training data of model v1", "model_version": "v1", "rows": 1000},
      "current": {
        "description": "newest 200 predictions of model v1",
        "model_version": "v1",
        "from": "2026-12-01T11:00:00Z",
        "to": "2026-12-01T11:59:00Z",
        "rows": 200
      },
      "rule": {"rule": "psi_band", "min_band": "moderate"},
      "dataset_drift_threshold": 0.5,
      "features": [
        {
          "name": "age", "kind": "numeric", "n_reference": 1000, "n_current": 200,
          "missing_reference": 0.0, "missing_current": 0.05, "psi": 0.02,
          "psi_band": "stable", "bins": [], "ks": {"statistic": 0.04, "p_value": 0.9, "method": "exact"},
          "drifted": false, "reason": "PSI band stable"
        }
      ],
      "drifted_share": 0.0,
      "dataset_drift": false,
      "verdict": {"status": "stable", "reasons": []}
    }
  ]
}"#;

fn score_entry(psi: f64) -> FeatureDrift {
    FeatureDrift {
        name: "score".to_owned(),
        kind: FeatureKind::Numeric,
        n_reference: 100,
        n_current: 100,
        missing_reference: 0.0,
        missing_current: 0.0,
        psi: Some(psi),
        psi_band: Some(PsiBand::Significant),
        bins: Vec::new(),
        ks: None,
        chi2: None,
        drifted: true,
        reason: String::new(),
    }
}
