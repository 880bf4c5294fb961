//! `scorewatch serve`: the REST API.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use scorewatch_postgres::DatabaseUrl;

use crate::config::{API_KEYS_ENV, Config, ServeArgs};
use crate::startup::Application;
use crate::telemetry;

/// Runs the server until SIGTERM or SIGINT; exits 0 after a graceful stop. With
/// `database`, the data lives in that PostgreSQL database.
///
/// # Errors
/// When logging, the store (data directory or database), the keys or the listener cannot
/// be set up.
pub fn run(
    args: ServeArgs,
    data_dir: &Path,
    database: Option<DatabaseUrl>,
) -> anyhow::Result<ExitCode> {
    let keys = std::env::var(API_KEYS_ENV).ok();
    let mut config = Config::from_args(args, data_dir.to_path_buf(), keys.as_deref());
    config.database_url = database;
    // Before logging starts (it creates data/logs/): a bad rules file changes nothing.
    config
        .load_alert_rules()
        .context("refusing to start: bad --alert-rules file")?;
    let _log_guard = telemetry::init(&config.data_dir, config.log_format)?;
    tracing::info!(?config, "starting");
    actix_web::rt::System::new()
        .block_on(async move {
            let app = Application::build(config)?;
            app.run_until_stopped().await
        })
        .context("serving")?;
    Ok(ExitCode::SUCCESS)
}
