//! The training pipeline runner: runs the stages, drives the state machine and persists
//! every state change in `pipeline_status.json` through the store.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use time::OffsetDateTime;

use super::data;
use super::error::PipelineError;
use super::request::RunRequest;
use super::transition::{PipelineEvent, transition};
use crate::error_chain::error_chain;
use crate::model::{ModelArtifact, TrainError, assemble_artifact, evaluate_model, fit_model};
use crate::records::{
    DataSource, MetricSource, MetricsEntry, PipelineState, PipelineStatus, RunOutcome, RunRecord,
    Stage,
};
use crate::store::{Store, StoreError};

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
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn lock(m: &Mutex<()>) -> MutexGuard<'_, ()> {
    // The guarded value is `()`: a panic elsewhere cannot leave it inconsistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl PipelineRunner {
    /// A runner over `store`. A status left Running by a process that died becomes
    /// Failed "interrupted", with a run record.
    ///
    /// # Errors
    /// [`PipelineError::Store`].
    pub fn new(store: Arc<Store>) -> Result<Self, PipelineError> {
        let runner = Self {
            store,
            status: Mutex::new(()),
            cancel: AtomicBool::new(false),
            cancel_reason: Mutex::new(None),
        };
        runner.recover_interrupted()?;
        Ok(runner)
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

    /// Marks a status left Running with no run behind it as Failed "interrupted", with a
    /// run record; any other state is left alone. [`PipelineRunner::new`] does it for a
    /// dead process; a caller that knows its own run thread ended without recording the
    /// end (the disk refused the final status write) does it once the disk takes writes.
    ///
    /// # Errors
    /// [`PipelineError::Store`].
    pub fn recover_interrupted(&self) -> Result<(), PipelineError> {
        let _guard = lock(&self.status);
        let mut status = self.status()?;
        let at = now();
        let next = transition(&status.state, PipelineEvent::RecoverInterrupted { at })?;
        if let PipelineState::Running {
            run_id,
            stage,
            started_at,
            ..
        } = &status.state
        {
            tracing::warn!(run_id, "pipeline run interrupted by a restart");
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
            status.state = next;
            self.store
                .pipeline_status()
                .save(status)
                .map_err(PipelineError::Store)?;
        }
        Ok(())
    }

    /// Applies `event` to the persisted state and saves it, plus `record` when given.
    fn apply(
        &self,
        event: PipelineEvent,
        record: Option<RunRecord>,
    ) -> Result<PipelineState, PipelineError> {
        let _guard = lock(&self.status);
        let mut status = self.status()?;
        status.state = transition(&status.state, event)?;
        status.runs.extend(record);
        let state = status.state.clone();
        self.store
            .pipeline_status()
            .save(status)
            .map_err(PipelineError::Store)?;
        Ok(state)
    }

    /// Asks the running run to stop; it stops at the next stage boundary or IRLS
    /// iteration. Returns whether a run was running.
    pub fn cancel(&self) -> bool {
        let running = matches!(
            self.status().map(|s| s.state),
            Ok(PipelineState::Running { .. })
        );
        if running {
            self.cancel.store(true, Ordering::SeqCst);
        }
        running
    }

    /// As [`PipelineRunner::cancel`], and the cancelled run's record says `reason` as
    /// its `error` (such as a server shutting down), so the history tells why it stopped.
    pub fn cancel_because(&self, reason: &str) -> bool {
        *self
            .cancel_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(reason.to_owned());
        self.cancel()
    }

    /// Marks a new run as started (single flight: an error if one is running).
    ///
    /// # Errors
    /// [`PipelineError::Transition`] with `AlreadyRunning`, [`PipelineError::Store`].
    pub fn begin(&self) -> Result<String, PipelineError> {
        let run_id = uuid::Uuid::now_v7().to_string();
        self.apply(
            PipelineEvent::Start {
                run_id: run_id.clone(),
                at: now(),
            },
            None,
        )?;
        self.cancel.store(false, Ordering::SeqCst);
        *self
            .cancel_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        Ok(run_id)
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
        let result = self.stages(request, progress, &mut work);
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
                    PipelineEvent::Succeed {
                        model_version: model.version.to_string(),
                        at: finished_at,
                    },
                    Some(record.clone()),
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
                    PipelineEvent::Cancel { at: finished_at },
                    Some(record.clone()),
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
                    PipelineEvent::Fail {
                        error: message,
                        at: finished_at,
                    },
                    Some(record.clone()),
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
            PipelineEvent::Advance {
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
        request: &RunRequest,
        progress: &dyn Fn(Stage, f64),
        work: &mut RunWork,
    ) -> Result<ModelArtifact, PipelineError> {
        let mut clock = Instant::now();

        self.enter(Stage::LoadingData, progress, work, &mut clock)?;
        let loaded = data::load(&self.store, request)?;

        self.enter(Stage::Validating, progress, work, &mut clock)?;
        let (train, validation) = data::split(&self.store, loaded, request, &mut work.data)?;

        self.enter(Stage::Training, progress, work, &mut clock)?;
        let cancelled = || self.cancel.load(Ordering::SeqCst);
        let fitted = fit_model(&train, &request.train, &cancelled).map_err(|err| match err {
            TrainError::Fit(crate::model::LogisticError::Cancelled { .. }) => {
                PipelineError::Cancelled
            }
            other => PipelineError::Train(other),
        })?;

        self.enter(Stage::Evaluating, progress, work, &mut clock)?;
        let threshold = request.train.threshold;
        let training_metrics = evaluate_model(&fitted, &train, threshold, "training")?;
        let validation_metrics = evaluate_model(&fitted, &validation, threshold, "validation")?;

        self.enter(Stage::Profiling, progress, work, &mut clock)?;
        let train_scores = fitted.scores(&train);
        let profile = train.reference_profile(&train_scores);
        let validation_scores = fitted.scores(&validation);

        self.enter(Stage::Publishing, progress, work, &mut clock)?;
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
