//! `scorewatch report`: writes the HTML report of a data window to a file.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use scorewatch_core::{
    DEFAULT_MIN_SEGMENT_ROWS, MAX_REPORT_ROWS, ReportRequest, SegmentOptions, Store, StoreOptions,
    VerdictStatus, gather_report, render_html,
};
use scorewatch_postgres::DatabaseUrl;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::backend::open_store;
use crate::config::DEFAULT_DRIFT_WINDOW;

/// Arguments of `scorewatch report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The HTML file to write (replaced atomically if it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Only predictions at or after this RFC 3339 instant, e.g. 2026-01-31T00:00:00Z.
    #[arg(long, value_parser = parse_instant)]
    pub since: Option<OffsetDateTime>,
    /// Only predictions at or before this RFC 3339 instant.
    #[arg(long, value_parser = parse_instant)]
    pub until: Option<OffsetDateTime>,
    /// The model version to report on (default: the current model).
    #[arg(long)]
    pub model_version: Option<String>,
    /// The newest this many predictions of the window (the server's default drift window).
    #[arg(long, default_value_t = DEFAULT_DRIFT_WINDOW)]
    pub rows: usize,
    /// Add the segments table: drift and metrics per value of this feature of the model
    /// (an unknown column is an error that lists the valid ones).
    #[arg(long, value_name = "COL")]
    pub segment_by: Option<String>,
    /// Fewest rows a segment needs to be judged; thinner segments are listed and
    /// marked, never judged.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_SEGMENT_ROWS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub min_segment_rows: u64,
}

fn parse_instant(value: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(value, &Rfc3339).map_err(|err| {
        format!("'{value}' is not an RFC 3339 instant such as 2026-01-31T12:00:00Z: {err}")
    })
}

/// The report request of `args`, checked.
///
/// # Errors
/// `--rows` out of range, `--since` after `--until`, or `--min-segment-rows` 0.
pub fn request(args: &ReportArgs) -> anyhow::Result<ReportRequest> {
    if args.rows == 0 || args.rows > MAX_REPORT_ROWS {
        bail!(
            "--rows must be between 1 and {MAX_REPORT_ROWS}, not {}",
            args.rows
        );
    }
    if let (Some(since), Some(until)) = (args.since, args.until)
        && since > until
    {
        bail!("--since must not be after --until");
    }
    if args.min_segment_rows == 0 {
        bail!("--min-segment-rows must be at least 1");
    }
    Ok(ReportRequest {
        model_version: args.model_version.clone(),
        since: args.since,
        until: args.until,
        rows: args.rows,
        segment_by: args.segment_by.clone(),
        segment_options: SegmentOptions {
            min_rows: args.min_segment_rows,
        },
    })
}

/// The store a report reads: the database of `--database-url` (tried once), or else the
/// existing data directory.
///
/// # Errors
/// The database refuses or cannot be reached (named without its password), or the data
/// directory is missing or locked by a running server.
fn open_report_store(data_dir: &Path, database: Option<&DatabaseUrl>) -> anyhow::Result<Store> {
    if database.is_some() {
        return open_store(data_dir, database, StoreOptions::default(), Duration::ZERO);
    }
    Store::open(
        data_dir,
        StoreOptions {
            create_missing: false,
            ..StoreOptions::default()
        },
    )
    .with_context(|| {
        format!(
            "cannot open the data directory {} (while `scorewatch serve` runs on it, fetch GET /monitoring/report instead)",
            data_dir.display()
        )
    })
}

/// Runs `scorewatch report`: opens the store, gathers the window and writes the page.
/// The data directory must exist, and its lock means the server must not be running on
/// it; a `database` (`--database-url`) is read beside running servers.
///
/// # Errors
/// Bad arguments, a store that cannot be opened or read, an unknown model version (the
/// message lists the published ones), an unknown `--segment-by` column (the message
/// lists the model's features), or an output file that cannot be written; the
/// output file is then unchanged.
pub fn run(
    data_dir: &Path,
    database: Option<&DatabaseUrl>,
    args: &ReportArgs,
) -> anyhow::Result<ExitCode> {
    let request = request(args)?;
    check_output(&args.out)?;
    let store = open_report_store(data_dir, database)?;
    let data = gather_report(&store, &request).map_err(|err| match err {
        // The message lists the valid columns; say which flag it is about.
        scorewatch_core::ReportError::Segment(err) => anyhow::anyhow!("--segment-by: {err}"),
        other => other.into(),
    })?;
    let html = render_html(&data);
    write_atomically(&args.out, html.as_bytes())?;
    let verdict = match data.drift.as_ref().map(|d| d.verdict.status) {
        Some(VerdictStatus::Drifted) => "drifted",
        Some(VerdictStatus::Stable) => "stable",
        None => "no verdict",
    };
    let mut out = std::io::stdout().lock();
    match &data.model {
        Some(model) => writeln!(
            out,
            "wrote {} ({} bytes): model {}, {} predictions, {verdict}",
            args.out.display(),
            html.len(),
            model.version,
            data.window.rows
        )?,
        None => writeln!(
            out,
            "wrote {} ({} bytes): no model is published yet",
            args.out.display(),
            html.len()
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Fails early, before the store is read, when `out` cannot be a file we write.
fn check_output(out: &Path) -> anyhow::Result<()> {
    if out.is_dir() {
        bail!(
            "--out {} is a directory; name a file such as report.html",
            out.display()
        );
    }
    let dir = parent(out);
    if !dir.is_dir() {
        bail!(
            "cannot write {}: directory {} does not exist",
            out.display(),
            dir.display()
        );
    }
    Ok(())
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to a temporary file beside `out`, syncs it and renames it over `out`:
/// a reader (or a crash) sees the old file or the new one, never half a page.
fn write_atomically(out: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = out
        .file_name()
        .with_context(|| format!("--out {} names no file", out.display()))?;
    let tmp = parent(out).join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = File::create_new(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, out));
    if let Err(err) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err).with_context(|| format!("cannot write the report to {}", out.display()));
    }
    Ok(())
}
