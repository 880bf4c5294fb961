//! [`AlertStore`] in the `alert_book` table: the whole book (alerts and webhook outbox)
//! as one jsonb row, as the file backend keeps `alerts.json`, so that an alert's change
//! and the notifications it queues are written together.
//!
//! An update locks the row (`SELECT ... FOR UPDATE`) in one transaction, applies the
//! change on the caller's thread, and writes the book back in the same transaction: the
//! evaluation, an acknowledgement and the delivery worker of every replica apply their
//! changes one after the other and never lose each other's.

use std::sync::Arc;

use crate::shared::{HeldTransaction, Shared, db, json};
use scorewatch_core::{ALERTS_SCHEMA_VERSION, AlertBook, AlertStore, StoreError, trim_resolved};
use sqlx::types::Json;

/// The alert book in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgAlertStore {
    shared: Arc<Shared>,
    retention: usize,
}

impl PgAlertStore {
    pub(crate) fn new(shared: Arc<Shared>, retention: usize) -> Self {
        Self { shared, retention }
    }
}

fn empty_book() -> AlertBook {
    AlertBook {
        schema_version: ALERTS_SCHEMA_VERSION,
        alerts: Vec::new(),
        outbox: Vec::new(),
    }
}

/// The stored book, checked: a book of another layout version is refused by name, as the
/// file backend refuses such an `alerts.json`.
fn parse_book(value: serde_json::Value) -> Result<AlertBook, StoreError> {
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64);
    if found != Some(u64::from(ALERTS_SCHEMA_VERSION)) {
        return Err(StoreError::SchemaVersion {
            path: "alert_book".into(),
            found,
            supported: ALERTS_SCHEMA_VERSION,
        });
    }
    serde_json::from_value(value).map_err(json("alert_book", "alert book"))
}

impl AlertStore for PgAlertStore {
    fn load(&self) -> Result<AlertBook, StoreError> {
        let book: Option<Json<serde_json::Value>> =
            self.shared.call("read the alert book", |pool| async move {
                sqlx::query_scalar("SELECT book FROM alert_book")
                    .fetch_optional(&pool)
                    .await
                    .map_err(db("read the alert book"))
            })?;
        book.map_or_else(|| Ok(empty_book()), |Json(value)| parse_book(value))
    }

    fn update(&self, change: &mut dyn FnMut(&mut AlertBook)) -> Result<bool, StoreError> {
        let empty = serde_json::to_value(empty_book()).map_err(json("alert_book", "alert book"))?;
        let (tx, stored) = self.shared.call("lock the alert book", |pool| async move {
            let err = db("lock the alert book");
            let mut tx = pool.begin().await.map_err(&err)?;
            // The row exists before it is locked: a first update on two replicas at once
            // then queues on the one row instead of both inserting.
            sqlx::query(
                "INSERT INTO alert_book (singleton, book) VALUES (true, $1)
                 ON CONFLICT (singleton) DO NOTHING",
            )
            .bind(Json(&empty))
            .execute(&mut *tx)
            .await
            .map_err(&err)?;
            let Json(book): Json<serde_json::Value> =
                sqlx::query_scalar("SELECT book FROM alert_book FOR UPDATE")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(&err)?;
            Ok((tx, book))
        })?;
        let mut held = HeldTransaction {
            tx: Some(tx),
            shared: &self.shared,
        };
        let before = parse_book(stored)?;
        let mut book = before.clone();
        change(&mut book);
        book.schema_version = ALERTS_SCHEMA_VERSION;
        trim_resolved(&mut book, self.retention);
        if book == before {
            return Ok(false);
        }
        let encoded = serde_json::to_value(&book).map_err(|source| StoreError::Encode {
            path: "alert_book".into(),
            kind: "alert book",
            source,
        })?;
        // Moved into the task that commits it; `held` has nothing left to roll back.
        let tx = held.tx.take();
        self.shared
            .call("write the alert book", move |_| async move {
                let err = db("write the alert book");
                let Some(mut tx) = tx else {
                    return Ok(());
                };
                sqlx::query("UPDATE alert_book SET book = $1")
                    .bind(Json(&encoded))
                    .execute(&mut *tx)
                    .await
                    .map_err(&err)?;
                tx.commit().await.map_err(&err)
            })?;
        Ok(true)
    }
}
