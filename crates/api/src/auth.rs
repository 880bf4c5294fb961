//! API keys: loading (environment or `data/secrets/api_key`, generated at first start),
//! constant-time checking, and the middleware that guards mutating endpoints.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use anyhow::Context as _;
use scorewatch_postgres::{ActiveKey, PgApiKeys};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Secret;
use crate::error::ApiError;

/// The header that carries the key.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// Failures while loading or generating keys.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The key file or its directory could not be read or written.
    #[error("api key file {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The key file exists but holds no key.
    #[error("api key file {path} is empty; delete it to generate a new key")]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// The system random source failed.
    #[error("cannot generate an api key: {0}")]
    Random(String),
}

/// The id of the key that authenticated a request, stored in the request's extensions;
/// this is what `posted_by` records, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyId(pub String);

#[derive(Clone)]
struct Key {
    id: String,
    digest: [u8; 32],
}

/// How often `serve` reads the database's keys again by default: a key added or revoked
/// on any machine works, or stops working, on every replica within this time.
pub const DEFAULT_KEY_REFRESH: Duration = Duration::from_secs(5);

/// The accepted keys, kept as SHA-256 digests so comparisons have a fixed length: the
/// configured ones (environment or key file), and with a database the ones it keeps,
/// replaced whole at each refresh. A request never queries the database: an unknown key
/// is refused at once, and a new key works from the next refresh.
pub struct ApiKeys {
    configured: Vec<Key>,
    database: RwLock<Arc<[Key]>>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Ids only: the digests identify the keys to anyone holding them.
        let configured: Vec<&str> = self.configured.iter().map(|key| key.id.as_str()).collect();
        let database = self.database_keys();
        let database: Vec<&str> = database.iter().map(|key| key.id.as_str()).collect();
        f.debug_struct("ApiKeys")
            .field("configured", &configured)
            .field("database", &database)
            .finish()
    }
}

/// What `serve` needs to start with a database but has no key anywhere.
pub const NO_KEYS_MESSAGE: &str = "no API keys: the database holds none and \
     SCOREWATCH_API_KEYS is not set; add one with `scorewatch --database-url URL keys add \
     --name NAME` (it prints the key once) or set SCOREWATCH_API_KEYS, then start again \
     (with a database, no per-replica key file is generated: it would work on one replica \
     only)";

fn digest(value: &[u8]) -> [u8; 32] {
    Sha256::digest(value).into()
}

/// The SHA-256 of a key, as the database keeps it.
#[must_use]
pub fn key_digest(key: &str) -> [u8; 32] {
    digest(key.as_bytes())
}

/// A new random key: 64 hex digits (256 bits from the system's random source).
///
/// # Errors
/// The random source failed.
pub fn generate_key() -> Result<Secret, AuthError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| AuthError::Random(err.to_string()))?;
    let mut key = String::with_capacity(64);
    for byte in bytes {
        let _ = write!(key, "{byte:02x}");
    }
    Ok(Secret::new(key))
}

impl ApiKeys {
    /// Keys from configured secrets; each gets the id `key-` + 8 hex digits of its hash.
    #[must_use]
    pub fn new(secrets: &[Secret]) -> Self {
        let configured = secrets
            .iter()
            .map(|secret| {
                let digest = digest(secret.expose().as_bytes());
                let mut id = String::from("key-");
                for byte in &digest[..4] {
                    let _ = write!(id, "{byte:02x}");
                }
                Key { id, digest }
            })
            .collect();
        Self {
            configured,
            database: RwLock::new(Arc::from(Vec::new())),
        }
    }

    /// With a database: the configured keys (`SCOREWATCH_API_KEYS`) and the database's
    /// keys not revoked, read now (and again by [`ApiKeys::replace_database_keys`]). No
    /// key file is read or generated.
    ///
    /// # Errors
    /// The database cannot be read, or there is no key at all ([`NO_KEYS_MESSAGE`]).
    pub fn with_database(configured: &[Secret], database: &PgApiKeys) -> anyhow::Result<Self> {
        let stored = database
            .active()
            .context("reading the API keys kept in the database")?;
        if configured.is_empty() && stored.is_empty() {
            anyhow::bail!(NO_KEYS_MESSAGE);
        }
        tracing::info!(
            configured = configured.len(),
            in_database = stored.len(),
            "api keys from SCOREWATCH_API_KEYS and the database"
        );
        let keys = Self::new(configured);
        keys.replace_database_keys(&stored);
        Ok(keys)
    }

    /// Replaces the database's keys with `stored` (the configured ones stay).
    pub fn replace_database_keys(&self, stored: &[ActiveKey]) {
        let keys: Arc<[Key]> = stored
            .iter()
            .map(|key| Key {
                id: key.id.to_string(),
                digest: key.sha256,
            })
            .collect();
        *self
            .database
            .write()
            .unwrap_or_else(PoisonError::into_inner) = keys;
    }

    fn database_keys(&self) -> Arc<[Key]> {
        Arc::clone(&self.database.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The configured keys, or the one in `data_dir/secrets/api_key`, generated (mode
    /// 0600) when it does not exist. The file's path is logged, never its content.
    pub fn load(configured: &[Secret], data_dir: &Path) -> Result<Self, AuthError> {
        if !configured.is_empty() {
            tracing::info!(keys = configured.len(), "api keys from SCOREWATCH_API_KEYS");
            return Ok(Self::new(configured));
        }
        Ok(Self::new(&[key_from_file(data_dir)?]))
    }

    /// The id of the key equal to `candidate`, compared in constant time against every key.
    #[must_use]
    pub fn verify(&self, candidate: &[u8]) -> Option<String> {
        let candidate = digest(candidate);
        let database = self.database_keys();
        let mut found = None;
        for key in self.configured.iter().chain(database.iter()) {
            if bool::from(key.digest.ct_eq(&candidate)) {
                found = Some(key.id.clone());
            }
        }
        found
    }

    /// Ids of the accepted keys: the configured ones, then the database's.
    #[must_use]
    pub fn ids(&self) -> Vec<String> {
        let database = self.database_keys();
        self.configured
            .iter()
            .chain(database.iter())
            .map(|key| key.id.clone())
            .collect()
    }
}

/// Reads the database's keys every `every` until `stop` says so, keeping the last good
/// set when a read fails (the database may be away for a moment; a revoked key then works
/// until the next good read). Each read also tells `/health` whether the database
/// answers, so that it reports an outage, and its end, even with no write coming in.
pub async fn refresh_database_keys(
    keys: Arc<ApiKeys>,
    database: PgApiKeys,
    state: Arc<crate::state::AppState>,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let reader = database.clone();
        let Ok(read) = web::block(move || reader.active()).await else {
            tracing::warn!("the api key refresh could not run on the blocking pool");
            continue;
        };
        state.storage.note(&read);
        match read {
            Ok(stored) => keys.replace_database_keys(&stored),
            Err(err) => tracing::warn!(
                error = %scorewatch_core::error_chain(&err),
                "cannot read the api keys from the database; keeping the last ones read"
            ),
        }
    }
}

/// The key in `data_dir/secrets/api_key`, generated (mode 0600) when the file does not
/// exist. The file's path is logged, never its content.
///
/// # Errors
/// The file cannot be read or written, or is empty.
pub fn key_from_file(data_dir: &Path) -> Result<Secret, AuthError> {
    let path = key_file(data_dir);
    match fs::read_to_string(&path) {
        Ok(content) => {
            let key = content.trim();
            if key.is_empty() {
                return Err(AuthError::EmptyFile { path });
            }
            tracing::info!(path = %path.display(), "api key read from file");
            Ok(Secret::new(key))
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            let key = generate_key_file(&path)?;
            tracing::warn!(
                path = %path.display(),
                "no SCOREWATCH_API_KEYS: generated an api key (mode 0600); read it from this file"
            );
            Ok(key)
        }
        Err(source) => Err(AuthError::Io { path, source }),
    }
}

/// `data_dir/secrets/api_key`.
#[must_use]
pub fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join("secrets").join("api_key")
}

fn generate_key_file(path: &Path) -> Result<Secret, AuthError> {
    let io_err = |source| AuthError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_err)?;
    }
    let key = generate_key()?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err)?;
    file.write_all(key.expose().as_bytes()).map_err(io_err)?;
    file.write_all(b"\n").map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    Ok(key)
}

/// Which requests need a key; registered as app data for [`require_key`].
#[derive(Debug, Clone)]
pub struct Guard {
    /// The accepted keys.
    pub keys: Arc<ApiKeys>,
    /// Whether reads need one too.
    pub protect_reads: bool,
}

/// Paths that stay public even with `--protect-reads`: the liveness probe and the docs.
fn always_public(path: &str) -> bool {
    path == "/health" || path == "/openapi.json" || path == "/docs" || path.starts_with("/docs/")
}

/// Middleware: every mutating request (and, with `--protect-reads`, every read but the
/// health check and the docs) must carry a valid `X-API-Key`; the matching key's id is put
/// in the request's extensions as [`KeyId`].
///
/// # Errors
/// 401 without a key, 403 with a wrong one; otherwise whatever the service returns.
pub async fn require_key(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(guard) = req.app_data::<web::Data<Guard>>().cloned() else {
        return Err(ApiError::internal(anyhow::anyhow!("auth guard not registered")).into());
    };
    let mutating = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let needs_key = mutating || (guard.protect_reads && !always_public(req.path()));
    if needs_key {
        let Some(value) = req.headers().get(API_KEY_HEADER) else {
            return Err(ApiError::MissingKey.into());
        };
        let Some(id) = guard.keys.verify(value.as_bytes()) else {
            return Err(ApiError::WrongKey.into());
        };
        req.extensions_mut().insert(KeyId(id));
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn verify_finds_the_matching_key_only() {
        let keys = ApiKeys::new(&[Secret::new("alpha"), Secret::new("beta")]);
        let ids = keys.ids();
        assert_eq!(keys.verify(b"beta").as_ref(), Some(&ids[1]));
        assert_eq!(keys.verify(b"alpha").as_ref(), Some(&ids[0]));
        assert_eq!(keys.verify(b"gamma"), None);
        assert_eq!(keys.verify(b""), None);
        assert_ne!(ids[0], ids[1]);
        assert!(ids[0].starts_with("key-") && ids[0].len() == 12);
    }

    #[test]
    fn generated_key_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = ApiKeys::load(&[], dir.path()).unwrap();
        let path = key_file(dir.path());
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let key = fs::read_to_string(&path).unwrap();
        assert_eq!(key.trim().len(), 64);
        let second = ApiKeys::load(&[], dir.path()).unwrap();
        assert_eq!(first.ids(), second.ids());
        assert!(second.verify(key.trim().as_bytes()).is_some());
        assert!(!format!("{second:?}").contains(key.trim()));
    }

    #[test]
    fn database_keys_are_replaced_whole_and_the_configured_ones_stay() {
        let keys = ApiKeys::new(&[Secret::new("env-key")]);
        let id = uuid::Uuid::now_v7();
        let stored = ActiveKey {
            id,
            sha256: key_digest("db-key"),
        };
        keys.replace_database_keys(std::slice::from_ref(&stored));
        assert_eq!(keys.verify(b"db-key"), Some(id.to_string()));
        assert!(keys.verify(b"env-key").is_some());
        // The key was revoked: the next refresh no longer holds it.
        keys.replace_database_keys(&[]);
        assert_eq!(keys.verify(b"db-key"), None);
        assert!(keys.verify(b"env-key").is_some());
        assert!(!format!("{keys:?}").contains("env-key"));
    }

    #[test]
    fn configured_keys_skip_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let keys = ApiKeys::load(&[Secret::new("k")], dir.path()).unwrap();
        assert!(keys.verify(b"k").is_some());
        assert!(!key_file(dir.path()).exists());
    }
}
