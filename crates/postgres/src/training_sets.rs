//! [`TrainingSets`] in the `training_sets` table: each set one row, replaced whole in one
//! statement, so a reader sees the old bytes or the new ones.

use std::path::PathBuf;
use std::sync::Arc;

use scorewatch_core::{StoreError, TrainingSetName, TrainingSetSummary, TrainingSets};
use time::OffsetDateTime;

use crate::shared::{Shared, db};

/// The training data sets in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgTrainingSets {
    shared: Arc<Shared>,
}

impl PgTrainingSets {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

type SummaryRow = (
    String,
    Option<i64>,
    Option<String>,
    i64,
    String,
    OffsetDateTime,
);

impl TrainingSets for PgTrainingSets {
    fn location(&self, name: &TrainingSetName) -> PathBuf {
        // Messages name the set as the table's row, where the file backend names a file.
        PathBuf::from(format!("training_sets/{name}"))
    }

    fn exists(&self, name: &TrainingSetName) -> Result<bool, StoreError> {
        let name = name.as_str().to_owned();
        self.shared
            .call("look up a training set", |pool| async move {
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM training_sets WHERE name = $1)")
                    .bind(name)
                    .fetch_one(&pool)
                    .await
                    .map_err(db("look up a training set"))
            })
    }

    fn read(&self, name: &TrainingSetName) -> Result<Vec<u8>, StoreError> {
        let key = name.as_str().to_owned();
        let bytes: Option<Vec<u8>> =
            self.shared.call("read a training set", |pool| async move {
                sqlx::query_scalar("SELECT bytes FROM training_sets WHERE name = $1")
                    .bind(key)
                    .fetch_optional(&pool)
                    .await
                    .map_err(db("read a training set"))
            })?;
        // The file backend's error for a missing set, so that callers tell "no such set"
        // (NotFound) from a failure the same way for both backends.
        bytes.ok_or_else(|| StoreError::Io {
            action: "read",
            path: self.location(name),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such training set"),
        })
    }

    fn write(&self, name: &TrainingSetName, bytes: &[u8]) -> Result<(), StoreError> {
        let summary = TrainingSetSummary::of(name, bytes, OffsetDateTime::now_utc());
        let bytes = bytes.to_vec();
        self.shared
            .call("write a training set", move |pool| async move {
                sqlx::query(
                    "INSERT INTO training_sets (name, bytes, rows, problem, sha256, modified_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (name) DO UPDATE SET bytes = EXCLUDED.bytes,
                     rows = EXCLUDED.rows, problem = EXCLUDED.problem,
                     sha256 = EXCLUDED.sha256, modified_at = EXCLUDED.modified_at",
                )
                .bind(&summary.name)
                .bind(bytes)
                .bind(summary.rows.map(|r| i64::try_from(r).unwrap_or(i64::MAX)))
                .bind(&summary.problem)
                .bind(&summary.sha256)
                .bind(summary.modified)
                .execute(&pool)
                .await
                .map_err(db("write a training set"))?;
                Ok(())
            })
    }

    fn list(&self) -> Result<Vec<TrainingSetSummary>, StoreError> {
        let rows: Vec<SummaryRow> = self.shared.call("list training sets", |pool| async move {
            sqlx::query_as(
                "SELECT name, rows, problem, octet_length(bytes)::int8, sha256, modified_at
                 FROM training_sets ORDER BY name",
            )
            .fetch_all(&pool)
            .await
            .map_err(db("list training sets"))
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(name, rows, problem, bytes, sha256, modified)| TrainingSetSummary {
                    name,
                    rows: rows.and_then(|r| u64::try_from(r).ok()),
                    bytes: u64::try_from(bytes).unwrap_or(0),
                    sha256,
                    modified,
                    problem,
                },
            )
            .collect())
    }
}
