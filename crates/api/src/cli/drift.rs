//! `scorewatch drift`: compares two CSV files on a profile built from the first.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use scorewatch_core::{
    CsvColumnOptions, DEFAULT_MIN_SEGMENT_ROWS, DriftOptions, DriftReport, DriftSegments,
    DriftVerdict, FeatureDrift, FeatureKind, PsiBand, SegmentCsv, SegmentOptions, SegmentStatus,
    VerdictReason, VerdictStatus, WindowSpec, compute_report, csv_segment_columns, drift_segments,
    profile_and_window_from_csv, segment_columns_from_csv, summarize_current_window,
};
use serde::Serialize;

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people, bands in colour.
    Table,
    /// The drift report as JSON.
    Json,
}

/// Arguments of `scorewatch drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The reference CSV (training data); its deciles and categories become the bins.
    #[arg(long)]
    pub reference: PathBuf,
    /// The current CSV to compare with the reference.
    #[arg(long)]
    pub current: PathBuf,
    /// Columns read as categories even when every cell is a number.
    #[arg(long, value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Columns left out.
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// The model score column, reported apart from the features.
    #[arg(long)]
    pub score_column: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also compare each value of this column on its own: the current rows of a segment
    /// against the reference rows of the same segment (any column of the reference but
    /// the score). Adds a `segments` list, worst first.
    #[arg(long, value_name = "COL")]
    pub segment_by: Option<String>,
    /// Fewest rows a segment needs in each file to be judged; thinner segments are
    /// listed with their row counts and the reason, never marked drifted.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_SEGMENT_ROWS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub min_segment_rows: u64,
}

/// Builds the drift report that `scorewatch drift` prints.
///
/// # Errors
/// Unreadable or malformed files; the message names the file, line and column.
pub fn build_report(args: &DriftArgs) -> anyhow::Result<DriftReport> {
    let options = CsvColumnOptions {
        categorical: args.categorical.clone(),
        exclude: args.exclude.clone(),
        score_column: args.score_column.clone(),
        require_named_columns: true,
    };
    let (profile, window, reference_rows, current_rows) =
        profile_and_window_from_csv(&args.reference, &args.current, &options)?;
    let spec = |path: &PathBuf, rows| WindowSpec {
        description: path.display().to_string(),
        model_version: None,
        from: None,
        to: None,
        rows,
    };
    let drift_options = DriftOptions {
        reference: spec(&args.reference, reference_rows),
        current: spec(&args.current, current_rows),
        ..DriftOptions::default()
    };
    let mut report = compute_report(&profile, &window, &drift_options)?;
    // The current file's data quality, from the window already read (issue 16).
    report.data_quality = Some(summarize_current_window(&profile, &window));
    Ok(report)
}

/// Builds the per-segment reports of `--segment-by`, given the whole `report` (whose
/// features and kinds the segments use).
///
/// # Errors
/// A segment column that is not in the reference (the message lists the valid columns)
/// or not in the current file; unreadable or malformed files, naming the file and line.
pub fn build_segments(
    args: &DriftArgs,
    column: &str,
    report: &DriftReport,
) -> anyhow::Result<DriftSegments> {
    let score_column = args.score_column.as_deref();
    let valid = csv_segment_columns(&args.reference, score_column)?;
    if !valid.iter().any(|c| c == column) {
        anyhow::bail!(
            "--segment-by: unknown column '{column}' in {}; valid columns: {}",
            args.reference.display(),
            valid.join(", ")
        );
    }
    let kind = report
        .features
        .iter()
        .find(|f| f.name == column)
        .map_or(FeatureKind::Categorical, |f| f.kind);
    let features: Vec<(String, FeatureKind)> = report
        .features
        .iter()
        .map(|f| (f.name.clone(), f.kind))
        .collect();
    let spec = SegmentCsv {
        column: (column, kind),
        features: &features,
        score_column,
    };
    let reference = segment_columns_from_csv(&args.reference, spec)?;
    let current = segment_columns_from_csv(&args.current, spec)
        .with_context(|| format!("--segment-by {column}: reading {}", args.current.display()))?;
    let options = SegmentOptions {
        min_rows: args.min_segment_rows,
    };
    let drift = DriftOptions {
        reference: report.reference.clone(),
        current: report.current.clone(),
        ..DriftOptions::default()
    };
    Ok(drift_segments(reference, current, &options, &drift)?)
}

/// The JSON of `--segment-by`: the whole report, and the segments beside it.
#[derive(Serialize)]
struct SegmentedJson<'a> {
    report: &'a DriftReport,
    #[serde(flatten)]
    segments: &'a DriftSegments,
}

/// Runs `scorewatch drift`.
///
/// # Errors
/// As [`build_report`] and [`build_segments`], or when stdout cannot be written.
pub fn run(args: &DriftArgs) -> anyhow::Result<ExitCode> {
    let report = build_report(args)?;
    let segments = args
        .segment_by
        .as_deref()
        .map(|column| build_segments(args, column, &report))
        .transpose()?;
    let mut out = std::io::stdout().lock();
    match (args.format, &segments) {
        (Format::Json, None) => {
            serde_json::to_writer_pretty(&mut out, &report).context("writing the report")?;
            writeln!(out)?;
        }
        (Format::Json, Some(segments)) => {
            let json = SegmentedJson {
                report: &report,
                segments,
            };
            serde_json::to_writer_pretty(&mut out, &json).context("writing the report")?;
            writeln!(out)?;
        }
        (Format::Table, _) => {
            let colour = colour_wanted();
            write_table(&mut out, &report, colour)?;
            if let Some(segments) = &segments {
                writeln!(out)?;
                write_segments(&mut out, segments, colour)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the segments as a table, worst first, one line per segment; a segment that is
/// not judged says why on the line below.
///
/// # Errors
/// When the output cannot be written.
pub fn write_segments(
    out: &mut impl Write,
    segments: &DriftSegments,
    colour: bool,
) -> std::io::Result<()> {
    writeln!(
        out,
        "segments by {} (judged with at least {} rows on each side; worst first)",
        segments.column, segments.min_rows
    )?;
    writeln!(
        out,
        "{:<20} {:>8} {:>8} {:>9} {:<11} {:>8}  {:<30} verdict",
        "segment", "ref rows", "cur rows", "score psi", "band", "score ks", "drifted features"
    )?;
    for s in &segments.segments {
        let psi = s
            .score_psi
            .map_or_else(|| "-".to_owned(), |p| format!("{p:.4}"));
        let ks = s
            .score_ks
            .map_or_else(|| "-".to_owned(), |k| format!("{:.4}", k.statistic));
        let drifted = if s.drifted_features.is_empty() {
            "-".to_owned()
        } else {
            s.drifted_features.join(", ")
        };
        let verdict = match s.status {
            SegmentStatus::Drifted => "DRIFTED",
            SegmentStatus::Stable => "stable",
            SegmentStatus::Insufficient => "insufficient",
        };
        writeln!(
            out,
            "{:<20} {:>8} {:>8} {:>9} {} {:>8}  {:<30} {verdict}",
            s.segment,
            s.reference_rows,
            s.current_rows,
            psi,
            band_cell(s.score_psi_band, colour),
            ks,
            drifted,
        )?;
        if s.status != SegmentStatus::Stable {
            writeln!(out, "{:<20} {}", "", s.reason)?;
        }
    }
    Ok(())
}

fn colour_wanted() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

fn band_cell(band: Option<PsiBand>, colour: bool) -> String {
    let (text, code) = match band {
        None => ("n/a", "2"),
        Some(PsiBand::Stable) => ("stable", "32"),
        Some(PsiBand::Moderate) => ("moderate", "33"),
        Some(PsiBand::Significant) => ("significant", "31"),
    };
    if colour {
        format!("\x1b[{code}m{text:<11}\x1b[0m")
    } else {
        format!("{text:<11}")
    }
}

fn test_cell(feature: &FeatureDrift) -> String {
    if let Some(ks) = feature.ks {
        format!("ks D={:.4} p={:.2e}", ks.statistic, ks.p_value)
    } else if let Some(chi2) = feature.chi2 {
        format!(
            "chi2={:.2} dof={} p={:.2e}",
            chi2.statistic, chi2.dof, chi2.p_value
        )
    } else {
        "-".to_owned()
    }
}

fn write_row(out: &mut impl Write, f: &FeatureDrift, colour: bool) -> std::io::Result<()> {
    let psi = f.psi.map_or_else(|| "-".to_owned(), |p| format!("{p:.4}"));
    writeln!(
        out,
        "{:<24} {:<11} {:>8} {} {:>6.1}% {:>6.1}%  {:<34} {}",
        f.name,
        format!("{:?}", f.kind).to_lowercase(),
        psi,
        band_cell(f.psi_band, colour),
        100.0 * f.missing_reference,
        100.0 * f.missing_current,
        test_cell(f),
        if f.drifted { "DRIFT" } else { "" },
    )
}

/// Writes the report as an aligned table, one line per feature.
///
/// # Errors
/// When the output cannot be written.
pub fn write_table(
    out: &mut impl Write,
    report: &DriftReport,
    colour: bool,
) -> std::io::Result<()> {
    writeln!(
        out,
        "reference: {} ({} rows)\ncurrent:   {} ({} rows)\n",
        report.reference.description,
        report.reference.rows,
        report.current.description,
        report.current.rows
    )?;
    writeln!(
        out,
        "{:<24} {:<11} {:>8} {:<11} {:>7} {:>7}  {:<34} verdict",
        "feature", "kind", "psi", "band", "miss.ref", "miss.cur", "test"
    )?;
    for f in report.features.iter().chain(report.score.as_ref()) {
        write_row(out, f, colour)?;
        if f.psi.is_none() {
            writeln!(out, "{:<24} {}", "", f.reason)?;
        }
    }
    writeln!(
        out,
        "\ndrifted share {:.1}% (threshold {:.0}%): {}",
        100.0 * report.drifted_share,
        100.0 * report.dataset_drift_threshold,
        if report.dataset_drift {
            "DATASET DRIFT"
        } else {
            "no dataset drift"
        }
    )?;
    write_verdict(out, &report.verdict)
}

/// The report's verdict, one line per rule that fired.
fn write_verdict(out: &mut impl Write, verdict: &DriftVerdict) -> std::io::Result<()> {
    match verdict.status {
        VerdictStatus::Stable => writeln!(out, "verdict: stable"),
        VerdictStatus::Drifted => {
            writeln!(out, "verdict: DRIFTED")?;
            for reason in &verdict.reasons {
                write!(out, "  - {reason}")?;
                if let VerdictReason::FeatureShare {
                    drifted_features, ..
                } = reason
                {
                    write!(out, ": {}", drifted_features.join(", "))?;
                }
                writeln!(out)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorewatch_core::{
        ColumnValues, CurrentWindow, NamedColumn, NumericValues, ReferenceProfile,
    };

    #[test]
    fn table_marks_drift_and_colours_bands() {
        let column = |v: Vec<f64>| NamedColumn {
            name: "x".into(),
            values: ColumnValues::Numeric(NumericValues::from_raw(v)),
        };
        let profile =
            ReferenceProfile::from_columns(vec![column((0..100).map(f64::from).collect())], None);
        let window = CurrentWindow::from_columns(
            &profile,
            vec![column((50..150).map(f64::from).collect())],
            None,
            "cur.csv".as_ref(),
        )
        .unwrap();
        let report = compute_report(&profile, &window, &DriftOptions::default()).unwrap();
        let mut plain = Vec::new();
        write_table(&mut plain, &report, false).unwrap();
        let plain = String::from_utf8(plain).unwrap();
        assert!(
            plain.contains("significant") && plain.contains("DRIFT"),
            "{plain}"
        );
        assert!(
            plain.contains(
                "verdict: DRIFTED\n  - Feature drift: 100% of features (threshold 50%): x\n"
            ),
            "{plain}"
        );
        let mut coloured = Vec::new();
        write_table(&mut coloured, &report, true).unwrap();
        assert!(String::from_utf8(coloured).unwrap().contains("\x1b[31m"));
    }
}
