//! `scorewatch keys add|list|revoke`: the API keys kept in the database of
//! `--database-url`, which every replica accepts. A key is made here from the system's
//! random source, printed once, and stored as its SHA-256 only; nothing can show it again.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use scorewatch_core::StoreOptions;
use scorewatch_postgres::{DatabaseUrl, PgStore, StoredKey};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::auth::{DEFAULT_KEY_REFRESH, generate_key, key_digest};

/// Arguments of `scorewatch keys`.
#[derive(Debug, Clone, clap::Args)]
pub struct KeysArgs {
    /// What to do with the keys.
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// The `keys` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum KeysCommand {
    /// Make a new key, store its SHA-256 in the database and print the key (once: it is
    /// not kept anywhere).
    Add {
        /// Who or what holds the key (shown by `keys list`).
        #[arg(long)]
        name: String,
    },
    /// List the keys: id, name, created, revoked. Never the key.
    List,
    /// Revoke a key by its id (from `keys list`): every replica refuses it within a few
    /// seconds.
    Revoke {
        /// The key's id.
        id: String,
    },
}

/// Runs a `keys` subcommand against `database`.
///
/// # Errors
/// Without a database (keys in files come from `SCOREWATCH_API_KEYS` or the generated
/// `data/secrets/api_key`); an unknown or malformed id; the database's errors (naming
/// host and database, never the password).
pub fn run(
    database: Option<&DatabaseUrl>,
    args: &KeysArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let Some(url) = database else {
        anyhow::bail!(
            "`scorewatch keys` manages the keys kept in a PostgreSQL database: pass \
             --database-url postgres://user:password@host:port/database (or set \
             SCOREWATCH_DATABASE_URL or DATABASE_URL). Without a database, keys come from \
             SCOREWATCH_API_KEYS or the generated file data/secrets/api_key"
        );
    };
    let store = PgStore::open(url, &StoreOptions::default())?;
    let keys = store.api_keys();
    match &args.command {
        KeysCommand::Add { name } => {
            let key = generate_key()?;
            let stored = keys
                .add(name, key_digest(key.expose()))
                .with_context(|| format!("adding a key to {url}"))?;
            writeln!(out, "added key {} ({:?})", stored.id, stored.name)?;
            writeln!(
                out,
                "key (shown once, send it as X-API-Key; only its SHA-256 is stored):"
            )?;
            writeln!(out, "{}", key.expose())?;
            writeln!(
                out,
                "every replica accepts it within {} s",
                DEFAULT_KEY_REFRESH.as_secs()
            )?;
        }
        KeysCommand::List => {
            let listed = keys
                .list()
                .with_context(|| format!("listing the keys in {url}"))?;
            if listed.is_empty() {
                writeln!(
                    out,
                    "no keys in {url}; add one with `scorewatch keys add --name NAME`"
                )?;
            } else {
                writeln!(
                    out,
                    "{:<36}  {:<20}  {:<27}  revoked",
                    "id", "name", "created"
                )?;
                for key in &listed {
                    writeln!(out, "{}", list_line(key))?;
                }
            }
        }
        KeysCommand::Revoke { id } => {
            let parsed = Uuid::parse_str(id.trim()).with_context(|| {
                format!("{id:?} is not a key id; `scorewatch keys list` shows them")
            })?;
            let Some(revoked) = keys
                .revoke(parsed)
                .with_context(|| format!("revoking key {parsed} in {url}"))?
            else {
                anyhow::bail!("no key {parsed} in {url}; `scorewatch keys list` shows the ids");
            };
            writeln!(
                out,
                "revoked key {} ({:?}) at {}; every replica refuses it within {} s",
                revoked.id,
                revoked.name,
                revoked.revoked_at.map_or_else(|| "?".to_owned(), rfc3339),
                DEFAULT_KEY_REFRESH.as_secs()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// One row of `keys list`: id, name (quoted, so spaces show), created, revoked or `-`.
fn list_line(key: &StoredKey) -> String {
    let name = format!("{:?}", key.name);
    format!(
        "{}  {name:<20}  {:<27}  {}",
        key.id,
        rfc3339(key.created_at),
        key.revoked_at.map_or_else(|| "-".to_owned(), rfc3339)
    )
}
