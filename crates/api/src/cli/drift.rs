//! `scorewatch drift`: compares two CSV files on a profile built from the first.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use scorewatch_core::{
    CsvColumnOptions, DriftOptions, DriftReport, DriftVerdict, FeatureDrift, PsiBand,
    VerdictReason, VerdictStatus, WindowSpec, compute_report, profile_and_window_from_csv,
};

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
    Ok(compute_report(&profile, &window, &drift_options)?)
}

/// Runs `scorewatch drift`.
///
/// # Errors
/// As [`build_report`], or when stdout cannot be written.
pub fn run(args: &DriftArgs) -> anyhow::Result<ExitCode> {
    let report = build_report(args)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report).context("writing the report")?;
            writeln!(out)?;
        }
        Format::Table => write_table(&mut out, &report, colour_wanted())?,
    }
    Ok(ExitCode::SUCCESS)
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
