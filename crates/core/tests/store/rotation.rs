//! Daily rotation of the prediction log, reads across the day boundary, interrupted
//! rotations, and retention deleting whole expired archives.

use std::num::NonZeroU32;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use scorewatch_core::{
    FilePredictionLog, FsyncPolicy, PredictionLog, PredictionQuery, PredictionRecord, Store,
    StoreOptions, list_prediction_archives,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::helpers::{T0, features, open, prediction};

const DAY: i64 = 86_400;

/// Prediction `i` of day `day` (0: T0's day, 2026-03-01).
fn on_day(day: i64, i: u64) -> PredictionRecord {
    let mut record = prediction(i, "v1", 3);
    record.timestamp =
        T0 + Duration::seconds(day * DAY) + Duration::seconds(i64::try_from(i).unwrap());
    record
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn archive_names(log: &Path) -> Vec<String> {
    names(&list_prediction_archives(log).unwrap())
}

fn ids(records: &[PredictionRecord]) -> Vec<String> {
    records.iter().map(|r| r.prediction_id.clone()).collect()
}

fn collect(
    scan: impl FnOnce(
        &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, scorewatch_core::StoreError>,
    ),
) -> Vec<PredictionRecord> {
    let mut out = Vec::new();
    scan(&mut |record| {
        out.push(record);
        Ok(ControlFlow::Continue(()))
    });
    out
}

fn scan_all(log: &dyn PredictionLog) -> Vec<PredictionRecord> {
    collect(|visit| log.scan_all(visit).unwrap())
}

/// Appends rows of days 0, 1, 2 (3, 2 and 1 rows), one batch a row.
fn three_days(log: &dyn PredictionLog) -> Vec<PredictionRecord> {
    let names = features(&["income", "age", "region"]);
    let rows = vec![
        on_day(0, 1),
        on_day(0, 2),
        on_day(0, 3),
        on_day(1, 1),
        on_day(1, 2),
        on_day(2, 1),
    ];
    for row in &rows {
        log.append(&names, std::slice::from_ref(row)).unwrap();
    }
    rows
}

#[test]
fn the_first_row_of_a_later_day_rotates_the_log_into_a_dated_archive() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let log = store.layout().predictions_log();
    let rows = three_days(store.predictions());

    assert_eq!(
        archive_names(&log),
        [
            "predictions_log.2026-03-01.csv",
            "predictions_log.2026-03-02.csv"
        ]
    );
    let current = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        current.lines().count(),
        2,
        "header and day 2's row: {current}"
    );
    // Every row is in exactly one file, in order.
    assert_eq!(ids(&scan_all(store.predictions())), ids(&rows));
}

#[test]
fn reads_of_the_current_feature_set_continue_across_the_day_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let rows = three_days(store.predictions());
    let predictions = store.predictions();

    let newest = predictions.recent(&PredictionQuery::newest(10)).unwrap();
    let mut expected = ids(&rows);
    expected.reverse();
    assert_eq!(ids(&newest), expected);
    // A page that starts in one file and ends in an older one.
    let page = predictions
        .recent(&PredictionQuery {
            offset: 2,
            limit: 3,
            ..PredictionQuery::default()
        })
        .unwrap();
    assert_eq!(ids(&page), expected[2..5]);
    // The rotated days are the current feature set's: `scan` has them, `scan_archives`
    // (older feature sets) not, and `scan_all` once.
    assert_eq!(ids(&collect(|v| predictions.scan(v).unwrap())), ids(&rows));
    assert!(collect(|v| predictions.scan_archives(v).unwrap()).is_empty());
    let names = features(&["income", "age", "region"]);
    let with_features = predictions
        .recent_with_features(&names, &PredictionQuery::newest(10))
        .unwrap();
    assert_eq!(ids(&with_features), expected);
}

#[test]
fn reads_by_time_skip_archives_that_ended_before_without_opening_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let rows = three_days(store.predictions());
    let log = store.layout().predictions_log();
    // Day 0's archive is made unreadable: a read that opened it would fail.
    let day0 = log.with_file_name("predictions_log.2026-03-01.csv");
    std::fs::write(&day0, "not,a,prediction,log\n").unwrap();
    let since = T0 + Duration::seconds(DAY) - Duration::hours(12);

    let page = store
        .predictions()
        .recent(&PredictionQuery {
            since: Some(since),
            ..PredictionQuery::default()
        })
        .unwrap();
    assert_eq!(
        ids(&page),
        [
            ids(&rows)[5].clone(),
            ids(&rows)[4].clone(),
            ids(&rows)[3].clone()
        ]
    );
    let newer = collect(|v| store.predictions().scan_since(since, v).unwrap());
    assert_eq!(ids(&newer), ids(&rows)[3..]);
    // A read that needs it names it.
    let err = store
        .predictions()
        .scan_all(&mut |_| Ok(ControlFlow::Continue(())))
        .unwrap_err();
    assert!(
        err.to_string().contains("predictions_log.2026-03-01.csv"),
        "{err}"
    );
}

#[test]
fn a_reopened_log_remembers_its_newest_day_and_rotates_on_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let names = features(&["income", "age", "region"]);
    {
        let store = open(dir.path());
        store.predictions().append(&names, &[on_day(0, 1)]).unwrap();
    }
    let store = open(dir.path());
    let log = store.layout().predictions_log();
    // Same day: appended to the current log.
    store.predictions().append(&names, &[on_day(0, 2)]).unwrap();
    assert!(archive_names(&log).is_empty());
    store.predictions().append(&names, &[on_day(1, 1)]).unwrap();
    assert_eq!(archive_names(&log), ["predictions_log.2026-03-01.csv"]);
    assert_eq!(scan_all(store.predictions()).len(), 3);
}

#[test]
fn a_feature_set_switch_and_later_days_keep_each_read_to_its_own_logs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let old = features(&["income", "age", "region"]);
    let new = features(&["income", "age"]);
    let old_row = prediction(1, "v1", 3);
    store
        .predictions()
        .append(&old, std::slice::from_ref(&old_row))
        .unwrap();
    // The switch is named by the wall clock; the new rows are of later days than it, as
    // when the server stamps them.
    let now = OffsetDateTime::now_utc();
    let mut a = prediction(2, "v2", 2);
    a.timestamp = now + Duration::days(1);
    store.predictions().append(&new, &[a.clone()]).unwrap();
    let mut b = prediction(3, "v2", 2);
    b.timestamp = now + Duration::days(2);
    store.predictions().append(&new, &[b.clone()]).unwrap();

    let log = store.layout().predictions_log();
    let listed = archive_names(&log);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[0].ends_with("Z.csv"), "the switch first: {listed:?}");
    assert!(
        !listed[1].ends_with("Z.csv"),
        "then the new set's day: {listed:?}"
    );
    let predictions = store.predictions();
    assert_eq!(
        ids(&collect(|v| predictions.scan(v).unwrap())),
        ids(&[a.clone(), b.clone()])
    );
    assert_eq!(
        ids(&collect(|v| predictions.scan_archives(v).unwrap())),
        ids(std::slice::from_ref(&old_row))
    );
    assert_eq!(
        ids(&predictions.recent(&PredictionQuery::newest(10)).unwrap()),
        ids(&[b, a])
    );
    assert_eq!(
        ids(&predictions
            .recent_with_features(&old, &PredictionQuery::newest(10))
            .unwrap()),
        ids(&[old_row])
    );
}

/// The states a rotation can be killed in, between its steps (see `rotation.rs`): each
/// is made by hand from a log of day 0 about to take a row of day 1.
#[derive(Debug, Clone, Copy)]
enum KilledAfter {
    /// Before the rename: nothing moved.
    Fsync,
    /// The log is in its dated archive, its successor not yet written.
    Rename,
    /// As `Rename`, and a restart's `init` recreated the log without feature columns.
    RenameThenInit,
    /// The successor is written: the rotation is complete.
    NewLog,
}

#[test]
fn a_rotation_killed_at_any_step_loses_and_duplicates_no_row() {
    let names = features(&["income", "age", "region"]);
    for killed in [
        KilledAfter::Fsync,
        KilledAfter::Rename,
        KilledAfter::RenameThenInit,
        KilledAfter::NewLog,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let day0 = [on_day(0, 1), on_day(0, 2)];
        let (log, tmp) = {
            let store = open(dir.path());
            store.predictions().append(&names, &day0).unwrap();
            (store.layout().predictions_log(), store.layout().tmp_dir())
        };
        let archive = log.with_file_name("predictions_log.2026-03-01.csv");
        let header = "prediction_id,timestamp,model_version,score,decision,income,age,region\n";
        match killed {
            KilledAfter::Fsync => {}
            KilledAfter::Rename => std::fs::rename(&log, &archive).unwrap(),
            KilledAfter::RenameThenInit => {
                std::fs::rename(&log, &archive).unwrap();
                std::fs::write(
                    &log,
                    "prediction_id,timestamp,model_version,score,decision\n",
                )
                .unwrap();
            }
            KilledAfter::NewLog => {
                std::fs::rename(&log, &archive).unwrap();
                std::fs::write(&log, header).unwrap();
            }
        }

        // Opened directly (no `init` to recreate a missing log) and through the store.
        let (direct, _) = FilePredictionLog::open(&log, &tmp, FsyncPolicy::Never).unwrap();
        assert_eq!(direct.feature_names().unwrap(), names, "{killed:?}");
        drop(direct);
        let store = open(dir.path());
        assert_eq!(
            ids(&scan_all(store.predictions())),
            ids(&day0),
            "{killed:?}"
        );
        let next = on_day(1, 1);
        store
            .predictions()
            .append(&names, std::slice::from_ref(&next))
            .unwrap();
        let all = scan_all(store.predictions());
        assert_eq!(
            ids(&all),
            ids(&[day0[0].clone(), day0[1].clone(), next]),
            "{killed:?}"
        );
        assert_eq!(
            archive_names(&log),
            ["predictions_log.2026-03-01.csv"],
            "{killed:?}"
        );
    }
}

fn retained(dir: &Path, days: u32) -> FilePredictionLog {
    let log = dir.join("monitoring/predictions_log.csv");
    let (opened, _) = FilePredictionLog::open(&log, &dir.join("tmp"), FsyncPolicy::Never).unwrap();
    opened.with_retention(NonZeroU32::new(days))
}

#[test]
fn retention_deletes_only_whole_archives_whose_every_row_expired() {
    let dir = tempfile::tempdir().unwrap();
    let log = {
        let store = open(dir.path());
        three_days(store.predictions());
        let names = features(&["income", "age", "region"]);
        store.predictions().append(&names, &[on_day(3, 1)]).unwrap();
        store.layout().predictions_log()
    };
    // An archive of the old layout (a switch's stamp) and a hand-made copy.
    std::fs::write(
        log.with_file_name("predictions_log.20260228T101500Z.csv"),
        "prediction_id,timestamp,model_version,score,decision\nold,2026-02-28T10:00:00Z,v0,0.5,1\n",
    )
    .unwrap();
    let backup = log.with_file_name("predictions_log.backup.csv");
    std::fs::write(&backup, "kept\n").unwrap();

    // Without a retention nothing goes.
    let now = datetime!(2026-03-06 12:00 UTC);
    assert!(
        retained(dir.path(), 0)
            .apply_retention(now)
            .unwrap()
            .is_empty()
    );

    // Three days before now is 2026-03-03 12:00: days 03-01 and 03-02 ended before it,
    // 03-03 did not (its rows run to midnight), and the current log is never deleted.
    let predictions = retained(dir.path(), 3);
    let deleted = predictions.apply_retention(now).unwrap();
    let summary: Vec<(String, u64)> = deleted
        .iter()
        .map(|d| {
            (
                d.path.file_name().unwrap().to_string_lossy().into_owned(),
                d.rows,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("predictions_log.20260228T101500Z.csv".to_owned(), 1),
            ("predictions_log.2026-03-01.csv".to_owned(), 3),
            ("predictions_log.2026-03-02.csv".to_owned(), 2),
        ]
    );
    assert_eq!(archive_names(&log), ["predictions_log.2026-03-03.csv"]);
    assert!(backup.exists());
    let left = scan_all(&predictions);
    assert_eq!(left.len(), 2);
    assert_eq!(
        predictions.oldest_day().unwrap(),
        Some(datetime!(2026-03-03 0:00 UTC).date())
    );
    // A second pass finds nothing more.
    assert!(predictions.apply_retention(now).unwrap().is_empty());
}

#[test]
fn the_store_applies_its_retention_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        three_days(store.predictions());
    }
    // Days of March 2026 are far more than a day before any run of this test.
    let store = Store::open(
        dir.path(),
        StoreOptions {
            fsync: FsyncPolicy::Never,
            prediction_retention_days: NonZeroU32::new(1),
            ..StoreOptions::default()
        },
    )
    .unwrap();
    assert!(archive_names(&store.layout().predictions_log()).is_empty());
    assert_eq!(
        scan_all(store.predictions()).len(),
        1,
        "the current log is kept"
    );
}
