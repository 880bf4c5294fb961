//! The training pipeline as the API runs it: one run at a time on its own thread (never
//! on an HTTP worker), its state persisted through the core state machine at every
//! stage, cancellable between stages and inside the fit.

use std::ops::ControlFlow;
use std::path::{Component, Path};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::Context as _;
use scorewatch_core::views::{FieldProblem, RunAccepted, RunPipelineRequest};
use scorewatch_core::{
    CategoricalValues, Column, ColumnValues, DataSource, DatasetColumn, MetricSource, MetricsEntry,
    Model, NumericValues, PipelineEvent, PipelineState, PipelineStatus, PromotionPolicy,
    ReferenceProfile, RunOutcome, RunRecord, Stage, TargetSpec, TrainConfig, TransitionError,
    load_csv, parse_csv, score_matrix, split_indices, train_model, transition,
};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::state::{AppState, Served, id_key};

/// Default training file inside `data/training/`.
pub const DEFAULT_TRAINING_FILE: &str = "applications.csv";
/// Labelled production rows needed before they join the training data.
pub const MIN_PRODUCTION_ROWS: usize = 1000;
/// Share of rows held out for validation.
pub const VALIDATION_FRACTION: f64 = 0.2;
/// Seed of the train/validation split, fixed so a rerun on the same data gives the same
/// model.
pub const SPLIT_SEED: u64 = 42;
/// Where clients follow a run.
pub const STATUS_URL: &str = "/monitoring/pipeline-status";

#[derive(Debug)]
struct RunHandle {
    run_id: String,
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The run in progress, if any.
#[derive(Debug, Default)]
pub struct PipelineControl {
    current: Mutex<Option<RunHandle>>,
}

impl PipelineControl {
    /// Asks the running run to stop; returns its id.
    ///
    /// # Errors
    /// 409 when no run is in progress.
    pub fn cancel(&self) -> Result<String, ApiError> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        match current.as_ref() {
            Some(run) if run.thread.as_ref().is_some_and(|t| !t.is_finished()) => {
                run.cancel.store(true, Ordering::Release);
                Ok(run.run_id.clone())
            }
            _ => Err(ApiError::Conflict {
                code: "pipeline_not_running",
                message: "no pipeline run is in progress".to_owned(),
            }),
        }
    }

    /// Cancels the running run and waits for it (shutdown).
    pub fn cancel_and_join(&self) {
        let handle = self
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut run) = handle {
            run.cancel.store(true, Ordering::Release);
            if let Some(thread) = run.thread.take() {
                let _ = thread.join();
            }
        }
    }

    /// Waits for the current run to end (tests and shutdown).
    pub fn join(&self) {
        let thread = self
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
            .and_then(|run| run.thread.take());
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
        let mut components = Path::new(name).components();
        let plain = matches!(
            (components.next(), components.next()),
            (Some(Component::Normal(_)), None)
        );
        if !plain || name.is_empty() {
            return Err(ApiError::InvalidFields(vec![FieldProblem {
                field: "training_file".to_owned(),
                problem: "must be a file name inside data/training/, not a path".to_owned(),
            }]));
        }
        if !state.store.layout().training_dir().join(name).is_file() {
            return Err(ApiError::invalid(
                "training_file",
                format!("data/training/{name} does not exist"),
            ));
        }
    }
    Ok(())
}

/// Starts a run on its own thread.
///
/// # Errors
/// 409 while a run is in progress; 500 when the status cannot be saved.
pub fn start(state: &Arc<AppState>, request: RunPipelineRequest) -> Result<RunAccepted, ApiError> {
    let mut current = state
        .pipeline
        .current
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(run) = current.as_ref()
        && run.thread.as_ref().is_some_and(|t| !t.is_finished())
    {
        return Err(running(&run.run_id));
    }
    let run_id = uuid::Uuid::now_v7().to_string();
    let started_at = OffsetDateTime::now_utc();
    let mut status = state
        .store
        .pipeline_status()
        .load()
        .map_err(ApiError::internal)?;
    status.state = transition(
        &status.state,
        PipelineEvent::Start {
            run_id: run_id.clone(),
            at: started_at,
        },
    )
    .map_err(|err| match err {
        TransitionError::AlreadyRunning { run_id } => running(&run_id),
        other => ApiError::internal(other),
    })?;
    state
        .store
        .pipeline_status()
        .save(status)
        .map_err(ApiError::internal)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let thread = {
        let state = Arc::clone(state);
        let cancel = Arc::clone(&cancel);
        let run_id = run_id.clone();
        std::thread::Builder::new()
            .name("scorewatch-pipeline".to_owned())
            .spawn(move || run(&state, &run_id, started_at, &request, &cancel))
            .map_err(ApiError::internal)?
    };
    *current = Some(RunHandle {
        run_id: run_id.clone(),
        cancel,
        thread: Some(thread),
    });
    tracing::info!(%run_id, "pipeline run started");
    Ok(RunAccepted {
        run_id,
        status_url: STATUS_URL.to_owned(),
    })
}

fn running(run_id: &str) -> ApiError {
    ApiError::Conflict {
        code: "pipeline_running",
        message: format!("pipeline run {run_id} is in progress; follow it at {STATUS_URL}"),
    }
}

/// Records a state-machine event in `pipeline_status.json`.
fn apply(state: &AppState, event: PipelineEvent, record: Option<RunRecord>) -> anyhow::Result<()> {
    let store = state.store.pipeline_status();
    let mut status: PipelineStatus = store.load()?;
    status.state = transition(&status.state, event)?;
    if let Some(record) = record {
        status.runs.push(record);
    }
    store.save(status)?;
    Ok(())
}

struct Progress<'a> {
    state: &'a AppState,
    cancel: &'a AtomicBool,
    stage: Option<(Stage, Instant)>,
    stage_seconds: Vec<(Stage, f64)>,
}

impl Progress<'_> {
    fn enter(&mut self, stage: Stage, progress: f64) -> Result<(), RunError> {
        if self.cancel.load(Ordering::Acquire) {
            return Err(RunError::Cancelled);
        }
        self.close_stage();
        self.stage = Some((stage, Instant::now()));
        apply(self.state, PipelineEvent::Advance { stage, progress }, None)
            .map_err(RunError::Failed)
    }

    fn close_stage(&mut self) {
        if let Some((stage, since)) = self.stage.take() {
            self.stage_seconds
                .push((stage, since.elapsed().as_secs_f64()));
        }
    }
}

enum RunError {
    Cancelled,
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for RunError {
    fn from(err: anyhow::Error) -> Self {
        Self::Failed(err)
    }
}

fn run(
    state: &Arc<AppState>,
    run_id: &str,
    started_at: OffsetDateTime,
    request: &RunPipelineRequest,
    cancel: &AtomicBool,
) {
    let mut progress = Progress {
        state,
        cancel,
        stage: None,
        stage_seconds: Vec::new(),
    };
    let mut data = Vec::new();
    let result = train_and_publish(state, request, &mut progress, &mut data);
    let last_stage = progress.stage.map(|(stage, _)| stage);
    progress.close_stage();
    let finished_at = OffsetDateTime::now_utc();
    let mut record = RunRecord {
        run_id: run_id.to_owned(),
        started_at,
        finished_at,
        outcome: RunOutcome::Failed,
        last_stage,
        model_version: None,
        error: None,
        stage_seconds: progress.stage_seconds,
        data,
    };
    let event = match result {
        Ok((version, promotion_reason, promoted)) => {
            record.outcome = if promoted {
                RunOutcome::Promoted
            } else {
                RunOutcome::Rejected
            };
            record.model_version = Some(version.clone());
            if !promoted {
                record.error = Some(promotion_reason);
            }
            tracing::info!(%run_id, %version, promoted, "pipeline run finished");
            PipelineEvent::Succeed {
                model_version: version,
                at: finished_at,
            }
        }
        Err(RunError::Cancelled) => {
            record.outcome = RunOutcome::Cancelled;
            tracing::info!(%run_id, "pipeline run cancelled");
            PipelineEvent::Cancel { at: finished_at }
        }
        Err(RunError::Failed(err)) => {
            let message = format!("{err:#}");
            tracing::warn!(%run_id, error = %message, "pipeline run failed");
            record.error = Some(message.clone());
            PipelineEvent::Fail {
                error: message,
                at: finished_at,
            }
        }
    };
    if let Err(err) = apply(state, event, Some(record)) {
        tracing::error!(%run_id, error = format!("{err:#}"), "cannot save pipeline status");
    }
}

/// Returns (model version, promotion reason, promoted).
fn train_and_publish(
    state: &AppState,
    request: &RunPipelineRequest,
    progress: &mut Progress<'_>,
    data: &mut Vec<DataSource>,
) -> Result<(String, String, bool), RunError> {
    progress.enter(Stage::LoadingData, 0.0)?;
    let name = request
        .training_file
        .as_deref()
        .unwrap_or(DEFAULT_TRAINING_FILE);
    let path = state.store.layout().training_dir().join(name);
    let target = TargetSpec::default();
    let loaded = load_csv(&path, &target, None, &[])
        .with_context(|| format!("loading training data {}", path.display()))?;
    let mut dataset = loaded.dataset;
    data.push(DataSource {
        name: name.to_owned(),
        rows: dataset.len() as u64,
        sha256: Some(loaded.sha256),
    });
    if request.include_production.unwrap_or(true)
        && let Some(production) = production_rows(state, &dataset.schema, &target)?
    {
        data.push(DataSource {
            name: "production".to_owned(),
            rows: production.len() as u64,
            sha256: None,
        });
        dataset.extend(production);
    }

    progress.enter(Stage::Validating, 0.15)?;
    let positives = dataset.labels.iter().filter(|&&l| l).count();
    if dataset.len() < 10 || positives == 0 || positives == dataset.len() {
        return Err(RunError::Failed(anyhow::anyhow!(
            "training data has {} rows and {positives} positives; need at least 10 rows and both classes",
            dataset.len()
        )));
    }

    progress.enter(Stage::Training, 0.3)?;
    let (train_idx, valid_idx) = split_indices(dataset.len(), VALIDATION_FRACTION, SPLIT_SEED);
    let train = dataset.select(&train_idx);
    let validation = dataset.select(&valid_idx);
    let cancelled = || progress.cancel.load(Ordering::Acquire);
    let artifact = match train_model(
        &train,
        &validation,
        data.clone(),
        &TrainConfig::default(),
        &cancelled,
    ) {
        Ok(artifact) => artifact,
        Err(_) if cancelled() => return Err(RunError::Cancelled),
        Err(err) => {
            return Err(RunError::Failed(
                anyhow::Error::new(err).context("training"),
            ));
        }
    };

    progress.enter(Stage::Evaluating, 0.7)?;
    let x = artifact.preprocessing.transform(&train);
    let scores = score_matrix(
        &x,
        artifact.coefficients.intercept,
        &artifact.coefficients.weights,
    );

    progress.enter(Stage::Profiling, 0.8)?;
    let profile = reference_profile(&train, scores);
    let profile_json = serde_json::to_vec(&profile).context("serialising the reference profile")?;

    progress.enter(Stage::Publishing, 0.9)?;
    let policy = PromotionPolicy {
        force: request.force,
        ..PromotionPolicy::default()
    };
    let published = state
        .registry
        .publish(artifact, Some(&profile_json), &policy)
        .context("publishing the model")?;
    let version = published.version.to_string();
    let now = OffsetDateTime::now_utc();
    for (source, metrics, rows) in [
        (
            MetricSource::Training,
            &published.training_metrics,
            published.training_rows,
        ),
        (
            MetricSource::Validation,
            &published.validation_metrics,
            published.validation_rows,
        ),
    ] {
        state
            .store
            .metrics()
            .record(MetricsEntry {
                timestamp: now,
                source,
                model_version: Some(version.clone()),
                metrics: metrics.values(),
                undefined: metrics.undefined.clone(),
                rows: Some(rows),
                posted_by: None,
            })
            .context("recording training metrics")?;
    }
    let promotion = published
        .promotion
        .clone()
        .unwrap_or_else(|| scorewatch_core::Promotion {
            promoted: false,
            reason: "no promotion decision".to_owned(),
            previous: None,
        });
    if promotion.promoted {
        state.set_served(Served::new(Model::new(published), Some(Arc::new(profile))));
    }
    Ok((version, promotion.reason, promotion.promoted))
}

/// The reference profile of the training rows, with their scores.
fn reference_profile(train: &scorewatch_core::Dataset, scores: Vec<f64>) -> ReferenceProfile {
    let columns = train
        .schema
        .features
        .iter()
        .zip(&train.columns)
        .map(|(spec, column)| Column {
            name: spec.name.clone(),
            values: match column {
                DatasetColumn::Numeric(values) => ColumnValues::Numeric(NumericValues::from_raw(
                    values.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
                )),
                DatasetColumn::Categorical(values) => {
                    let mut out = CategoricalValues::new();
                    for value in values {
                        out.push(value.as_deref());
                    }
                    ColumnValues::Categorical(out)
                }
            },
        })
        .collect();
    ReferenceProfile::from_columns(columns, Some(NumericValues::from_raw(scores)))
}

/// Labelled production rows (predictions of the current log joined with their outcomes)
/// in the training schema, when at least [`MIN_PRODUCTION_ROWS`] exist.
fn production_rows(
    state: &AppState,
    schema: &scorewatch_core::FeatureSchema,
    target: &TargetSpec,
) -> anyhow::Result<Option<scorewatch_core::Dataset>> {
    let mut actuals = std::collections::HashMap::new();
    state.store.outcomes().scan(&mut |record| {
        actuals.insert(id_key(&record.prediction_id), record.actual);
        Ok(ControlFlow::Continue(()))
    })?;
    if actuals.len() < MIN_PRODUCTION_ROWS {
        return Ok(None);
    }
    let features = state.store.predictions().feature_names()?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut header = features.clone();
    header.push(target.column.clone());
    csv.write_record(&header)?;
    let mut rows = 0;
    state.store.predictions().scan(&mut |record| {
        if let Some(actual) = actuals.get(&id_key(&record.prediction_id)) {
            let mut row: Vec<String> = record
                .features
                .iter()
                .map(|v| v.clone().unwrap_or_default())
                .collect();
            row.push(actual.to_string());
            if csv.write_record(&row).is_ok() {
                rows += 1;
            }
        }
        Ok(ControlFlow::Continue(()))
    })?;
    if rows < MIN_PRODUCTION_ROWS {
        return Ok(None);
    }
    let bytes = csv.into_inner().context("buffering production rows")?;
    match parse_csv(Path::new("production"), &bytes, target, Some(schema), &[]) {
        Ok(dataset) => Ok(Some(dataset)),
        Err(err) => {
            tracing::warn!(error = %err, "production rows do not fit the training schema; skipped");
            Ok(None)
        }
    }
}

/// Start-up: a status left `running` by a dead process becomes `failed: interrupted`.
///
/// # Errors
/// When the status cannot be read or written.
pub fn recover(state: &AppState) -> anyhow::Result<()> {
    let store = state.store.pipeline_status();
    let mut status = store.load()?;
    if let PipelineState::Running {
        run_id,
        started_at,
        stage,
        ..
    } = status.state.clone()
    {
        let at = OffsetDateTime::now_utc();
        status.state = transition(&status.state, PipelineEvent::RecoverInterrupted { at })?;
        status.runs.push(RunRecord {
            run_id: run_id.clone(),
            started_at,
            finished_at: at,
            outcome: RunOutcome::Failed,
            last_stage: Some(stage),
            model_version: None,
            error: Some(scorewatch_core::INTERRUPTED.to_owned()),
            stage_seconds: Vec::new(),
            data: Vec::new(),
        });
        store.save(status)?;
        tracing::warn!(%run_id, "pipeline run was interrupted by a restart; marked failed");
    }
    Ok(())
}
