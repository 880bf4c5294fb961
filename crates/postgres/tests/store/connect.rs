//! Connection errors name host and database and never the password.

use scorewatch_core::StoreOptions;
use scorewatch_postgres::{ConnectError, DatabaseUrl, OpenError, PgStore, migrate};

use crate::support::{SERVER_ENV, TestDb, server, server_url_text};

/// A password no message may repeat.
const SECRET: &str = "n0t-Th3-p4ssw0rd";

fn open_err(url: &str) -> OpenError {
    let url = DatabaseUrl::parse(url).unwrap();
    PgStore::open(&url, &StoreOptions::default()).unwrap_err()
}

fn assert_no_secret(err: &OpenError) {
    let text = format!("{err} | {err:?} | {}", scorewatch_core::error_chain(err));
    assert!(!text.contains(SECRET), "the password leaked: {text}");
}

#[test]
fn a_refused_connection_names_host_port_and_database_not_the_password() {
    // Port 1 on loopback: nothing listens there, so the kernel refuses at once.
    let err = open_err(&format!("postgres://alice:{SECRET}@127.0.0.1:1/scores"));
    assert_no_secret(&err);
    let text = err.to_string();
    assert!(
        matches!(err, OpenError::Connect(ConnectError::Unreachable { .. })),
        "{err:?}"
    );
    assert!(
        text.contains("postgres://alice@127.0.0.1:1/scores"),
        "{text}"
    );
    assert!(text.contains("refused"), "{text}");
}

#[test]
fn wrong_credentials_name_the_user_and_database_not_the_password() {
    const TEST: &str = "wrong_credentials_name_the_user_and_database_not_the_password";
    let Some(server) = server(TEST) else { return };
    let wrong = format!(
        "postgres://scorewatch_no_such_user:{SECRET}@{}:{}/{}",
        server.host(),
        server.port(),
        server.database()
    );
    let err = open_err(&wrong);
    assert_no_secret(&err);
    assert!(
        matches!(err, OpenError::Connect(ConnectError::Authentication { .. })),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("scorewatch_no_such_user"), "{text}");
    assert!(text.contains(server.database()), "{text}");
}

#[test]
fn a_wrong_password_for_a_real_user_is_an_authentication_error() {
    const TEST: &str = "a_wrong_password_for_a_real_user_is_an_authentication_error";
    let Some(server) = server(TEST) else { return };
    let real = server.to_string(); // postgres://user@host:port/db
    let wrong = real.replacen('@', &format!(":{SECRET}@"), 1);
    let err = open_err(&wrong);
    assert_no_secret(&err);
    assert!(
        matches!(err, OpenError::Connect(ConnectError::Authentication { .. })),
        "{err:?}"
    );
}

#[test]
fn a_missing_database_is_named_and_the_password_is_not() {
    const TEST: &str = "a_missing_database_is_named_and_the_password_is_not";
    let Some(server) = server(TEST) else { return };
    let missing = server.with_database("scorewatch_no_such_database");
    let err = migrate(&missing).unwrap_err();
    assert_no_secret(&err);
    match &err {
        OpenError::Connect(ConnectError::MissingDatabase { database, .. }) => {
            assert_eq!(database, "scorewatch_no_such_database");
        }
        other => panic!("expected MissingDatabase, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(&server.host()), "{text}");
}

#[test]
fn the_configured_password_never_shows_in_a_failure_either() {
    // The real password of the test server, in a failure that echoes as much as it can.
    const TEST: &str = "the_configured_password_never_shows_in_a_failure_either";
    let Some(db) = TestDb::new(TEST) else { return };
    let Some(url) = server_url_text() else { return };
    let Some(password) = password_of(&url) else {
        return; // a server without a password has nothing to leak
    };
    let named = [db.url.user(), db.url.database(), &db.url.host()].join(" ");
    assert!(
        !named.contains(&password),
        "{SERVER_ENV}'s password is part of its user, host or database name, so this test \
         cannot tell a leak from the name; give the test role another password"
    );
    let missing = db.url.with_database("scorewatch_no_such_database");
    let err = migrate(&missing).unwrap_err();
    let text = format!("{err} | {err:?} | {}", scorewatch_core::error_chain(&err));
    assert!(!text.contains(&password), "the password leaked: {text}");
    assert!(!format!("{:?} {}", db.url, db.url).contains(&password));
}

fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split('/').next()?.rsplit_once('@')?.0;
    Some(userinfo.split_once(':')?.1.to_owned()).filter(|p| !p.is_empty())
}

#[test]
fn the_pool_replaces_connections_the_server_closed() {
    const TEST: &str = "the_pool_replaces_connections_the_server_closed";
    let Some(db) = TestDb::new(TEST) else { return };
    let Some(server) = server(TEST) else { return };
    let store = db.open();
    let keys = store.api_keys();
    assert!(keys.list().unwrap().is_empty());
    // What a database restart does to the pool: every session ends under it.
    scorewatch_postgres::testing::execute(
        &server,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{}' AND pid <> pg_backend_pid()",
            db.name()
        ),
    )
    .unwrap();
    // The next calls get fresh connections, with no restart of the store.
    for _ in 0..3 {
        assert!(keys.list().unwrap().is_empty());
    }
}
