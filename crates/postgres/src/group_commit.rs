//! Group commit of prediction appends: concurrent `/predict` calls share one
//! transaction and one multi-row INSERT.
//!
//! Each `/predict` appends a handful of rows and waits for its commit (the API answers
//! only after the rows are durable). One transaction per call spends most of its time on
//! round trips and on the commit's WAL flush, which PostgreSQL does once per transaction
//! whatever its size. So callers hand their rows to a queue and block; one task on the
//! backend's runtime takes what is queued as a batch, writes it in one transaction (the
//! UNNEST insert of `predictions.rs`) and answers every caller of the batch with the
//! batch's result.
//!
//! There is no timer: a batch is cut as soon as a commit slot is free, so a lone call
//! commits at once, and under load the batches grow by themselves with whatever queued
//! while the slots were busy (a commit takes a few milliseconds, which is how often
//! batches go). A batch holds at most [`MAX_BATCH_ROWS`] rows, and at most
//! [`COMMIT_SLOTS`] batches commit at a time.
//!
//! Rows are validated before they are queued (`predictions::check`), so one caller's bad
//! row cannot fail the others. A batch the server still refuses (a statement error, not a
//! lost connection) is written again call by call, so that only the call at fault gets
//! the error.

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use scorewatch_core::{PredictionRecord, StoreError};
use sqlx::PgPool;
use tokio::runtime::Handle;
use tokio::sync::{Semaphore, mpsc};

use crate::predictions::append;
use crate::shared::db;

/// Rows per batch at most: bounds one statement's arrays (a few MB for wide rows).
pub(crate) const MAX_BATCH_ROWS: usize = 2_000;

/// Batches committing at once: enough to keep a few connections busy while the next
/// batch fills, few enough to leave the pool's other connections to reads.
pub(crate) const COMMIT_SLOTS: u32 = 4;

/// One caller's rows and where its answer goes.
struct Pending {
    features: Vec<String>,
    records: Vec<PredictionRecord>,
    reply: std_mpsc::SyncSender<Result<(), StoreError>>,
}

/// The queue into the batching task; cloned into every prediction log of one store.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::UnboundedSender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("rows", &self.records.len())
            .finish_non_exhaustive()
    }
}

/// The batching task ended (the store's runtime shut down): the append's fate is unknown
/// to the caller only if it was queued; it was not committed by this process after that.
#[derive(Debug, thiserror::Error)]
#[error("the group-commit task has stopped (the store is closing)")]
struct Stopped;

impl GroupCommit {
    /// Starts the batching task on `runtime`, writing through `pool`.
    pub(crate) fn start(runtime: &Handle, pool: PgPool) -> Self {
        let (queue, incoming) = mpsc::unbounded_channel();
        drop(runtime.spawn(run(pool, incoming)));
        Self { queue }
    }

    /// Queues the rows and blocks until their batch has committed (or failed). Call it
    /// from a thread that may block (the API's `web::block` threads, a CLI's main
    /// thread), never from the backend runtime's workers.
    pub(crate) fn append(
        &self,
        features: Vec<String>,
        records: Vec<PredictionRecord>,
    ) -> Result<(), StoreError> {
        let stopped = || StoreError::Database {
            action: "append predictions".to_owned(),
            source: Box::new(Stopped),
        };
        // Capacity 1: the task's one answer never blocks it.
        let (reply, answer) = std_mpsc::sync_channel(1);
        self.queue
            .send(Pending {
                features,
                records,
                reply,
            })
            .map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }
}

/// Cuts batches from `incoming` until every sender is gone.
async fn run(pool: PgPool, mut incoming: mpsc::UnboundedReceiver<Pending>) {
    let slots = Arc::new(Semaphore::new(COMMIT_SLOTS as usize));
    // A call with other feature names than the batch being cut waits here for the next.
    let mut carried: Option<Pending> = None;
    let mut last_features: Option<Vec<String>> = None;
    loop {
        let first = match carried.take() {
            Some(pending) => pending,
            None => match incoming.recv().await {
                Some(pending) => pending,
                None => return,
            },
        };
        // A new feature set begins a new generation: let the batches of the old one
        // commit first, so that generations follow the order of the calls.
        let switching = last_features.as_ref() != Some(&first.features);
        let permit = if switching {
            let all = Arc::clone(&slots).acquire_many_owned(COMMIT_SLOTS).await;
            drop(all);
            Arc::clone(&slots).acquire_owned().await
        } else {
            Arc::clone(&slots).acquire_owned().await
        };
        let Ok(permit) = permit else { return };
        // Whatever queued while waiting for the slot joins this batch.
        let mut rows = first.records.len();
        let mut batch = vec![first];
        while rows < MAX_BATCH_ROWS {
            match incoming.try_recv() {
                Ok(next) if next.features == batch[0].features => {
                    rows += next.records.len();
                    batch.push(next);
                }
                Ok(other) => {
                    carried = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        last_features = Some(batch[0].features.clone());
        let pool = pool.clone();
        drop(tokio::spawn(async move {
            commit(pool, batch).await;
            drop(permit);
        }));
    }
}

/// Writes `batch` in one transaction and answers each of its callers; a batch the server
/// refuses is written again call by call, so that only the call at fault fails.
async fn commit(pool: PgPool, batch: Vec<Pending>) {
    let features = batch[0].features.clone();
    let records: Vec<PredictionRecord> = batch
        .iter()
        .flat_map(|pending| pending.records.iter().cloned())
        .collect();
    match append(pool.clone(), features, records).await {
        Ok(()) => {
            for pending in batch {
                // A caller whose thread went away needs no answer.
                let _ = pending.reply.send(Ok(()));
            }
        }
        // A statement the server refused (not a lost connection, which would fail the
        // calls one by one just the same).
        Err(err @ sqlx::Error::Database(_)) if batch.len() > 1 => {
            tracing::warn!(
                calls = batch.len(),
                error = %err,
                "a batch of predictions was refused; writing its calls one by one"
            );
            for pending in batch {
                let answer = append(pool.clone(), pending.features, pending.records)
                    .await
                    .map_err(db("append predictions"));
                let _ = pending.reply.send(answer);
            }
        }
        Err(err) => {
            let shared = Arc::new(err);
            for pending in batch {
                let _ = pending.reply.send(Err(StoreError::Database {
                    action: "append predictions".to_owned(),
                    source: Box::new(Arc::clone(&shared)),
                }));
            }
        }
    }
}
