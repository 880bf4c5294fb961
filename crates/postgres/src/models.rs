//! [`ModelStore`] in the `models` and `model_current` tables: each published version one
//! row (its artifact and reference profile as jsonb, the JSON the file registry writes),
//! and the current version one row pointing at a published one.
//!
//! A publish is one transaction under an advisory lock, so that two publishers (two
//! replicas' pipelines, or `train` beside `serve`) decide their promotions one after the
//! other, each against the model the other promoted, never both against the same one.

use std::path::PathBuf;
use std::sync::Arc;

use scorewatch_core::{
    InvalidModel, MODEL_FORMAT_VERSION, Model, ModelArtifact, ModelStore, ModelVersion,
    PromotionPolicy, ReferenceProfile, RegistryError, decide_against_current, decide_promotion,
};
use sqlx::PgPool;
use sqlx::types::Json;

use crate::shared::{Shared, db};

/// The advisory lock key every publish takes (transaction-scoped): "scorewatch models"
/// in ASCII, distinct from sqlx's migration lock, which derives its key from the
/// database's name.
const PUBLISH_LOCK: i64 = 0x7363_6f72_6d6f_646c;

/// The channel a promotion notifies, with the promoted version as payload, for replicas
/// that listen instead of polling.
pub const MODEL_PROMOTED_CHANNEL: &str = "scorewatch_model_promoted";

/// The published models in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgModelStore {
    shared: Arc<Shared>,
}

impl PgModelStore {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

/// Where a version is kept, for messages: the table and the row, where the file
/// registry names `data/models/<version>/model.json`.
fn location(table: &str, version: &str) -> PathBuf {
    PathBuf::from(format!("{table}/{version}"))
}

/// Parses and validates an artifact as stored. Like the file registry, a stored artifact
/// of another format version is reported as such rather than as a parse error.
fn parse_model(version: &str, value: serde_json::Value) -> Result<Model, RegistryError> {
    let path = location("models", version);
    let format = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .and_then(|v| u32::try_from(v).ok());
    let artifact: ModelArtifact = match serde_json::from_value(value) {
        Ok(artifact) => artifact,
        Err(source) => {
            return Err(match format {
                Some(found) if found != MODEL_FORMAT_VERSION => RegistryError::Invalid {
                    path,
                    source: InvalidModel::FormatVersion { found },
                },
                _ => RegistryError::Parse { path, source },
            });
        }
    };
    Model::new(artifact).map_err(|source| RegistryError::Invalid { path, source })
}

/// A missing row, as the file registry reports a missing file, so that callers tell
/// "no such version" the same way for both backends.
fn not_found(version: &str) -> RegistryError {
    RegistryError::Io {
        path: location("models", version),
        action: "read",
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such model version"),
    }
}

impl ModelStore for PgModelStore {
    fn current_version(&self) -> Result<Option<ModelVersion>, RegistryError> {
        let name: Option<String> = self
            .shared
            .call("read the current model", |pool| async move {
                sqlx::query_scalar("SELECT version FROM model_current")
                    .fetch_optional(&pool)
                    .await
                    .map_err(db("read the current model"))
            })
            .map_err(RegistryError::Store)?;
        name.map(|name| {
            name.parse().map_err(|source| RegistryError::BadPointer {
                path: PathBuf::from("model_current"),
                source,
            })
        })
        .transpose()
    }

    fn load(&self, version: &ModelVersion) -> Result<Model, RegistryError> {
        let key = version.as_str().to_owned();
        let artifact: Option<Json<serde_json::Value>> = self
            .shared
            .call("read a model", |pool| async move {
                sqlx::query_scalar("SELECT artifact FROM models WHERE version = $1")
                    .bind(key)
                    .fetch_optional(&pool)
                    .await
                    .map_err(db("read a model"))
            })
            .map_err(RegistryError::Store)?;
        let Json(artifact) = artifact.ok_or_else(|| not_found(version.as_str()))?;
        parse_model(version.as_str(), artifact)
    }

    fn load_profile(
        &self,
        version: &ModelVersion,
    ) -> Result<Option<ReferenceProfile>, RegistryError> {
        let key = version.as_str().to_owned();
        let row: Option<Option<Json<serde_json::Value>>> = self
            .shared
            .call("read a reference profile", |pool| async move {
                sqlx::query_scalar("SELECT profile FROM models WHERE version = $1")
                    .bind(key)
                    .fetch_optional(&pool)
                    .await
                    .map_err(db("read a reference profile"))
            })
            .map_err(RegistryError::Store)?;
        let Some(Json(value)) = row.ok_or_else(|| not_found(version.as_str()))? else {
            return Ok(None);
        };
        let path = location("models", version.as_str()).join("profile");
        let profile: ReferenceProfile =
            serde_json::from_value(value).map_err(|source| RegistryError::ProfileParse {
                path: path.clone(),
                source,
            })?;
        profile
            .validate()
            .map_err(|source| RegistryError::InvalidProfile { path, source })?;
        Ok(Some(profile))
    }

    fn versions(&self) -> Result<Vec<ModelVersion>, RegistryError> {
        let names: Vec<String> = self
            .shared
            .call("list model versions", |pool| async move {
                sqlx::query_scalar("SELECT version FROM models")
                    .fetch_all(&pool)
                    .await
                    .map_err(db("list model versions"))
            })
            .map_err(RegistryError::Store)?;
        // Ordered as the file registry orders its directories: by ModelVersion's order.
        let mut versions: Vec<ModelVersion> = names.iter().filter_map(|n| n.parse().ok()).collect();
        versions.sort();
        Ok(versions)
    }

    fn publish(
        &self,
        artifact: ModelArtifact,
        profile: Option<&ReferenceProfile>,
        policy: &PromotionPolicy,
    ) -> Result<ModelArtifact, RegistryError> {
        artifact
            .validate()
            .map_err(|source| RegistryError::Unpublishable {
                version: artifact.version.clone(),
                source,
            })?;
        let profile = profile
            .map(serde_json::to_value)
            .transpose()
            .map_err(|source| RegistryError::ProfileParse {
                path: location("models", artifact.version.as_str()).join("profile"),
                source,
            })?;
        let policy = *policy;
        self.shared
            .call("publish a model", move |pool| async move {
                Ok(publish(pool, artifact, profile, policy).await)
            })
            .map_err(RegistryError::Store)?
    }
}

/// One publish, in one transaction: see the module's doc.
async fn publish(
    pool: PgPool,
    mut artifact: ModelArtifact,
    profile: Option<serde_json::Value>,
    policy: PromotionPolicy,
) -> Result<ModelArtifact, RegistryError> {
    let err = |source| RegistryError::Store(db("publish a model")(source));
    let mut tx = pool.begin().await.map_err(err)?;
    // Publishers one at a time, each deciding against the current model as the previous
    // one left it.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PUBLISH_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
    let current: Option<(String, Json<serde_json::Value>)> = sqlx::query_as(
        "SELECT c.version, m.artifact FROM model_current c
         JOIN models m ON m.version = c.version",
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(err)?;
    let candidate_auc = artifact.validation_metrics.roc_auc;
    let promotion = match current {
        None => decide_promotion(candidate_auc, None, &policy),
        Some((name, Json(value))) => {
            let version: ModelVersion =
                name.parse().map_err(|source| RegistryError::BadPointer {
                    path: PathBuf::from("model_current"),
                    source,
                })?;
            decide_against_current(
                candidate_auc,
                &version,
                parse_model(&name, value).map(|model| model.artifact().validation_metrics.roc_auc),
                &policy,
            )?
        }
    };
    artifact.promotion = Some(promotion.clone());
    let stored = serde_json::to_value(&artifact).map_err(|source| RegistryError::Parse {
        path: location("models", artifact.version.as_str()),
        source,
    })?;
    let inserted = sqlx::query(
        "INSERT INTO models (version, artifact, profile) VALUES ($1, $2, $3)
         ON CONFLICT (version) DO NOTHING",
    )
    .bind(artifact.version.as_str())
    .bind(Json(&stored))
    .bind(profile.as_ref().map(Json))
    .execute(&mut *tx)
    .await
    .map_err(err)?;
    if inserted.rows_affected() == 0 {
        return Err(RegistryError::Exists(artifact.version.clone()));
    }
    if promotion.promoted {
        sqlx::query(
            "INSERT INTO model_current (singleton, version) VALUES (true, $1)
             ON CONFLICT (singleton) DO UPDATE
             SET version = EXCLUDED.version, promoted_at = now()",
        )
        .bind(artifact.version.as_str())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        // Delivered at commit, to sessions that LISTEN on the channel.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(MODEL_PROMOTED_CHANNEL)
            .bind(artifact.version.as_str())
            .execute(&mut *tx)
            .await
            .map_err(err)?;
    }
    tx.commit().await.map_err(err)?;
    Ok(artifact)
}
