//! The store's error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in the data directory. Each message names the file (and,
/// where known, the line and field) at fault; the underlying error is the `source`, so
/// print the whole chain (`{:#}` with anyhow) to see it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An operating-system call on a path failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What the store was doing, such as `create directory` or `rename`.
        action: &'static str,
        /// The path it was doing it to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Another process (or another `Store` in this process) owns the data directory.
    #[error(
        "data directory {} is in use: lock file {} is held by another scorewatch process{}",
        dir.display(),
        lock.display(),
        holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default()
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// The lock file inside it.
        lock: PathBuf,
        /// What the holder wrote into the lock file (its pid), when readable.
        holder: Option<String>,
    },
    /// A file the store needs does not exist.
    #[error("{} does not exist; run `scorewatch init` (or scripts/initialize_metrics.sh)", path.display())]
    Missing {
        /// The missing file or directory.
        path: PathBuf,
    },
    /// A JSON document does not parse or does not have the expected shape.
    #[error("{}:{line}:{column}: invalid {kind}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What the file should hold, such as `metrics history`.
        kind: &'static str,
        /// 1-based line of the error (0 when not known).
        line: usize,
        /// 1-based column of the error (0 when not known).
        column: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A value could not be turned into JSON.
    #[error("cannot encode {kind} for {}", path.display())]
    Encode {
        /// The file it was meant for.
        path: PathBuf,
        /// What it holds.
        kind: &'static str,
        /// The encoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// A JSON document carries a `schema_version` this build does not read.
    #[error(
        "{}: field schema_version: found {found}, this build of scorewatch reads version {supported}",
        path.display(),
        found = found.map_or_else(|| "no schema_version".to_owned(), |v| v.to_string())
    )]
    SchemaVersion {
        /// The file.
        path: PathBuf,
        /// The version found, `None` when the field is absent or not an integer.
        found: Option<u64>,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// A CSV log's header is not the one the store expects.
    #[error("{}:1: unexpected header {found:?}; expected {expected}", path.display())]
    CsvHeader {
        /// The file.
        path: PathBuf,
        /// What the header should be (or start with).
        expected: String,
        /// The header line found.
        found: String,
    },
    /// A row of a CSV log does not parse.
    #[error("{}: {location}: field {field}: {reason}", path.display())]
    CsvRow {
        /// The file.
        path: PathBuf,
        /// Where the row is: `line N` when reading forward, `row at byte N` when reading
        /// from the end.
        location: String,
        /// The column at fault.
        field: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A record to be written does not fit its file.
    #[error("{}: field {field}: {reason}", path.display())]
    InvalidRecord {
        /// The file it was meant for.
        path: PathBuf,
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A database backend could not do what was asked (connection lost, query refused).
    /// The message says what it was doing; the driver's error is the `source`.
    #[error("database: cannot {action}")]
    Database {
        /// What the store was doing, such as `append predictions`.
        action: String,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database cannot be reached: the connection was refused or lost, or no pooled
    /// connection came free in time. A state that usually passes by itself (a restart, a
    /// fail-over), unlike [`StoreError::Database`]: the API answers 503
    /// `storage_unavailable` with a short `Retry-After`. Nothing of the call was
    /// acknowledged. `target` names the database without its password.
    #[error("database {target} is unavailable: cannot {action}")]
    DatabaseUnavailable {
        /// What the store was doing, such as `append predictions`.
        action: String,
        /// `postgres://user@host:port/database`, never the password.
        target: String,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An outcome for this prediction was already recorded. A database backend enforces
    /// one outcome per id across every replica (the file backend's single process checks
    /// it in memory first); nothing of the batch is written then.
    #[error("an outcome for prediction {prediction_id} was already recorded")]
    DuplicateOutcome {
        /// The prediction id that already has an outcome.
        prediction_id: String,
    },
}

impl StoreError {
    /// Wraps an I/O error with what the store was doing and where.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
