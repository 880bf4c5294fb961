//! Training runs as the API starts them: a checked request becomes core's run on its own
//! thread (never on an HTTP worker), one run at a time, and the served model is swapped
//! when a run promotes a new one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, PoisonError};

use scorewatch_core::views::{RunAccepted, RunPipelineRequest};
use scorewatch_core::{
    DEFAULT_TRAINING_FILE, PipelineError, PipelineState, PromotionPolicy, RunRequest, Stage,
    TrainingData, TrainingSetName, TrainingSets, TransitionError, error_chain,
};

use crate::error::ApiError;
use crate::run_control::STATUS_URL;
use crate::state::AppState;

/// Checks the request: the training file must be a plain name inside `data/training/`
/// that exists.
///
/// # Errors
/// 422 naming the field.
pub fn validate_request(state: &AppState, request: &RunPipelineRequest) -> Result<(), ApiError> {
    if let Some(name) = &request.training_file {
        let name = TrainingSetName::parse(name)
            .map_err(|err| ApiError::invalid("training_file", format!("{err}")))?;
        let sets = state.store.training_sets();
        if !sets.exists(&name).map_err(ApiError::internal)? {
            return Err(ApiError::invalid("training_file", unknown_set(sets, &name)));
        }
    }
    Ok(())
}

/// Says which sets exist and how to add the one asked for.
fn unknown_set(sets: &dyn TrainingSets, name: &TrainingSetName) -> String {
    let known = sets.list().map_or_else(
        |err| format!("the sets cannot be listed: {}", error_chain(&err)),
        |sets| {
            let names: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
            if names.is_empty() {
                "there are none yet".to_owned()
            } else {
                format!("there are: {}", names.join(", "))
            }
        },
    );
    format!(
        "no training set named '{name}' ({known}); upload it with \
         PUT /monitoring/training-data/{name}"
    )
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
    // The runner reports the end of publishing before it records the run's end, so the
    // promoted model is served before any client can see the run finished.
    let progress = |stage: Stage, fraction: f64| {
        signal(Started::Yes);
        if stage == Stage::Publishing && fraction >= 1.0 {
            serve_a_newly_promoted_model(state);
        }
    };
    match state.pipeline.runner.run(request, &progress) {
        Ok(report) => {
            signal(Started::Yes);
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
    // After the model swap, so that the rules judge the model now served.
    crate::alerts::evaluate(state, "pipeline end");
}

/// Swaps in the store's current model when it is not the one served (a run that
/// promoted; a rejected run changes nothing).
fn serve_a_newly_promoted_model(state: &AppState) {
    if let Err(err) = state.follow_current_model() {
        tracing::error!(error = format!("{err:#}"), "cannot load the promoted model");
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
            state.storage.note_failure(&err);
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
