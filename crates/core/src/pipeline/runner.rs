//! The training pipeline runner: runs the stages, drives the state machine and persists
//! every state change in `pipeline_status.json` through the store.
//!
//! Every change is one atomic [`PipelineStatusStore::update`], so runners of several
//! processes sharing a store (replicas on one database) start one run at a time between
//! them. The runner of the running run holds its lease (see `store/run_lease.rs`),
//! renewing it from a thread of its own, which also picks up a cancel another process
//! requested; a run whose lease expired is recorded interrupted by the next runner that
//! updates the status.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::data;
use super::error::PipelineError;
use super::request::RunRequest;
use super::transition::{PipelineEvent, TransitionError, transition};
use crate::error_chain::error_chain;
use crate::model::{ModelArtifact, TrainError, assemble_artifact, evaluate_model, fit_model};
use crate::records::{
    DataSource, MetricSource, MetricsEntry, PipelineState, PipelineStatus, RunOutcome, RunRecord,
    Stage,
};
use crate::store::{
    Lease, LeaseHolder, LeaseRenewal, RUN_LEASE, RUN_LEASE_RENEW, Store, StoreError,
};

/// Overall progress at the start of each stage.
const STAGE_PROGRESS: [(Stage, f64); 6] = [
    (Stage::LoadingData, 0.0),
    (Stage::Validating, 0.15),
    (Stage::Training, 0.3),
    (Stage::Evaluating, 0.7),
    (Stage::Profiling, 0.8),
    (Stage::Publishing, 0.9),
];

/// The end of a run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The record kept in the status history.
    pub record: RunRecord,
    /// The published model (with its promotion decision), when the run succeeded.
    pub model: Option<ModelArtifact>,
}

/// Runs the training pipeline, one run at a time.
#[derive(Debug)]
pub struct PipelineRunner {
    store: Arc<Store>,
    /// Serialises status updates and makes Start single-flight.
    status: Mutex<()>,
    cancel: AtomicBool,
    /// Why the run was asked to stop, kept as the cancelled record's `error`.
    cancel_reason: Mutex<Option<String>>,
    /// This runner's name on the run lease, and the lease length.
    holder: LeaseHolder,
    /// The run this runner executes, from `begin` until its end is recorded (or
    /// failed to be): a run leased to this runner but not active here was abandoned.
    active: Mutex<Option<String>>,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn lock(m: &Mutex<()>) -> MutexGuard<'_, ()> {
    // The guarded value is `()`: a panic elsewhere cannot leave it inconsistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether the running run in `state` has nobody left to finish it: its lease is free
/// (expired, or never taken by a live process), or held by `owner` (this runner) while
/// this runner no longer executes it (its end could not be recorded). This runner's own
/// active run is never abandoned, even when a slow store let its lease lapse.
fn abandoned(state: &PipelineState, lease: &Lease, owner: &str, active: Option<&str>) -> bool {
    let PipelineState::Running { run_id, .. } = state else {
        return false;
    };
    if active == Some(run_id.as_str()) {
        return false;
    }
    match lease {
        Lease::Free => true,
        Lease::Held { owner: holder } => holder == owner,
    }
}

/// Records the running run of `status` as failed "interrupted", with a run record;
/// returns its id (`None`, and nothing changed, when no run is running).
fn record_interrupted(status: &mut PipelineStatus, at: OffsetDateTime) -> Option<String> {
    let PipelineState::Running {
        run_id,
        stage,
        started_at,
        ..
    } = &status.state
    else {
        return None;
    };
    let run_id = run_id.clone();
    status.runs.push(RunRecord {
        run_id: run_id.clone(),
        started_at: *started_at,
        finished_at: at,
        outcome: RunOutcome::Failed,
        last_stage: Some(*stage),
        model_version: None,
        error: Some(super::transition::INTERRUPTED.to_owned()),
        stage_seconds: Vec::new(),
        data: Vec::new(),
    });
    // Allowed from every state; Running becomes Failed "interrupted".
    if let Ok(next) = transition(&status.state, PipelineEvent::RecoverInterrupted { at }) {
        status.state = next;
    }
    Some(run_id)
}

impl PipelineRunner {
    /// A runner over `store`. A status left Running by a process that died becomes
    /// Failed "interrupted", with a run record.
    ///
    /// # Errors
    /// [`PipelineError::Store`].
    pub fn new(store: Arc<Store>) -> Result<Self, PipelineError> {
        Self::with_lease(store, RUN_LEASE)
    }

    /// As [`PipelineRunner::new`], with leases of `ttl` instead of [`RUN_LEASE`] (tests
    /// of expiry that cannot wait for the real one).
    ///
    /// # Errors
    /// [`PipelineError::Store`].
    pub fn with_lease(store: Arc<Store>, ttl: Duration) -> Result<Self, PipelineError> {
        let runner = Self {
            store,
            status: Mutex::new(()),
            cancel: AtomicBool::new(false),
            cancel_reason: Mutex::new(None),
            holder: LeaseHolder {
                owner: format!("{}/{}", std::process::id(), uuid::Uuid::now_v7()),
                ttl,
            },
            active: Mutex::new(None),
        };
        runner.recover_interrupted()?;
        Ok(runner)
    }

    /// This runner's name on the run lease (process id and a unique id).
    #[must_use]
    pub fn lease_owner(&self) -> &str {
        &self.holder.owner
    }

    fn active_run(&self) -> Option<String> {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether this runner's run was asked to stop and has not yet seen it (tests).
    #[cfg(test)]
    pub(super) fn cancel_pending(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    pub(super) fn set_active(&self, run_id: Option<String>) {
        *self.active.lock().unwrap_or_else(PoisonError::into_inner) = run_id;
    }

    /// The store the runner records into.
    #[must_use]
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The persisted status.
    ///
    /// # Errors
    /// [`PipelineError::Store`].
    pub fn status(&self) -> Result<PipelineStatus, PipelineError> {
        self.store
            .pipeline_status()
            .load()
            .map_err(PipelineError::Store)
    }

    /// Marks a run nobody is left to finish as Failed "interrupted", with a run record,
    /// and returns its id: a run whose lease expired (the process running it died, or
    /// [`PipelineRunner::new`] finds the file backend's run of a process that died), or
    /// this runner's own run whose thread ended without recording the end (the disk
    /// refused the final status write), once the store takes writes. A run another live
    /// process holds, and any other state, is left alone.
    ///
    /// # Errors
    /// [`PipelineError::Store`].
    pub fn recover_interrupted(&self) -> Result<Option<String>, PipelineError> {
        let _guard = lock(&self.status);
        let active = self.active_run();
        let at = now();
        let mut recovered = None;
        self.store
            .pipeline_status()
            .update(&self.holder, &mut |status, lease| {
                recovered = None;
                if abandoned(&status.state, lease, &self.holder.owner, active.as_deref()) {
                    recovered = record_interrupted(status, at);
                }
                recovered.is_some()
            })
            .map_err(PipelineError::Store)?;
        if let Some(run_id) = &recovered {
            tracing::warn!(
                run_id,
                "pipeline run interrupted: the process running it stopped"
            );
        }
        Ok(recovered)
    }

    /// Applies `event` to the persisted state of the run `run_id`, and saves it with
    /// `record` when given, in one atomic update.
    fn apply(
        &self,
        run_id: &str,
        event: &PipelineEvent,
        record: Option<&RunRecord>,
    ) -> Result<PipelineState, PipelineError> {
        let _guard = lock(&self.status);
        let mut result = Err(PipelineError::LeaseLost {
            run_id: run_id.to_owned(),
        });
        self.store
            .pipeline_status()
            .update(&self.holder, &mut |status, _lease| {
                let ours =
                    matches!(&status.state, PipelineState::Running { run_id: id, .. } if id == run_id);
                if !ours {
                    result = Err(PipelineError::LeaseLost {
                        run_id: run_id.to_owned(),
                    });
                    return false;
                }
                match transition(&status.state, event.clone()) {
                    Ok(next) => {
                        status.state = next.clone();
                        status.runs.extend(record.cloned());
                        result = Ok(next);
                        true
                    }
                    Err(err) => {
                        result = Err(err.into());
                        false
                    }
                }
            })
            .map_err(PipelineError::Store)?;
        result
    }

    /// Asks the running run to stop, whichever process runs it: it stops at its next
    /// stage boundary or IRLS iteration, at once in this process, within
    /// [`RUN_LEASE_RENEW`] in another. A run whose process died is recorded interrupted
    /// instead. Returns the id of the run asked to stop, `None` when none runs.
    ///
    /// # Errors
    /// [`PipelineError::Store`].
    pub fn cancel_run(&self) -> Result<Option<String>, PipelineError> {
        self.recover_interrupted()?;
        let run_id = self
            .store
            .pipeline_status()
            .request_cancel()
            .map_err(PipelineError::Store)?;
        if run_id.is_some() && run_id == self.active_run() {
            self.cancel.store(true, Ordering::SeqCst);
        }
        Ok(run_id)
    }

    /// As [`PipelineRunner::cancel_run`]; returns whether a run was running (a store
    /// error counts as none).
    pub fn cancel(&self) -> bool {
        matches!(self.cancel_run(), Ok(Some(_)))
    }

    /// Stops this process's own run, if it has one, and its record says `reason` as its
    /// `error` (such as a server shutting down), so the history tells why it stopped. A
    /// run another process runs is left alone. Returns whether this process ran one.
    pub fn cancel_because(&self, reason: &str) -> bool {
        if self.active_run().is_none() {
            return false;
        }
        *self
            .cancel_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(reason.to_owned());
        self.cancel.store(true, Ordering::SeqCst);
        true
    }

    /// Marks a new run as started and takes its lease, in one atomic update: single
    /// flight across every process sharing the store. A run left by a process that died
    /// (its lease expired) is recorded interrupted first.
    ///
    /// # Errors
    /// [`PipelineError::Transition`] with `AlreadyRunning`, [`PipelineError::Store`].
    pub fn begin(&self) -> Result<String, PipelineError> {
        let _guard = lock(&self.status);
        let run_id = uuid::Uuid::now_v7().to_string();
        let active = self.active_run();
        let at = now();
        let mut interrupted = None;
        let mut refused: Option<TransitionError> = None;
        self.store
            .pipeline_status()
            .update(&self.holder, &mut |status, lease| {
                interrupted = None;
                if abandoned(&status.state, lease, &self.holder.owner, active.as_deref()) {
                    interrupted = record_interrupted(status, at);
                }
                let start = PipelineEvent::Start {
                    run_id: run_id.clone(),
                    at,
                };
                match transition(&status.state, start) {
                    Ok(next) => {
                        status.state = next;
                        refused = None;
                        true
                    }
                    Err(err) => {
                        refused = Some(err);
                        false
                    }
                }
            })
            .map_err(PipelineError::Store)?;
        if let Some(err) = refused {
            return Err(err.into());
        }
        if let Some(run_id) = &interrupted {
            tracing::warn!(
                run_id,
                "pipeline run interrupted: the process running it stopped"
            );
        }
        self.cancel.store(false, Ordering::SeqCst);
        *self
            .cancel_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        self.set_active(Some(run_id.clone()));
        Ok(run_id)
    }

    /// Renews the lease of `run_id` every [`RUN_LEASE_RENEW`] until `stop` closes, and
    /// turns a cancel another process requested into this run's cancel.
    fn keep_lease(&self, run_id: &str, stop: &mpsc::Receiver<()>) {
        while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(RUN_LEASE_RENEW) {
            match self
                .store
                .pipeline_status()
                .renew_lease(run_id, &self.holder)
            {
                Ok(LeaseRenewal::Held { cancel_requested }) => {
                    if cancel_requested {
                        self.cancel.store(true, Ordering::SeqCst);
                    }
                }
                Ok(LeaseRenewal::Lost) => {
                    // Another process recorded the run interrupted: stop working on it.
                    tracing::warn!(run_id, "pipeline run lost its lease; stopping it");
                    self.cancel.store(true, Ordering::SeqCst);
                    return;
                }
                Err(err) => tracing::warn!(
                    run_id,
                    error = %error_chain(&err),
                    "cannot renew the pipeline run's lease; trying again"
                ),
            }
        }
    }

    /// Starts a run in a background thread and returns its id at once.
    ///
    /// # Errors
    /// As [`PipelineRunner::begin`].
    pub fn spawn(self: &Arc<Self>, request: RunRequest) -> Result<String, PipelineError> {
        let run_id = self.begin()?;
        let runner = Arc::clone(self);
        let id = run_id.clone();
        std::thread::Builder::new()
            .name("scorewatch-pipeline".to_owned())
            .spawn(move || {
                if let Err(err) = runner.execute(&id, &request, &|_, _| {}) {
                    tracing::error!(run_id = id, error = %err, "pipeline run did not finish");
                }
            })
            .map_err(|err| {
                PipelineError::Store(StoreError::Io {
                    action: "spawn the pipeline thread for",
                    path: PathBuf::from("pipeline_status.json"),
                    source: err,
                })
            })?;
        Ok(run_id)
    }

    /// Runs the pipeline in the calling thread, reporting each stage and the overall
    /// progress to `progress`.
    ///
    /// # Errors
    /// A run that cannot start ([`PipelineRunner::begin`]); a run that fails or is
    /// cancelled returns `Ok` with the outcome in the report.
    pub fn run(
        &self,
        request: &RunRequest,
        progress: &dyn Fn(Stage, f64),
    ) -> Result<RunReport, PipelineError> {
        let run_id = self.begin()?;
        self.execute(&run_id, request, progress)
    }

    /// Runs the stages of the begun run `run_id` and records how it ended.
    fn execute(
        &self,
        run_id: &str,
        request: &RunRequest,
        progress: &dyn Fn(Stage, f64),
    ) -> Result<RunReport, PipelineError> {
        let started_at = match self.status()?.state {
            PipelineState::Running { started_at, .. } => started_at,
            _ => now(),
        };
        let mut work = RunWork {
            stage_seconds: Vec::new(),
            data: Vec::new(),
            stage: Stage::LoadingData,
        };
        let result = std::thread::scope(|scope| {
            let (stop, stopped) = mpsc::channel::<()>();
            let renewing = std::thread::Builder::new()
                .name("scorewatch-run-lease".to_owned())
                .spawn_scoped(scope, move || self.keep_lease(run_id, &stopped));
            if let Err(err) = renewing {
                // The run goes on; its lease then expires and another process may record
                // it interrupted, which this run notices when it records its next stage.
                tracing::warn!(run_id, %err, "cannot start the lease renewal thread");
            }
            let result = self.stages(run_id, request, progress, &mut work);
            drop(stop);
            result
        });
        let ended = self.record_end(run_id, result, work, started_at, progress);
        self.set_active(None);
        ended
    }

    /// Records how the run `run_id` ended and builds its report.
    fn record_end(
        &self,
        run_id: &str,
        result: Result<ModelArtifact, PipelineError>,
        work: RunWork,
        started_at: OffsetDateTime,
        progress: &dyn Fn(Stage, f64),
    ) -> Result<RunReport, PipelineError> {
        let finished_at = now();
        let mut record = RunRecord {
            run_id: run_id.to_owned(),
            started_at,
            finished_at,
            outcome: RunOutcome::Failed,
            last_stage: Some(work.stage),
            model_version: None,
            error: None,
            stage_seconds: work.stage_seconds,
            data: work.data,
        };
        match result {
            Ok(model) => {
                let promotion =
                    model
                        .promotion
                        .clone()
                        .unwrap_or_else(|| crate::model::Promotion {
                            promoted: false,
                            reason: "no decision".to_owned(),
                            previous: None,
                        });
                record.outcome = if promotion.promoted {
                    RunOutcome::Promoted
                } else {
                    RunOutcome::Rejected
                };
                record.model_version = Some(model.version.to_string());
                if !promotion.promoted {
                    record.error = Some(promotion.reason);
                }
                // Reported before the end is recorded: a server swaps the promoted model
                // in here, so that whoever sees the run finished is already served by it.
                progress(Stage::Publishing, 1.0);
                self.apply(
                    run_id,
                    &PipelineEvent::Succeed {
                        model_version: model.version.to_string(),
                        at: finished_at,
                    },
                    Some(&record),
                )?;
                Ok(RunReport {
                    record,
                    model: Some(model),
                })
            }
            Err(PipelineError::Cancelled) => {
                record.outcome = RunOutcome::Cancelled;
                record.error = self
                    .cancel_reason
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                self.apply(
                    run_id,
                    &PipelineEvent::Cancel { at: finished_at },
                    Some(&record),
                )?;
                Ok(RunReport {
                    record,
                    model: None,
                })
            }
            Err(err) => {
                let message = error_chain(&err);
                tracing::error!(run_id, error = %message, "pipeline run failed");
                record.error = Some(message.clone());
                self.apply(
                    run_id,
                    &PipelineEvent::Fail {
                        error: message,
                        at: finished_at,
                    },
                    Some(&record),
                )?;
                Ok(RunReport {
                    record,
                    model: None,
                })
            }
        }
    }

    fn enter(
        &self,
        run_id: &str,
        stage: Stage,
        progress: &dyn Fn(Stage, f64),
        work: &mut RunWork,
        clock: &mut Instant,
    ) -> Result<(), PipelineError> {
        let elapsed = clock.elapsed().as_secs_f64();
        if stage != Stage::LoadingData {
            work.stage_seconds.push((work.stage, elapsed));
        }
        *clock = Instant::now();
        if self.cancel.load(Ordering::SeqCst) {
            return Err(PipelineError::Cancelled);
        }
        let fraction = STAGE_PROGRESS
            .iter()
            .find(|(s, _)| *s == stage)
            .map_or(0.0, |(_, p)| *p);
        work.stage = stage;
        self.apply(
            run_id,
            &PipelineEvent::Advance {
                stage,
                progress: fraction,
            },
            None,
        )?;
        progress(stage, fraction);
        Ok(())
    }

    fn stages(
        &self,
        run_id: &str,
        request: &RunRequest,
        progress: &dyn Fn(Stage, f64),
        work: &mut RunWork,
    ) -> Result<ModelArtifact, PipelineError> {
        let mut clock = Instant::now();

        self.enter(run_id, Stage::LoadingData, progress, work, &mut clock)?;
        let loaded = data::load(&self.store, request)?;

        self.enter(run_id, Stage::Validating, progress, work, &mut clock)?;
        let (train, validation) = data::split(&self.store, loaded, request, &mut work.data)?;

        self.enter(run_id, Stage::Training, progress, work, &mut clock)?;
        let cancelled = || self.cancel.load(Ordering::SeqCst);
        let fitted = fit_model(&train, &request.train, &cancelled).map_err(|err| match err {
            TrainError::Fit(crate::model::LogisticError::Cancelled { .. }) => {
                PipelineError::Cancelled
            }
            other => PipelineError::Train(other),
        })?;

        self.enter(run_id, Stage::Evaluating, progress, work, &mut clock)?;
        let threshold = request.train.threshold;
        let training_metrics = evaluate_model(&fitted, &train, threshold, "training")?;
        let validation_metrics = evaluate_model(&fitted, &validation, threshold, "validation")?;

        self.enter(run_id, Stage::Profiling, progress, work, &mut clock)?;
        let train_scores = fitted.scores(&train);
        let profile = train.reference_profile(&train_scores);
        let validation_scores = fitted.scores(&validation);

        self.enter(run_id, Stage::Publishing, progress, work, &mut clock)?;
        let artifact = assemble_artifact(
            fitted,
            train.schema.clone(),
            &request.train,
            (training_metrics, validation_metrics),
            (train.len(), validation.len()),
            work.data.clone(),
        )
        .with_calibration(validation_scores, validation.labels);
        let artifact = self
            .store
            .models()
            .publish(artifact, Some(&profile), &request.policy)?;
        self.record_metrics(&artifact)?;
        work.stage_seconds
            .push((Stage::Publishing, clock.elapsed().as_secs_f64()));
        Ok(artifact)
    }

    fn record_metrics(&self, artifact: &ModelArtifact) -> Result<(), PipelineError> {
        // A rejected candidate's metrics stay in the history (they say why it lost), but
        // marked, so that no reader takes them for the served model's.
        let rejected_candidate = !artifact.promotion.as_ref().is_some_and(|p| p.promoted);
        for (source, metrics, rows) in [
            (
                MetricSource::Training,
                &artifact.training_metrics,
                artifact.training_rows,
            ),
            (
                MetricSource::Validation,
                &artifact.validation_metrics,
                artifact.validation_rows,
            ),
        ] {
            self.store
                .metrics()
                .record(MetricsEntry {
                    timestamp: artifact.created_at,
                    source,
                    model_version: Some(artifact.version.to_string()),
                    metrics: metrics.values(),
                    undefined: metrics.undefined.clone(),
                    rows: Some(rows),
                    posted_by: None,
                    rejected_candidate,
                    bands: std::collections::BTreeMap::new(),
                })
                .map_err(PipelineError::Store)?;
        }
        Ok(())
    }
}

struct RunWork {
    stage_seconds: Vec<(Stage, f64)>,
    data: Vec<DataSource>,
    stage: Stage,
}
