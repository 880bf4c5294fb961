//! The alert book: read-modify-write in one transaction, bounded as the file backend.

use std::sync::{Arc, Barrier};

use scorewatch_core::{
    ALERTS_SCHEMA_VERSION, Alert, AlertState, AlertStore, StoreError, StoreOptions,
};
use scorewatch_postgres::testing::execute;

use crate::support::TestDb;

fn alert(id: &str, state: AlertState) -> Alert {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "rule": "score_drift",
        "subject": format!("subject-{id}"),
        "state": state,
        "severity": "warning",
        "since": "2026-03-01T12:00:00Z",
        "resolved_at": (state == AlertState::Resolved).then_some("2026-03-01T13:00:00Z"),
        "summary": "Score drift: PSI 0.29 (significant)",
        "details": {"psi": 0.29},
    }))
    .unwrap()
}

#[test]
fn an_empty_database_has_an_empty_book_and_an_unchanged_book_writes_nothing() {
    const TEST: &str = "an_empty_database_has_an_empty_book_and_an_unchanged_book_writes_nothing";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let alerts = store.alerts();
    let book = alerts.load().unwrap();
    assert_eq!(book.schema_version, ALERTS_SCHEMA_VERSION);
    assert!(book.alerts.is_empty() && book.outbox.is_empty());
    assert!(!alerts.update(&mut |_| {}).unwrap());

    assert!(
        alerts
            .update(&mut |book| book.alerts.push(alert("a1", AlertState::Firing)))
            .unwrap()
    );
    let book = alerts.load().unwrap();
    assert_eq!(book.alerts, [alert("a1", AlertState::Firing)]);
    assert_eq!(db.open().alerts().load().unwrap(), book);
    // The row is not left locked by the unchanged update (a second one would hang).
    assert!(!alerts.update(&mut |_| {}).unwrap());
    assert!(!alerts.update(&mut |_| {}).unwrap());
}

#[test]
fn resolved_alerts_beyond_the_retention_are_dropped_oldest_first() {
    const TEST: &str = "resolved_alerts_beyond_the_retention_are_dropped_oldest_first";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open_with(StoreOptions {
        alerts_retention: 2,
        ..StoreOptions::default()
    });
    let alerts = store.alerts();
    alerts
        .update(&mut |book| {
            book.alerts.push(alert("old", AlertState::Resolved));
            book.alerts.push(alert("firing", AlertState::Firing));
            book.alerts.push(alert("mid", AlertState::Resolved));
            book.alerts.push(alert("new", AlertState::Resolved));
        })
        .unwrap();
    let ids: Vec<String> = alerts
        .load()
        .unwrap()
        .alerts
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["firing", "mid", "new"]);
}

#[test]
fn concurrent_updates_from_two_replicas_lose_nothing() {
    const TEST: &str = "concurrent_updates_from_two_replicas_lose_nothing";
    const PER_REPLICA: usize = 25;
    let Some(db) = TestDb::new(TEST) else { return };
    let stores = [db.open(), db.open()];
    let barrier = Arc::new(Barrier::new(2));
    std::thread::scope(|scope| {
        for (replica, store) in stores.iter().enumerate() {
            let barrier = Arc::clone(&barrier);
            scope.spawn(move || {
                let alerts = store.alerts();
                barrier.wait();
                for i in 0..PER_REPLICA {
                    let id = format!("r{replica}-{i}");
                    assert!(
                        alerts
                            .update(&mut |book| book.alerts.push(alert(&id, AlertState::Firing)))
                            .unwrap()
                    );
                }
            });
        }
    });
    let book = stores[0].alerts().load().unwrap();
    assert_eq!(book.alerts.len(), 2 * PER_REPLICA);
    for replica in 0..2 {
        // Each replica's alerts in its own order: every update read the one before.
        let mine: Vec<&str> = book
            .alerts
            .iter()
            .map(|a| a.id.as_str())
            .filter(|id| id.starts_with(&format!("r{replica}-")))
            .collect();
        let expected: Vec<String> = (0..PER_REPLICA)
            .map(|i| format!("r{replica}-{i}"))
            .collect();
        assert_eq!(mine, expected);
    }
}

#[test]
fn a_panicking_change_writes_nothing_and_releases_the_book() {
    const TEST: &str = "a_panicking_change_writes_nothing_and_releases_the_book";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    let alerts = store.alerts();
    alerts
        .update(&mut |book| book.alerts.push(alert("a1", AlertState::Firing)))
        .unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        alerts.update(&mut |book| {
            book.alerts.clear();
            panic!("the change fails half-way");
        })
    }));
    assert!(panicked.is_err());
    // Another replica can still lock and change the book, and sees it unchanged.
    let other = db.open();
    assert!(
        other
            .alerts()
            .update(&mut |book| {
                assert_eq!(book.alerts.len(), 1);
                book.alerts.push(alert("a2", AlertState::Firing));
            })
            .unwrap()
    );
    assert_eq!(alerts.load().unwrap().alerts.len(), 2);
}

#[test]
fn a_book_of_another_layout_version_is_refused_by_name() {
    const TEST: &str = "a_book_of_another_layout_version_is_refused_by_name";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    execute(
        &db.url,
        "INSERT INTO alert_book (singleton, book)
         VALUES (true, '{\"schema_version\": 99, \"alerts\": [], \"outbox\": []}')",
    )
    .unwrap();
    let err = store.alerts().load().unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaVersion {
                found: Some(99),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("alert_book: field schema_version"),
        "{err}"
    );
}
