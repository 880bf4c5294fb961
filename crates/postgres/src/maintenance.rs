//! The periodic upkeep of the prediction partitions: the coming months' partitions are
//! created ahead, and with a retention period the months wholly older than it are
//! dropped, whole partitions at a time (no row-by-row DELETE, no table bloat).
//!
//! Every store runs a pass at open and then every [`MAINTENANCE_INTERVAL`] on the
//! backend's runtime, so a `serve` running for months keeps having partitions ahead.
//! Replicas run it too; the partition lock makes their passes take turns, and a pass
//! that finds nothing to do changes nothing.
//!
//! Outcomes of dropped predictions are deleted in the same transaction: an outcome
//! whose prediction is gone can never be joined again (metrics, the estimate), and the
//! file backend's retention leaves no such outcome either once it is past the outcome
//! horizon. The generations (`prediction_logs`) stay: they are one row per feature set.

use std::num::NonZeroU32;
use std::time::Duration;

use sqlx::PgPool;
use time::OffsetDateTime;

use crate::migrate::{PARTITION_LOCK, PARTITION_MONTHS};

/// How often a store checks its partitions: partitions are created months ahead, so a
/// missed pass costs nothing; a month passing the cutoff is dropped within this time.
pub(crate) const MAINTENANCE_INTERVAL: Duration = Duration::from_hours(1);

/// A prediction partition dropped by retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedPartition {
    /// The partition's table name, such as `predictions_2026_03`.
    pub name: String,
    /// Its upper bound (exclusive): every row it held was older.
    pub until: OffsetDateTime,
    /// The predictions it held.
    pub predictions: i64,
    /// The outcomes of those predictions, deleted with it.
    pub outcomes: i64,
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Monthly partitions created ahead.
    pub partitions_created: i32,
    /// Partitions dropped by retention, oldest first.
    pub dropped: Vec<DroppedPartition>,
}

/// Creates the partitions of the months from `now`'s on, then with `retention_days` drops
/// every monthly partition whose upper bound is at or before `now - retention_days`,
/// deleting its predictions' outcomes first; one transaction under the partition lock.
/// The default partition (rows outside every monthly one) is never dropped.
pub(crate) async fn pass(
    pool: &PgPool,
    now: OffsetDateTime,
    retention_days: Option<NonZeroU32>,
) -> Result<MaintenanceReport, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PARTITION_LOCK)
        .execute(&mut *tx)
        .await?;
    let partitions_created: i32 = sqlx::query_scalar(
        "SELECT scorewatch_prediction_partitions(date_trunc('month', $1::timestamptz)::date, $2)",
    )
    .bind(now)
    .bind(PARTITION_MONTHS)
    .fetch_one(&mut *tx)
    .await?;
    let mut dropped = Vec::new();
    if let Some(days) = retention_days {
        let cutoff = now - time::Duration::days(i64::from(days.get()));
        // Each monthly partition with its upper bound, read back from the catalog (the
        // bound prints with its offset, so the cast is the same instant whatever the
        // session's time zone).
        let expired: Vec<(String, OffsetDateTime)> = sqlx::query_as(
            "SELECT name, until FROM (
                 SELECT c.relname::text AS name,
                        substring(pg_get_expr(c.relpartbound, c.oid)
                                  FROM 'TO \\(''([^'']+)''\\)')::timestamptz AS until
                 FROM pg_inherits i
                 JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'predictions'::regclass
                   AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
             ) bounds
             WHERE until <= $1
             ORDER BY until",
        )
        .bind(cutoff)
        .fetch_all(&mut *tx)
        .await?;
        for (name, until) in &expired {
            // The names come from the catalog, quoted all the same.
            let outcomes = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM outcomes o USING \"{name}\" p WHERE o.prediction_id = p.prediction_id"
            )))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let predictions: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM \"{name}\""
            )))
            .fetch_one(&mut *tx)
            .await?;
            dropped.push(DroppedPartition {
                name: name.clone(),
                until: *until,
                predictions,
                outcomes: i64::try_from(outcomes).unwrap_or(i64::MAX),
            });
        }
        if !expired.is_empty() {
            // A DROP locks the partition, then the parent; a reader locks the parent,
            // then every partition. Taking the parent first keeps one order and so no
            // deadlock; inserts and reads wait for the drops only (catalog work).
            sqlx::query("LOCK TABLE predictions IN ACCESS EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        for (name, _) in &expired {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE \"{name}\"")))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(MaintenanceReport {
        partitions_created,
        dropped,
    })
}

/// Creates the monthly partitions from `oldest`'s month up to [`PARTITION_MONTHS`]
/// months after now, under the partition lock; returns how many were created.
pub(crate) async fn partitions_since(
    pool: &PgPool,
    oldest: OffsetDateTime,
) -> Result<i32, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PARTITION_LOCK)
        .execute(&mut *tx)
        .await?;
    let created: i32 = sqlx::query_scalar(
        "SELECT scorewatch_prediction_partitions(
             date_trunc('month', $1::timestamptz)::date,
             ((extract(year FROM age(date_trunc('month', now()), date_trunc('month', $1::timestamptz))) * 12
               + extract(month FROM age(date_trunc('month', now()), date_trunc('month', $1::timestamptz))))::int
              + $2))",
    )
    .bind(oldest)
    .bind(PARTITION_MONTHS)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Logs what a pass did: each drop at info, with its counts.
pub(crate) fn log(report: &MaintenanceReport) {
    if report.partitions_created > 0 {
        tracing::info!(
            created = report.partitions_created,
            "created prediction partitions ahead"
        );
    }
    for dropped in &report.dropped {
        tracing::info!(
            partition = %dropped.name,
            until = %dropped.until,
            predictions = dropped.predictions,
            outcomes = dropped.outcomes,
            "retention dropped a prediction partition"
        );
    }
}

/// Runs a pass now and then every [`MAINTENANCE_INTERVAL`] until the runtime stops; a
/// failed pass is logged and tried again at the next one.
pub(crate) async fn run(pool: PgPool, retention_days: Option<NonZeroU32>) {
    let mut ticks = tokio::time::interval(MAINTENANCE_INTERVAL);
    loop {
        ticks.tick().await;
        match pass(&pool, OffsetDateTime::now_utc(), retention_days).await {
            Ok(report) => log(&report),
            Err(err) => tracing::warn!(
                error = %err,
                "prediction partition maintenance failed; trying again later"
            ),
        }
    }
}
