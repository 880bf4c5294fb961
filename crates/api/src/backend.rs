//! Which backend keeps the data: the data directory (the default), or the PostgreSQL
//! database of `--database-url`, behind the same core [`Store`].
//!
//! A database that cannot be reached at start is tried again with backoff for a while
//! (replicas and their database often start together, and a managed database restarts
//! for maintenance), each failure logged with its reason; a refusal that waiting cannot
//! cure (wrong password, no such database, a schema from a newer build) fails at once.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use scorewatch_core::{DataLayout, Store, StoreOptions};
use scorewatch_postgres::{DatabaseUrl, OpenError, PgApiKeys, PgStore};

/// How long `serve` keeps trying a database it cannot reach at start, by default.
pub const DEFAULT_DATABASE_WAIT: Duration = Duration::from_mins(1);

/// The first pause between attempts; each next one doubles, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest pause between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Opens the store: the data directory, or with `database` the PostgreSQL backend
/// (migrated under its advisory lock), trying an unreachable database again for up to
/// `wait`. With a database, `data_dir` holds only the logs (keys come from the environment
/// and the database), and of `options` the database takes the retention (it drops whole
/// monthly partitions).
///
/// # Errors
/// The data directory cannot be opened (locked, corrupt); or the database refuses, or
/// is still unreachable after `wait` (the message names host and database, never the
/// password).
pub fn open_store(
    data_dir: &Path,
    database: Option<&DatabaseUrl>,
    options: StoreOptions,
    wait: Duration,
) -> anyhow::Result<Store> {
    open_store_with_keys(data_dir, database, options, wait, &|_| {}).map(|(store, _)| store)
}

/// As [`open_store`], with the database's API keys (`scorewatch keys`) when the store is
/// a database, telling `on_retry` the reason of each failed attempt that will be tried
/// again (what `/health` says while `serve` starts): what `serve` needs.
///
/// # Errors
/// As [`open_store`].
pub fn open_store_with_keys(
    data_dir: &Path,
    database: Option<&DatabaseUrl>,
    options: StoreOptions,
    wait: Duration,
    on_retry: &dyn Fn(&str),
) -> anyhow::Result<(Store, Option<PgApiKeys>)> {
    let Some(url) = database else {
        let store = Store::open(data_dir, options)
            .with_context(|| format!("opening data directory {}", data_dir.display()))?;
        return Ok((store, None));
    };
    let pg = open_database(url, &options, wait, &mut std::thread::sleep, on_retry)?;
    let migration = pg.migration();
    tracing::info!(
        database = %url,
        schema_version = migration.version,
        applied = ?migration.applied,
        "using the PostgreSQL backend"
    );
    Ok((
        Store::from_backends(DataLayout::new(data_dir), pg.backends()),
        Some(pg.api_keys()),
    ))
}

/// [`PgStore::open`] with retries; `sleep` waits between attempts (tests pass a fake),
/// `on_retry` hears why each attempt that will be retried failed.
fn open_database(
    url: &DatabaseUrl,
    options: &StoreOptions,
    wait: Duration,
    sleep: &mut dyn FnMut(Duration),
    on_retry: &dyn Fn(&str),
) -> anyhow::Result<PgStore> {
    let started = Instant::now();
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1_u32;
    loop {
        match PgStore::open(url, options) {
            Ok(store) => return Ok(store),
            Err(err) if err.is_transient() && started.elapsed() + backoff <= wait => {
                let reason = format!("{:#}", anyhow::Error::new(err));
                tracing::warn!(
                    database = %url,
                    attempt,
                    retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                    error = %reason,
                    "the database is not available yet; trying again"
                );
                on_retry(&reason);
                sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                attempt += 1;
            }
            Err(err) => return Err(gave_up(err, attempt, started.elapsed())),
        }
    }
}

fn gave_up(err: OpenError, attempts: u32, waited: Duration) -> anyhow::Error {
    let transient = err.is_transient();
    let err = anyhow::Error::new(err);
    if transient && attempts > 1 {
        err.context(format!(
            "the database was still unavailable after {attempts} attempts in {} s",
            waited.as_secs()
        ))
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_tried_with_growing_pauses_until_the_wait_ends() {
        // Port 1 on localhost refuses at once: every attempt fails fast.
        let url = DatabaseUrl::parse("postgres://u:hunter2@127.0.0.1:1/scores").unwrap();
        let mut pauses = Vec::new();
        let reasons = std::cell::RefCell::new(Vec::new());
        let err = open_database(
            &url,
            &StoreOptions::default(),
            Duration::from_secs(3),
            &mut |d| pauses.push(d),
            &|reason| {
                reasons.borrow_mut().push(reason.to_owned());
            },
        )
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("postgres://u@127.0.0.1:1/scores"), "{text}");
        assert!(text.contains("still unavailable after"), "{text}");
        // The fake sleep does not wait, so the attempts end when the next pause would
        // pass the budget (0.25 + 0.5 + 1 + 2 s; 4 s would not fit in 3 s).
        assert!(pauses.len() >= 2, "{pauses:?}");
        assert_eq!(pauses[0], FIRST_BACKOFF);
        assert_eq!(pauses[1], FIRST_BACKOFF * 2);
        // Each retried attempt's reason is told (for /health while starting), without
        // the password.
        let reasons = reasons.into_inner();
        assert_eq!(reasons.len(), pauses.len());
        assert!(reasons[0].contains("127.0.0.1:1/scores"), "{reasons:?}");
        assert!(
            reasons.iter().all(|r| !r.contains("hunter2")),
            "{reasons:?}"
        );
    }

    #[test]
    fn no_wait_means_one_attempt() {
        let url = DatabaseUrl::parse("postgres://u:hunter2@127.0.0.1:1/scores").unwrap();
        let mut pauses = Vec::new();
        let err = open_database(
            &url,
            &StoreOptions::default(),
            Duration::ZERO,
            &mut |d| pauses.push(d),
            &|_| {},
        )
        .unwrap_err();
        assert!(pauses.is_empty());
        assert!(!format!("{err:#}").contains("still unavailable"), "{err:#}");
    }
}
