//! The embedded, versioned migrations (`crates/postgres/migrations/`), applied under a
//! PostgreSQL advisory lock so that replicas starting together apply each once.

use std::collections::BTreeSet;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{Connection as _, PgConnection};

use crate::connect::{ConnectError, DatabaseUrl};

/// The migrations, compiled into the binary: applying them needs no file at run time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Serialises migrators across replicas (`pg_advisory_lock` key).
const MIGRATE_LOCK: i64 = 0x5c0e_0003;

/// Serialises the creation of prediction partitions across replicas
/// (`pg_advisory_xact_lock` key).
pub(crate) const PARTITION_LOCK: i64 = 0x5c0e_0002;

/// Monthly prediction partitions kept ready ahead: this month and the next two, so that
/// a replica restarted once a month never sends a month's rows to the default partition.
pub(crate) const PARTITION_MONTHS: i32 = 3;

/// What [`crate::migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this call (empty when the schema was up to date).
    pub applied: Vec<i64>,
    /// The schema version the database now has.
    pub version: i64,
    /// Monthly prediction partitions created.
    pub partitions_created: i32,
}

/// The newest schema version this build knows.
#[must_use]
pub fn latest_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Why the database cannot be opened or migrated. Every message names the database as
/// `postgres://user@host:port/database`, never with the password.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No connection.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The database was migrated by a newer scorewatch.
    #[error(
        "the database {target} has schema version {found}, newer than this build of scorewatch \
         knows (up to {supported}); upgrade scorewatch, or use another database"
    )]
    SchemaTooNew {
        /// The database.
        target: String,
        /// The newest version applied to it.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// An applied migration differs from this build's (edited after release).
    #[error(
        "the database {target} applied migration {version} with different content than \
         this build's; the schema was changed by another build of scorewatch"
    )]
    SchemaChanged {
        /// The database.
        target: String,
        /// The migration that differs.
        version: i64,
    },
    /// A migration or a query failed.
    #[error("cannot {action} in {target}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// The database.
        target: String,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl OpenError {
    /// Whether trying again later may succeed: the server could not be reached or a
    /// query failed (the server starting up, a connection lost). A bad URL, refused
    /// credentials, a missing database or a schema this build cannot use stay so until
    /// someone changes them.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Connect(ConnectError::Unreachable { .. }) | Self::Database { .. }
        )
    }

    fn database(url: &DatabaseUrl, action: &'static str) -> impl Fn(sqlx::Error) -> Self {
        let target = url.to_string();
        move |err| Self::Database {
            action,
            target: target.clone(),
            source: Box::new(err),
        }
    }
}

/// The versions applied so far (none on a new database).
async fn applied(conn: &mut PgConnection, url: &DatabaseUrl) -> Result<BTreeSet<i64>, OpenError> {
    let err = OpenError::database(url, "read the schema version");
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(&err)?;
    if !exists {
        return Ok(BTreeSet::new());
    }
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(&err)?;
    Ok(versions.into_iter().collect())
}

/// Applies the migrations this build has and the database lacks, then makes sure the
/// coming months' prediction partitions exist.
///
/// Runs on a connection of its own: sqlx takes a session-level advisory lock for the
/// migrations, and a pooled connection would keep that lock if a migration failed.
///
/// # Errors
/// [`OpenError::SchemaTooNew`] when the database has a version this build does not know
/// (nothing is changed then); [`OpenError::Connect`] naming host and database; others
/// naming what failed.
pub(crate) async fn migrate(url: &DatabaseUrl) -> Result<MigrationReport, OpenError> {
    let mut conn = url.connection().await?;
    let supported = latest_version();
    let target = url.to_string();
    // One migrator at a time from the first read to the last write, so that what each
    // reports as applied is what it applied. sqlx takes its own lock inside (the same
    // kind, on another key), which is then always free. Session-level: released when
    // this connection closes, also when a step fails and it is dropped.
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATE_LOCK)
        .execute(&mut conn)
        .await
        .map_err(OpenError::database(url, "take the migration lock"))?;
    let before = applied(&mut conn, url).await?;
    if let Some(&found) = before.last()
        && found > supported
    {
        return Err(OpenError::SchemaTooNew {
            target,
            found,
            supported,
        });
    }
    // `run_direct` on the connection itself: `run` takes an `Acquire`, whose impl for
    // `&mut PgConnection` is not general enough for a future sent to another thread.
    MIGRATOR
        .run_direct(None, &mut conn, false)
        .await
        .map_err(|err| match err {
            // Another replica, newer, migrated between our check and the lock.
            MigrateError::VersionMissing(found) => OpenError::SchemaTooNew {
                target: target.clone(),
                found,
                supported,
            },
            MigrateError::VersionMismatch(version) => OpenError::SchemaChanged {
                target: target.clone(),
                version,
            },
            other => OpenError::Database {
                action: "apply the schema migrations",
                target: target.clone(),
                source: Box::new(other),
            },
        })?;
    let after = applied(&mut conn, url).await?;
    let partitions_created = partitions(&mut conn, url).await?;
    let _ = conn.close().await;
    Ok(MigrationReport {
        applied: after.difference(&before).copied().collect(),
        version: after.last().copied().unwrap_or(0),
        partitions_created,
    })
}

/// Creates the coming months' prediction partitions, one replica at a time.
async fn partitions(conn: &mut PgConnection, url: &DatabaseUrl) -> Result<i32, OpenError> {
    let err = OpenError::database(url, "create prediction partitions");
    let mut tx = conn.begin().await.map_err(&err)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PARTITION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(&err)?;
    let created: i32 = sqlx::query_scalar(
        "SELECT scorewatch_prediction_partitions(date_trunc('month', now())::date, $1)",
    )
    .bind(PARTITION_MONTHS)
    .fetch_one(&mut *tx)
    .await
    .map_err(&err)?;
    tx.commit().await.map_err(&err)?;
    Ok(created)
}
