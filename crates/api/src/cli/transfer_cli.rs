//! `scorewatch import --from-dir DIR` (a data directory into the database of
//! `--database-url`) and `scorewatch export --to-dir DIR` (the database back into the
//! guide's file layout). Both copy through core's store traits (`transfer.rs`), so they
//! are safe to re-run after an interruption and add nothing the second time.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use scorewatch_core::{DataLayout, Store, StoreOptions};
use scorewatch_postgres::{DatabaseUrl, PgStore};
use time::OffsetDateTime;

use super::transfer::copy_store;

/// Arguments of `scorewatch import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The data directory to copy from (it is only read; `serve` must not be running on
    /// it, the directory lock refuses that).
    #[arg(long, value_name = "DIR")]
    pub from_dir: PathBuf,
}

/// Arguments of `scorewatch export`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// The data directory to write: missing, empty, or a scorewatch data directory
    /// (an earlier export, continued); anything else is refused.
    #[arg(long, value_name = "DIR")]
    pub to_dir: PathBuf,
}

fn needs_database(command: &str, url: Option<&DatabaseUrl>) -> anyhow::Result<DatabaseUrl> {
    url.cloned().with_context(|| {
        format!(
            "`scorewatch {command}` needs the PostgreSQL database: pass --database-url \
             postgres://user:password@host:port/database (or set SCOREWATCH_DATABASE_URL or \
             DATABASE_URL)"
        )
    })
}

fn database_store(url: &DatabaseUrl, data_dir: &Path) -> anyhow::Result<(PgStore, Store)> {
    let pg = PgStore::open(url, &StoreOptions::default())?;
    let store = Store::from_backends(DataLayout::new(data_dir), pg.backends());
    Ok((pg, store))
}

/// The oldest prediction timestamp of `store`'s oldest log (logs are written in time
/// order), `None` when it has none.
fn oldest_prediction(store: &Store) -> anyhow::Result<Option<OffsetDateTime>> {
    let mut oldest: Option<OffsetDateTime> = None;
    let mut first = |ts: OffsetDateTime| {
        oldest = Some(oldest.map_or(ts, |o| o.min(ts)));
        Ok(ControlFlow::Break(()))
    };
    store
        .predictions()
        .scan_archived_logs(&mut |_, r| first(r.timestamp))?;
    store.predictions().scan(&mut |r| first(r.timestamp))?;
    Ok(oldest)
}

fn progress_to(err: &mut dyn Write) -> impl FnMut(&str, u64) + '_ {
    move |what, rows| {
        let _ = writeln!(err, "  {what}: {rows} copied so far");
    }
}

/// Copies the data directory `args.from_dir` into the database.
///
/// # Errors
/// Without a database; when the directory cannot be opened (missing, locked by a
/// running `serve`, corrupt) or the database refuses.
pub fn run_import(
    data_dir: &Path,
    url: Option<&DatabaseUrl>,
    args: &ImportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let url = needs_database("import", url)?;
    let from = Store::open(
        &args.from_dir,
        StoreOptions {
            create_missing: false,
            ..StoreOptions::default()
        },
    )
    .with_context(|| format!("opening data directory {}", args.from_dir.display()))?;
    let (pg, to) = database_store(&url, data_dir)?;
    if let Some(oldest) = oldest_prediction(&from)? {
        let created = pg.prepare_partitions(oldest)?;
        if created > 0 {
            writeln!(err, "created {created} monthly prediction partitions")?;
        }
    }
    writeln!(err, "importing {} into {url}", args.from_dir.display())?;
    let summary = copy_store(&from, &to, &mut progress_to(err))?;
    writeln!(
        out,
        "imported {} into {url}:\n{summary}",
        args.from_dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Whether `dir` may be exported into: missing, empty, or a scorewatch data directory.
fn check_export_target(dir: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    if entries.count() == 0 {
        return Ok(());
    }
    let layout = DataLayout::new(dir);
    if layout.predictions_log().is_file() || layout.model_metrics().is_file() {
        return Ok(());
    }
    anyhow::bail!(
        "{} is not empty and is not a scorewatch data directory (no {}); export into a new \
         or empty directory, so that nothing of yours is overwritten",
        dir.display(),
        layout.predictions_log().display()
    )
}

/// Writes the database into the data directory `args.to_dir`.
///
/// # Errors
/// Without a database; when the directory is not empty and not a scorewatch data
/// directory, is locked by a running `serve`, or cannot be written; or the database
/// refuses.
pub fn run_export(
    data_dir: &Path,
    url: Option<&DatabaseUrl>,
    args: &ExportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let url = needs_database("export", url)?;
    check_export_target(&args.to_dir)?;
    let (_pg, from) = database_store(&url, data_dir)?;
    let to = Store::open(&args.to_dir, StoreOptions::default())
        .with_context(|| format!("opening data directory {}", args.to_dir.display()))?;
    writeln!(err, "exporting {url} into {}", args.to_dir.display())?;
    let summary = copy_store(&from, &to, &mut progress_to(err))?;
    drop(to);
    writeln!(
        out,
        "exported {url} into {}:\n{summary}",
        args.to_dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
