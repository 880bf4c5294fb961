//! The pipeline status: its state in `pipeline_state` (one row, which also holds the
//! running run's lease and cancel request), its finished runs in `pipeline_runs`.
//!
//! An update locks the state row (`SELECT ... FOR UPDATE`) in one transaction, applies
//! the change on the caller's thread and writes the status and the lease back in the same
//! transaction: two replicas starting a run at once queue on the row, and the second sees
//! the first's run. Lease times are the database's clock (`now()`), never a replica's.

use std::sync::Arc;

use scorewatch_core::{
    Lease, LeaseChange, LeaseHolder, LeaseRenewal, PIPELINE_STATUS_SCHEMA_VERSION, PipelineState,
    PipelineStatus, PipelineStatusStore, RunRecord, StoreError, lease_change,
};
use sqlx::PgConnection;
use sqlx::types::Json;

use crate::shared::{HeldTransaction, Shared, db, json};

/// The pipeline status in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgPipelineStatus {
    shared: Arc<Shared>,
    retention: usize,
}

/// A status ready to write: its state and its runs (newest `retention`) as JSON.
struct EncodedStatus {
    state: serde_json::Value,
    runs: Vec<(String, serde_json::Value)>,
}

impl PgPipelineStatus {
    pub(crate) fn new(shared: Arc<Shared>, retention: usize) -> Self {
        Self {
            shared,
            retention: retention.max(1),
        }
    }

    /// Encodes `status` before anything is written, so that a value JSON cannot hold
    /// fails with nothing changed.
    fn encode(&self, status: PipelineStatus) -> Result<EncodedStatus, StoreError> {
        let excess = status.runs.len().saturating_sub(self.retention);
        let runs: Vec<RunRecord> = status.runs.into_iter().skip(excess).collect();
        let state = serde_json::to_value(&status.state)
            .map_err(json("pipeline_state", "pipeline status"))?;
        let runs = runs
            .iter()
            .map(|run| Ok((run.run_id.clone(), serde_json::to_value(run)?)))
            .collect::<Result<_, serde_json::Error>>()
            .map_err(json("pipeline_runs", "pipeline run"))?;
        Ok(EncodedStatus { state, runs })
    }
}

/// The state row exists before it is locked: a first update on two replicas at once then
/// queues on the one row instead of both inserting.
async fn ensure_state_row(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let idle = serde_json::json!({ "state": "idle" });
    sqlx::query(
        "INSERT INTO pipeline_state (singleton, state) VALUES (true, $1)
         ON CONFLICT (singleton) DO NOTHING",
    )
    .bind(Json(idle))
    .execute(conn)
    .await
    .map(drop)
}

async fn read_runs(conn: &mut PgConnection) -> Result<Vec<RunRecord>, sqlx::Error> {
    let runs: Vec<Json<RunRecord>> =
        sqlx::query_scalar("SELECT run FROM pipeline_runs ORDER BY seq")
            .fetch_all(conn)
            .await?;
    Ok(runs.into_iter().map(|Json(run)| run).collect())
}

/// Writes the state and the runs: kept runs keep their row (and place), new ones are
/// added after them, others are deleted.
async fn write_status(conn: &mut PgConnection, status: &EncodedStatus) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pipeline_state (singleton, state) VALUES (true, $1)
         ON CONFLICT (singleton) DO UPDATE SET state = EXCLUDED.state",
    )
    .bind(Json(&status.state))
    .execute(&mut *conn)
    .await?;
    let ids: Vec<&str> = status.runs.iter().map(|(id, _)| id.as_str()).collect();
    sqlx::query("DELETE FROM pipeline_runs WHERE run_id <> ALL($1::text[])")
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    for (run_id, run) in &status.runs {
        sqlx::query(
            "INSERT INTO pipeline_runs (run_id, run) VALUES ($1, $2)
             ON CONFLICT (run_id) DO UPDATE SET run = EXCLUDED.run",
        )
        .bind(run_id)
        .bind(Json(run))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Applies the lease change to the state row, for `owner`'s run `run_id` and a lease of
/// `seconds` (database time).
async fn move_lease(
    conn: &mut PgConnection,
    change: LeaseChange,
    run_id: Option<String>,
    owner: String,
    seconds: f64,
) -> Result<(), sqlx::Error> {
    let sql = match change {
        LeaseChange::Keep => return Ok(()),
        LeaseChange::Release => {
            return sqlx::query(
                "UPDATE pipeline_state SET lease_run_id = NULL, lease_owner = NULL,
                     lease_expires_at = NULL, cancel_requested = false",
            )
            .execute(conn)
            .await
            .map(drop);
        }
        LeaseChange::Take => {
            "UPDATE pipeline_state SET lease_run_id = $1, lease_owner = $2,
                 lease_expires_at = now() + make_interval(secs => $3),
                 cancel_requested = false"
        }
        // A requested cancel stays requested.
        LeaseChange::Renew => {
            "UPDATE pipeline_state SET lease_run_id = $1, lease_owner = $2,
                 lease_expires_at = now() + make_interval(secs => $3)"
        }
    };
    sqlx::query(sql)
        .bind(run_id)
        .bind(owner)
        .bind(seconds)
        .execute(conn)
        .await
        .map(drop)
}

impl PipelineStatusStore for PgPipelineStatus {
    fn load(&self) -> Result<PipelineStatus, StoreError> {
        let (state, runs): (Option<Json<PipelineState>>, Vec<RunRecord>) =
            self.shared
                .call("read the pipeline status", |pool| async move {
                    let err = db("read the pipeline status");
                    let mut tx = pool.begin().await.map_err(&err)?;
                    // One snapshot for both reads, so a run and the state agree.
                    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                        .execute(&mut *tx)
                        .await
                        .map_err(&err)?;
                    let state = sqlx::query_scalar("SELECT state FROM pipeline_state")
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(&err)?;
                    let runs = read_runs(&mut tx).await.map_err(&err)?;
                    tx.commit().await.map_err(&err)?;
                    Ok((state, runs))
                })?;
        Ok(PipelineStatus {
            schema_version: PIPELINE_STATUS_SCHEMA_VERSION,
            state: state.map_or(PipelineState::Idle, |Json(state)| state),
            runs,
        })
    }

    fn save(&self, status: PipelineStatus) -> Result<(), StoreError> {
        let encoded = self.encode(status)?;
        self.shared
            .call("save the pipeline status", move |pool| async move {
                let err = db("save the pipeline status");
                let mut tx = pool.begin().await.map_err(&err)?;
                write_status(&mut tx, &encoded).await.map_err(&err)?;
                tx.commit().await.map_err(&err)
            })
    }

    fn update(
        &self,
        holder: &LeaseHolder,
        change: &mut dyn FnMut(&mut PipelineStatus, &Lease) -> bool,
    ) -> Result<bool, StoreError> {
        let (tx, state, live_owner, runs) =
            self.shared
                .call("lock the pipeline status", |pool| async move {
                    let err = db("lock the pipeline status");
                    let mut tx = pool.begin().await.map_err(&err)?;
                    ensure_state_row(&mut tx).await.map_err(&err)?;
                    let (state, owner): (Json<PipelineState>, Option<String>) = sqlx::query_as(
                        "SELECT state,
                                CASE WHEN lease_expires_at > now() THEN lease_owner END
                         FROM pipeline_state FOR UPDATE",
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(&err)?;
                    let runs = read_runs(&mut tx).await.map_err(&err)?;
                    Ok((tx, state.0, owner, runs))
                })?;
        let mut held = HeldTransaction {
            tx: Some(tx),
            shared: &self.shared,
        };
        let lease = live_owner.map_or(Lease::Free, |owner| Lease::Held { owner });
        let before = state.clone();
        let mut status = PipelineStatus {
            schema_version: PIPELINE_STATUS_SCHEMA_VERSION,
            state,
            runs,
        };
        if !change(&mut status, &lease) {
            return Ok(false);
        }
        let moved = lease_change(&before, &status.state, &lease, holder);
        let run_id = match &status.state {
            PipelineState::Running { run_id, .. } => Some(run_id.clone()),
            _ => None,
        };
        let encoded = self.encode(status)?;
        let owner = holder.owner.clone();
        let seconds = holder.ttl.as_secs_f64();
        // Moved into the task that commits it; `held` has nothing left to roll back.
        let tx = held.tx.take();
        self.shared
            .call("write the pipeline status", move |_| async move {
                let err = db("write the pipeline status");
                let Some(mut tx) = tx else {
                    return Ok(());
                };
                write_status(&mut tx, &encoded).await.map_err(&err)?;
                move_lease(&mut tx, moved, run_id, owner, seconds)
                    .await
                    .map_err(&err)?;
                tx.commit().await.map_err(&err)
            })?;
        Ok(true)
    }

    fn renew_lease(&self, run_id: &str, holder: &LeaseHolder) -> Result<LeaseRenewal, StoreError> {
        let run_id = run_id.to_owned();
        let owner = holder.owner.clone();
        let seconds = holder.ttl.as_secs_f64();
        let cancel: Option<bool> =
            self.shared
                .call("renew the pipeline run's lease", move |pool| async move {
                    sqlx::query_scalar(
                        "UPDATE pipeline_state
                         SET lease_expires_at = now() + make_interval(secs => $3)
                         WHERE lease_run_id = $1 AND lease_owner = $2
                         RETURNING cancel_requested",
                    )
                    .bind(run_id)
                    .bind(owner)
                    .bind(seconds)
                    .fetch_optional(&pool)
                    .await
                    .map_err(db("renew the pipeline run's lease"))
                })?;
        Ok(
            cancel.map_or(LeaseRenewal::Lost, |cancel_requested| LeaseRenewal::Held {
                cancel_requested,
            }),
        )
    }

    fn request_cancel(&self) -> Result<Option<String>, StoreError> {
        self.shared
            .call("request the pipeline run's cancel", |pool| async move {
                // Only a run that is the state's running run and has a live holder.
                sqlx::query_scalar(
                    "UPDATE pipeline_state SET cancel_requested = true
                     WHERE lease_expires_at > now()
                       AND state->>'state' = 'running'
                       AND state->>'run_id' = lease_run_id
                     RETURNING lease_run_id",
                )
                .fetch_optional(&pool)
                .await
                .map_err(db("request the pipeline run's cancel"))
            })
    }
}
