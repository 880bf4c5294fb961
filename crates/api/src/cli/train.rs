//! `scorewatch train`: run the training pipeline in the foreground.
//!
//! Exit codes: 0 the new model was promoted; 3 it was trained but rejected by the
//! promotion rule (the current model stays); 4 the run was cancelled; 1 the run failed or
//! could not start (the message names the file, line and column at fault); 2 bad command
//! line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use scorewatch_core::{
    DEFAULT_MIN_PRODUCTION_ROWS, PipelineRunner, PromotionPolicy, RunOutcome, RunRequest,
    TargetSpec, TrainingData, Validation,
};
use scorewatch_postgres::DatabaseUrl;
use serde_json::json;

use super::evaluate::{Format, write_metrics_text};
use crate::backend::open_store;

/// Exit code of a model trained but rejected by the promotion rule.
pub const EXIT_REJECTED: u8 = 3;
/// Exit code of a cancelled run.
pub const EXIT_CANCELLED: u8 = 4;

/// Arguments of `scorewatch train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training CSV; default `data/training/applications.csv`.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Target column.
    #[arg(long, default_value = "default")]
    pub target: String,
    /// Label value of the positive class.
    #[arg(long, default_value = "1")]
    pub positive: String,
    /// Separate validation CSV (same columns as the training file).
    #[arg(long, conflicts_with = "validation_fraction")]
    pub validation: Option<PathBuf>,
    /// Share of the training rows held out for validation.
    #[arg(long, default_value_t = 0.2)]
    pub validation_fraction: f64,
    /// Seed of the validation split.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Promote the new model whatever its validation AUC.
    #[arg(long)]
    pub force: bool,
    /// Do not add labelled production rows to the training data.
    #[arg(long)]
    pub no_production: bool,
    /// Labelled production rows needed before they join the training data.
    #[arg(long, default_value_t = DEFAULT_MIN_PRODUCTION_ROWS)]
    pub min_production_rows: usize,
    /// Columns that are not features (repeatable).
    #[arg(long = "exclude")]
    pub exclude: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs the command.
///
/// # Errors
/// The store (data directory, or the database of `database`) cannot be opened, or a run
/// is already in progress.
pub fn run(
    data_dir: &std::path::Path,
    database: Option<&DatabaseUrl>,
    args: &TrainArgs,
) -> anyhow::Result<ExitCode> {
    // No waiting for a database here: a command run by hand reports at once.
    let store = open_store(
        data_dir,
        database,
        scorewatch_core::StoreOptions::default(),
        Duration::ZERO,
    )?;
    let runner = PipelineRunner::new(Arc::new(store))?;
    let request = RunRequest {
        data: args
            .data
            .clone()
            .map_or_else(TrainingData::default, TrainingData::Path),
        validation: args.validation.clone().map_or(
            Validation::Fraction(args.validation_fraction),
            Validation::Path,
        ),
        seed: args.seed,
        target: TargetSpec {
            column: args.target.clone(),
            positive: args.positive.clone(),
        },
        exclude: args.exclude.clone(),
        include_production: !args.no_production,
        min_production_rows: args.min_production_rows,
        policy: PromotionPolicy {
            force: args.force,
            ..PromotionPolicy::default()
        },
        ..RunRequest::default()
    };
    let bar = if args.format == Format::Text {
        ProgressBar::new(100)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = runner.run(&request, &|stage, progress| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // progress in [0, 1]
        bar.set_position((progress * 100.0).round() as u64);
        bar.set_message(stage.label());
    })?;
    bar.finish_and_clear();

    let record = &report.record;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let model = report.model.as_ref();
            let body = json!({
                "run_id": record.run_id,
                "outcome": record.outcome,
                "model_version": record.model_version,
                "promotion": model.and_then(|m| m.promotion.clone()),
                "validation_metrics": model.map(|m| &m.validation_metrics),
                "training_metrics": model.map(|m| &m.training_metrics),
                "data": record.data,
                "error": record.error,
            });
            serde_json::to_writer_pretty(&mut out, &body)?;
            writeln!(out)?;
        }
        Format::Text => {
            for source in &record.data {
                writeln!(out, "data       {} ({} rows)", source.name, source.rows)?;
            }
            if let Some(model) = &report.model {
                writeln!(out, "model      {}", model.version)?;
                writeln!(out, "validation metrics:")?;
                write_metrics_text(&mut out, &model.validation_metrics)?;
                if let Some(p) = &model.promotion {
                    let verdict = if p.promoted { "promoted" } else { "rejected" };
                    writeln!(out, "decision   {verdict}: {}", p.reason)?;
                }
            }
            if record.outcome == RunOutcome::Failed {
                writeln!(
                    out,
                    "run failed: {}",
                    record.error.as_deref().unwrap_or("unknown error")
                )?;
            } else if record.outcome == RunOutcome::Cancelled {
                writeln!(out, "run cancelled")?;
            }
        }
    }
    Ok(match record.outcome {
        RunOutcome::Promoted => ExitCode::SUCCESS,
        RunOutcome::Rejected => ExitCode::from(EXIT_REJECTED),
        RunOutcome::Cancelled => ExitCode::from(EXIT_CANCELLED),
        RunOutcome::Failed => ExitCode::FAILURE,
    })
}
