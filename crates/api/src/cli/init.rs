//! `scorewatch init`: create the data directory's structure, never overwriting anything.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use scorewatch_core::DataLayout;
use scorewatch_postgres::DatabaseUrl;

/// Arguments of `scorewatch init` (the data directory is the global `--data-dir`).
#[derive(Debug, Clone, clap::Args)]
pub struct InitArgs {}

/// Creates what is missing under `data_dir` and prints each path as `created` or `kept`;
/// with `database`, applies its schema migrations instead (the data directory then holds
/// only logs, which `serve` creates).
///
/// # Errors
/// The path that could not be created and why (for example a directory without write
/// permission); with a database, as `scorewatch migrate`.
pub fn run(
    data_dir: &Path,
    database: Option<&DatabaseUrl>,
    _args: &InitArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    if let Some(url) = database {
        super::migrate::apply(url, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let layout = DataLayout::new(data_dir);
    let report = scorewatch_core::init(&layout)
        .with_context(|| format!("cannot initialise data directory {}", data_dir.display()))?;
    for entry in &report.entries {
        writeln!(out, "{entry}")?;
    }
    writeln!(
        out,
        "{} created, {} kept in {}",
        report.created(),
        report.entries.len() - report.created(),
        data_dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_to_string(dir: &Path) -> anyhow::Result<String> {
        let mut out = Vec::new();
        run(dir, None, &InitArgs {}, &mut out)?;
        Ok(String::from_utf8(out)?)
    }

    #[test]
    fn prints_created_then_kept() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = run_to_string(&data).unwrap();
        assert!(first.contains("monitoring/predictions_log.csv"), "{first}");
        assert!(!first.lines().any(|l| l.starts_with("kept")), "{first}");
        assert!(first.contains("12 created, 0 kept"), "{first}");
        let second = run_to_string(&data).unwrap();
        assert!(
            !second.lines().any(|l| l.starts_with("created")),
            "{second}"
        );
        assert!(second.contains("0 created, 12 kept"), "{second}");
    }

    #[test]
    fn fails_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = run_to_string(&file.join("data")).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("cannot initialise data directory"),
            "{message}"
        );
        assert!(
            message.contains("Not a directory") || message.contains("cannot create"),
            "{message}"
        );
    }
}
