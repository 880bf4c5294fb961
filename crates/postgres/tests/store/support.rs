//! A database per test, and record builders.

use std::sync::atomic::{AtomicU32, Ordering};

use scorewatch_core::StoreOptions;
use scorewatch_postgres::testing::{create_database, drop_database};
use scorewatch_postgres::{DatabaseUrl, PgStore};
use time::OffsetDateTime;

#[path = "../../../core/tests/support/skip.rs"]
mod skip;

#[path = "../../../core/tests/support/records.rs"]
mod records;
pub use records::{T0, drift_report, features, prediction};

/// The server the tests create their databases on (`.ci/run` exports it).
pub const SERVER_ENV: &str = "SCOREWATCH_TEST_DATABASE_URL";

/// A database created for one test and dropped when it ends.
pub struct TestDb {
    server: DatabaseUrl,
    name: String,
    /// The test's own database.
    pub url: DatabaseUrl,
}

impl TestDb {
    /// A fresh database, or `None` when no server is configured (the test returns then;
    /// in CI that is a failure instead).
    pub fn new(test: &str) -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = server(test)?;
        let name = format!(
            "scorewatch_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000
        );
        create_database(&server, &name).unwrap();
        let url = server.with_database(&name);
        Some(Self { server, name, url })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The store over this database, migrated.
    pub fn open(&self) -> PgStore {
        PgStore::open(&self.url, &StoreOptions::default()).unwrap()
    }

    /// The store with other options.
    pub fn open_with(&self, options: StoreOptions) -> PgStore {
        PgStore::open(&self.url, &options).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Err(err) = drop_database(&self.server, &self.name) {
            // A failed drop leaves a database behind but must not hide the test's result.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("cannot drop test database {}: {err}\n", self.name).as_bytes(),
            );
        }
    }
}

/// The configured server, or `None` after `skip_or_fail`.
pub fn server(test: &str) -> Option<DatabaseUrl> {
    match std::env::var(SERVER_ENV) {
        Ok(url) if !url.is_empty() => Some(DatabaseUrl::parse(&url).unwrap()),
        _ => {
            skip::skip_or_fail(test, &format!("{SERVER_ENV} is not set"));
            None
        }
    }
}

/// The server's URL as configured, with its password (to build wrong ones from).
pub fn server_url_text() -> Option<String> {
    std::env::var(SERVER_ENV).ok().filter(|u| !u.is_empty())
}
