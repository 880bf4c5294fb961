//! Why a call to the API failed.

use std::sync::Arc;

/// Why a call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// No HTTP answer at all: connection refused, DNS, timeout, TLS.
    #[error("cannot reach the api at {url}")]
    Unreachable {
        /// The URL that was called.
        url: String,
        /// The transport error.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// The API answered with an error status.
    #[error("{path} answered {status}: {message}")]
    Status {
        /// Endpoint path.
        path: &'static str,
        /// HTTP status code.
        status: u16,
        /// The `code` of the error body, when the body was an `ErrorBody`.
        code: Option<String>,
        /// The error body's message, or the raw body.
        message: String,
    },
    /// The answer was not the JSON the dashboard expects (API of another version?).
    #[error("cannot read the answer of {path}")]
    Decode {
        /// Endpoint path.
        path: &'static str,
        /// The JSON error, naming line and column.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// The HTTP client could not be set up (TLS provider, invalid settings).
    #[error("cannot set up the http client")]
    Client {
        /// The builder's error.
        #[source]
        source: Arc<reqwest::Error>,
    },
}

impl ApiError {
    /// The HTTP status, for errors that have one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error and all its causes on one line, for the UI and the log.
    #[must_use]
    pub fn chain(&self) -> String {
        scorewatch_core::error_chain(self)
    }
}
