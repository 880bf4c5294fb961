//! Command-line interface: one module per subcommand.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod demo;
pub mod drift;
pub mod estimate;
pub mod evaluate;
pub mod generate;
pub mod init;
pub mod keys;
pub mod migrate;
pub mod report;
pub mod serve;
pub mod train;
pub mod transfer;
pub mod transfer_cli;

/// Monitor a deployed scoring model: serve predictions, log them, track metrics and drift,
/// retrain.
#[derive(Debug, Parser)]
#[command(name = "scorewatch", version, about)]
pub struct Cli {
    /// The data directory (`data/` of the monitoring guide).
    #[arg(
        long,
        global = true,
        env = "SCOREWATCH_DATA_DIR",
        default_value = "data"
    )]
    pub data_dir: PathBuf,
    /// A PostgreSQL database to keep everything in instead of the data directory
    /// (`postgres://user:password@host:port/database`; also `DATABASE_URL`): `serve`,
    /// `train`, `init`, `demo`, `report`, `migrate` and `keys` use it. The data directory
    /// then holds only logs (keys come from `SCOREWATCH_API_KEYS` and `scorewatch keys`).
    #[arg(
        long,
        global = true,
        env = "SCOREWATCH_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API (predictions, monitoring, pipeline, health, Prometheus, docs).
    Serve(crate::config::ServeArgs),
    /// Write a synthetic credit application sample (deterministic for a seed).
    Generate(generate::GenerateArgs),
    /// Compute the metrics of a scored, labelled CSV.
    Evaluate(evaluate::EvaluateArgs),
    /// Train a model through the pipeline and decide its promotion (exit 0 promoted,
    /// 3 rejected, 4 cancelled, 1 failed).
    Train(train::TrainArgs),
    /// Create the data directory's structure; never overwrites existing files.
    Init(init::InitArgs),
    /// Compare a current CSV with a reference CSV: PSI, KS and chi-square per column, and
    /// per segment of one column with `--segment-by`.
    Drift(drift::DriftArgs),
    /// Estimate ROC AUC, accuracy, precision, recall and F1 of unlabelled scores (CBPE),
    /// calibrated on a labelled reference CSV.
    Estimate(estimate::EstimateArgs),
    /// Initialise, train a first model on generated data, serve the API and replay
    /// generated traffic with a drift scenario (the README's first command).
    Demo(Box<demo::DemoArgs>),
    /// Write the HTML report of a data window (model, performance, drift, data quality,
    /// pipeline runs) as one self-contained file.
    Report(report::ReportArgs),
    /// Apply the PostgreSQL schema migrations to the database of `--database-url`
    /// (under an advisory lock; a schema newer than this build is refused).
    Migrate(migrate::MigrateArgs),
    /// Add, list or revoke the API keys kept in the database of `--database-url`, which
    /// every replica accepts (`keys add` prints the new key once).
    Keys(keys::KeysArgs),
    /// Copy a data directory into the database of `--database-url` (predictions,
    /// outcomes, metrics, drift reports, models, training sets, pipeline status,
    /// alerts); safe to re-run, adds nothing the second time.
    Import(transfer_cli::ImportArgs),
    /// Write the database of `--database-url` into a data directory in the guide's file
    /// layout (readable by `serve --data-dir`); safe to re-run.
    Export(transfer_cli::ExportArgs),
}

/// Runs a parsed command line.
///
/// # Errors
/// Whatever the command reports; the message names the file, line or field at fault.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let database = migrate::database_url(cli.database_url.as_deref());
    let parsed = || migrate::parse_database(database.as_ref());
    match cli.command {
        Command::Serve(args) => serve::run(args, &cli.data_dir, parsed()?),
        Command::Generate(args) => generate::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
        Command::Train(args) => train::run(&cli.data_dir, parsed()?.as_ref(), &args),
        Command::Init(args) => init::run(
            &cli.data_dir,
            parsed()?.as_ref(),
            &args,
            &mut std::io::stdout().lock(),
        ),
        Command::Drift(args) => drift::run(&args),
        Command::Estimate(args) => estimate::run(&args),
        Command::Demo(args) => demo::run(*args, &cli.data_dir, parsed()?),
        Command::Report(args) => report::run(&cli.data_dir, parsed()?.as_ref(), &args),
        Command::Migrate(args) => {
            migrate::run(database.as_ref(), &args, &mut std::io::stdout().lock())
        }
        Command::Keys(args) => keys::run(parsed()?.as_ref(), &args, &mut std::io::stdout().lock()),
        Command::Import(args) => transfer_cli::run_import(
            &cli.data_dir,
            parsed()?.as_ref(),
            &args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ),
        Command::Export(args) => transfer_cli::run_export(
            &cli.data_dir,
            parsed()?.as_ref(),
            &args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ),
    }
}
