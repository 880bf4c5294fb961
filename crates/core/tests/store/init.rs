use scorewatch_core::{DataLayout, InitAction, PredictionQuery, init};

use crate::helpers::{features, metrics_entry, open, prediction, snapshot};

#[test]
fn init_creates_the_guide_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let layout = DataLayout::new(&root);
    let report = init(&layout).unwrap();
    assert!(
        report
            .entries
            .iter()
            .all(|e| e.action == InitAction::Created)
    );
    for dir in layout.directories() {
        assert!(dir.is_dir(), "{}", dir.display());
    }
    for file in [
        layout.model_metrics(),
        layout.predictions_log(),
        layout.drift_reports(),
        layout.outcomes_log(),
        layout.pipeline_status(),
    ] {
        assert!(file.is_file(), "{}", file.display());
    }
    assert_eq!(
        std::fs::read_to_string(layout.predictions_log()).unwrap(),
        "prediction_id,timestamp,model_version,score,decision\n"
    );
    assert_eq!(
        std::fs::read_to_string(layout.outcomes_log()).unwrap(),
        "prediction_id,timestamp,actual\n"
    );
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.model_metrics()).unwrap()).unwrap();
    assert_eq!(metrics["schema_version"], 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(layout.secrets_dir())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "secrets/ must be owner-only, got {mode:o}");
    }
}

#[test]
fn init_twice_changes_nothing_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let layout = DataLayout::new(dir.path());
    init(&layout).unwrap();
    {
        let store = open(dir.path());
        store
            .predictions()
            .append(&features(&["a"]), &[prediction(0, "v1", 1)])
            .unwrap();
        store.metrics().record(metrics_entry(0.9)).unwrap();
    }
    let before = snapshot(dir.path());
    let report = init(&layout).unwrap();
    assert!(report.entries.iter().all(|e| e.action == InitAction::Kept));
    assert_eq!(report.created(), 0);
    assert_eq!(snapshot(dir.path()), before, "second init changed a byte");

    let store = open(dir.path());
    assert_eq!(
        store
            .predictions()
            .recent(&PredictionQuery::newest(5))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.metrics().history().unwrap().len(), 1);
}

#[test]
fn init_restores_only_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let layout = DataLayout::new(dir.path());
    init(&layout).unwrap();
    std::fs::write(layout.model_metrics(), b"hand edited, kept as is").unwrap();
    std::fs::remove_file(layout.drift_reports()).unwrap();
    let report = init(&layout).unwrap();
    let created: Vec<_> = report
        .entries
        .iter()
        .filter(|e| e.action == InitAction::Created)
        .map(|e| e.path.clone())
        .collect();
    assert_eq!(created, vec![layout.drift_reports()]);
    assert_eq!(
        std::fs::read(layout.model_metrics()).unwrap(),
        b"hand edited, kept as is"
    );
}

#[test]
fn init_fails_with_the_path_when_it_cannot_create() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let err = init(&DataLayout::new(blocker.join("data"))).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("cannot create directory"), "{message}");
    assert!(message.contains("not-a-dir"), "{message}");

    let err = init(&DataLayout::new(&blocker)).unwrap_err();
    assert!(err.to_string().contains("cannot create directory"), "{err}");
    let cause = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(cause.as_deref(), Some("a file of that name exists"));
}
