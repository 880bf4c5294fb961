//! Archived prediction logs: naming, listing, scanning, and torn tails (read-only).

use std::fs::OpenOptions;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use scorewatch_core::{
    PredictionQuery, PredictionRecord, Store, StoreError, list_prediction_archives,
};

use crate::helpers::{features, open, prediction};

fn ids(records: &[PredictionRecord]) -> Vec<String> {
    records.iter().map(|r| r.prediction_id.clone()).collect()
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn archives(store: &Store) -> Vec<PathBuf> {
    list_prediction_archives(&store.layout().predictions_log()).unwrap()
}

fn scan_archives(store: &Store) -> Vec<PredictionRecord> {
    let mut out = Vec::new();
    store
        .predictions()
        .scan_archives(&mut |p| {
            out.push(p);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    out
}

fn scan_all(store: &Store) -> Vec<PredictionRecord> {
    let mut out = Vec::new();
    store
        .predictions()
        .scan_all(&mut |p| {
            out.push(p);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    out
}

/// Logs `v1` rows with features [a], then `v2` with [a, b], then `v1` again with [a]:
/// two archives and a current log. Returns the three batches.
fn three_logs(store: &Store) -> [Vec<PredictionRecord>; 3] {
    let first: Vec<_> = (0..4).map(|i| prediction(i, "v1", 1)).collect();
    let second: Vec<_> = (4..7).map(|i| prediction(i, "v2", 2)).collect();
    let third: Vec<_> = (7..9).map(|i| prediction(i, "v1", 1)).collect();
    let p = store.predictions();
    p.append(&features(&["a"]), &first).unwrap();
    p.append(&features(&["a", "b"]), &second).unwrap();
    p.append(&features(&["a"]), &third).unwrap();
    [first, second, third]
}

#[test]
fn archives_list_oldest_first_by_stamp_then_suffix_and_skip_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let monitoring = store.layout().monitoring_dir();
    let header = "prediction_id,timestamp,model_version,score,decision\n";
    for name in [
        "predictions_log.20260102T000000Z.csv",
        "predictions_log.20260101T000000Z-10.csv",
        "predictions_log.20260101T000000Z.csv",
        "predictions_log.20260101T000000Z-3.csv",
        "predictions_log.20260101T000000Z-2.csv",
        // Not archives: a hand-made backup, a temporary name, a suffix a switch never
        // writes, a malformed stamp, and another log's archive.
        "predictions_log.backup.csv",
        "predictions_log.20260101T000000Z.csv.tmp",
        "predictions_log.20260101T000000Z-1.csv",
        "predictions_log.2026010XT000000Z.csv",
        "outcomes_log.20260101T000000Z.csv",
    ] {
        std::fs::write(monitoring.join(name), header).unwrap();
    }
    std::fs::create_dir(monitoring.join("predictions_log.20260103T000000Z.csv")).unwrap();

    assert_eq!(
        names(&archives(&store)),
        [
            "predictions_log.20260101T000000Z.csv",
            "predictions_log.20260101T000000Z-2.csv",
            "predictions_log.20260101T000000Z-3.csv",
            "predictions_log.20260101T000000Z-10.csv",
            "predictions_log.20260102T000000Z.csv",
        ]
    );
}

#[test]
fn switches_name_archives_that_scan_oldest_first_and_scan_all_ends_with_the_current_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let [first, second, third] = three_logs(&store);

    let listed = archives(&store);
    assert_eq!(listed.len(), 2);
    for name in names(&listed) {
        // predictions_log.<YYYYMMDDTHHMMSSZ>[-N].csv
        let middle = name
            .strip_prefix("predictions_log.")
            .and_then(|n| n.strip_suffix(".csv"))
            .unwrap();
        let stamp = &middle[..16];
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T',
            "{name}"
        );
        assert!(
            middle[16..].is_empty() || middle[16..].starts_with('-'),
            "{name}"
        );
    }
    let header = |path: &Path| {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_owned()
    };
    assert!(header(&listed[0]).ends_with(",decision,a"));
    assert!(header(&listed[1]).ends_with(",decision,a,b"));

    let archived = scan_archives(&store);
    assert_eq!(archived, [first.clone(), second.clone()].concat());
    assert_eq!(archived[4].features.len(), 2, "read with its own header");
    assert_eq!(scan_all(&store), [first, second, third.clone()].concat());
    // The current log alone is unchanged.
    let mut current = Vec::new();
    store
        .predictions()
        .scan(&mut |p| {
            current.push(p);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    assert_eq!(current, third);

    // A visitor that breaks stops the whole scan.
    let mut seen = 0;
    store
        .predictions()
        .scan_all(&mut |_| {
            seen += 1;
            Ok(if seen == 5 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })
        .unwrap();
    assert_eq!(seen, 5);

    // Archives survive a reopen, unchanged.
    drop(store);
    let store = open(dir.path());
    assert_eq!(archives(&store), listed);
    assert_eq!(scan_archives(&store), archived);
}

#[test]
fn recent_reads_the_current_log_and_recent_with_features_follows_its_feature_set() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let [first, second, third] = three_logs(&store);
    let p = store.predictions();
    let newest_first = |rows: &[PredictionRecord]| rows.iter().rev().cloned().collect::<Vec<_>>();

    // GET /monitoring/predictions reads the tail of the current log only.
    assert_eq!(
        p.recent(&PredictionQuery::newest(100)).unwrap(),
        newest_first(&third)
    );

    // v1's rows are in the current log and in the first archive.
    let v1 = PredictionQuery {
        model_version: Some("v1".to_owned()),
        ..PredictionQuery::newest(100)
    };
    let all_v1 = [newest_first(&third), newest_first(&first)].concat();
    assert_eq!(
        ids(&p.recent_with_features(&features(&["a"]), &v1).unwrap()),
        ids(&all_v1)
    );
    // Offset and limit run across the logs.
    let page = p
        .recent_with_features(
            &features(&["a"]),
            &PredictionQuery {
                offset: 1,
                limit: 3,
                ..v1.clone()
            },
        )
        .unwrap();
    assert_eq!(ids(&page), ids(&all_v1[1..4]));
    // [a, b] is only in the second archive; the current log is not of that set.
    assert_eq!(
        p.recent_with_features(&features(&["a", "b"]), &PredictionQuery::newest(100))
            .unwrap(),
        newest_first(&second)
    );
    // `since` ends the read in the newest log that is older.
    let since = PredictionQuery {
        since: Some(third[0].timestamp),
        ..v1.clone()
    };
    assert_eq!(
        ids(&p.recent_with_features(&features(&["a"]), &since).unwrap()),
        ids(&newest_first(&third))
    );
    assert!(
        p.recent_with_features(&features(&["z"]), &v1)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_torn_last_line_in_an_archive_is_skipped_and_the_archive_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let [first, second, _] = three_logs(&store);
    let archive = archives(&store)[0].clone();
    // As a partial append that could not be cut back, then a switch, would leave it.
    let fragment = b"0190a1b2-torn,2026-03-01T12:";
    OpenOptions::new()
        .append(true)
        .open(&archive)
        .unwrap()
        .write_all(fragment)
        .unwrap();
    let bytes = std::fs::read(&archive).unwrap();
    drop(store);

    let store = open(dir.path());
    assert_eq!(store.open_report().predictions_dropped_bytes, 0);
    assert_eq!(scan_archives(&store), [first.clone(), second].concat());
    let v1 = PredictionQuery {
        model_version: Some("v1".to_owned()),
        ..PredictionQuery::newest(100)
    };
    let found = store
        .predictions()
        .recent_with_features(&features(&["a"]), &v1)
        .unwrap();
    assert!(found.ends_with(&first.iter().rev().cloned().collect::<Vec<_>>()));
    drop(store);
    assert_eq!(std::fs::read(&archive).unwrap(), bytes, "byte for byte");
}

#[test]
fn a_corrupt_archive_is_an_error_naming_it_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    three_logs(&store);
    let listed = archives(&store);

    // A complete row with a bad score on line 3 of the first archive.
    let text = std::fs::read_to_string(&listed[0]).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen(",0.01,", ",1.5,", 1);
    assert!(lines[2].contains(",1.5,"), "{}", lines[2]);
    let corrupt = lines.join("\n") + "\n";
    std::fs::write(&listed[0], &corrupt).unwrap();
    let err = store
        .predictions()
        .scan_all(&mut |_| Ok(ControlFlow::Continue(())))
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StoreError::CsvRow { .. }), "{message}");
    assert!(
        message.contains(&listed[0].display().to_string()),
        "{message}"
    );
    assert!(message.contains("line 3"), "{message}");

    // A file named like an archive without the log's columns.
    std::fs::write(&listed[1], "id,score\n1,0.5\n").unwrap();
    let err = store
        .predictions()
        .recent_with_features(&features(&["a", "b"]), &PredictionQuery::newest(1))
        .unwrap_err();
    assert!(matches!(err, StoreError::CsvHeader { .. }), "{err}");
    assert!(err.to_string().contains(&listed[1].display().to_string()));
    assert_eq!(std::fs::read_to_string(&listed[0]).unwrap(), corrupt);
    assert_eq!(
        std::fs::read_to_string(&listed[1]).unwrap(),
        "id,score\n1,0.5\n"
    );
}

#[test]
fn archived_logs_scan_with_the_feature_names_of_each_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let [first, second, _] = three_logs(&store);
    let mut seen = Vec::new();
    store
        .predictions()
        .scan_archived_logs(&mut |names, p| {
            seen.push((names.to_vec(), p));
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    let expected: Vec<_> = first
        .into_iter()
        .map(|p| (features(&["a"]), p))
        .chain(second.into_iter().map(|p| (features(&["a", "b"]), p)))
        .collect();
    assert_eq!(seen, expected);
}
