//! What every store of the backend shares: the runtime bridge and the connection pool.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use scorewatch_core::StoreError;
use sqlx::{PgPool, Postgres, Transaction};

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
    /// The database as `postgres://user@host:port/database`, for the messages of a lost
    /// connection (never the password).
    pub(crate) target: String,
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
        let answer = self
            .bridge
            .run(future)
            .map_err(|no_answer| StoreError::Database {
                action: action.to_owned(),
                source: Box::new(no_answer),
            })?;
        answer.map_err(|err| unavailable(err, &self.target))
    }
}

/// `err` as [`StoreError::DatabaseUnavailable`] when its driver error says the database
/// could not be reached (so the API answers 503 and the caller retries), else unchanged.
/// Done here, where every call passes, so that no store has to classify its own errors.
pub(crate) fn unavailable(err: StoreError, target: &str) -> StoreError {
    match err {
        StoreError::Database { action, source }
            if source
                .downcast_ref::<sqlx::Error>()
                // Group commit answers every call of a failed batch with one shared error.
                .or_else(|| source.downcast_ref::<Arc<sqlx::Error>>().map(AsRef::as_ref))
                .is_some_and(is_connection_error) =>
        {
            StoreError::DatabaseUnavailable {
                action,
                target: target.to_owned(),
                source,
            }
        }
        other => other,
    }
}

/// Whether a driver error means "the database is not there right now" rather than "the
/// database refused this statement": the socket failed or closed, TLS broke, no pooled
/// connection came free within the acquire timeout, or the server is shutting down,
/// starting up or out of connections.
pub(crate) fn is_connection_error(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08: connection exception. 57P01..57P03: admin or crash shutdown,
            // cannot connect now (starting up). 53300: too many connections.
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

/// A transaction held between two calls on the backend's runtime. Dropped unfinished
/// (the change panicked, or nothing changed) it rolls back there, which releases the row.
pub(crate) struct HeldTransaction<'a> {
    pub(crate) tx: Option<Transaction<'static, Postgres>>,
    pub(crate) shared: &'a Shared,
}

impl Drop for HeldTransaction<'_> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            self.shared.bridge.spawn(async move {
                // A failed rollback closes the connection, which ends the transaction too.
                let _ = tx.rollback().await;
            });
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(source: sqlx::Error) -> StoreError {
        StoreError::Database {
            action: "append predictions".to_owned(),
            source: Box::new(source),
        }
    }

    #[test]
    fn a_lost_connection_is_unavailable_and_names_the_target() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for lost in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(refused),
        ] {
            let err = unavailable(database_error(lost), "postgres://u@db:5432/scores");
            assert!(
                matches!(err, StoreError::DatabaseUnavailable { .. }),
                "{err:?}"
            );
            assert_eq!(
                err.to_string(),
                "database postgres://u@db:5432/scores is unavailable: cannot append predictions"
            );
        }
    }

    #[test]
    fn a_batch_s_shared_lost_connection_is_unavailable_too() {
        // What group commit answers each call of a batch whose connection was lost.
        let shared = Arc::new(sqlx::Error::PoolTimedOut);
        let err = unavailable(
            StoreError::Database {
                action: "append predictions".to_owned(),
                source: Box::new(shared),
            },
            "postgres://u@db:5432/scores",
        );
        assert!(
            matches!(err, StoreError::DatabaseUnavailable { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_refused_statement_stays_a_database_error() {
        let err = unavailable(
            database_error(sqlx::Error::RowNotFound),
            "postgres://u@db:5432/scores",
        );
        assert!(matches!(err, StoreError::Database { .. }), "{err:?}");
    }
}
