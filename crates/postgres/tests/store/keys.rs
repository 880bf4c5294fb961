//! The API keys of `scorewatch keys`: stored by digest, listed without it, revoked once,
//! and read back by every store on the database (as every replica reads them).

use scorewatch_core::StoreError;
use uuid::Uuid;

use crate::support::TestDb;

fn digest(byte: u8) -> [u8; 32] {
    [byte; 32]
}

#[test]
fn added_keys_are_listed_and_active_until_revoked() {
    let Some(db) = TestDb::new("added_keys_are_listed_and_active_until_revoked") else {
        return;
    };
    let store = db.open();
    let keys = store.api_keys();
    let ci = keys.add("ci deploy", digest(1)).unwrap();
    let laptop = keys.add("alice's laptop", digest(2)).unwrap();
    assert_eq!(ci.name, "ci deploy");
    assert_eq!(ci.revoked_at, None);

    let listed = keys.list().unwrap();
    assert_eq!(listed, vec![ci.clone(), laptop.clone()]);

    // A second store on the database, as another replica: sees both keys.
    let replica = db.open().api_keys();
    let active = replica.active().unwrap();
    assert_eq!(active.len(), 2);
    assert!(
        active
            .iter()
            .any(|k| k.id == ci.id && k.sha256 == digest(1))
    );

    let revoked = keys.revoke(ci.id).unwrap().expect("the key exists");
    let first_revocation = revoked.revoked_at.expect("revoked");
    let again = keys.revoke(ci.id).unwrap().expect("the key exists");
    assert_eq!(again.revoked_at, Some(first_revocation));

    let active = replica.active().unwrap();
    assert_eq!(
        active.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![laptop.id]
    );
    // Revoked keys stay listed, with their time.
    let listed = keys.list().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].revoked_at, Some(first_revocation));
}

#[test]
fn revoking_an_unknown_id_changes_nothing() {
    let Some(db) = TestDb::new("revoking_an_unknown_id_changes_nothing") else {
        return;
    };
    let keys = db.open().api_keys();
    keys.add("only", digest(3)).unwrap();
    assert_eq!(keys.revoke(Uuid::now_v7()).unwrap(), None);
    assert_eq!(keys.active().unwrap().len(), 1);
}

#[test]
fn a_bad_name_or_a_repeated_key_is_refused_and_stores_nothing() {
    let Some(db) = TestDb::new("a_bad_name_or_a_repeated_key_is_refused_and_stores_nothing") else {
        return;
    };
    let keys = db.open().api_keys();
    keys.add("first", digest(4)).unwrap();
    let err = keys.add("again", digest(4)).unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidRecord { field, .. } if field == "key_sha256"),
        "{err:?}"
    );
    let err = keys.add("two\nlines", digest(5)).unwrap_err();
    assert!(err.to_string().contains("field name"), "{err}");
    assert_eq!(keys.list().unwrap().len(), 1);
}

#[test]
fn a_key_digest_never_shows_in_debug_output() {
    let Some(db) = TestDb::new("a_key_digest_never_shows_in_debug_output") else {
        return;
    };
    let keys = db.open().api_keys();
    let added = keys.add("k", [0xab; 32]).unwrap();
    let active = keys.active().unwrap();
    assert_eq!(active[0].sha256, [0xab; 32]);
    // The id alone: no digest, in bytes or hex.
    assert_eq!(
        format!("{:?}", active[0]),
        format!("ActiveKey {{ id: {}, .. }}", added.id)
    );
}
