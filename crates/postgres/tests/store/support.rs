//! A database per test, and record builders.

use std::sync::atomic::{AtomicU32, Ordering};

use scorewatch_core::{PredictionRecord, StoreOptions};
use scorewatch_postgres::testing::{create_database, drop_database};
use scorewatch_postgres::{DatabaseUrl, PgStore};
use time::OffsetDateTime;
use time::macros::datetime;

#[path = "../../../core/tests/support/skip.rs"]
mod skip;

/// The server the tests create their databases on (`.ci/run` exports it).
pub const SERVER_ENV: &str = "SCOREWATCH_TEST_DATABASE_URL";

pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00:00 UTC);

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

pub fn features(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

/// Prediction `i`: one second after T0 per step, every second feature missing.
pub fn prediction(i: u64, version: &str, n_features: usize) -> PredictionRecord {
    PredictionRecord {
        prediction_id: uuid::Uuid::now_v7().to_string(),
        timestamp: T0 + time::Duration::seconds(i64::try_from(i).unwrap()),
        model_version: version.to_owned(),
        score: (i % 100) as f64 / 100.0,
        decision: u8::from(i % 100 >= 50),
        features: (0..n_features)
            .map(|f| (f != 1).then(|| format!("{}", i * 10 + f as u64)))
            .collect(),
    }
}
