//! API keys: loading (environment or `data/secrets/api_key`, generated at first start),
//! constant-time checking, and the middleware that guards mutating endpoints.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
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

/// The accepted keys, kept as SHA-256 digests so comparisons have a fixed length.
#[derive(Clone)]
pub struct ApiKeys {
    keys: Vec<Key>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|key| key.id.as_str()).collect();
        f.debug_struct("ApiKeys").field("ids", &ids).finish()
    }
}

fn digest(value: &[u8]) -> [u8; 32] {
    Sha256::digest(value).into()
}

impl ApiKeys {
    /// Keys from configured secrets; each gets the id `key-` + 8 hex digits of its hash.
    #[must_use]
    pub fn new(secrets: &[Secret]) -> Self {
        let keys = secrets
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
        Self { keys }
    }

    /// The configured keys, or the one in `data_dir/secrets/api_key`, generated (mode
    /// 0600) when it does not exist. The file's path is logged, never its content.
    pub fn load(configured: &[Secret], data_dir: &Path) -> Result<Self, AuthError> {
        if !configured.is_empty() {
            tracing::info!(keys = configured.len(), "api keys from SCOREWATCH_API_KEYS");
            return Ok(Self::new(configured));
        }
        let path = key_file(data_dir);
        match fs::read_to_string(&path) {
            Ok(content) => {
                let key = content.trim();
                if key.is_empty() {
                    return Err(AuthError::EmptyFile { path });
                }
                tracing::info!(path = %path.display(), "api key read from file");
                Ok(Self::new(&[Secret::new(key)]))
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let key = generate_key_file(&path)?;
                tracing::warn!(
                    path = %path.display(),
                    "no SCOREWATCH_API_KEYS: generated an api key (mode 0600); read it from this file"
                );
                Ok(Self::new(&[key]))
            }
            Err(source) => Err(AuthError::Io { path, source }),
        }
    }

    /// The id of the key equal to `candidate`, compared in constant time against every key.
    #[must_use]
    pub fn verify(&self, candidate: &[u8]) -> Option<&str> {
        let candidate = digest(candidate);
        let mut found = None;
        for key in &self.keys {
            if bool::from(key.digest.ct_eq(&candidate)) {
                found = Some(key.id.as_str());
            }
        }
        found
    }

    /// Ids of the configured keys.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|key| key.id.as_str())
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
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| AuthError::Random(err.to_string()))?;
    let mut key = String::with_capacity(64);
    for byte in bytes {
        let _ = write!(key, "{byte:02x}");
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err)?;
    file.write_all(key.as_bytes()).map_err(io_err)?;
    file.write_all(b"\n").map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    Ok(Secret::new(key))
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
        let id = KeyId(id.to_owned());
        req.extensions_mut().insert(id);
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
        let ids: Vec<_> = keys.ids().map(str::to_owned).collect();
        assert_eq!(keys.verify(b"beta"), Some(ids[1].as_str()));
        assert_eq!(keys.verify(b"alpha"), Some(ids[0].as_str()));
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
        assert_eq!(
            first.ids().collect::<Vec<_>>(),
            second.ids().collect::<Vec<_>>()
        );
        assert!(second.verify(key.trim().as_bytes()).is_some());
        assert!(!format!("{second:?}").contains(key.trim()));
    }

    #[test]
    fn configured_keys_skip_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let keys = ApiKeys::load(&[Secret::new("k")], dir.path()).unwrap();
        assert!(keys.verify(b"k").is_some());
        assert!(!key_file(dir.path()).exists());
    }
}
