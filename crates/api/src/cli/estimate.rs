//! `scorewatch estimate`: performance without labels (CBPE) of a current CSV, calibrated
//! on a labelled reference CSV.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use scorewatch_core::{
    CbpeEstimator, ChunkPeriod, Chunking, EstimateReport, MetricValues, Reference,
    ScoresMaybeLabelled, read_scored_csv, read_scores_csv, read_timed_scores_csv,
};
use time::OffsetDateTime;

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
    /// (or --chunk-period) only the whole-file estimate is printed.
    #[arg(long, conflicts_with = "chunk_period")]
    pub chunk_size: Option<usize>,
    /// Chunks by the period of each row's --timestamp-column: 1h, 6h, 1d, 7d, 1w (days
    /// from midnight UTC, weeks from Monday); both files need the column.
    #[arg(long, requires = "timestamp_column")]
    pub chunk_period: Option<ChunkPeriod>,
    /// Column with each row's time (RFC 3339, like 2026-03-01T12:00:00Z), for
    /// --chunk-period.
    #[arg(long, requires = "chunk_period")]
    pub timestamp_column: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Reads `args`' score column and, where the file has it, label column (core's reader,
/// shared with `scorewatch evaluate`), and with --timestamp-column each row's time; a
/// missing label column is an error only when `labels_required`. Scores must be
/// probabilities: CBPE calibrates them.
fn read_csv(
    path: &Path,
    args: &EstimateArgs,
    labels_required: bool,
) -> anyhow::Result<(ScoresMaybeLabelled, Option<Vec<OffsetDateTime>>)> {
    let (rows, timestamps) = if let Some(column) = &args.timestamp_column {
        let (rows, timestamps) = read_timed_scores_csv(
            path,
            &args.score_column,
            &args.label_column,
            &args.positive,
            labels_required,
            column,
        )?;
        (rows, Some(timestamps))
    } else if labels_required {
        let rows = read_scored_csv(path, &args.score_column, &args.label_column, &args.positive)?;
        let rows = ScoresMaybeLabelled {
            scores: rows.scores,
            labels: Some(rows.labels),
        };
        (rows, None)
    } else {
        let rows = read_scores_csv(path, &args.score_column, &args.label_column, &args.positive)?;
        (rows, None)
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
    Ok((rows, timestamps))
}

/// Fits CBPE on the reference and estimates the current file, as the command prints it.
///
/// # Errors
/// Unreadable or invalid input, named by file, line and column; a reference without
/// positive or without negative labels.
pub fn build_report(args: &EstimateArgs) -> anyhow::Result<EstimateReport> {
    let (reference, reference_times) = read_csv(&args.reference, args, true)?;
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
    let chunking = match (args.chunk_size, args.chunk_period) {
        (_, Some(period)) => Some(Chunking::Period(period)),
        (size, None) => size.map(Chunking::Size),
    };
    let estimator = CbpeEstimator::fit_chunked(
        &Reference {
            scores: &reference.scores,
            labels: &labels,
            timestamps: reference_times.as_deref(),
        },
        args.threshold,
        chunking,
        None,
    )
    .context("cannot fit the estimate on the reference")?;
    let (current, current_times) = read_csv(&args.current, args, false)?;
    estimator
        .estimate_at(
            &current.scores,
            current.labels.as_deref(),
            current_times.as_deref(),
        )
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
            "\n{:<16} {:<10} {:>9} {:<18} {:<18} {:>9}  alert",
            "chunk", "metric", "estimated", "band (±3 se)", "reference range", realized_header
        )?;
        for chunk in &report.chunks {
            // A period chunk is named by its start (its rows need not be consecutive).
            let rows = match chunk.period_start {
                Some(start) => format!("{} {:02}:00", start.date(), start.hour()),
                None => format!("{}..{}", chunk.start, chunk.start + chunk.rows),
            };
            for (name, band) in chunk.metrics.named() {
                writeln!(
                    out,
                    "{rows:<16} {name:<10} {:>9} {:<18} {:<18} {:>9}  {}",
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
