//! `scorewatch estimate`: performance without labels (CBPE) of a current CSV, calibrated
//! on a labelled reference CSV.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use scorewatch_core::{
    CbpeEstimator, EstimateReport, MetricValues, ScoresMaybeLabelled, read_scored_csv,
    read_scores_csv,
};

/// How the estimate is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned tables for people.
    Table,
    /// The estimate report as JSON.
    Json,
}

/// Arguments of `scorewatch estimate`.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Labelled CSV the calibration is fitted on (e.g. the validation split).
    #[arg(long)]
    pub reference: PathBuf,
    /// CSV to estimate; its labels, if the column exists, are reported as `realized`.
    #[arg(long)]
    pub current: PathBuf,
    /// Column with the model's probability of the positive class.
    #[arg(long)]
    pub score_column: String,
    /// Column with the observed label (required in the reference only).
    #[arg(long)]
    pub label_column: String,
    /// Label value of the positive class; every other value is negative.
    #[arg(long, default_value = "1")]
    pub positive: String,
    /// Decision threshold: a score >= threshold is a positive decision.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Rows per chunk of the current file (the last chunk may be shorter); without it
    /// only the whole-file estimate is printed.
    #[arg(long)]
    pub chunk_size: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Reads `args`' score column and, where the file has it, label column (core's reader,
/// shared with `scorewatch evaluate`); a missing label column is an error only when
/// `labels_required`. Scores must be probabilities: CBPE calibrates them.
fn read_csv(
    path: &Path,
    args: &EstimateArgs,
    labels_required: bool,
) -> anyhow::Result<ScoresMaybeLabelled> {
    let rows = if labels_required {
        let rows = read_scored_csv(path, &args.score_column, &args.label_column, &args.positive)?;
        ScoresMaybeLabelled {
            scores: rows.scores,
            labels: Some(rows.labels),
        }
    } else {
        read_scores_csv(path, &args.score_column, &args.label_column, &args.positive)?
    };
    if let Some((row, score)) = rows
        .scores
        .iter()
        .enumerate()
        .find(|(_, score)| !(0.0..=1.0).contains(*score))
    {
        // Row 0 is on line 2, after the header (scores hold no line breaks).
        bail!(
            "{}: line {}, column '{}': score {score} is not a probability in [0, 1]",
            path.display(),
            row + 2,
            args.score_column
        );
    }
    Ok(rows)
}

/// Fits CBPE on the reference and estimates the current file, as the command prints it.
///
/// # Errors
/// Unreadable or invalid input, named by file, line and column; a reference without
/// positive or without negative labels.
pub fn build_report(args: &EstimateArgs) -> anyhow::Result<EstimateReport> {
    let reference = read_csv(&args.reference, args, true)?;
    let labels = reference.labels.unwrap_or_default();
    for (class, missing) in [(true, "positive"), (false, "negative")] {
        if !labels.contains(&class) {
            bail!(
                "{}: column '{}' has no {missing} labels (positive class '{}'); the \
                 calibration needs both classes",
                args.reference.display(),
                args.label_column,
                args.positive
            );
        }
    }
    let estimator = CbpeEstimator::fit(&reference.scores, &labels, args.threshold, args.chunk_size)
        .context("cannot fit the estimate on the reference")?;
    let current = read_csv(&args.current, args, false)?;
    estimator
        .estimate(&current.scores, current.labels.as_deref())
        .with_context(|| format!("cannot estimate {}", args.current.display()))
}

/// Runs `scorewatch estimate`.
///
/// # Errors
/// As [`build_report`], or when stdout cannot be written.
pub fn run(args: &EstimateArgs) -> anyhow::Result<ExitCode> {
    let report = build_report(args)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report).context("writing the report")?;
            writeln!(out)?;
        }
        Format::Table => write_table(&mut out, &report, args)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn cell(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"))
}

fn range_cell(lower: Option<f64>, upper: Option<f64>) -> String {
    match (lower, upper) {
        (Some(l), Some(u)) => format!("[{l:.4}, {u:.4}]"),
        _ => "-".to_owned(),
    }
}

fn realized_of(realized: Option<&MetricValues>, name: &str) -> String {
    realized.map_or_else(String::new, |r| {
        r.named()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map_or_else(String::new, |(_, v)| cell(*v))
    })
}

/// Writes the whole-file estimate, then one line per chunk and metric.
///
/// # Errors
/// When the output cannot be written.
pub fn write_table(
    out: &mut impl Write,
    report: &EstimateReport,
    args: &EstimateArgs,
) -> std::io::Result<()> {
    writeln!(
        out,
        "reference: {} ({} rows)\ncurrent:   {} ({} rows)\nthreshold: {}\n",
        args.reference.display(),
        report.reference_rows,
        args.current.display(),
        report.current_rows,
        report.threshold
    )?;
    // The realized column only when the current file has labels.
    let realized_header = if report.realized.is_some() {
        "realized"
    } else {
        ""
    };
    writeln!(
        out,
        "{:<10} {:>9} {realized_header:>9}",
        "metric", "estimated"
    )?;
    for (name, value) in report.estimated.named() {
        let realized = realized_of(report.realized.as_ref(), name);
        writeln!(out, "{name:<10} {:>9} {realized:>9}", cell(*value))?;
    }
    if !report.chunks.is_empty() {
        writeln!(
            out,
            "\n{:<14} {:<10} {:>9} {:<18} {:<18} {:>9}  alert",
            "rows", "metric", "estimated", "band (±3 se)", "reference range", realized_header
        )?;
        for chunk in &report.chunks {
            let rows = format!("{}..{}", chunk.start, chunk.start + chunk.rows);
            for (name, band) in chunk.metrics.named() {
                writeln!(
                    out,
                    "{rows:<14} {name:<10} {:>9} {:<18} {:<18} {:>9}  {}",
                    cell(band.estimated),
                    range_cell(band.lower, band.upper),
                    range_cell(band.lower_threshold, band.upper_threshold),
                    band.realized.map_or_else(String::new, cell),
                    if band.alert { "ALERT" } else { "" }
                )?;
            }
        }
    }
    writeln!(
        out,
        "\nCBPE estimates hold while P(outcome | score) is as in the reference (no concept drift)."
    )
}
