//! `scorewatch generate`: write a synthetic credit application sample.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use scorewatch_core::{Scenario, write_sample_csv};

/// Arguments of `scorewatch generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Rows to write.
    #[arg(long)]
    pub rows: usize,
    /// Seed; the same seed and scenario always give the same file.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Population: baseline, `income_shift`, `new_segment` or `score_inflation`.
    #[arg(long, default_value = "baseline")]
    pub scenario: String,
    /// Output CSV file.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs the command.
///
/// # Errors
/// Unknown scenario, or the file cannot be written.
pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let scenario: Scenario = args.scenario.parse()?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut writer = BufWriter::new(file);
    write_sample_csv(&mut writer, args.rows, args.seed, scenario)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    writer
        .flush()
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "wrote {} {} applications (seed {}) to {}",
        args.rows,
        scenario,
        args.seed,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
