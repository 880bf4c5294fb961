//! The training pipeline runner: runs the stages, drives the state machine and persists
//! every state change in `pipeline_status.json` through the store.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use time::OffsetDateTime;

use super::transition::{PipelineEvent, TransitionError, transition};
use crate::error_chain::error_chain;
use crate::model::{
    DataError, Dataset, DatasetColumn, FeatureSchema, ModelArtifact, PromotionPolicy, TargetSpec,
    TrainConfig, TrainError, assemble_artifact, evaluate_model, fit_model, parse_csv, sha256_hex,
    split_indices,
};
use crate::records::{
    DataSource, FeatureKind, MetricSource, MetricsEntry, PipelineState, PipelineStatus, RunOutcome,
    RunRecord, Stage, prediction_key,
};
use crate::store::{
    InvalidTrainingSetName, RegistryError, Store, StoreError, TrainingSetName, feature_positions,
    outcome_labels,
};

/// Default training file inside `data/training/`.
pub const DEFAULT_TRAINING_FILE: &str = "applications.csv";
/// Labelled production rows needed before they join the training data.
pub const DEFAULT_MIN_PRODUCTION_ROWS: usize = 1000;
/// Name of the production rows in [`DataSource`].
pub const PRODUCTION_SOURCE: &str = "production";

/// Overall progress at the start of each stage.
const STAGE_PROGRESS: [(Stage, f64); 6] = [
    (Stage::LoadingData, 0.0),
    (Stage::Validating, 0.15),
    (Stage::Training, 0.3),
    (Stage::Evaluating, 0.7),
    (Stage::Profiling, 0.8),
    (Stage::Publishing, 0.9),
];

/// Where the training rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrainingData {
    /// A file name inside `data/training/` (the API's choice; never a path).
    Named(String),
    /// Any path (the admin CLI's `--data`).
    Path(PathBuf),
}

impl Default for TrainingData {
    fn default() -> Self {
        TrainingData::Named(DEFAULT_TRAINING_FILE.to_owned())
    }
}

/// Where the validation rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Validation {
    /// A seeded random share of the training rows.
    Fraction(f64),
    /// A separate file.
    Path(PathBuf),
}

/// What a run trains on and how.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    /// The training file.
    pub data: TrainingData,
    /// The validation rows.
    pub validation: Validation,
    /// Seed of the validation split.
    pub seed: u64,
    /// Target column and positive class.
    pub target: TargetSpec,
    /// Columns that are not features (ids, timestamps).
    pub exclude: Vec<String>,
    /// Whether labelled production rows may join the training data.
    pub include_production: bool,
    /// Labelled production rows needed before they are used.
    pub min_production_rows: usize,
    /// Fit settings and threshold.
    pub train: TrainConfig,
    /// Promotion rule.
    pub policy: PromotionPolicy,
}

impl Default for RunRequest {
    fn default() -> Self {
        Self {
            data: TrainingData::default(),
            validation: Validation::Fraction(0.2),
            seed: 42,
            target: TargetSpec::default(),
            exclude: Vec::new(),
            include_production: true,
            min_production_rows: DEFAULT_MIN_PRODUCTION_ROWS,
            train: TrainConfig::default(),
            policy: PromotionPolicy::default(),
        }
    }
}

/// Why a run could not start, or why it failed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The state machine refused the event (a run is already in progress).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The store failed.
    #[error("pipeline store access failed")]
    Store(#[source] StoreError),
    /// The training file name leaves `data/training/`.
    #[error("training file '{0}' must be a plain file name inside data/training/")]
    BadTrainingName(String),
    /// Reading or checking the data failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The validation file does not follow the training file's columns.
    #[error("validation set is empty")]
    EmptyValidation,
    /// Training or evaluation failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// Publishing failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The run was cancelled.
    #[error("run cancelled")]
    Cancelled,
}

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
                self.apply(
                    PipelineEvent::Succeed {
                        model_version: model.version.to_string(),
                        at: finished_at,
                    },
                    Some(record.clone()),
                )?;
                progress(Stage::Publishing, 1.0);
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
        let (path, bytes) = match &request.data {
            TrainingData::Named(name) => {
                let name = TrainingSetName::parse(name)
                    .map_err(|InvalidTrainingSetName(name)| PipelineError::BadTrainingName(name))?;
                let sets = self.store.training_sets();
                (
                    sets.location(&name),
                    sets.read(&name).map_err(PipelineError::Store)?,
                )
            }
            TrainingData::Path(path) => (path.clone(), read(path)?),
        };
        let validation_bytes = match &request.validation {
            Validation::Path(p) => Some((p.clone(), read(p)?)),
            Validation::Fraction(_) => None,
        };
        let production = if request.include_production {
            self.production_rows()?
        } else {
            Vec::new()
        };

        self.enter(Stage::Validating, progress, work, &mut clock)?;
        let mut data = parse_csv(&path, &bytes, &request.target, None, &request.exclude)?;
        let file_name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        work.data.push(DataSource {
            name: file_name,
            rows: data.len() as u64,
            sha256: Some(sha256_hex(&bytes)),
        });
        if production.len() >= request.min_production_rows && !production.is_empty() {
            let rows = production_dataset(&data.schema, &production, &self.feature_names()?);
            if let Some(rows) = rows {
                work.data.push(DataSource {
                    name: PRODUCTION_SOURCE.to_owned(),
                    rows: rows.len() as u64,
                    sha256: None,
                });
                data.extend(rows);
            }
        }
        let (train, validation) = match (&request.validation, validation_bytes) {
            (_, Some((vpath, vbytes))) => {
                let validation = parse_csv(
                    &vpath,
                    &vbytes,
                    &request.target,
                    Some(&data.schema),
                    &request.exclude,
                )?;
                work.data.push(DataSource {
                    name: vpath
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                    rows: validation.len() as u64,
                    sha256: Some(sha256_hex(&vbytes)),
                });
                (data, validation)
            }
            (Validation::Fraction(fraction), None) => {
                let (t, v) = split_indices(data.len(), *fraction, request.seed);
                (data.select(&t), data.select(&v))
            }
            (Validation::Path(_), None) => return Err(PipelineError::EmptyValidation),
        };
        if validation.is_empty() {
            return Err(PipelineError::EmptyValidation);
        }

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

        self.enter(Stage::Publishing, progress, work, &mut clock)?;
        let artifact = assemble_artifact(
            fitted,
            train.schema.clone(),
            &request.train,
            (training_metrics, validation_metrics),
            (train.len(), validation.len()),
            work.data.clone(),
        );
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
                })
                .map_err(PipelineError::Store)?;
        }
        Ok(())
    }

    fn feature_names(&self) -> Result<Vec<String>, PipelineError> {
        self.store
            .predictions()
            .feature_names()
            .map_err(PipelineError::Store)
    }

    /// Predictions joined with their outcomes (the latest outcome wins).
    fn production_rows(&self) -> Result<Vec<LabelledRow>, PipelineError> {
        let labels = outcome_labels(self.store.outcomes()).map_err(PipelineError::Store)?;
        let mut rows = Vec::new();
        if labels.is_empty() {
            return Ok(rows);
        }
        self.store
            .predictions()
            .scan(&mut |p| {
                if let Some(&actual) = labels.get(&prediction_key(&p.prediction_id)) {
                    rows.push((p.features, actual));
                }
                Ok(ControlFlow::Continue(()))
            })
            .map_err(PipelineError::Store)?;
        Ok(rows)
    }
}

/// A labelled production row: feature cells in prediction-log order, and the label.
type LabelledRow = (Vec<Option<String>>, bool);

struct RunWork {
    stage_seconds: Vec<(Stage, f64)>,
    data: Vec<DataSource>,
    stage: Stage,
}

fn read(path: &Path) -> Result<Vec<u8>, PipelineError> {
    std::fs::read(path).map_err(|source| {
        PipelineError::Data(DataError::Io {
            path: path.to_owned(),
            source,
        })
    })
}

/// Labelled production rows as a data set of `schema`; `None` when the prediction log
/// lacks a schema feature. Cells that do not parse as numbers count as missing (they were
/// validated when predicted).
fn production_dataset(
    schema: &FeatureSchema,
    rows: &[LabelledRow],
    log_features: &[String],
) -> Option<Dataset> {
    let positions: Vec<usize> = feature_positions(
        schema.features.iter().map(|f| f.name.as_str()),
        log_features,
    )
    .into_iter()
    .collect::<Option<_>>()?;
    let columns = schema
        .features
        .iter()
        .zip(&positions)
        .map(|(spec, &i)| {
            let cell = |row: &LabelledRow| row.0.get(i).cloned().flatten();
            match spec.kind {
                FeatureKind::Numeric => DatasetColumn::Numeric(
                    rows.iter()
                        .map(|r| cell(r).and_then(|c| c.trim().parse::<f64>().ok()))
                        .map(|v| v.filter(|x| x.is_finite()))
                        .collect(),
                ),
                FeatureKind::Categorical => DatasetColumn::Categorical(
                    rows.iter()
                        .map(|r| cell(r).filter(|c| !c.trim().is_empty()))
                        .collect(),
                ),
            }
        })
        .collect();
    Some(Dataset {
        schema: schema.clone(),
        columns,
        labels: rows.iter().map(|r| r.1).collect(),
    })
}
