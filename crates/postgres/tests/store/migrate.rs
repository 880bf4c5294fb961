//! Embedded migrations: applied once, safe to race, and a newer schema refused.

use std::sync::Arc;

use scorewatch_core::StoreOptions;
use scorewatch_postgres::{OpenError, PgStore, latest_version, migrate};

use crate::support::TestDb;

#[test]
fn a_fresh_database_is_migrated_once_and_a_second_run_changes_nothing() {
    const TEST: &str = "a_fresh_database_is_migrated_once_and_a_second_run_changes_nothing";
    let Some(db) = TestDb::new(TEST) else { return };
    let first = migrate(&db.url).unwrap();
    // Every embedded migration, in order.
    assert_eq!(first.applied, (1..=latest_version()).collect::<Vec<_>>());
    assert_eq!(first.version, latest_version());
    // This month and the next two.
    assert_eq!(first.partitions_created, 3);
    let second = migrate(&db.url).unwrap();
    assert!(second.applied.is_empty(), "{second:?}");
    assert_eq!(second.version, latest_version());
    assert_eq!(second.partitions_created, 0);
}

#[test]
fn replicas_migrating_at_once_apply_each_migration_once() {
    const TEST: &str = "replicas_migrating_at_once_apply_each_migration_once";
    let Some(db) = TestDb::new(TEST) else { return };
    let url = Arc::new(db.url.clone());
    let barrier = Arc::new(std::sync::Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (url, barrier) = (Arc::clone(&url), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                migrate(&url)
            })
        })
        .collect();
    let reports: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    let mut applied: Vec<i64> = reports.iter().flat_map(|r| r.applied.clone()).collect();
    applied.sort_unstable();
    assert_eq!(
        applied,
        (1..=latest_version()).collect::<Vec<_>>(),
        "{reports:?}"
    );
    let partitions: i32 = reports.iter().map(|r| r.partitions_created).sum();
    assert_eq!(partitions, 3, "{reports:?}");
}

#[test]
fn a_database_migrated_by_a_newer_build_is_refused_and_left_alone() {
    const TEST: &str = "a_database_migrated_by_a_newer_build_is_refused_and_left_alone";
    let Some(db) = TestDb::new(TEST) else { return };
    let store = db.open();
    // What a newer scorewatch would have recorded after applying its migration 2.
    store_exec(
        &store,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', true, '\\x00', 0)",
    );
    drop(store);
    let err = PgStore::open(&db.url, &StoreOptions::default()).unwrap_err();
    match &err {
        OpenError::SchemaTooNew {
            found, supported, ..
        } => {
            assert_eq!(*found, 9999);
            assert_eq!(*supported, latest_version());
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(db.name()), "{text}");
    assert!(text.contains("newer than this build"), "{text}");
}

/// Runs one statement on the store's database.
fn store_exec(store: &PgStore, sql: &str) {
    scorewatch_postgres::testing::execute(store.url(), sql).unwrap();
}
