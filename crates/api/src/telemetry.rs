//! Logging through `tracing`: to stdout and to `data/logs/api.log`, as text or JSON.
//!
//! The file is written by a background thread so request handlers never wait on it; the
//! returned guard flushes it when dropped, so keep it alive until the process exits.

use std::fs;
use std::io::{self, IsTerminal as _};
use std::path::{Path, PathBuf};

use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
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

/// Lines the file writer's queue holds before new ones are dropped. The queue is
/// allocated in full at start (32 B a slot), so `tracing-appender`'s default of 128,000
/// lines was 4 MB of idle memory; the server logs a few lines a minute when healthy.
const FILE_QUEUE_LINES: usize = 8192;

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
    let (file_writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(FILE_QUEUE_LINES)
        .finish(tracing_appender::rolling::never(&dir, "api.log"));
    // Colour codes only for a terminal: redirected output stays plain text, and spans
    // are formatted once without them.
    let ansi = io::stdout().is_terminal();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => registry
            .with(fmt::layer().with_ansi(ansi).with_writer(io::stdout))
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

/// The root span of every request, lighter than `tracing-actix-web`'s default.
///
/// Both fmt layers format a span's fields when it opens, for every request, though no
/// line is printed unless something inside logs. The default span has 15 fields (client
/// IP, user agent, host, scheme, HTTP version, `OpenTelemetry` names) and cost about 7%
/// of the server's CPU under load; this one keeps what an error line needs to be traced
/// back: method, route, path, the request id, and (from the default's end hook) the
/// status and error.
#[derive(Debug)]
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request.match_pattern();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route.as_deref().unwrap_or("default"),
            http.target = %request.path(),
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
