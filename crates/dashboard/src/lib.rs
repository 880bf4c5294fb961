//! scorewatch-dashboard: the native desktop dashboard of scorewatch (eframe/egui).
//!
//! It reads everything through the HTTP API and never opens the data files.
//!
//! - [`DashboardApp`] is the eframe application. It owns the remembered [`Settings`], the
//!   [`ViewState`] learned from the API, and a boxed [`ApiClient`].
//! - [`ApiClient`] starts requests without blocking and hands back [`Response`]s later;
//!   [`HttpClient`] is the real one (reqwest on background threads, waking the UI with
//!   `request_repaint`). Tests drive the app with a fake. When the app has a key, every
//!   request carries it (`X-API-Key`), reads included, so `serve --protect-reads` works.
//! - [`apply_response`] and the other `apply_*` functions are the only code that changes
//!   the view state from API answers; they are plain functions with unit tests.
//! - Each tab lives in its own module under `tabs/` and returns the [`Action`]s the user
//!   asked for.
//!
//! ```no_run
//! use scorewatch_dashboard::{DashboardApp, HttpClient, KeySource, StartupOptions};
//!
//! let options = StartupOptions { api_url: None, api_key: None, key_source: KeySource::None };
//! eframe::run_native(
//!     "scorewatch",
//!     eframe::NativeOptions::default(),
//!     Box::new(|cc| Ok(Box::new(DashboardApp::new(cc, options, Box::new(HttpClient::new()))))),
//! )
//! .unwrap();
//! ```

mod action;
mod app;
mod client;
mod export;
mod format;
mod settings;
mod startup;
mod state;
mod tabs;

/// The API answers shared by the unit tests and the integration tests.
#[cfg(test)]
#[path = "../tests/support/fixtures.rs"]
mod fixtures;

pub use action::Action;
pub use app::DashboardApp;
pub use client::{
    API_KEY_HEADER, ApiClient, ApiError, ApiKey, HttpClient, Payload, PredictionsQuery, Request,
    RequestKind, Response, build_http, execute,
};
pub use export::{REPORT_DIR_ENV, default_report_dir, report_file_name, save_report};
pub use format::{format_duration, format_time};
pub use settings::{DEFAULT_API_URL, Settings, Tab};
pub use startup::{KeySource, StartupOptions};
pub use state::{
    AUTH_BANNER_TITLE, AlertsState, Connection, DriftColumn, DriftState, FilterError, FollowUp,
    KPI_METRICS, MAX_LOADED_PREDICTIONS, MAX_PAGE_SIZE, Notice, NoticeLevel, PredictionFilter,
    PredictionsRow, PredictionsState, SET_KEY_HINT, START_API_HINT, STORAGE_BANNER_TITLE,
    TimeRange, ViewState, apply_drift, apply_drift_run, apply_predictions, apply_response,
    auth_warning, critical_alerts_banner, delivery_text, sorted_features, storage_warning,
};
pub use tabs::metrics::{HistorySeries, history_series};
