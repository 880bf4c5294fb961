//! Talking to the scorewatch API: the [`ApiClient`] trait the app drives, and
//! [`HttpClient`], its reqwest implementation that runs every request on a background thread.
//!
//! - `key`: the [`ApiKey`], never printed.
//! - `request`: [`Request`], [`PredictionsQuery`] and the [`Payload`]s that answer them.
//! - `error`: [`ApiError`].
//! - `http`: [`HttpClient`], [`build_http`] and [`execute`].

mod error;
mod http;
mod key;
mod request;

pub use error::ApiError;
pub use http::{HttpClient, build_http, execute};
pub use key::{API_KEY_HEADER, ApiKey};
pub use request::{Payload, PredictionsQuery, Request, RequestKind};

/// The answer to one [`Request`].
#[derive(Debug, Clone)]
pub struct Response {
    /// What was asked.
    pub request: Request,
    /// The base URL it was sent to.
    pub base_url: String,
    /// The key it carried: a refusal of a key the user has since replaced is stale.
    pub key: Option<ApiKey>,
    /// What came back.
    pub result: Result<Payload, ApiError>,
}

/// The dashboard's only way to the API. Implementations must not block: `send` starts the
/// call and returns, the answer is collected later by `poll`, and the implementation wakes
/// the UI with [`egui::Context::request_repaint`] when it arrives.
pub trait ApiClient {
    /// Starts `request` against the API at `base_url` (such as `http://127.0.0.1:8000`).
    /// `key`, when set, goes with every request, reads included: a server started with
    /// `--protect-reads` refuses reads without it.
    fn send(&mut self, ctx: &egui::Context, base_url: &str, key: Option<&ApiKey>, request: Request);

    /// The answers that arrived since the last call, oldest first.
    fn poll(&mut self) -> Vec<Response>;
}
