//! [`PgApiKeys`]: the API keys of `scorewatch keys add|list|revoke` in the `api_keys`
//! table, as SHA-256 digests only. The key itself is made and shown by the caller once;
//! every replica reads the digests of the keys not revoked ([`PgApiKeys::active`]).

use std::sync::Arc;

use scorewatch_core::StoreError;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::shared::{Shared, db, invalid, text_problem};

/// The longest key name accepted, in characters.
pub const KEY_NAME_MAX_CHARS: usize = 100;

/// The API keys in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgApiKeys {
    shared: Arc<Shared>,
}

/// A key as `scorewatch keys list` shows it: never the key, nor its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Its id, which `keys revoke` takes and requests record as `posted_by`.
    pub id: Uuid,
    /// What the user called it (who or what holds it).
    pub name: String,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it was revoked; `None` while it works.
    pub revoked_at: Option<OffsetDateTime>,
}

/// A key that works: its id and the SHA-256 of the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ActiveKey {
    /// Its id.
    pub id: Uuid,
    /// SHA-256 of the key's bytes.
    pub sha256: [u8; 32],
}

impl std::fmt::Debug for ActiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The digest identifies the key to anyone holding it; logs get the id only.
        f.debug_struct("ActiveKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

type KeyRow = (Uuid, String, OffsetDateTime, Option<OffsetDateTime>);

fn stored((id, name, created_at, revoked_at): KeyRow) -> StoredKey {
    StoredKey {
        id,
        name,
        created_at,
        revoked_at,
    }
}

/// Checks a key's name: one line of printable text, not empty, at most
/// [`KEY_NAME_MAX_CHARS`] characters.
fn check_name(name: &str) -> Result<(), StoreError> {
    let problem = if name.trim().is_empty() {
        Some("is empty".to_owned())
    } else if name.chars().count() > KEY_NAME_MAX_CHARS {
        Some(format!("is longer than {KEY_NAME_MAX_CHARS} characters"))
    } else if name.chars().any(char::is_control) {
        Some(
            text_problem(name)
                .unwrap_or("holds a control character")
                .to_owned(),
        )
    } else {
        None
    };
    match problem {
        Some(reason) => Err(invalid("api_keys", "name", reason)),
        None => Ok(()),
    }
}

impl PgApiKeys {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Stores a new key by its digest under `name` (names need not be unique: the id
    /// tells keys apart).
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] for a bad name or a digest already stored (a key
    /// made twice); otherwise the database's errors.
    pub fn add(&self, name: &str, sha256: [u8; 32]) -> Result<StoredKey, StoreError> {
        check_name(name)?;
        let id = Uuid::now_v7();
        let name = name.to_owned();
        let row: Option<KeyRow> = self.shared.call("add an api key", |pool| async move {
            sqlx::query_as(
                "INSERT INTO api_keys (id, name, key_sha256) VALUES ($1, $2, $3) \
                 ON CONFLICT (key_sha256) DO NOTHING \
                 RETURNING id, name, created_at, revoked_at",
            )
            .bind(id)
            .bind(name)
            .bind(sha256.to_vec())
            .fetch_optional(&pool)
            .await
            .map_err(db("add an api key"))
        })?;
        row.map(stored).ok_or_else(|| {
            invalid(
                "api_keys",
                "key_sha256",
                "this key is already stored; make a new one".to_owned(),
            )
        })
    }

    /// Every key, revoked ones too, oldest first.
    ///
    /// # Errors
    /// The database's errors.
    pub fn list(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows: Vec<KeyRow> = self.shared.call("list the api keys", |pool| async move {
            sqlx::query_as(
                "SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id",
            )
            .fetch_all(&pool)
            .await
            .map_err(db("list the api keys"))
        })?;
        Ok(rows.into_iter().map(stored).collect())
    }

    /// Revokes key `id`; revoking it again keeps the first revocation's time. `None`
    /// when there is no such key.
    ///
    /// # Errors
    /// The database's errors.
    pub fn revoke(&self, id: Uuid) -> Result<Option<StoredKey>, StoreError> {
        let row: Option<KeyRow> = self.shared.call("revoke an api key", |pool| async move {
            sqlx::query_as(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 \
                 RETURNING id, name, created_at, revoked_at",
            )
            .bind(id)
            .fetch_optional(&pool)
            .await
            .map_err(db("revoke an api key"))
        })?;
        Ok(row.map(stored))
    }

    /// The keys that work (not revoked), as digests: what `serve` accepts.
    ///
    /// # Errors
    /// The database's errors; a stored digest of the wrong length is
    /// [`StoreError::InvalidRecord`] (the table's check forbids it).
    pub fn active(&self) -> Result<Vec<ActiveKey>, StoreError> {
        let rows: Vec<(Uuid, Vec<u8>)> =
            self.shared.call("read the api keys", |pool| async move {
                sqlx::query_as(
                    "SELECT id, key_sha256 FROM api_keys WHERE revoked_at IS NULL ORDER BY id",
                )
                .fetch_all(&pool)
                .await
                .map_err(db("read the api keys"))
            })?;
        rows.into_iter()
            .map(|(id, digest)| {
                let sha256 = <[u8; 32]>::try_from(digest.as_slice()).map_err(|_| {
                    invalid(
                        "api_keys",
                        "key_sha256",
                        format!("key {id} has a digest of {} bytes, not 32", digest.len()),
                    )
                })?;
                Ok(ActiveKey { id, sha256 })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_one_short_line() {
        assert!(check_name("ci deploy bot").is_ok());
        for bad in [
            "",
            "   ",
            "two\nlines",
            "nul\0",
            &"x".repeat(KEY_NAME_MAX_CHARS + 1),
        ] {
            let err = check_name(bad).unwrap_err();
            assert!(err.to_string().contains("api_keys: field name"), "{err}");
        }
    }
}
