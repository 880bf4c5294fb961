//! Metrics history, drift reports, pipeline status and training sets.

use std::collections::BTreeMap;

use scorewatch_core::{
    DriftReport, DriftReportStore, MetricSource, MetricsEntry, MetricsHistory, PipelineState,
    PipelineStatus, PipelineStatusStore, RunOutcome, RunRecord, StoreOptions, TrainingSetName,
    TrainingSets,
};

use crate::support::{T0, TestDb, drift_report};

fn metrics_entry(source: MetricSource, accuracy: f64) -> MetricsEntry {
    MetricsEntry {
        timestamp: T0,
        source,
        model_version: Some("v1".to_owned()),
        metrics: BTreeMap::from([("accuracy".to_owned(), accuracy)]),
        undefined: BTreeMap::new(),
        rows: Some(10),
        posted_by: None,
        rejected_candidate: false,
        bands: BTreeMap::new(),
    }
}

fn run(id: &str) -> RunRecord {
    RunRecord {
        run_id: id.to_owned(),
        started_at: T0,
        finished_at: T0 + time::Duration::seconds(3),
        outcome: RunOutcome::Promoted,
        last_stage: None,
        model_version: Some("v2".to_owned()),
        error: None,
        stage_seconds: Vec::new(),
        data: Vec::new(),
    }
}

#[test]
fn metrics_history_is_bounded_per_source_oldest_first() {
    const TEST: &str = "metrics_history_is_bounded_per_source_oldest_first";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open_with(StoreOptions {
        metrics_retention: 3,
        ..StoreOptions::default()
    });
    let history = store.metrics();
    assert_eq!(history.latest().unwrap(), None);
    history
        .record(metrics_entry(MetricSource::Training, 0.9))
        .unwrap();
    for i in 0..5 {
        history
            .record(metrics_entry(MetricSource::Estimated, f64::from(i) / 10.0))
            .unwrap();
    }
    let kept = history.history().unwrap();
    // The training entry survives five estimated ones; only the newest three of those stay.
    assert_eq!(
        kept,
        vec![
            metrics_entry(MetricSource::Training, 0.9),
            metrics_entry(MetricSource::Estimated, 0.2),
            metrics_entry(MetricSource::Estimated, 0.3),
            metrics_entry(MetricSource::Estimated, 0.4),
        ]
    );
    assert_eq!(
        history.latest().unwrap(),
        Some(metrics_entry(MetricSource::Estimated, 0.4))
    );
}

#[test]
fn drift_reports_keep_the_newest_and_summarise() {
    const TEST: &str = "drift_reports_keep_the_newest_and_summarise";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open_with(StoreOptions {
        drift_retention: 2,
        ..StoreOptions::default()
    });
    let reports = store.drift_reports();
    assert_eq!(reports.latest().unwrap(), None);
    // A share other than the default's 0, so the summary's is seen to come from the report.
    let report = |id: &str| DriftReport {
        drifted_share: 0.25,
        ..drift_report(id)
    };
    for id in ["a", "b", "c"] {
        reports.save(report(id)).unwrap();
    }
    assert_eq!(reports.latest().unwrap(), Some(report("c")));
    assert_eq!(reports.get("b").unwrap(), Some(report("b")));
    assert_eq!(reports.get("a").unwrap(), None);
    let summaries = reports.summaries().unwrap();
    let ids: Vec<_> = summaries.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["b", "c"]);
    assert!((summaries[0].drifted_share - 0.25).abs() < f64::EPSILON);
}

#[test]
fn pipeline_status_round_trips_and_keeps_the_newest_runs() {
    const TEST: &str = "pipeline_status_round_trips_and_keeps_the_newest_runs";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open_with(StoreOptions {
        pipeline_runs_retention: 2,
        ..StoreOptions::default()
    });
    let status = store.pipeline_status();
    let empty = status.load().unwrap();
    assert_eq!(empty.state, PipelineState::Idle);
    assert!(empty.runs.is_empty());

    let first = PipelineStatus {
        state: PipelineState::Succeeded {
            run_id: "r1".to_owned(),
            model_version: "v2".to_owned(),
            finished_at: T0,
        },
        runs: vec![run("r1")],
        ..empty.clone()
    };
    status.save(first.clone()).unwrap();
    assert_eq!(status.load().unwrap(), first);

    let later = PipelineStatus {
        runs: vec![run("r1"), run("r2"), run("r3")],
        ..first
    };
    status.save(later.clone()).unwrap();
    let loaded = status.load().unwrap();
    let ids: Vec<_> = loaded.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["r2", "r3"]);
    assert_eq!(loaded.state, later.state);
}

#[test]
fn training_sets_are_replaced_whole_and_listed_with_their_summary() {
    const TEST: &str = "training_sets_are_replaced_whole_and_listed_with_their_summary";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let sets = store.training_sets();
    let name = TrainingSetName::parse("applications.csv").unwrap();
    assert!(!sets.exists(&name).unwrap());
    let err = sets.read(&name).unwrap_err();
    assert!(
        matches!(&err, scorewatch_core::StoreError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
    assert!(err.to_string().contains("applications.csv"), "{err}");

    sets.write(&name, b"a,b\n1,2\n3,4\n").unwrap();
    sets.write(&name, b"a,b\n1,2\n").unwrap();
    assert!(sets.exists(&name).unwrap());
    assert_eq!(sets.read(&name).unwrap(), b"a,b\n1,2\n");
    let listed = sets.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "applications.csv");
    assert_eq!(listed[0].rows, Some(1));
    assert_eq!(listed[0].bytes, 8);
    // printf 'a,b\n1,2\n' | sha256sum
    assert_eq!(
        listed[0].sha256,
        "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470"
    );
}
