//! What replicas on one database coordinate beyond the stores: the claims of
//! once-per-interval background jobs (`cluster_jobs`) and the notices of promotions
//! (LISTEN on [`MODEL_PROMOTED_CHANNEL`]).

use std::sync::Arc;
use std::time::Duration;

use scorewatch_core::{JobClaims, PromotionNotices, StoreError};
use sqlx::postgres::PgListener;
use tokio::sync::Mutex;

use crate::models::MODEL_PROMOTED_CHANNEL;
use crate::shared::{Shared, db};

/// Job claims in `cluster_jobs`: one conditional upsert per claim, so that of replicas
/// claiming at once exactly one wins per interval (the others wait on the row's lock,
/// then find it claimed).
#[derive(Debug, Clone)]
pub struct PgJobClaims {
    shared: Arc<Shared>,
}

impl PgJobClaims {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

impl JobClaims for PgJobClaims {
    fn claim(&self, job: &str, holder: &str, interval: Duration) -> Result<bool, StoreError> {
        let job = job.to_owned();
        let holder = holder.to_owned();
        let seconds = interval.as_secs_f64();
        let won: Option<String> =
            self.shared
                .call("claim a background job", move |pool| async move {
                    sqlx::query_scalar(
                        "INSERT INTO cluster_jobs (name, last_started_at, holder)
                     VALUES ($1, now(), $2)
                     ON CONFLICT (name) DO UPDATE
                         SET last_started_at = now(), holder = EXCLUDED.holder
                         WHERE cluster_jobs.last_started_at
                               <= now() - make_interval(secs => $3)
                     RETURNING name",
                    )
                    .bind(job)
                    .bind(holder)
                    .bind(seconds)
                    .fetch_optional(&pool)
                    .await
                    .map_err(db("claim a background job"))
                })?;
        Ok(won.is_some())
    }
}

/// Promotion notices through LISTEN on [`MODEL_PROMOTED_CHANNEL`] (models.rs notifies
/// at the promotion's commit). The listening connection is opened by the first wait and
/// kept; a lost one is re-established by a later wait.
#[derive(Debug)]
pub struct PgPromotionNotices {
    shared: Arc<Shared>,
    listener: Arc<Mutex<Option<PgListener>>>,
}

impl PgPromotionNotices {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            listener: Arc::new(Mutex::new(None)),
        }
    }
}

impl Drop for PgPromotionNotices {
    fn drop(&mut self) {
        // The listening connection closes on the backend's runtime: dropped on a thread
        // outside any tokio runtime it would panic. Waited for (briefly: a wait in
        // progress holds it), so that the session has ended when the store is gone.
        let slot = Arc::clone(&self.listener);
        let _ = self.shared.bridge.run(async move {
            if let Ok(mut slot) = tokio::time::timeout(Duration::from_secs(1), slot.lock()).await {
                drop(slot.take());
            }
        });
    }
}

impl PromotionNotices for PgPromotionNotices {
    fn wait(&self, timeout: Duration) -> Result<Option<String>, StoreError> {
        let slot = Arc::clone(&self.listener);
        self.shared
            .call("listen for promotions", move |pool| async move {
                let err = db("listen for promotions");
                let mut slot = slot.lock().await;
                if slot.is_none() {
                    let mut listener = PgListener::connect_with(&pool).await.map_err(&err)?;
                    listener
                        .listen(MODEL_PROMOTED_CHANNEL)
                        .await
                        .map_err(&err)?;
                    *slot = Some(listener);
                }
                let Some(listener) = slot.as_mut() else {
                    return Ok(None);
                };
                match tokio::time::timeout(timeout, listener.try_recv()).await {
                    Err(_elapsed) => Ok(None),
                    Ok(Ok(Some(notice))) => Ok(Some(notice.payload().to_owned())),
                    // The connection was lost; the next wait reconnects (and listens again).
                    Ok(Ok(None)) => Ok(None),
                    Ok(Err(source)) => {
                        *slot = None;
                        Err(err(source))
                    }
                }
            })
    }
}
