//! `scorewatch migrate`: apply the PostgreSQL backend's schema migrations, and the global
//! `--database-url` that selects that backend.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use scorewatch_postgres::DatabaseUrl;

/// Arguments of `scorewatch migrate` (the database is the global `--database-url`).
#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {}

/// Where `--database-url` came from, for messages (the URL itself holds a password).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// `--database-url` or `SCOREWATCH_DATABASE_URL` (clap reads both).
    Option,
    /// `DATABASE_URL`, which Render sets for an attached database.
    DatabaseUrlEnv,
}

/// The variable read when neither `--database-url` nor `SCOREWATCH_DATABASE_URL` is set.
pub const FALLBACK_ENV: &str = "DATABASE_URL";

/// The database URL given, with where it came from: the option (or
/// `SCOREWATCH_DATABASE_URL`) first, then `DATABASE_URL`; empty values count as unset.
#[must_use]
pub fn database_url(option: Option<&str>) -> Option<(String, UrlSource)> {
    if let Some(url) = option.filter(|u| !u.is_empty()) {
        return Some((url.to_owned(), UrlSource::Option));
    }
    std::env::var(FALLBACK_ENV)
        .ok()
        .filter(|u| !u.is_empty())
        .map(|url| (url, UrlSource::DatabaseUrlEnv))
}

impl std::fmt::Display for UrlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Option => "--database-url (or SCOREWATCH_DATABASE_URL)",
            Self::DatabaseUrlEnv => "DATABASE_URL",
        })
    }
}

/// The database URL given, parsed; the error names where it came from, never the
/// password.
///
/// # Errors
/// When the URL does not parse.
pub fn parse_database(url: Option<&(String, UrlSource)>) -> anyhow::Result<Option<DatabaseUrl>> {
    url.map(|(url, source)| {
        DatabaseUrl::parse(url).with_context(|| format!("the URL from {source}"))
    })
    .transpose()
}

/// Applies the migrations the database lacks and prints what was done.
///
/// # Errors
/// Without a database URL; when the URL does not parse, the database cannot be reached,
/// or its schema is newer than this build (the message names host and database, never
/// the password).
pub fn run(
    url: Option<&(String, UrlSource)>,
    _args: &MigrateArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let Some((url, source)) = url else {
        anyhow::bail!(
            "`scorewatch migrate` needs a PostgreSQL database: pass --database-url \
             postgres://user:password@host:port/database (or set SCOREWATCH_DATABASE_URL or \
             DATABASE_URL); the data directory has no schema to migrate"
        );
    };
    let url = DatabaseUrl::parse(url).with_context(|| format!("the URL from {source}"))?;
    apply(&url, out)?;
    Ok(ExitCode::SUCCESS)
}

/// Applies the migrations `url` lacks and prints what was done (`migrate`, and `init`
/// with a database).
///
/// # Errors
/// As [`run`].
pub fn apply(url: &DatabaseUrl, out: &mut dyn Write) -> anyhow::Result<()> {
    let report = scorewatch_postgres::migrate(url)?;
    if report.applied.is_empty() {
        writeln!(out, "{url}: schema up to date (version {})", report.version)?;
    } else {
        let applied: Vec<String> = report.applied.iter().map(i64::to_string).collect();
        writeln!(
            out,
            "{url}: applied migration {}; schema version {}",
            applied.join(", "),
            report.version
        )?;
    }
    if report.partitions_created > 0 {
        writeln!(
            out,
            "{url}: created {} monthly prediction partitions",
            report.partitions_created
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_url_migrate_says_how_to_give_one() {
        let err = run(None, &MigrateArgs {}, &mut Vec::new()).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("--database-url"), "{text}");
        assert!(text.contains("DATABASE_URL"), "{text}");
    }

    #[test]
    fn a_bad_url_is_named_by_its_source_without_its_password() {
        let url = (
            "postgres://u:hunter2@host:notaport/db".to_owned(),
            UrlSource::Option,
        );
        let err = run(Some(&url), &MigrateArgs {}, &mut Vec::new()).unwrap_err();
        let text = format!("{err:#} {err:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("--database-url"), "{text}");
    }

    #[test]
    fn an_unreachable_database_is_named_without_the_password() {
        let url = (
            "postgres://u:hunter2@127.0.0.1:1/scores".to_owned(),
            UrlSource::DatabaseUrlEnv,
        );
        let err = run(Some(&url), &MigrateArgs {}, &mut Vec::new()).unwrap_err();
        let text = format!("{err:#} {err:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("postgres://u@127.0.0.1:1/scores"), "{text}");
    }
}
