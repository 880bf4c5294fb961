//! The backend the API tests run on, and the PostgreSQL databases they get.
//!
//! The whole suite runs on the file backend by default. With
//! `SCOREWATCH_TEST_BACKEND=postgres` every app `spawn_with` starts gets a database of its
//! own on the server `SCOREWATCH_TEST_DATABASE_URL` names, so the same tests check the
//! same behaviour on both backends (`.ci/run` runs the suite once per backend). Tests
//! about the data directory's files say so with [`file_backend_only`].

use std::sync::atomic::{AtomicU32, Ordering};

use scorewatch_postgres::DatabaseUrl;
use scorewatch_postgres::testing::{create_database, drop_database};

/// The PostgreSQL server the tests create their databases on.
pub const SERVER_ENV: &str = "SCOREWATCH_TEST_DATABASE_URL";
/// Which backend `spawn_with` starts apps on: `files` (the default) or `postgres`.
const BACKEND_ENV: &str = "SCOREWATCH_TEST_BACKEND";

/// The backends the suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Files,
    Postgres,
}

/// The backend this run of the suite is on. An unknown value fails every test that
/// asks, rather than silently testing the default.
pub fn selected() -> TestBackend {
    match std::env::var(BACKEND_ENV).as_deref() {
        Err(_) | Ok("" | "files") => TestBackend::Files,
        Ok("postgres") => TestBackend::Postgres,
        Ok(other) => panic!("{BACKEND_ENV}={other:?}: expected files or postgres"),
    }
}

/// Whether a test about the data directory's own files (the CSV log, its archives, the
/// directory lock, a full disk) runs: it does on the file backend; on PostgreSQL it says
/// why it does not apply and returns false.
pub fn file_backend_only(test: &str) -> bool {
    if selected() == TestBackend::Files {
        return true;
    }
    eprintln!("{test}: about the file backend's data directory; not run on PostgreSQL");
    false
}

/// The password of the test server's URL, for the checks that it is never shown.
pub fn server_password() -> String {
    let url = std::env::var(SERVER_ENV).expect("server URL");
    url.split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, p)| p.to_owned())
        .expect("a password in the test URL")
}

/// A database created for one test and dropped when it ends.
#[derive(Debug)]
pub struct TestDb {
    server: DatabaseUrl,
    name: String,
    pub url: DatabaseUrl,
}

impl TestDb {
    /// A fresh database, or `None` (the test skips, or fails under
    /// `SCOREWATCH_TESTS_REQUIRE_ALL`) without `SCOREWATCH_TEST_DATABASE_URL`.
    pub fn new(test: &str) -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = match std::env::var(SERVER_ENV) {
            Ok(url) if !url.is_empty() => DatabaseUrl::parse(&url).expect("server URL"),
            _ => {
                crate::skip::skip_or_fail(test, &format!("{SERVER_ENV} is not set"));
                return None;
            }
        };
        let name = format!(
            "scorewatch_api_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        drop_database(&server, &name).expect("drop a leftover database");
        create_database(&server, &name).expect("create the test database");
        let url = server.with_database(&name);
        Some(Self { server, name, url })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = drop_database(&self.server, &self.name);
    }
}
