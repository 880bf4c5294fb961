//! [`PredictionLog`] in the `predictions` table.
//!
//! The file backend's "current log" and "archives" are generations here
//! (`prediction_logs`): a model with another feature set begins a new generation, and the
//! older ones are the archives. Every read keeps the file backend's meaning: `recent` and
//! `scan` read the current generation, `scan_archives` the older ones.

use std::ops::ControlFlow;
use std::sync::Arc;

use futures_util::TryStreamExt as _;
use scorewatch_core::{
    NamedRowVisitor, PredictionLog, PredictionQuery, PredictionRecord, StoreError,
};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};
use time::OffsetDateTime;

use crate::shared::{Shared, db, invalid, text_problem, unavailable};

const TABLE: &str = "predictions";

/// Rows fetched per round trip by the oldest-first scans: bounded memory, few trips.
const SCAN_BATCH: i64 = 5_000;

/// Serialises switches to a new generation across replicas (`pg_advisory_xact_lock`
/// key; any constant unlikely to collide with other applications' keys).
const LOG_SWITCH_LOCK: i64 = 0x5c0e_0001;

/// The prediction log in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgPredictionLog {
    shared: Arc<Shared>,
}

impl PgPredictionLog {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

fn check(features: &[String], records: &[PredictionRecord]) -> Result<(), StoreError> {
    for name in features {
        if let Some(problem) = text_problem(name) {
            return Err(invalid(
                TABLE,
                "features",
                format!("feature name {name:?} {problem}"),
            ));
        }
    }
    for record in records {
        scorewatch_core::check_prediction(features.len(), record)
            .map_err(|(field, reason)| invalid(TABLE, field, reason))?;
        let texts = [
            ("prediction_id", Some(record.prediction_id.as_str())),
            ("model_version", Some(record.model_version.as_str())),
        ]
        .into_iter()
        .chain(
            features
                .iter()
                .zip(&record.features)
                .map(|(name, value)| (name.as_str(), value.as_deref())),
        );
        for (field, value) in texts {
            if let Some(problem) = value.and_then(text_problem) {
                return Err(invalid(
                    TABLE,
                    field,
                    format!("prediction {}: {problem}", record.prediction_id),
                ));
            }
        }
    }
    Ok(())
}

fn record_of(row: &PgRow) -> Result<PredictionRecord, sqlx::Error> {
    let decision: i16 = row.try_get("decision")?;
    Ok(PredictionRecord {
        prediction_id: row.try_get("prediction_id")?,
        timestamp: row.try_get("ts")?,
        model_version: row.try_get("model_version")?,
        score: row.try_get("score")?,
        // The table's CHECK keeps it 0 or 1.
        decision: u8::from(decision == 1),
        features: row.try_get("features")?,
    })
}

/// Inserts `records` into the current generation, beginning a new one first when its
/// feature names are not `features`; one transaction. The driver's error is returned
/// as it is, so that group commit can tell a refused statement from a lost connection.
pub(crate) async fn append(
    pool: PgPool,
    features: Vec<String>,
    records: Vec<PredictionRecord>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let current: Option<(i64, Vec<String>)> =
        sqlx::query_as("SELECT id, features FROM prediction_logs ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let log_id = match current {
        Some((id, names)) if names == features => id,
        _ => {
            // Another replica may be switching too: take the lock, then look again.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(LOG_SWITCH_LOCK)
                .execute(&mut *tx)
                .await?;
            let again: Option<(i64, Vec<String>)> =
                sqlx::query_as("SELECT id, features FROM prediction_logs ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            match again {
                Some((id, names)) if names == features => id,
                _ => {
                    sqlx::query_scalar(
                        "INSERT INTO prediction_logs (features) VALUES ($1) RETURNING id",
                    )
                    .bind(&features)
                    .fetch_one(&mut *tx)
                    .await?
                }
            }
        }
    };
    if !records.is_empty() {
        let width = i32::try_from(features.len()).unwrap_or(i32::MAX);
        let mut ids = Vec::with_capacity(records.len());
        let mut stamps = Vec::with_capacity(records.len());
        let mut versions = Vec::with_capacity(records.len());
        let mut scores = Vec::with_capacity(records.len());
        let mut decisions = Vec::with_capacity(records.len());
        let mut values: Vec<Option<String>> = Vec::with_capacity(records.len() * features.len());
        for record in records {
            ids.push(record.prediction_id);
            stamps.push(record.timestamp);
            versions.push(record.model_version);
            scores.push(record.score);
            decisions.push(i16::from(record.decision));
            values.extend(record.features);
        }
        // One statement whatever the batch size: the columns as arrays, unnested in
        // order (so `seq` follows the batch's order), each row's features sliced out of
        // one flat array (PostgreSQL arrays of arrays must be rectangular and sqlx
        // encodes one dimension).
        sqlx::query(
            "INSERT INTO predictions
                 (log_id, prediction_id, ts, model_version, score, decision, features)
             SELECT $1, r.id, r.ts, r.version, r.score, r.decision,
                    COALESCE(($7::text[])[(r.n - 1) * $8 + 1 : r.n * $8], '{}')
             FROM UNNEST($2::text[], $3::timestamptz[], $4::text[], $5::float8[], $6::int2[])
                  WITH ORDINALITY AS r(id, ts, version, score, decision, n)
             ORDER BY r.n",
        )
        .bind(log_id)
        .bind(ids)
        .bind(stamps)
        .bind(versions)
        .bind(scores)
        .bind(decisions)
        .bind(values)
        .bind(width)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The filters of a page, as SQL over one generation (`$1`); the page binds `$2..$4`.
const PAGE_FILTER: &str = "log_id = $1
           AND ($2::timestamptz IS NULL OR ts >= $2)
           AND ($3::timestamptz IS NULL OR ts <= $3)
           AND ($4::text IS NULL OR model_version = $4)";

/// The newest-first page of `query` over generations `logs` (newest generation first).
///
/// One generation per statement (`log_id = $1`), so that each reads the index
/// `(log_id, ts DESC, seq DESC)` forwards from its newest row: a statement over several
/// generations (`log_id IN (...)`) cannot, and sorts the whole log for one page
/// (measured on a 1M-row log, PostgreSQL 15: 1.1 s against 0.3 ms for offset 1000).
async fn page(
    pool: PgPool,
    logs: Vec<i64>,
    query: PredictionQuery,
) -> Result<Vec<PredictionRecord>, StoreError> {
    let err = db("read predictions");
    let select = format!(
        "SELECT prediction_id, ts, model_version, score, decision, features
         FROM predictions WHERE {PAGE_FILTER}
         ORDER BY ts DESC, seq DESC OFFSET $5 LIMIT $6"
    );
    let count = format!("SELECT count(*) FROM predictions WHERE {PAGE_FILTER}");
    let mut offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    // Sized for the page asked for (capped: a limit is an upper bound, not a promise).
    let mut out = Vec::with_capacity(query.limit.min(1 << 20));
    for log in logs {
        let wanted = query.limit.saturating_sub(out.len());
        if wanted == 0 {
            break;
        }
        // Streamed and decoded row by row: a window of a million rows is decoded while
        // the server still sends it, and never held twice (raw rows, then records).
        let before = out.len();
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
            .bind(log)
            .bind(query.since)
            .bind(query.until)
            .bind(query.model_version.as_deref())
            .bind(offset)
            .bind(i64::try_from(wanted).unwrap_or(i64::MAX))
            .fetch(&pool);
        while let Some(row) = rows.try_next().await.map_err(&err)? {
            out.push(record_of(&row).map_err(&err)?);
        }
        drop(rows);
        if out.len() == before && offset > 0 {
            // The whole generation was skipped: the next one skips what is left.
            let matching: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone()))
                .bind(log)
                .bind(query.since)
                .bind(query.until)
                .bind(query.model_version.as_deref())
                .fetch_one(&pool)
                .await
                .map_err(&err)?;
            offset = offset.saturating_sub(matching);
            continue;
        }
        offset = 0;
    }
    Ok(out)
}

/// The generations whose feature names are `features`, newest first.
async fn generations_of(pool: PgPool, features: Vec<String>) -> Result<Vec<i64>, StoreError> {
    sqlx::query_scalar("SELECT id FROM prediction_logs WHERE features = $1 ORDER BY id DESC")
        .bind(features)
        .fetch_all(&pool)
        .await
        .map_err(db("list prediction logs"))
}

/// Generation ids oldest first: the current one only, or every older one.
async fn generations(pool: PgPool, archives: bool) -> Result<Vec<i64>, StoreError> {
    let sql = if archives {
        "SELECT id FROM prediction_logs
         WHERE id < (SELECT max(id) FROM prediction_logs) ORDER BY id"
    } else {
        "SELECT max(id) FROM prediction_logs HAVING count(*) > 0"
    };
    sqlx::query_scalar(sql)
        .fetch_all(&pool)
        .await
        .map_err(db("list prediction logs"))
}

/// One batch of generation `log`, oldest first, after the row `(ts, seq)` (from the start
/// when `None`).
async fn batch(
    pool: PgPool,
    log: i64,
    after: Option<(OffsetDateTime, i64)>,
) -> Result<Vec<(PredictionRecord, i64)>, StoreError> {
    let err = db("scan predictions");
    let sql = if after.is_some() {
        "SELECT prediction_id, ts, model_version, score, decision, features, seq
         FROM predictions WHERE log_id = $1 AND (ts, seq) > ($2, $3)
         ORDER BY ts, seq LIMIT $4"
    } else {
        // $2 and $3 are typed here only so that both statements take the same binds.
        "SELECT prediction_id, ts, model_version, score, decision, features, seq
         FROM predictions WHERE log_id = $1 AND $2::timestamptz IS NULL AND $3::int8 IS NULL
         ORDER BY ts, seq LIMIT $4"
    };
    let rows = sqlx::query(sql)
        .bind(log)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(SCAN_BATCH)
        .fetch_all(&pool)
        .await
        .map_err(&err)?;
    rows.iter()
        .map(|row| Ok((record_of(row)?, row.try_get("seq")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(&err)
}

impl PgPredictionLog {
    /// [`PredictionLog::append`] without group commit: one transaction for this call
    /// alone. For the ingest benchmark's "before" (`examples/ingest_bench.rs`).
    ///
    /// # Errors
    /// As [`PredictionLog::append`].
    #[cfg(feature = "testing")]
    pub fn append_unbatched(
        &self,
        features: &[String],
        records: &[PredictionRecord],
    ) -> Result<(), StoreError> {
        check(features, records)?;
        let (features, records) = (features.to_vec(), records.to_vec());
        self.shared.call("append predictions", |pool| async move {
            append(pool, features, records)
                .await
                .map_err(db("append predictions"))
        })
    }

    /// Visits generations `logs` oldest first, a batch per round trip; the visitor runs
    /// on the caller's thread between trips, so a scan holds no connection while it runs.
    fn scan_logs(
        &self,
        logs: Vec<i64>,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        for log in logs {
            let mut after = None;
            loop {
                let rows = self
                    .shared
                    .call("scan predictions", |pool| batch(pool, log, after))?;
                let full = rows.len() == usize::try_from(SCAN_BATCH).unwrap_or(usize::MAX);
                for (record, seq) in rows {
                    after = Some((record.timestamp, seq));
                    if visit(record)?.is_break() {
                        return Ok(());
                    }
                }
                if !full {
                    break;
                }
            }
        }
        Ok(())
    }
}

impl PredictionLog for PgPredictionLog {
    fn logged(&self, id: &str) -> Result<Option<bool>, StoreError> {
        let id = id.to_owned();
        let found: bool = self
            .shared
            .call("look up a prediction id", move |pool| async move {
                sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM predictions WHERE prediction_id = $1)",
                )
                .bind(id)
                .fetch_one(&pool)
                .await
                .map_err(db("look up a prediction id"))
            })?;
        Ok(Some(found))
    }

    fn feature_names(&self) -> Result<Vec<String>, StoreError> {
        self.shared
            .call("read the feature names", |pool| async move {
                let names: Option<Vec<String>> = sqlx::query_scalar(
                    "SELECT features FROM prediction_logs ORDER BY id DESC LIMIT 1",
                )
                .fetch_optional(&pool)
                .await
                .map_err(db("read the feature names"))?;
                Ok(names.unwrap_or_default())
            })
    }

    /// Checked here, then committed with whatever other calls are queued at the same
    /// time (group commit, `group_commit.rs`); returns once the batch has committed.
    fn append(&self, features: &[String], records: &[PredictionRecord]) -> Result<(), StoreError> {
        check(features, records)?;
        self.shared
            .group_commit
            .append(features.to_vec(), records.to_vec())
            // Outside `Shared::call`, so classified here: a lost database answers 503.
            .map_err(|err| unavailable(err, &self.shared.target))
    }

    fn recent(&self, query: &PredictionQuery) -> Result<Vec<PredictionRecord>, StoreError> {
        let query = query.clone();
        self.shared.call("read predictions", |pool| async move {
            let current = generations(pool.clone(), false).await?;
            page(pool, current, query).await
        })
    }

    fn scan(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let logs = self
            .shared
            .call("list prediction logs", |pool| generations(pool, false))?;
        self.scan_logs(logs, visit)
    }

    fn scan_archives(
        &self,
        visit: &mut dyn FnMut(PredictionRecord) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let logs = self
            .shared
            .call("list prediction logs", |pool| generations(pool, true))?;
        self.scan_logs(logs, visit)
    }

    fn scan_archived_logs(&self, visit: &mut NamedRowVisitor<'_>) -> Result<(), StoreError> {
        let logs: Vec<(i64, Vec<String>)> =
            self.shared
                .call("list prediction logs", |pool| async move {
                    sqlx::query_as(
                        "SELECT id, features FROM prediction_logs
                     WHERE id < (SELECT max(id) FROM prediction_logs) ORDER BY id",
                    )
                    .fetch_all(&pool)
                    .await
                    .map_err(db("list prediction logs"))
                })?;
        for (log, names) in logs {
            let mut stopped = false;
            self.scan_logs(vec![log], &mut |record| {
                let flow = visit(&names, record)?;
                stopped = flow.is_break();
                Ok(flow)
            })?;
            if stopped {
                break;
            }
        }
        Ok(())
    }

    fn recent_with_features(
        &self,
        features: &[String],
        query: &PredictionQuery,
    ) -> Result<Vec<PredictionRecord>, StoreError> {
        let (features, query) = (features.to_vec(), query.clone());
        self.shared.call("read predictions", |pool| async move {
            let logs = generations_of(pool.clone(), features).await?;
            page(pool, logs, query).await
        })
    }
}
