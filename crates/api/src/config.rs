//! Typed settings of `scorewatch serve`: command-line flags with environment fallbacks.
//!
//! Each setting mirrors one of the guide's gunicorn settings (`docs/configuration.md`).
//! API keys are read from the environment only (a flag would show them in `ps`), and
//! [`Config`]'s `Debug` never prints them.

use std::fmt;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use scorewatch_core::{AlertRules, DEFAULT_MIN_PRODUCTION_ROWS, RetryPolicy};
use scorewatch_postgres::DatabaseUrl;

/// Default port, as gunicorn's `--bind 0.0.0.0:8000` in the old service.
pub const DEFAULT_PORT: u16 = 8000;
/// Default worker threads: the guide's `--workers 2`.
pub const DEFAULT_WORKERS: usize = 2;
/// Default keep-alive in seconds: the guide's `--keep-alive 5`.
pub const DEFAULT_KEEP_ALIVE_SECS: u64 = 5;
/// Default graceful shutdown timeout in seconds: the guide's `--graceful-timeout 60`.
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECS: u64 = 60;
/// Default handler deadline in seconds: the guide's `--timeout 120`.
pub const DEFAULT_HANDLER_TIMEOUT_SECS: u64 = 120;
/// Default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default limit of an uploaded training set: 256 MiB (about two million rows of a
/// dozen features), far above `--body-limit` because a training set is one large file.
pub const DEFAULT_TRAINING_UPLOAD_LIMIT: usize = 256 * 1024 * 1024;
/// Default maximum instances in one `POST /predict`.
pub const DEFAULT_BATCH_LIMIT: usize = 1000;
/// Default predictions between two background drift reports.
pub const DEFAULT_DRIFT_EVERY: u64 = 1000;
/// Default newest predictions compared by a drift report.
pub const DEFAULT_DRIFT_WINDOW: usize = 10_000;
/// Default shortest time in seconds between two background drift reports.
pub const DEFAULT_DRIFT_MIN_INTERVAL_SECS: u64 = 60;
/// Default outcomes between two production metrics computations.
pub const DEFAULT_METRICS_EVERY: u64 = 500;
/// Default `--outcome-horizon-days`: outcomes are taken for predictions up to 400 days
/// old (a year of loan or churn labels, with a month to spare).
pub const DEFAULT_OUTCOME_HORIZON_DAYS: NonZeroU32 = NonZeroU32::new(400).expect("400 > 0");
/// Environment variable holding the API keys, comma separated.
pub const API_KEYS_ENV: &str = "SCOREWATCH_API_KEYS";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Flags of `scorewatch serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SCOREWATCH_HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Port to listen on (`PORT` is what Render sets); 0 picks a free port.
    #[arg(long, env = "PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// HTTP worker threads (gunicorn `--workers`).
    #[arg(long, env = "SCOREWATCH_WORKERS", default_value_t = DEFAULT_WORKERS)]
    pub workers: usize,
    /// Seconds an idle keep-alive connection stays open (gunicorn `--keep-alive`).
    #[arg(long, env = "SCOREWATCH_KEEP_ALIVE", default_value_t = DEFAULT_KEEP_ALIVE_SECS)]
    pub keep_alive: u64,
    /// Seconds in-flight requests get to finish after SIGTERM (gunicorn `--graceful-timeout`).
    #[arg(long, env = "SCOREWATCH_SHUTDOWN_TIMEOUT", default_value_t = DEFAULT_SHUTDOWN_TIMEOUT_SECS)]
    pub shutdown_timeout: u64,
    /// Seconds a handler may run before the request fails with 503 (gunicorn `--timeout`).
    #[arg(long, env = "SCOREWATCH_HANDLER_TIMEOUT", default_value_t = DEFAULT_HANDLER_TIMEOUT_SECS)]
    pub handler_timeout: u64,
    /// Largest accepted request body in bytes (gunicorn `--limit-request-line`/nginx
    /// `client_max_body_size`).
    #[arg(long, env = "SCOREWATCH_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Largest training set in bytes accepted by `PUT /monitoring/training-data/{name}`.
    #[arg(long, env = "SCOREWATCH_TRAINING_UPLOAD_LIMIT", default_value_t = DEFAULT_TRAINING_UPLOAD_LIMIT)]
    pub training_upload_limit: usize,
    /// Largest number of instances in one `POST /predict` ("limit batch processing").
    #[arg(long, env = "SCOREWATCH_BATCH_LIMIT", default_value_t = DEFAULT_BATCH_LIMIT)]
    pub batch_limit: usize,
    /// Predictions between two background drift reports (0 turns them off).
    #[arg(long, env = "SCOREWATCH_DRIFT_EVERY", default_value_t = DEFAULT_DRIFT_EVERY)]
    pub drift_every: u64,
    /// Newest predictions of the current model a drift report compares.
    #[arg(long, env = "SCOREWATCH_DRIFT_WINDOW", default_value_t = DEFAULT_DRIFT_WINDOW)]
    pub drift_window: usize,
    /// Shortest time in seconds between two background drift reports, whatever the
    /// request rate (0: only `--drift-every` counts).
    #[arg(long, env = "SCOREWATCH_DRIFT_MIN_INTERVAL", default_value_t = DEFAULT_DRIFT_MIN_INTERVAL_SECS)]
    pub drift_min_interval: u64,
    /// Outcomes between two production metrics computations (0 turns them off).
    #[arg(long, env = "SCOREWATCH_METRICS_EVERY", default_value_t = DEFAULT_METRICS_EVERY)]
    pub metrics_every: u64,
    /// Labelled production rows needed before they join a pipeline run's training data
    /// (0: any); the run-pipeline body's `min_production_rows` overrides it per run.
    #[arg(long, env = "SCOREWATCH_MIN_PRODUCTION_ROWS", default_value_t = DEFAULT_MIN_PRODUCTION_ROWS)]
    pub min_production_rows: usize,
    /// Log line format.
    #[arg(long, env = "SCOREWATCH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Require `X-API-Key` on reads too (`/health` and the API docs stay public).
    #[arg(long, env = "SCOREWATCH_PROTECT_READS")]
    pub protect_reads: bool,
    // Alerts (issue 16).
    /// Alert rules file (TOML); keys it leaves out keep their defaults. A bad file
    /// refuses the start, naming the line and key.
    #[arg(long, env = "SCOREWATCH_ALERT_RULES")]
    pub alert_rules: Option<PathBuf>,
    /// Webhook URL that receives alert notifications (repeatable; the environment
    /// variable takes a comma-separated list).
    #[arg(long = "alert-webhook", env = "SCOREWATCH_ALERT_WEBHOOKS", value_delimiter = ',',
        value_parser = parse_webhook_url, hide_env_values = true)]
    pub alert_webhooks: Vec<WebhookUrl>,
    /// Key of the HMAC-SHA256 signature sent with every notification
    /// (`X-Scorewatch-Signature: sha256=<hex>`); never logged.
    #[arg(long, env = "SCOREWATCH_ALERT_WEBHOOK_SECRET", value_parser = parse_secret,
        hide_env_values = true)]
    pub alert_webhook_secret: Option<Secret>,
    /// Seconds `serve` keeps trying a database (`--database-url`) that it cannot reach at
    /// start, with growing pauses, before it gives up.
    #[arg(long, env = "SCOREWATCH_DATABASE_WAIT", value_name = "SECONDS",
        default_value_t = crate::backend::DEFAULT_DATABASE_WAIT.as_secs())]
    pub database_wait: u64,
    // File backend retention (issue 14).
    /// Delete prediction archives (one per UTC day) whose every row is older than this
    /// many days, at start and at each daily rotation; with --database-url, drop the
    /// monthly prediction partitions (with their outcomes) past it, at start and hourly.
    /// Off by default: nothing is deleted unless asked.
    #[arg(long, env = "SCOREWATCH_RETENTION_DAYS", value_name = "DAYS",
        value_parser = parse_days, allow_negative_numbers = true)]
    pub retention_days: Option<NonZeroU32>,
    /// Outcomes are taken for predictions up to this many days old; the outcome index
    /// (memory) holds only those. An older id gets 422 `outside_outcome_horizon`.
    #[arg(long, env = "SCOREWATCH_OUTCOME_HORIZON_DAYS", value_name = "DAYS",
        value_parser = parse_days, allow_negative_numbers = true,
        default_value_t = DEFAULT_OUTCOME_HORIZON_DAYS)]
    pub outcome_horizon_days: NonZeroU32,
    // Replicas (issue 14).
    /// This replica's name in `/health` and the logs (default: `RENDER_INSTANCE_ID`
    /// when set, else `hostname-pid`).
    #[arg(long, env = "SCOREWATCH_REPLICA_NAME", value_name = "NAME",
        value_parser = check_replica_name)]
    pub replica_name: Option<String>,
}

/// The environment variable Render sets to each instance's id.
pub const RENDER_INSTANCE_ENV: &str = "RENDER_INSTANCE_ID";

/// The replica name `/health` reports when none is given: `RENDER_INSTANCE_ID` (`render`
/// is `Some` when it is set), else the host name and the process id, which tell apart
/// replicas on one machine too.
#[must_use]
pub fn default_replica_name(render: Option<&str>) -> String {
    if let Some(id) = render.map(str::trim).filter(|id| !id.is_empty()) {
        return id.to_owned();
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "scorewatch".to_owned());
    format!("{host}-{}", std::process::id())
}

/// Checks a replica name: one line, at most 100 characters (it is shown in
/// `/health`, logs and the dashboard).
///
/// # Errors
/// What is wrong with it.
pub fn check_replica_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        Err("the replica name is empty".to_owned())
    } else if name.chars().count() > 100 {
        Err("the replica name is longer than 100 characters".to_owned())
    } else if name.chars().any(char::is_control) {
        Err("the replica name holds a control character".to_owned())
    } else {
        Ok(name.to_owned())
    }
}

/// Checks a number of days: a whole number, 1 or more.
///
/// # Errors
/// A message saying what the value should be (clap names the flag and the value).
pub fn parse_days(raw: &str) -> Result<NonZeroU32, String> {
    let days: i64 = raw
        .trim()
        .parse()
        .map_err(|_| "must be a whole number of days, such as 30".to_owned())?;
    u32::try_from(days)
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or_else(|| {
            format!(
                "must be 1 day or more (and at most {}), not {days}",
                u32::MAX
            )
        })
}

/// A webhook URL. Its `Debug` shows only the scheme and host: a Slack webhook's path
/// is its token.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// The full URL; call only where it is sent to.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `scheme://host[:port]`, for logs.
    #[must_use]
    pub fn origin(&self) -> String {
        reqwest::Url::parse(&self.0).map_or_else(
            |_| "invalid URL".to_owned(),
            |url| url.origin().ascii_serialization(),
        )
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({}/[redacted])", self.origin())
    }
}

/// Checks an `--alert-webhook`: an absolute `http` or `https` URL.
///
/// # Errors
/// A message naming what is wrong (never the URL, which may hold a token).
pub fn parse_webhook_url(raw: &str) -> Result<WebhookUrl, String> {
    let raw = raw.trim();
    let url = reqwest::Url::parse(raw).map_err(|err| format!("not a URL: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must be an http:// or https:// URL with a host".to_owned());
    }
    Ok(WebhookUrl(raw.to_owned()))
}

fn parse_secret(raw: &str) -> Result<Secret, String> {
    if raw.is_empty() {
        return Err("must not be empty".to_owned());
    }
    Ok(Secret::new(raw))
}

/// A secret string whose `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is compared or sent.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The settings the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory.
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; 0 picks a free one (tests).
    pub port: u16,
    /// HTTP worker threads.
    pub workers: usize,
    /// Idle keep-alive.
    pub keep_alive: Duration,
    /// Grace period for in-flight requests on shutdown.
    pub shutdown_timeout: Duration,
    /// Deadline of one handler.
    pub handler_timeout: Duration,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// Largest uploaded training set in bytes.
    pub training_upload_limit: usize,
    /// Largest `POST /predict` batch.
    pub batch_limit: usize,
    /// Predictions between background drift reports; 0 means never.
    pub drift_every: u64,
    /// Newest predictions in a drift window.
    pub drift_window: usize,
    /// Shortest time between background drift reports.
    pub drift_min_interval: Duration,
    /// Outcomes between production metrics computations; 0 means never.
    pub metrics_every: u64,
    /// Labelled production rows a pipeline run needs before it trains on them, unless
    /// the run's request says otherwise.
    pub min_production_rows: usize,
    /// Log format.
    pub log_format: LogFormat,
    /// Whether reads need a key too.
    pub protect_reads: bool,
    /// Keys from `SCOREWATCH_API_KEYS`; empty means use (or generate) `data/secrets/api_key`.
    pub api_keys: Vec<Secret>,
    // Alerts (issue 16).
    /// Where `alert_rules` came from, when a file.
    pub alert_rules_file: Option<PathBuf>,
    /// The alert rules: the defaults, or the file's (see [`Config::load_alert_rules`]).
    pub alert_rules: AlertRules,
    /// Webhooks that receive alert notifications.
    pub alert_webhooks: Vec<WebhookUrl>,
    /// Key of the notifications' HMAC-SHA256 signature.
    pub alert_webhook_secret: Option<Secret>,
    /// When failed notifications are tried again (not a flag: tests shorten it).
    pub alert_retry: RetryPolicy,
    // File backend retention (issue 14).
    /// Prediction archives older than this many days are deleted (`None`: kept).
    pub retention_days: Option<NonZeroU32>,
    /// Outcomes are taken for predictions up to this many days old.
    pub outcome_horizon_days: NonZeroU32,
    /// The PostgreSQL database that keeps the data instead of the data directory (the
    /// global `--database-url`); its `Debug` has no password.
    pub database_url: Option<DatabaseUrl>,
    /// How long an unreachable database is tried at start.
    pub database_wait: Duration,
    // Replicas (issue 14).
    /// This replica's name, as `/health` reports it.
    pub replica_name: String,
    /// How often the keys kept in the database are read again, so that a key added or
    /// revoked on any machine takes effect here (not a flag: tests shorten it).
    pub key_refresh: Duration,
}

impl Config {
    /// The defaults, for `data_dir`, with no keys configured.
    #[must_use]
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            host: "0.0.0.0".to_owned(),
            port: DEFAULT_PORT,
            workers: DEFAULT_WORKERS,
            keep_alive: Duration::from_secs(DEFAULT_KEEP_ALIVE_SECS),
            shutdown_timeout: Duration::from_secs(DEFAULT_SHUTDOWN_TIMEOUT_SECS),
            handler_timeout: Duration::from_secs(DEFAULT_HANDLER_TIMEOUT_SECS),
            body_limit: DEFAULT_BODY_LIMIT,
            training_upload_limit: DEFAULT_TRAINING_UPLOAD_LIMIT,
            batch_limit: DEFAULT_BATCH_LIMIT,
            drift_every: DEFAULT_DRIFT_EVERY,
            drift_window: DEFAULT_DRIFT_WINDOW,
            drift_min_interval: Duration::from_secs(DEFAULT_DRIFT_MIN_INTERVAL_SECS),
            metrics_every: DEFAULT_METRICS_EVERY,
            min_production_rows: DEFAULT_MIN_PRODUCTION_ROWS,
            log_format: LogFormat::Text,
            protect_reads: false,
            api_keys: Vec::new(),
            alert_rules_file: None,
            alert_rules: AlertRules::default(),
            alert_webhooks: Vec::new(),
            alert_webhook_secret: None,
            alert_retry: RetryPolicy::default(),
            retention_days: None,
            outcome_horizon_days: DEFAULT_OUTCOME_HORIZON_DAYS,
            database_url: None,
            database_wait: crate::backend::DEFAULT_DATABASE_WAIT,
            replica_name: default_replica_name(None),
            key_refresh: crate::auth::DEFAULT_KEY_REFRESH,
        }
    }

    /// Reads `alert_rules_file`, if set, into `alert_rules`; called before anything
    /// else at start, so a bad file changes nothing on disk.
    ///
    /// # Errors
    /// The file cannot be read, or names an unknown key or a bad value (with its line).
    pub fn load_alert_rules(&mut self) -> Result<(), scorewatch_core::AlertRulesError> {
        if let Some(path) = &self.alert_rules_file {
            self.alert_rules = AlertRules::load(path)?;
        }
        Ok(())
    }

    /// Settings from parsed flags, the data directory and the raw value of
    /// `SCOREWATCH_API_KEYS` (if set).
    #[must_use]
    pub fn from_args(args: ServeArgs, data_dir: PathBuf, api_keys_env: Option<&str>) -> Self {
        Self {
            data_dir,
            host: args.host,
            port: args.port,
            workers: args.workers.max(1),
            keep_alive: Duration::from_secs(args.keep_alive),
            shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
            handler_timeout: Duration::from_secs(args.handler_timeout.max(1)),
            body_limit: args.body_limit,
            training_upload_limit: args.training_upload_limit,
            batch_limit: args.batch_limit.max(1),
            drift_every: args.drift_every,
            drift_window: args.drift_window.max(1),
            drift_min_interval: Duration::from_secs(args.drift_min_interval),
            metrics_every: args.metrics_every,
            min_production_rows: args.min_production_rows,
            log_format: args.log_format,
            protect_reads: args.protect_reads,
            api_keys: parse_keys(api_keys_env.unwrap_or_default()),
            alert_rules_file: args.alert_rules,
            alert_rules: AlertRules::default(),
            alert_webhooks: args.alert_webhooks,
            alert_webhook_secret: args.alert_webhook_secret,
            alert_retry: RetryPolicy::default(),
            retention_days: args.retention_days,
            outcome_horizon_days: args.outcome_horizon_days,
            database_url: None,
            database_wait: Duration::from_secs(args.database_wait),
            replica_name: args.replica_name.unwrap_or_else(|| {
                default_replica_name(std::env::var(RENDER_INSTANCE_ENV).ok().as_deref())
            }),
            key_refresh: crate::auth::DEFAULT_KEY_REFRESH,
        }
    }
}

/// Splits `SCOREWATCH_API_KEYS` on commas, dropping blanks around and between keys.
#[must_use]
pub fn parse_keys(raw: &str) -> Vec<Secret> {
    raw.split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(Secret::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn the_replica_name_defaults_to_render_s_instance_id_else_host_and_pid() {
        assert_eq!(default_replica_name(Some("srv-abc-5d8f")), "srv-abc-5d8f");
        let local = default_replica_name(None);
        assert!(
            local.ends_with(&format!("-{}", std::process::id())),
            "{local}"
        );
        assert_eq!(default_replica_name(Some("  ")), local);
        let args = Wrapper::try_parse_from(["x", "--replica-name", " eu-1 "]).unwrap();
        let config = Config::from_args(args.serve, PathBuf::from("data"), None);
        assert_eq!(config.replica_name, "eu-1");
        assert!(Wrapper::try_parse_from(["x", "--replica-name", ""]).is_err());
    }

    #[test]
    fn debug_never_shows_keys() {
        let mut config = Config::new(PathBuf::from("data"));
        config.api_keys = parse_keys("s3cret-one, s3cret-two");
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert_eq!(config.api_keys.len(), 2);
    }

    #[test]
    fn webhooks_repeat_and_split_and_neither_they_nor_the_secret_are_printed() {
        let args = Wrapper::try_parse_from([
            "x",
            "--alert-webhook",
            "https://hooks.example.com/T000/B000/tok3n",
            "--alert-webhook=http://127.0.0.1:9/a,http://127.0.0.1:9/b",
            "--alert-webhook-secret",
            "hm4c-secret",
        ])
        .expect("flags parse")
        .serve;
        let config = Config::from_args(args, PathBuf::from("d"), None);
        let urls: Vec<_> = config
            .alert_webhooks
            .iter()
            .map(WebhookUrl::expose)
            .collect();
        assert_eq!(
            urls,
            [
                "https://hooks.example.com/T000/B000/tok3n",
                "http://127.0.0.1:9/a",
                "http://127.0.0.1:9/b"
            ]
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("tok3n"), "{printed}");
        assert!(!printed.contains("hm4c"), "{printed}");
        assert!(printed.contains("https://hooks.example.com"), "{printed}");
        let err = Wrapper::try_parse_from(["x", "--alert-webhook", "ftp://x/secret-path"])
            .expect_err("only http(s)");
        assert!(err.to_string().contains("http://"), "{err}");
    }

    #[test]
    fn a_bad_rules_file_is_refused_naming_line_and_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, "[performance_drop]\nmax_drop = 0.1\nmin_row = 5\n").expect("write");
        let mut config = Config::new(PathBuf::from("d"));
        config.alert_rules_file = Some(path.clone());
        let err = config.load_alert_rules().expect_err("refused");
        assert_eq!(
            err.to_string(),
            format!(
                "alert rules file {}:3:1: key `performance_drop.min_row`: unknown field `min_row`, expected one of `enabled`, `severity`, `max_drop`, `min_rows`",
                path.display()
            )
        );
        std::fs::write(&path, "[performance_drop]\nmax_drop = 0.1\n").expect("write");
        config.load_alert_rules().expect("a good file loads");
        assert!((config.alert_rules.performance_drop.max_drop.get() - 0.1).abs() < 1e-12);
    }

    #[test]
    fn blank_keys_are_dropped() {
        let keys = parse_keys(" a ,, ,b,");
        let exposed: Vec<_> = keys.iter().map(Secret::expose).collect();
        assert_eq!(exposed, ["a", "b"]);
    }

    #[test]
    fn flag_defaults_match_config_defaults() {
        let args = Wrapper::try_parse_from(["x"])
            .expect("defaults parse")
            .serve;
        let from_flags = Config::from_args(args, PathBuf::from("d"), None);
        let defaults = Config::new(PathBuf::from("d"));
        assert_eq!(format!("{from_flags:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn flags_override_defaults() {
        let args = Wrapper::try_parse_from([
            "x",
            "--port",
            "9000",
            "--workers",
            "4",
            "--log-format",
            "json",
            "--protect-reads",
            "--min-production-rows",
            "25",
        ])
        .expect("flags parse")
        .serve;
        let config = Config::from_args(args, PathBuf::from("d"), Some("k"));
        assert_eq!(config.min_production_rows, 25);
        assert_eq!(config.port, 9000);
        assert_eq!(config.workers, 4);
        assert_eq!(config.log_format, LogFormat::Json);
        assert!(config.protect_reads);
        assert_eq!(config.api_keys, vec![Secret::new("k")]);
    }

    #[test]
    fn min_production_rows_defaults_to_the_core_default_and_refuses_a_negative() {
        let args = Wrapper::try_parse_from(["x"])
            .expect("defaults parse")
            .serve;
        assert_eq!(args.min_production_rows, DEFAULT_MIN_PRODUCTION_ROWS);
        let zero = Wrapper::try_parse_from(["x", "--min-production-rows", "0"])
            .expect("0 means any")
            .serve;
        assert_eq!(zero.min_production_rows, 0);
        let err = Wrapper::try_parse_from(["x", "--min-production-rows=-5"])
            .expect_err("a negative count is refused");
        assert!(err.to_string().contains("--min-production-rows"), "{err}");
        let command = <Wrapper as clap::CommandFactory>::command();
        let flag = command
            .get_arguments()
            .find(|arg| arg.get_id() == "min_production_rows")
            .expect("the flag exists");
        assert_eq!(
            flag.get_env(),
            Some(std::ffi::OsStr::new("SCOREWATCH_MIN_PRODUCTION_ROWS"))
        );
    }

    // File backend retention (issue 14).
    #[test]
    fn retention_is_off_and_the_horizon_400_days_by_default() {
        let args = Wrapper::try_parse_from(["x"])
            .expect("defaults parse")
            .serve;
        assert_eq!(args.retention_days, None);
        assert_eq!(args.outcome_horizon_days.get(), 400);
        let set = Wrapper::try_parse_from([
            "x",
            "--retention-days",
            "30",
            "--outcome-horizon-days",
            "90",
        ])
        .expect("flags parse")
        .serve;
        let config = Config::from_args(set, PathBuf::from("d"), None);
        assert_eq!(config.retention_days.map(NonZeroU32::get), Some(30));
        assert_eq!(config.outcome_horizon_days.get(), 90);
        let command = <Wrapper as clap::CommandFactory>::command();
        for (id, env) in [
            ("retention_days", "SCOREWATCH_RETENTION_DAYS"),
            ("outcome_horizon_days", "SCOREWATCH_OUTCOME_HORIZON_DAYS"),
        ] {
            let flag = command
                .get_arguments()
                .find(|arg| arg.get_id() == id)
                .expect("the flag exists");
            assert_eq!(flag.get_env(), Some(std::ffi::OsStr::new(env)));
        }
    }

    #[test]
    fn day_counts_that_are_zero_negative_or_not_numbers_are_refused_naming_the_flag() {
        for flag in ["--retention-days", "--outcome-horizon-days"] {
            for (value, reason) in [
                ("0", "must be 1 day or more"),
                ("-3", "must be 1 day or more"),
                ("ten", "must be a whole number of days"),
                ("1.5", "must be a whole number of days"),
                ("99999999999", "must be 1 day or more"),
            ] {
                let err = Wrapper::try_parse_from(["x", flag, value])
                    .expect_err("a bad day count is refused");
                let text = err.to_string();
                assert!(text.contains(flag), "{flag} {value}: {text}");
                assert!(text.contains(reason), "{flag} {value}: {text}");
            }
        }
    }
}
