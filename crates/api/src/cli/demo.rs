//! `scorewatch demo`: one command from a fresh clone to a running, populated service.
//!
//! On an empty data directory it creates the structure, writes a generated training
//! sample to `data/training/applications.csv`, trains and publishes the first model,
//! then serves the API (the same server as `scorewatch serve`) and replays generated
//! traffic against it (see [`crate::traffic`]). A data directory that already has a
//! model is reused as it is.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use scorewatch_core::{
    DEFAULT_TRAINING_FILE, DataLayout, InitAction, InitReport, PipelineRunner, RunOutcome,
    RunRequest, Scenario, Store, TrainingSetName, write_sample_csv,
};
use scorewatch_postgres::DatabaseUrl;

use crate::auth;
use crate::backend::{DEFAULT_DATABASE_WAIT, open_store};
use crate::config::{API_KEYS_ENV, Config, Secret, ServeArgs};
use crate::startup::Application;
use crate::telemetry;
use crate::traffic::{self, TrafficConfig, TrafficEvent};

/// The dashboard, as the README runs it.
pub const DASHBOARD_COMMAND: &str = "cargo run --release -p scorewatch-dashboard";

/// Arguments of `scorewatch demo`: the server flags of `serve` (with cadences small
/// enough for a drift alarm within a minute) plus the traffic.
#[derive(Debug, Args)]
#[command(
    mut_arg("host", |a| a.default_value("127.0.0.1")),
    mut_arg("drift_every", |a| a.default_value("100")),
    mut_arg("drift_window", |a| a.default_value("400")),
    mut_arg("drift_min_interval", |a| a.default_value("0")),
    mut_arg("metrics_every", |a| a.default_value("100")),
)]
pub struct DemoArgs {
    /// Server settings, as for `scorewatch serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Replay generated traffic (the default; see `--no-traffic`).
    #[arg(long, overrides_with = "no_traffic")]
    pub traffic: bool,
    /// Serve only: no generated traffic.
    #[arg(long, overrides_with = "traffic")]
    pub no_traffic: bool,
    /// Applications per second sent to `POST /predict`.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Time on the baseline population before the drift scenario starts (`30s`, `2m`,
    /// `500ms`).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub drift_after: Duration,
    /// Population after the switch: `income_shift`, `new_segment`, `score_inflation` or
    /// `baseline` (no drift).
    #[arg(long, default_value = "income_shift")]
    pub scenario: Scenario,
    /// How long after its prediction the outcome of an application is posted.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub outcome_delay: Duration,
    /// Stop by itself after this long (default: run until Ctrl-C or SIGTERM).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Rows of the generated training sample (only when none exists).
    #[arg(long, default_value_t = 20_000)]
    pub training_rows: usize,
    /// Seed of the training sample and of the traffic.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl DemoArgs {
    fn traffic_on(&self) -> bool {
        !self.no_traffic
    }
}

/// Parses `250ms`, `30s`, `2m`, `1h` or a bare number of seconds.
///
/// # Errors
/// A message naming the value when it is not one of those forms.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration '{raw}' (expected e.g. 500ms, 30s, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("invalid duration unit in '{raw}' (ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|err| format!("invalid duration '{raw}': {err}"))
}

/// Runs the demo until Ctrl-C, SIGTERM or `--duration`.
///
/// # Errors
/// When the data directory cannot be prepared, training fails, or the server cannot
/// start.
pub fn run(
    args: DemoArgs,
    data_dir: &Path,
    database: Option<DatabaseUrl>,
) -> anyhow::Result<ExitCode> {
    // Not held past this line: the traffic thread prints too.
    prepare_data(
        data_dir,
        database.as_ref(),
        &args,
        &mut std::io::stdout().lock(),
    )?;

    let keys = std::env::var(API_KEYS_ENV).ok();
    let mut config = Config::from_args(args.serve.clone(), data_dir.to_path_buf(), keys.as_deref());
    let kept_in = database
        .as_ref()
        .map_or_else(|| data_dir.display().to_string(), ToString::to_string);
    config.database_url = database;
    let _log_guard = telemetry::init(&config.data_dir, config.log_format)?;
    if config.database_url.is_some() && config.api_keys.is_empty() {
        // `serve` with a database generates no key file (it would work on one replica
        // only); the demo is one local process, so it keeps its key in the data
        // directory as with files, and passes it on as a configured key.
        config.api_keys = vec![auth::key_from_file(data_dir)?];
    }
    let configured_key = config.api_keys.first().cloned();
    let host = if config.host == "0.0.0.0" {
        "127.0.0.1".to_owned()
    } else {
        config.host.clone()
    };

    actix_web::rt::System::new()
        .block_on(async move {
            let app = Application::build(config)?;
            let url = format!("http://{host}:{}", app.port());
            let key = match configured_key {
                Some(key) => key,
                None => read_key_file(data_dir)?,
            };
            print_banner(&mut std::io::stdout().lock(), &url, data_dir, &args)?;

            let stop = Arc::new(AtomicBool::new(false));
            let traffic = args.traffic_on().then(|| {
                spawn_traffic(
                    TrafficConfig {
                        base_url: url.clone(),
                        api_key: key,
                        rate: args.rate,
                        drift_after: args.drift_after,
                        scenario: args.scenario,
                        seed: args.seed,
                        outcome_delay: args.outcome_delay,
                    },
                    Arc::clone(&stop),
                )
            });
            if let Some(limit) = args.duration {
                let handle = app.handle();
                let stop_traffic = Arc::clone(&stop);
                actix_web::rt::spawn(async move {
                    actix_web::rt::time::sleep(limit).await;
                    tracing::info!(?limit, "demo duration reached; stopping");
                    stop_traffic.store(true, Ordering::Relaxed);
                    handle.stop(true).await;
                });
            }
            // Ctrl-C and SIGTERM stop the server by themselves (it stops gracefully and
            // `run_until_stopped` returns); stopping the traffic at once as well keeps
            // the closing listener from filling the terminal with refused requests.
            let signalled = Arc::clone(&stop);
            actix_web::rt::spawn(async move {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    () = async {
                        match term.as_mut() {
                            Some(term) => { term.recv().await; }
                            None => std::future::pending::<()>().await,
                        }
                    } => {}
                }
                signalled.store(true, Ordering::Relaxed);
            });
            let served = app.run_until_stopped().await;
            stop.store(true, Ordering::Relaxed);
            if let Some(thread) = traffic {
                match thread.join() {
                    Ok(Ok(summary)) => println!(
                        "traffic: {} predictions, {} outcomes, {} failed requests",
                        summary.predictions, summary.outcomes, summary.failures
                    ),
                    Ok(Err(err)) => eprintln!("traffic: {err:#}"),
                    Err(_) => eprintln!("traffic: the generator thread panicked"),
                }
            }
            served
        })
        .context("serving")?;
    println!("demo stopped; the data stays in {kept_in}");
    Ok(ExitCode::SUCCESS)
}

fn spawn_traffic(
    config: TrafficConfig,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Result<traffic::TrafficSummary, traffic::TrafficError>> {
    std::thread::spawn(move || {
        let mut failures_shown = 0_u32;
        traffic::run(&config, &stop, &mut |event| match event {
            TrafficEvent::Switched {
                scenario,
                after_predictions,
            } => {
                println!(
                    "traffic: switched to scenario {scenario} after {after_predictions} predictions"
                );
            }
            // A stopping server refuses a few requests; a few lines say so, not thousands.
            TrafficEvent::Failed { path, message } => {
                if failures_shown < 5 && !stop.load(Ordering::Relaxed) {
                    failures_shown += 1;
                    eprintln!("traffic: {path} failed: {message}");
                }
            }
        })
    })
}

/// Creates the structure (or, with `database`, its schema), the training sample and the
/// first model, whatever is missing.
fn prepare_data(
    data_dir: &Path,
    database: Option<&DatabaseUrl>,
    args: &DemoArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let kept_in = match database {
        None => {
            let layout = DataLayout::new(data_dir);
            let report = scorewatch_core::init(&layout).with_context(|| {
                format!("cannot initialise data directory {}", data_dir.display())
            })?;
            writeln!(out, "{}", describe_init(&report, &layout))?;
            data_dir.display().to_string()
        }
        Some(url) => {
            writeln!(out, "keeping the data in {url}")?;
            url.to_string()
        }
    };

    // The store (and its directory lock) is dropped before the server opens it again.
    let store = open_store(
        data_dir,
        database,
        scorewatch_core::StoreOptions::default(),
        DEFAULT_DATABASE_WAIT,
    )?;
    if let Some(version) = store
        .models()
        .current_version()
        .with_context(|| format!("reading the current model in {kept_in}"))?
    {
        writeln!(out, "reusing model {version} (no retraining)")?;
        return Ok(());
    }

    let sets = store.training_sets();
    let name = TrainingSetName::parse(DEFAULT_TRAINING_FILE)?;
    let location = sets.location(&name);
    if sets.exists(&name)? {
        writeln!(out, "reusing training data {}", location.display())?;
    } else {
        let mut sample = Vec::new();
        write_sample_csv(
            &mut sample,
            args.training_rows,
            args.seed,
            Scenario::Baseline,
        )?;
        // Written atomically, so an interrupted demo never leaves half a training file
        // that the next start would reuse.
        sets.write(&name, &sample)?;
        writeln!(
            out,
            "generated {} training applications (seed {}) in {}",
            args.training_rows,
            args.seed,
            location.display()
        )?;
    }
    train_first_model(store, out)
}

/// The line that says what `init` found: `initialised` when nothing of the layout existed
/// but the directory itself, `reusing` otherwise.
///
/// The root does not count as something reused: a fresh clone has `data/` already (it
/// holds `data/README.md`), and calling its first demo "reusing data (1 paths kept, 11
/// created)" told a new user that an earlier run had left data behind (issue 13).
fn describe_init(report: &InitReport, layout: &DataLayout) -> String {
    let dir = layout.root().display();
    let created = report.created();
    let kept = report
        .entries
        .iter()
        .filter(|e| e.action == InitAction::Kept && e.path != layout.root())
        .count();
    match (kept, created) {
        (0, created) => format!("initialised {dir} ({created} paths created)"),
        (_, 0) => format!("reusing {dir} (every path of the layout was there)"),
        (kept, created) => {
            format!("reusing {dir} ({kept} paths kept; created the {created} missing)")
        }
    }
}

fn train_first_model(store: Store, out: &mut dyn Write) -> anyhow::Result<()> {
    let runner = PipelineRunner::new(Arc::new(store))?;
    let bar = ProgressBar::new(100);
    bar.set_style(
        ProgressStyle::with_template("training {bar:30} {pos:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = runner.run(&RunRequest::default(), &|stage, progress| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // progress in [0, 1]
        bar.set_position((progress * 100.0).round() as u64);
        bar.set_message(stage.label());
    })?;
    bar.finish_and_clear();
    let record = &report.record;
    match (record.outcome, &report.model) {
        (RunOutcome::Promoted, Some(model)) => {
            let auc = model
                .validation_metrics
                .roc_auc
                .map_or_else(|| "n/a".to_owned(), |auc| format!("{auc:.3}"));
            writeln!(
                out,
                "trained and published model {} (validation AUC {auc})",
                model.version
            )?;
            Ok(())
        }
        (outcome, _) => bail!(
            "training the first model ended {outcome:?}: {}",
            record.error.as_deref().unwrap_or("no model was promoted")
        ),
    }
}

fn read_key_file(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = auth::key_file(data_dir);
    let raw = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the api key file {}", path.display()))?;
    let key = raw.trim();
    if key.is_empty() {
        bail!("the api key file {} is empty", path.display());
    }
    Ok(Secret::new(key))
}

fn print_banner(
    out: &mut dyn Write,
    url: &str,
    data_dir: &Path,
    args: &DemoArgs,
) -> anyhow::Result<()> {
    writeln!(out)?;
    writeln!(out, "scorewatch is running at {url}")?;
    if std::env::var_os(API_KEYS_ENV).is_some() {
        writeln!(out, "  API key:    one of {API_KEYS_ENV}")?;
    } else {
        writeln!(
            out,
            "  API key:    in {} (send it as X-API-Key)",
            auth::key_file(data_dir).display()
        )?;
    }
    writeln!(out, "  API docs:   {url}/docs/")?;
    writeln!(out, "  dashboard:  {DASHBOARD_COMMAND}")?;
    if args.traffic_on() {
        writeln!(
            out,
            "  traffic:    {} applications/s, scenario {} after {:?}, outcomes {:?} later",
            args.rate, args.scenario, args.drift_after, args.outcome_delay
        )?;
    } else {
        writeln!(out, "  traffic:    off (--no-traffic)")?;
    }
    writeln!(out, "Stop with Ctrl-C.")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        demo: DemoArgs,
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_mins(2)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3d").is_err());
    }

    /// What the demo prints for the data directory as it is now (`init` runs for real).
    fn init_line(layout: &DataLayout) -> (String, usize) {
        let report = scorewatch_core::init(layout).expect("init");
        (describe_init(&report, layout), report.entries.len())
    }

    #[test]
    fn issue_13_first_demo_on_a_clone_says_initialised_and_a_rerun_says_reusing() {
        // A fresh clone: `data/` exists and holds only the tracked README.
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("README.md"), "tracked by git\n").unwrap();
        let layout = DataLayout::new(&data);
        let (first, paths) = init_line(&layout);
        assert_eq!(
            first,
            format!(
                "initialised {} ({} paths created)",
                data.display(),
                paths - 1
            )
        );

        let (again, _) = init_line(&layout);
        assert_eq!(
            again,
            format!(
                "reusing {} (every path of the layout was there)",
                data.display()
            )
        );

        std::fs::remove_file(layout.outcomes_log()).unwrap();
        let (repaired, _) = init_line(&layout);
        assert_eq!(
            repaired,
            format!(
                "reusing {} ({} paths kept; created the 1 missing)",
                data.display(),
                paths - 2
            )
        );
    }

    #[test]
    fn a_data_dir_that_does_not_exist_is_initialised_with_every_path() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested").join("data");
        let layout = DataLayout::new(&data);
        let (line, paths) = init_line(&layout);
        assert_eq!(
            line,
            format!("initialised {} ({paths} paths created)", data.display())
        );
    }

    #[test]
    fn demo_defaults_are_faster_than_serve() {
        let demo = Wrapper::try_parse_from(["x"]).expect("defaults parse").demo;
        assert!(demo.traffic_on());
        assert_eq!(demo.serve.host, "127.0.0.1");
        assert_eq!(demo.serve.drift_every, 100);
        assert_eq!(demo.serve.drift_window, 400);
        assert_eq!(demo.serve.metrics_every, 100);
        assert_eq!(demo.scenario, Scenario::IncomeShift);
        let off = Wrapper::try_parse_from(["x", "--no-traffic"])
            .expect("flag parses")
            .demo;
        assert!(!off.traffic_on());
    }
}
