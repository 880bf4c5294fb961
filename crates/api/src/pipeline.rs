//! The training pipeline as the API drives it: core's [`PipelineRunner`] on its own
//! thread (never on an HTTP worker), one run at a time, and the served model swapped
//! when a run promotes a new one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use scorewatch_core::views::{RunAccepted, RunPipelineRequest};
use scorewatch_core::{
    DEFAULT_TRAINING_FILE, PipelineError, PipelineRunner, PipelineState, PromotionPolicy,
    RunRequest, TrainingData, TrainingSetName, TransitionError, error_chain,
};

use crate::error::ApiError;
use crate::state::{AppState, Served};

/// Where clients follow a run.
pub const STATUS_URL: &str = "/monitoring/pipeline-status";
/// The `error` of a run cancelled because the server stopped (SIGTERM, SIGINT).
pub const SHUTDOWN_REASON: &str = "server shutting down";

/// The runner and the thread of the run in progress.
#[derive(Debug)]
pub struct PipelineControl {
    runner: Arc<PipelineRunner>,
    thread: Mutex<Option<JoinHandle<()>>>,
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

    /// Asks the running run to stop; returns its id.
    ///
    /// # Errors
    /// 409 when no run is in progress.
    pub fn cancel(&self) -> Result<String, ApiError> {
        let status = self.runner.status().map_err(ApiError::internal)?;
        match status.state {
            PipelineState::Running { run_id, .. } if self.runner.cancel() => Ok(run_id),
            _ => Err(ApiError::Conflict {
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
    /// whose final status write the disk refused: record it as failed now, if the disk
    /// takes it (else it stays as it is and the next call tries again).
    fn recover_stale(&self, thread: Option<&JoinHandle<()>>) {
        if thread.is_some_and(|t| !t.is_finished()) {
            return;
        }
        if let Ok(PipelineState::Running { run_id, .. }) = self.runner.status().map(|s| s.state) {
            match self.runner.recover_interrupted() {
                Ok(()) => tracing::warn!(
                    run_id,
                    "pipeline run ended without recording it; marked failed"
                ),
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

/// Checks the request: the training file must be a plain name inside `data/training/`
/// that exists.
///
/// # Errors
/// 422 naming the field.
pub fn validate_request(state: &AppState, request: &RunPipelineRequest) -> Result<(), ApiError> {
    if let Some(name) = &request.training_file {
        let name = TrainingSetName::parse(name)
            .map_err(|err| ApiError::invalid("training_file", format!("{err}")))?;
        let exists = state
            .store
            .training_sets()
            .exists(&name)
            .map_err(ApiError::internal)?;
        if !exists {
            return Err(ApiError::invalid(
                "training_file",
                format!("data/training/{name} does not exist"),
            ));
        }
    }
    Ok(())
}

fn running(run_id: &str) -> ApiError {
    ApiError::Conflict {
        code: "pipeline_running",
        message: format!("pipeline run {run_id} is in progress; follow it at {STATUS_URL}"),
    }
}

/// The body of the run's thread: runs, signals the start (or the refusal), and swaps in
/// a promoted model.
fn run_in_thread(state: &AppState, request: &RunRequest, tx: &mpsc::SyncSender<Started>) {
    let signalled = AtomicBool::new(false);
    let signal = |message: Started| {
        if !signalled.swap(true, Ordering::AcqRel) {
            let _ = tx.try_send(message);
        }
    };
    match state
        .pipeline
        .runner
        .run(request, &|_, _| signal(Started::Yes))
    {
        Ok(report) => {
            signal(Started::Yes);
            let promoted = report
                .model
                .as_ref()
                .and_then(|m| m.promotion.as_ref())
                .is_some_and(|p| p.promoted);
            if promoted {
                match Served::load_current(state.store.models()) {
                    Ok(Some(served)) => state.set_served(served),
                    Ok(None) => tracing::error!("promoted model has no current pointer"),
                    Err(err) => tracing::error!(
                        error = format!("{err:#}"),
                        "cannot load the promoted model"
                    ),
                }
            }
            tracing::info!(run = ?report.record.outcome, "pipeline run ended");
        }
        Err(err) => {
            if signalled.load(Ordering::Acquire) {
                // Started, but the end could not be recorded (the disk refused the status
                // write): the status still says Running until `recover_stale` fixes it.
                tracing::error!(error = %error_chain(&err), "pipeline run could not record its end");
            }
            signal(Started::Refused(err));
        }
    }
}

enum Started {
    Yes,
    Refused(PipelineError),
}

/// What core runs for an API request: the body's choices, else the server's defaults
/// (`min_production_rows` is `--min-production-rows`).
fn run_request(request: &RunPipelineRequest, min_production_rows: usize) -> RunRequest {
    RunRequest {
        data: TrainingData::Named(
            request
                .training_file
                .clone()
                .unwrap_or_else(|| DEFAULT_TRAINING_FILE.to_owned()),
        ),
        include_production: request.include_production.unwrap_or(true),
        min_production_rows: request.min_production_rows.unwrap_or(min_production_rows),
        policy: PromotionPolicy {
            force: request.force,
            ..PromotionPolicy::default()
        },
        ..RunRequest::default()
    }
}

/// Starts a run on its own thread and answers once it is recorded as running.
///
/// # Errors
/// 409 while a run is in progress; 500 when the status cannot be saved.
pub fn start(state: &Arc<AppState>, request: &RunPipelineRequest) -> Result<RunAccepted, ApiError> {
    // Held until the run is recorded, so two requests cannot both get past `begin`.
    let mut thread = state
        .pipeline
        .thread
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let run_request = run_request(request, state.config.min_production_rows);
    state.pipeline.recover_stale(thread.as_ref());
    let (tx, rx) = mpsc::sync_channel::<Started>(1);
    let worker_state = Arc::clone(state);
    let handle = std::thread::Builder::new()
        .name("scorewatch-pipeline".to_owned())
        .spawn(move || run_in_thread(&worker_state, &run_request, &tx))
        .map_err(ApiError::internal)?;
    match rx.recv() {
        Ok(Started::Yes) => {}
        Ok(Started::Refused(PipelineError::Transition(TransitionError::AlreadyRunning {
            run_id,
        }))) => {
            let _ = handle.join();
            return Err(running(&run_id));
        }
        Ok(Started::Refused(err)) => {
            let _ = handle.join();
            state.note_write_failure(&err);
            return Err(ApiError::write_failed(err));
        }
        Err(_) => {
            let _ = handle.join();
            return Err(ApiError::internal(anyhow::anyhow!(
                "pipeline thread ended without starting"
            )));
        }
    }
    let run_id = match state
        .pipeline
        .runner
        .status()
        .map_err(ApiError::internal)?
        .state
    {
        PipelineState::Running { run_id, .. }
        | PipelineState::Succeeded { run_id, .. }
        | PipelineState::Failed { run_id, .. }
        | PipelineState::Cancelled { run_id, .. } => run_id,
        PipelineState::Idle => {
            return Err(ApiError::internal(anyhow::anyhow!(
                "pipeline status is idle after a run started"
            )));
        }
    };
    if let Some(previous) = thread.replace(handle) {
        let _ = previous.join();
    }
    tracing::info!(%run_id, "pipeline run started");
    Ok(RunAccepted {
        run_id,
        status_url: STATUS_URL.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_production_rows_comes_from_the_body_else_from_the_server() {
        let default = RunPipelineRequest::default();
        assert_eq!(run_request(&default, 40).min_production_rows, 40);
        let body = RunPipelineRequest {
            min_production_rows: Some(7),
            ..RunPipelineRequest::default()
        };
        assert_eq!(run_request(&body, 40).min_production_rows, 7);
        let zero = RunPipelineRequest {
            min_production_rows: Some(0),
            ..RunPipelineRequest::default()
        };
        assert_eq!(run_request(&zero, 40).min_production_rows, 0);
    }
}
