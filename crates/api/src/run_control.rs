//! The training run's control: core's [`PipelineRunner`] and the thread of the run in
//! progress, cancelled on request or at shutdown. It knows nothing of the rest of the
//! server's state, which holds it.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use scorewatch_core::{PipelineRunner, PipelineState, error_chain};

use crate::error::ApiError;

/// Where clients follow a run.
pub const STATUS_URL: &str = "/monitoring/pipeline-status";
/// The `error` of a run cancelled because the server stopped (SIGTERM, SIGINT).
pub const SHUTDOWN_REASON: &str = "server shutting down";

/// The runner and the thread of the run in progress.
#[derive(Debug)]
pub struct PipelineControl {
    pub(crate) runner: Arc<PipelineRunner>,
    pub(crate) thread: Mutex<Option<JoinHandle<()>>>,
}

impl PipelineControl {
    /// Wraps a runner (whose construction already marked an interrupted run failed).
    #[must_use]
    pub fn new(runner: PipelineRunner) -> Self {
        Self {
            runner: Arc::new(runner),
            thread: Mutex::new(None),
        }
    }

    /// The runner.
    #[must_use]
    pub fn runner(&self) -> &PipelineRunner {
        &self.runner
    }

    /// Asks the running run to stop, whichever replica runs it; returns its id.
    ///
    /// # Errors
    /// 409 when no run is in progress; 500 when the store cannot record the request.
    pub fn cancel(&self) -> Result<String, ApiError> {
        match self.runner.cancel_run().map_err(ApiError::internal)? {
            Some(run_id) => Ok(run_id),
            None => Err(ApiError::Conflict {
                code: "pipeline_not_running",
                message: "no pipeline run is in progress".to_owned(),
            }),
        }
    }

    /// Cancels the running run, if any, recording [`SHUTDOWN_REASON`], and waits for its
    /// thread (shutdown).
    pub fn cancel_and_join(&self) {
        self.runner.cancel_because(SHUTDOWN_REASON);
        self.join();
    }

    /// When the persisted run has ended but its thread is still swapping in the promoted
    /// model, waits for it, so that a status that says `succeeded` is only seen once the
    /// new model serves.
    pub fn settle(&self) {
        let mut thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
        self.recover_stale(thread.as_ref());
        let pending = thread.as_ref().is_some_and(|t| !t.is_finished());
        if pending
            && !matches!(
                self.runner.status().map(|s| s.state),
                Ok(PipelineState::Running { .. })
            )
            && let Some(handle) = thread.take()
        {
            let _ = handle.join();
        }
    }

    /// A status that says Running while no run thread of ours is alive was left by a run
    /// whose final status write the disk refused, or by a replica that died (its lease
    /// expired): record it as failed "interrupted" now, if the store takes it (else it
    /// stays as it is and the next call tries again). A run another live replica holds
    /// is left alone.
    pub(crate) fn recover_stale(&self, thread: Option<&JoinHandle<()>>) {
        if thread.is_some_and(|t| !t.is_finished()) {
            return;
        }
        if let Ok(PipelineState::Running { run_id, .. }) = self.runner.status().map(|s| s.state) {
            match self.runner.recover_interrupted() {
                Ok(Some(_)) => tracing::warn!(
                    run_id,
                    "pipeline run ended without recording it; marked failed"
                ),
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(
                        run_id,
                        error = %error_chain(&err),
                        "cannot record the end of the pipeline run yet"
                    );
                }
            }
        }
    }

    /// Waits for the current run's thread to end.
    pub fn join(&self) {
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}
