//! scorewatch's PostgreSQL backend: core's store traits over a PostgreSQL database, so
//! that several `scorewatch serve` replicas can share one.
//!
//! - [`DatabaseUrl`] parses `--database-url`; its messages and [`ConnectError`] name the
//!   user, host, port and database, never the password.
//! - [`migrate`] applies the embedded, versioned migrations under an advisory lock and
//!   refuses a database whose schema is newer than this build ([`OpenError`]).
//! - [`PgStore::open`] migrates, then connects a pool; its stores implement core's
//!   traits: [`PgPredictionLog`], [`PgOutcomeLog`], [`PgMetricsHistory`],
//!   [`PgDriftReports`], [`PgPipelineStatus`], [`PgTrainingSets`], [`PgModelStore`] and
//!   [`PgAlertStore`]; [`PgStore::backends`] gathers them into core's `Store`.
//! - Replicas on one database coordinate through it: the pipeline status's atomic
//!   updates and run lease ([`PgPipelineStatus`]), the claims of once-per-interval
//!   background jobs ([`PgJobClaims`]) and promotion notices ([`PgPromotionNotices`]).
//! - [`PgApiKeys`] keeps the API keys of `scorewatch keys` as SHA-256 digests, so that a
//!   key works on every replica.
//! - A query that cannot reach the database (refused, connection lost, no pooled
//!   connection within [`ACQUIRE_TIMEOUT`]) fails with core's
//!   `StoreError::DatabaseUnavailable`, which the API answers with 503.
//! - Prediction appends from concurrent callers are group-committed (one transaction per
//!   batch, `group_commit.rs`); [`PgStore::maintain`] keeps monthly partitions ahead
//!   and drops those past the retention period ([`MaintenanceReport`]).
//!
//! Core's traits are synchronous and core has no async runtime; this crate owns a small
//! tokio runtime and bridges each call to it (see `bridge.rs` and docs/architecture.md).
//!
//! ```no_run
//! use scorewatch_core::{PredictionLog, PredictionQuery, StoreOptions};
//! use scorewatch_postgres::{DatabaseUrl, PgStore};
//!
//! let url = DatabaseUrl::parse("postgres://scorewatch:secret@localhost/scorewatch")?;
//! let store = PgStore::open(&url, &StoreOptions::default())?;
//! let newest = store.predictions().recent(&PredictionQuery::newest(10))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod alerts;
mod bridge;
mod cluster;
mod connect;
mod documents;
mod group_commit;
mod keys;
mod maintenance;
mod migrate;
mod models;
mod outcomes;
mod pipeline_status;
mod predictions;
mod shared;
mod training_sets;

use std::num::NonZeroU32;
use std::sync::Arc;

use scorewatch_core::{StoreBackends, StoreError, StoreOptions};
use time::OffsetDateTime;

pub use alerts::PgAlertStore;
pub use cluster::{PgJobClaims, PgPromotionNotices};
pub use connect::{ACQUIRE_TIMEOUT, ConnectError, DatabaseUrl};
pub use documents::{PgDriftReports, PgMetricsHistory};
pub use keys::{ActiveKey, KEY_NAME_MAX_CHARS, PgApiKeys, StoredKey};
pub use maintenance::{DroppedPartition, MaintenanceReport};
pub use migrate::{MigrationReport, OpenError, latest_version};
pub use models::{MODEL_PROMOTED_CHANNEL, PgModelStore};
pub use outcomes::PgOutcomeLog;
pub use pipeline_status::PgPipelineStatus;
pub use predictions::PgPredictionLog;
pub use training_sets::PgTrainingSets;

use bridge::Bridge;
use group_commit::GroupCommit;
use shared::Shared;

/// Applies the migrations the database lacks (`scorewatch migrate`), under an advisory
/// lock, and creates the coming months' prediction partitions. Blocks; safe to call from
/// any thread, inside a tokio runtime or not.
///
/// # Errors
/// As [`OpenError`]: connection failures name host and database, a schema newer than
/// this build is refused and left unchanged.
pub fn migrate(url: &DatabaseUrl) -> Result<MigrationReport, OpenError> {
    let bridge = Bridge::new().map_err(ConnectError::Runtime)?;
    let url = url.clone();
    bridge
        .run(async move { migrate::migrate(&url).await })
        .map_err(|no_answer| OpenError::Database {
            action: "apply the schema migrations",
            target: String::new(),
            source: Box::new(no_answer),
        })?
}

/// The name core's `Store::backend` gives this backend (and `/health` reports).
pub const BACKEND_NAME: &str = "postgres";

/// The stores of one database, sharing a connection pool and the backend's runtime.
#[derive(Debug)]
pub struct PgStore {
    shared: Arc<Shared>,
    url: DatabaseUrl,
    options: StoreOptions,
    migration: MigrationReport,
}

impl PgStore {
    /// Migrates the database (as [`migrate`]) and connects a pool to it.
    ///
    /// # Errors
    /// As [`migrate`].
    pub fn open(url: &DatabaseUrl, options: &StoreOptions) -> Result<Self, OpenError> {
        let bridge = Bridge::new().map_err(ConnectError::Runtime)?;
        let task_url = url.clone();
        let answer = bridge.run(async move {
            let report = migrate::migrate(&task_url).await?;
            let pool = task_url.pool().await?;
            Ok::<_, OpenError>((report, pool))
        });
        let (migration, pool) = answer.map_err(|no_answer| OpenError::Database {
            action: "open the database",
            target: url.to_string(),
            source: Box::new(no_answer),
        })??;
        let group_commit = GroupCommit::start(bridge.handle(), pool.clone());
        // Partitions ahead, and retention's drops, for as long as the store is open.
        bridge.spawn(maintenance::run(
            pool.clone(),
            options.prediction_retention_days,
        ));
        Ok(Self {
            shared: Arc::new(Shared {
                pool,
                group_commit,
                bridge,
                target: url.to_string(),
            }),
            url: url.clone(),
            options: *options,
            migration,
        })
    }

    /// The database, without its password.
    #[must_use]
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// What opening migrated.
    #[must_use]
    pub fn migration(&self) -> &MigrationReport {
        &self.migration
    }

    /// Runs one partition maintenance pass as of `now`: creates the coming months'
    /// partitions and, with `retention_days`, drops every monthly partition whose upper
    /// bound is that many days or more before `now`, with its predictions' outcomes. The
    /// store runs one itself at open and then hourly, with
    /// `options.prediction_retention_days`.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the database refuses; nothing is dropped then.
    pub fn maintain(
        &self,
        now: OffsetDateTime,
        retention: Option<NonZeroU32>,
    ) -> Result<MaintenanceReport, StoreError> {
        let report = self
            .shared
            .call("maintain prediction partitions", |pool| async move {
                maintenance::pass(&pool, now, retention)
                    .await
                    .map_err(shared::db("maintain prediction partitions"))
            })?;
        maintenance::log(&report);
        Ok(report)
    }

    /// Creates the monthly prediction partitions from `oldest`'s month to the coming
    /// months, so that older rows copied in (`scorewatch import`) land in partitions that
    /// retention can drop rather than in the default one. Returns how many were created.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the database refuses.
    pub fn prepare_partitions(&self, oldest: OffsetDateTime) -> Result<i32, StoreError> {
        self.shared
            .call("create prediction partitions", |pool| async move {
                maintenance::partitions_since(&pool, oldest)
                    .await
                    .map_err(shared::db("create prediction partitions"))
            })
    }

    /// The prediction log.
    #[must_use]
    pub fn predictions(&self) -> PgPredictionLog {
        PgPredictionLog::new(Arc::clone(&self.shared))
    }

    /// The outcome log.
    #[must_use]
    pub fn outcomes(&self) -> PgOutcomeLog {
        PgOutcomeLog::new(Arc::clone(&self.shared))
    }

    /// The metrics history, bounded per source by `options.metrics_retention`.
    #[must_use]
    pub fn metrics(&self) -> PgMetricsHistory {
        PgMetricsHistory::new(Arc::clone(&self.shared), self.options.metrics_retention)
    }

    /// The drift reports, bounded by `options.drift_retention`.
    #[must_use]
    pub fn drift_reports(&self) -> PgDriftReports {
        PgDriftReports::new(Arc::clone(&self.shared), self.options.drift_retention)
    }

    /// The pipeline status, its runs bounded by `options.pipeline_runs_retention`.
    #[must_use]
    pub fn pipeline_status(&self) -> PgPipelineStatus {
        PgPipelineStatus::new(
            Arc::clone(&self.shared),
            self.options.pipeline_runs_retention,
        )
    }

    /// The training data sets.
    #[must_use]
    pub fn training_sets(&self) -> PgTrainingSets {
        PgTrainingSets::new(Arc::clone(&self.shared))
    }

    /// The published models and their reference profiles.
    #[must_use]
    pub fn models(&self) -> PgModelStore {
        PgModelStore::new(Arc::clone(&self.shared))
    }

    /// The API keys kept in the database (`scorewatch keys`), as SHA-256 digests.
    #[must_use]
    pub fn api_keys(&self) -> PgApiKeys {
        PgApiKeys::new(Arc::clone(&self.shared))
    }

    /// The alert book, its resolved alerts bounded by `options.alerts_retention`.
    #[must_use]
    pub fn alerts(&self) -> PgAlertStore {
        PgAlertStore::new(Arc::clone(&self.shared), self.options.alerts_retention)
    }

    /// The claims of once-per-interval background jobs, shared by the replicas.
    #[must_use]
    pub fn job_claims(&self) -> PgJobClaims {
        PgJobClaims::new(Arc::clone(&self.shared))
    }

    /// Notices of promotions any replica makes (LISTEN/NOTIFY).
    #[must_use]
    pub fn promotion_notices(&self) -> PgPromotionNotices {
        PgPromotionNotices::new(Arc::clone(&self.shared))
    }

    /// Every store, for core's `Store::from_backends`: the whole store on this database.
    #[must_use]
    pub fn backends(&self) -> StoreBackends {
        StoreBackends {
            backend: BACKEND_NAME,
            predictions: Arc::new(self.predictions()),
            outcomes: Arc::new(self.outcomes()),
            metrics: Arc::new(self.metrics()),
            drift_reports: Arc::new(self.drift_reports()),
            pipeline_status: Arc::new(self.pipeline_status()),
            models: Arc::new(self.models()),
            training_sets: Arc::new(self.training_sets()),
            alerts: Arc::new(self.alerts()),
            job_claims: Arc::new(self.job_claims()),
            promotions: Some(Arc::new(self.promotion_notices())),
        }
    }
}

/// Creating and dropping databases, for tests that give each test a database of its
/// own (`features = ["testing"]`).
#[cfg(feature = "testing")]
pub mod testing {
    use crate::bridge::Bridge;
    use crate::connect::{ConnectError, DatabaseUrl};

    fn admin(
        server: &DatabaseUrl,
        sql: String,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let bridge = Bridge::new()?;
        let server = server.clone();
        bridge.run(async move {
            let mut conn = server.connection().await?;
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })?
    }

    /// Runs one statement on the database `url` names (tests arrange states the API
    /// cannot make, such as a migration from a newer build).
    ///
    /// # Errors
    /// When the server refuses.
    pub fn execute(
        url: &DatabaseUrl,
        sql: &str,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        admin(url, sql.to_owned())
    }

    /// Creates database `name` on `server` (whose own database is used to connect).
    ///
    /// # Errors
    /// When the server refuses.
    pub fn create_database(
        server: &DatabaseUrl,
        name: &str,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        check_name(name)?;
        admin(server, format!("CREATE DATABASE \"{name}\""))
    }

    /// Drops database `name` (closing its other sessions first).
    ///
    /// # Errors
    /// When the server refuses.
    pub fn drop_database(
        server: &DatabaseUrl,
        name: &str,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        check_name(name)?;
        admin(
            server,
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
    }

    fn check_name(name: &str) -> Result<(), ConnectError> {
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
            Ok(())
        } else {
            Err(ConnectError::InvalidUrl {
                reason: format!("{name:?} is not a plain database name"),
            })
        }
    }
}
