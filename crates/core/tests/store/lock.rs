use scorewatch_core::{Store, StoreError, StoreOptions};

#[test]
fn second_store_on_locked_directory_fails_with_lock_message() {
    let dir = tempfile::tempdir().unwrap();
    let first = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let err = Store::open(dir.path(), StoreOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&dir.path().display().to_string()),
        "{message}"
    );
    assert!(message.contains("scorewatch.lock"), "{message}");
    assert!(message.contains("in use"), "{message}");
    drop(first);
    Store::open(dir.path(), StoreOptions::default()).expect("lock released when the store drops");
}
