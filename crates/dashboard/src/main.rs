//! `scorewatch-dashboard`: sets up logging, reads flags and environment, opens the window.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Parser;
use scorewatch_dashboard::{ApiKey, DashboardApp, HttpClient, KeySource, StartupOptions};

/// The scorewatch desktop dashboard. It reads everything through the scorewatch API.
#[derive(Debug, Parser)]
#[command(name = "scorewatch-dashboard", version, about)]
struct Args {
    /// Base URL of the API [default: the remembered one, else `http://127.0.0.1:8000`].
    #[arg(long, env = "SCOREWATCH_API_URL")]
    api_url: Option<String>,
    /// API key, sent with every request: writes need it, and reads too on a server started
    /// with `--protect-reads` (never logged).
    #[arg(long, env = "SCOREWATCH_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Local data directory: only its key file (`secrets/api_key`) is read, when no key is
    /// given and the API runs on this machine.
    #[arg(long, env = "SCOREWATCH_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Log file [default: <data dir>/logs/dashboard.log].
    #[arg(long, env = "SCOREWATCH_DASHBOARD_LOG")]
    log_file: Option<PathBuf>,
    /// Log filter, as `RUST_LOG`.
    #[arg(
        long,
        env = "RUST_LOG",
        default_value = "info,scorewatch_dashboard=debug"
    )]
    log: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let log_file = args
        .log_file
        .clone()
        .unwrap_or_else(|| args.data_dir.join("logs").join("dashboard.log"));
    init_logging(&log_file, &args.log)?;

    let (api_key, key_source) = match args.api_key.as_deref().and_then(ApiKey::new) {
        Some(key) => (Some(key), KeySource::Environment),
        None => match read_key_file(&args.data_dir) {
            Some(key) => (Some(key), KeySource::KeyFile),
            None => (None, KeySource::None),
        },
    };
    tracing::info!(api_url = ?args.api_url, ?key_source, log = %log_file.display(), "dashboard starting");
    let options = StartupOptions {
        api_url: args
            .api_url
            .map(|u| u.trim().trim_end_matches('/').to_owned()),
        api_key,
        key_source,
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("scorewatch")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([800.0, 500.0]),
        ..Default::default()
    };
    eframe::run_native(
        "scorewatch-dashboard",
        native,
        Box::new(|cc| {
            Ok(Box::new(DashboardApp::new(
                cc,
                options,
                Box::new(HttpClient::new()),
            )))
        }),
    )
    .map_err(|err| anyhow::anyhow!("cannot open the dashboard window: {err}"))?;
    tracing::info!("dashboard closed");
    Ok(())
}

fn read_key_file(data_dir: &Path) -> Option<ApiKey> {
    let path = data_dir.join("secrets").join("api_key");
    match std::fs::read_to_string(&path) {
        Ok(text) => ApiKey::new(&text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => {
            tracing::warn!(file = %path.display(), error = %err, "cannot read the api key file");
            None
        }
    }
}

fn init_logging(file: &Path, filter: &str) -> anyhow::Result<()> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the log directory {}", dir.display()))?;
    }
    let writer = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("cannot open the log file {}", file.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .with_context(|| format!("invalid log filter `{filter}`"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(writer))
        .init();
    Ok(())
}
