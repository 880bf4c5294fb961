//! `scorewatch evaluate`: metrics of a scored, labelled CSV.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use scorewatch_core::{ClassificationMetrics, MetricName, classification_metrics, read_scored_csv};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Text,
    /// One JSON object.
    Json,
}

/// Arguments of `scorewatch evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// CSV with a score column and a label column.
    #[arg(long)]
    pub input: PathBuf,
    /// Column with the model's probability of the positive class.
    #[arg(long)]
    pub score_column: String,
    /// Column with the observed label.
    #[arg(long)]
    pub label_column: String,
    /// Label value of the positive class; every other value is negative.
    #[arg(long, default_value = "1")]
    pub positive: String,
    /// Decision threshold: a score >= threshold is a positive decision.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Writes metrics as aligned text; undefined ones show their reason.
///
/// # Errors
/// When `out` fails.
pub fn write_metrics_text(out: &mut impl Write, m: &ClassificationMetrics) -> std::io::Result<()> {
    writeln!(out, "rows       {} ({} positive)", m.n, m.n_positive)?;
    writeln!(out, "threshold  {}", m.threshold)?;
    for metric in MetricName::COMPUTED {
        let (name, value) = (metric.as_str(), m.get(metric));
        if let Some(v) = value {
            writeln!(out, "{name:<10} {v:.6}")?;
        } else {
            let reason = m.undefined.get(name).map_or("undefined", String::as_str);
            writeln!(out, "{name:<10} null ({reason})")?;
        }
    }
    let c = m.confusion;
    writeln!(
        out,
        "confusion  tp {} fp {} tn {} fn {}",
        c.tp, c.fp, c.tn, c.fn_
    )
}

/// Runs the command. Exit code 0 when the metrics were computed.
///
/// # Errors
/// Unreadable or invalid input, named by file, line and column.
pub fn run(args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    let rows = read_scored_csv(
        &args.input,
        &args.score_column,
        &args.label_column,
        &args.positive,
    )?;
    let metrics = classification_metrics(&rows.scores, &rows.labels, args.threshold)
        .with_context(|| format!("cannot compute metrics of {}", args.input.display()))?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &metrics)?;
            writeln!(out)?;
        }
        Format::Text => write_metrics_text(&mut out, &metrics)?,
    }
    Ok(ExitCode::SUCCESS)
}
