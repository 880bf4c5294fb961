use std::path::PathBuf;

use scorewatch_core::{DataLayout, Store, StoreError, StoreOptions};

fn assert_refused(
    path_of: fn(&DataLayout) -> PathBuf,
    content: &[u8],
    check: fn(&StoreError) -> bool,
    must_mention: &[&str],
) {
    let dir = tempfile::tempdir().unwrap();
    drop(crate::helpers::open(dir.path()));
    let path = path_of(&DataLayout::new(dir.path()));
    std::fs::write(&path, content).unwrap();

    let err = Store::open(dir.path(), StoreOptions::default()).unwrap_err();
    assert!(check(&err), "unexpected error kind: {err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "{message} does not name {}",
        path.display()
    );
    for needle in must_mention {
        assert!(message.contains(needle), "{message} lacks {needle:?}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), content, "file was modified");
}

#[test]
fn metrics_with_bad_json_names_file_line_and_column() {
    assert_refused(
        DataLayout::model_metrics,
        b"{\n  \"schema_version\": 1,\n  \"history\": [\n    {\"timestamp\": oops}\n",
        |e| matches!(e, StoreError::Json { line: 4, .. }),
        &[":4:19:", "metrics history"],
    );
}

#[test]
fn drift_reports_with_unknown_schema_version() {
    assert_refused(
        DataLayout::drift_reports,
        b"{\"schema_version\": 99, \"reports\": []}\n",
        |e| {
            matches!(
                e,
                StoreError::SchemaVersion {
                    found: Some(99),
                    ..
                }
            )
        },
        &["schema_version", "99"],
    );
}

#[test]
fn pipeline_status_with_wrong_shape() {
    assert_refused(
        DataLayout::pipeline_status,
        b"{\"schema_version\": 1, \"state\": \"sleeping\", \"runs\": []}\n",
        |e| matches!(e, StoreError::Json { .. }),
        &["pipeline status"],
    );
}

#[test]
fn metrics_without_schema_version() {
    assert_refused(
        DataLayout::model_metrics,
        b"{\"accuracy\": 0.95}\n",
        |e| matches!(e, StoreError::SchemaVersion { found: None, .. }),
        &["schema_version"],
    );
}

#[test]
fn predictions_log_with_wrong_header() {
    assert_refused(
        DataLayout::predictions_log,
        b"id,when,score\n1,2,0.5\n2,3,0.7",
        |e| matches!(e, StoreError::CsvHeader { .. }),
        &[":1:", "prediction_id"],
    );
}

#[test]
fn outcomes_log_with_wrong_header() {
    assert_refused(
        DataLayout::outcomes_log,
        b"prediction_id,actual\np1,1\n",
        |e| matches!(e, StoreError::CsvHeader { .. }),
        &[":1:", "prediction_id,timestamp,actual"],
    );
}

#[test]
fn corrupt_row_is_reported_with_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = crate::helpers::open(dir.path()).layout().outcomes_log();
    std::fs::write(
        &path,
        "prediction_id,timestamp,actual\np1,2026-03-01T12:00:00Z,1\np2,yesterday,0\n",
    )
    .unwrap();
    let store = crate::helpers::open(dir.path());
    let err = store
        .outcomes()
        .scan(&mut |_| Ok(std::ops::ControlFlow::Continue(())))
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("field timestamp"), "{message}");
    let err = store.outcomes().recent(5).unwrap_err().to_string();
    assert!(err.contains("field timestamp"), "{err}");
}
