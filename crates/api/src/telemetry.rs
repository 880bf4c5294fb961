//! Logging through `tracing`: to stdout and to `data/logs/api.log`, as text or JSON.
//!
//! The file is written by a background thread so request handlers never wait on it; the
//! returned guard flushes it when dropped, so keep it alive until the process exits.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Failures while setting up logging.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The log directory could not be created.
    #[error("log directory {path}: {source}")]
    LogDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A global subscriber was already installed.
    #[error("logging already initialised: {0}")]
    AlreadySet(String),
}

/// `data_dir/logs/api.log`.
#[must_use]
pub fn log_file(data_dir: &Path) -> PathBuf {
    data_dir.join("logs").join("api.log")
}

/// Installs the global subscriber: `RUST_LOG` (default `info`) filters, lines go to stdout
/// and are appended to `data_dir/logs/api.log`.
pub fn init(data_dir: &Path, format: LogFormat) -> Result<WorkerGuard, TelemetryError> {
    let dir = data_dir.join("logs");
    fs::create_dir_all(&dir).map_err(|source| TelemetryError::LogDir {
        path: dir.clone(),
        source,
    })?;
    let (file_writer, guard) =
        tracing_appender::non_blocking(tracing_appender::rolling::never(&dir, "api.log"));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => registry
            .with(fmt::layer().with_writer(io::stdout))
            .with(fmt::layer().with_ansi(false).with_writer(file_writer))
            .try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(io::stdout))
            .with(fmt::layer().json().with_writer(file_writer))
            .try_init(),
    };
    result.map_err(|err| TelemetryError::AlreadySet(err.to_string()))?;
    Ok(guard)
}
