//! What every store of the backend shares: the runtime bridge and the connection pool.

use std::future::Future;
use std::path::PathBuf;

use scorewatch_core::StoreError;
use sqlx::PgPool;

use crate::bridge::Bridge;
use crate::group_commit::GroupCommit;

/// The bridge and the pool, behind one `Arc` held by each store.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) pool: PgPool,
    /// The queue of prediction appends, batched into shared transactions.
    pub(crate) group_commit: GroupCommit,
    // Declared after the pool: the pool's connections close on the runtime's threads.
    pub(crate) bridge: Bridge,
}

impl Shared {
    /// Runs `query` (given a handle on the pool) on the backend's runtime and waits for it.
    /// `action` names what a lost answer was doing.
    pub(crate) fn call<T, F, Fut>(&self, action: &str, query: F) -> Result<T, StoreError>
    where
        F: FnOnce(PgPool) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let future = query(self.pool.clone());
        self.bridge
            .run(future)
            .map_err(|no_answer| StoreError::Database {
                action: action.to_owned(),
                source: Box::new(no_answer),
            })?
    }
}

/// Turns a driver error into the store's error naming what was being done.
pub(crate) fn db(action: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |err| StoreError::Database {
        action: action.to_owned(),
        source: Box::new(err),
    }
}

/// A JSON (de)serialisation failure of a stored document, naming the table.
pub(crate) fn json(
    table: &'static str,
    kind: &'static str,
) -> impl Fn(serde_json::Error) -> StoreError {
    move |err| StoreError::Json {
        path: PathBuf::from(table),
        kind,
        line: err.line(),
        column: err.column(),
        source: err,
    }
}

/// A record that does not fit its table: the error the file backend gives for its file,
/// with the table's name where the file's path would be.
pub(crate) fn invalid(table: &'static str, field: &str, reason: String) -> StoreError {
    StoreError::InvalidRecord {
        path: PathBuf::from(table),
        field: field.to_owned(),
        reason,
    }
}

/// Why a text value cannot be stored as it is: PostgreSQL's text holds no NUL character,
/// and the file backend refuses line breaks, which the two backends must agree on (an
/// export writes the same rows back to files).
pub(crate) fn text_problem(value: &str) -> Option<&'static str> {
    if value.contains('\0') {
        Some("holds a NUL character")
    } else if value.contains(['\n', '\r']) {
        Some("holds a line break")
    } else {
        None
    }
}
