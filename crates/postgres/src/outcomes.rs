//! [`OutcomeLog`] in the `outcomes` table: one outcome per prediction id, enforced by the
//! table's unique constraint across every replica.

use std::ops::ControlFlow;
use std::sync::Arc;

use scorewatch_core::{OutcomeLog, OutcomeRecord, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};

use crate::shared::{Shared, db, invalid, text_problem};

const TABLE: &str = "outcomes";

/// Rows fetched per round trip by the oldest-first scan.
const SCAN_BATCH: i64 = 10_000;

/// The outcome log in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgOutcomeLog {
    shared: Arc<Shared>,
}

impl PgOutcomeLog {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

fn record_of(row: &PgRow) -> Result<OutcomeRecord, sqlx::Error> {
    let actual: i16 = row.try_get("actual")?;
    Ok(OutcomeRecord {
        prediction_id: row.try_get("prediction_id")?,
        timestamp: row.try_get("ts")?,
        // The table's CHECK keeps it 0 or 1.
        actual: u8::from(actual == 1),
    })
}

/// Inserts the batch in one transaction; when an id already has an outcome (stored
/// before, or twice in the batch) nothing is written and the error names the first such
/// id.
async fn append(pool: PgPool, records: Vec<OutcomeRecord>) -> Result<(), StoreError> {
    let err = db("append outcomes");
    let ids: Vec<String> = records.iter().map(|r| r.prediction_id.clone()).collect();
    let stamps: Vec<_> = records.iter().map(|r| r.timestamp).collect();
    let actuals: Vec<i16> = records.iter().map(|r| i16::from(r.actual)).collect();
    let mut tx = pool.begin().await.map_err(&err)?;
    // ON CONFLICT DO NOTHING instead of letting the constraint abort: the ids that went in
    // tell which one did not, without parsing the server's message. A concurrent insert of
    // the same id waits for the other transaction and then conflicts, so two replicas
    // posting one outcome at once record it once.
    let inserted: Vec<String> = sqlx::query_scalar(
        "INSERT INTO outcomes (prediction_id, ts, actual)
         SELECT r.id, r.ts, r.actual
         FROM UNNEST($1::text[], $2::timestamptz[], $3::int2[]) WITH ORDINALITY
              AS r(id, ts, actual, n)
         ORDER BY r.n
         ON CONFLICT ON CONSTRAINT outcomes_one_per_prediction DO NOTHING
         RETURNING prediction_id",
    )
    .bind(&ids)
    .bind(stamps)
    .bind(actuals)
    .fetch_all(&mut *tx)
    .await
    .map_err(&err)?;
    if inserted.len() != ids.len() {
        // Each inserted id is consumed once, so an id given twice is found the second time.
        let mut fresh: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for id in &inserted {
            *fresh.entry(id.as_str()).or_default() += 1;
        }
        let duplicate = ids
            .iter()
            .find(|id| match fresh.get_mut(id.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            })
            .cloned()
            .unwrap_or_default();
        tx.rollback().await.map_err(&err)?;
        return Err(StoreError::DuplicateOutcome {
            prediction_id: duplicate,
        });
    }
    tx.commit().await.map_err(&err)
}

impl OutcomeLog for PgOutcomeLog {
    fn append(&self, records: &[OutcomeRecord]) -> Result<(), StoreError> {
        for record in records {
            if record.actual > 1 {
                return Err(invalid(
                    TABLE,
                    "actual",
                    format!("{} is not 0 or 1", record.actual),
                ));
            }
            if let Some(problem) = text_problem(&record.prediction_id) {
                return Err(invalid(TABLE, "prediction_id", problem.to_owned()));
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        let records = records.to_vec();
        self.shared
            .call("append outcomes", |pool| append(pool, records))
    }

    fn recent(&self, limit: usize) -> Result<Vec<OutcomeRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.shared.call("read outcomes", |pool| async move {
            let err = db("read outcomes");
            let rows = sqlx::query(
                "SELECT prediction_id, ts, actual FROM outcomes ORDER BY seq DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&pool)
            .await
            .map_err(&err)?;
            rows.iter()
                .map(|row| record_of(row).map_err(&err))
                .collect()
        })
    }

    fn scan(
        &self,
        visit: &mut dyn FnMut(OutcomeRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let mut after = 0_i64;
        loop {
            let rows = self.shared.call("scan outcomes", |pool| async move {
                let err = db("scan outcomes");
                let rows = sqlx::query(
                    "SELECT seq, prediction_id, ts, actual FROM outcomes
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after)
                .bind(SCAN_BATCH)
                .fetch_all(&pool)
                .await
                .map_err(&err)?;
                rows.iter()
                    .map(|row| Ok((row.try_get::<i64, _>("seq")?, record_of(row)?)))
                    .collect::<Result<Vec<_>, sqlx::Error>>()
                    .map_err(&err)
            })?;
            let full = rows.len() == usize::try_from(SCAN_BATCH).unwrap_or(usize::MAX);
            for (seq, record) in rows {
                after = seq;
                if visit(record)?.is_break() {
                    return Ok(());
                }
            }
            if !full {
                return Ok(());
            }
        }
    }
}
