//! What the handlers share: the store, the served model (swapped atomically on
//! promotion), the in-memory index of prediction ids and outcomes, counters, and the
//! background drift and production-metrics computations.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::Context as _;
use scorewatch_core::views::StorageProblem;
use scorewatch_core::{
    DriftReport, FeatureKind, IntervalSchedule, MetricsEntry, Model, ModelStore, PipelineRunner,
    ReferenceProfile, Store, drift_report_of_newest, production_metrics,
};
use time::OffsetDateTime;

use crate::config::Config;
use crate::run_control::PipelineControl;
use crate::write_gate::WriteGate;

/// The model requests are scored with, with what is derived from it once.
#[derive(Debug)]
pub struct Served {
    /// The model.
    pub model: Model,
    /// Its version.
    pub version: String,
    /// Feature names in schema order (the log's columns).
    pub features: Vec<String>,
    /// Its drift reference profile, when the version has one.
    pub profile: Option<Arc<ReferenceProfile>>,
}

impl Served {
    /// Loads the current model of `models` with its reference profile, `None` before the
    /// first promotion.
    ///
    /// # Errors
    /// When the pointer, the artifact or the profile cannot be read or parsed, or does not
    /// validate (the error names the file and the field).
    pub fn load_current(models: &dyn ModelStore) -> anyhow::Result<Option<Self>> {
        let Some(version) = models.current_version()? else {
            return Ok(None);
        };
        let model = models.load(&version)?;
        let profile = models.load_profile(&version)?.map(Arc::new);
        Ok(Some(Self::new(model, profile)))
    }

    /// Wraps a model and its profile.
    #[must_use]
    pub fn new(model: Model, profile: Option<Arc<ReferenceProfile>>) -> Self {
        let features = model.artifact().schema.names().map(str::to_owned).collect();
        Self {
            version: model.artifact().version.to_string(),
            model,
            features,
            profile,
        }
    }

    /// The kind of a feature by name.
    #[must_use]
    pub fn kind(&self, name: &str) -> Option<FeatureKind> {
        let schema = &self.model.artifact().schema;
        schema.position(name).map(|i| schema.features[i].kind)
    }
}

pub use crate::index::OutcomeIndex;

/// The nice value of background report threads: drift and production metrics are
/// monitoring, so on a busy machine request workers get the CPU first.
const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority (Linux nice values are per thread).
/// A failure only costs latency, so it is logged and ignored.
fn lower_priority(what: &str) {
    #[cfg(target_os = "linux")]
    if let Err(err) =
        rustix::process::setpriority_process(Some(rustix::thread::gettid()), BACKGROUND_NICE)
    {
        tracing::debug!(what, %err, "cannot lower the background thread's priority");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (what, BACKGROUND_NICE);
}

/// Everything the handlers share, behind one `Arc`.
#[derive(Debug)]
pub struct AppState {
    /// The settings.
    pub config: Config,
    /// When the server started.
    pub started: Instant,
    /// The data directory.
    pub store: Arc<Store>,
    served: RwLock<Option<Arc<Served>>>,
    /// Prediction ids and outcome flags.
    pub index: Mutex<OutcomeIndex>,
    /// Predictions logged since start.
    pub predictions_total: AtomicU64,
    /// Outcomes recorded since start.
    pub outcomes_total: AtomicU64,
    since_drift: AtomicU64,
    /// At most one background drift report per `drift_min_interval`.
    drift_schedule: IntervalSchedule,
    since_metrics: AtomicU64,
    drift_busy: AtomicBool,
    metrics_busy: AtomicBool,
    /// Set by a write the disk refused (full, read-only), cleared by the next write that
    /// succeeds: `/health` says `degraded` meanwhile. Only changed under `storage_problem`'s
    /// lock; read alone so that a successful write (every prediction) takes no lock.
    storage_failing: AtomicBool,
    /// The last refused write's message and time, for `/health`.
    storage_problem: Mutex<Option<StorageProblem>>,
    /// The training pipeline's run control.
    pub pipeline: PipelineControl,
    background: Mutex<Vec<JoinHandle<()>>>,
}

impl AppState {
    /// Opens everything under `config.data_dir`.
    ///
    /// # Errors
    /// When the store cannot be opened (locked, corrupt) or the model cannot be loaded.
    pub fn open(config: Config, store: Store) -> anyhow::Result<Self> {
        let store = Arc::new(store);
        // Marks a run left `running` by a dead process as failed ("interrupted").
        let runner = PipelineRunner::new(Arc::clone(&store))?;
        // An invalid current model stops the start: serving it would score with weights
        // that do not fit its preprocessing.
        let served = Served::load_current(store.models())
            .context("refusing to start: the current model cannot be served")?
            .map(Arc::new);
        let index = OutcomeIndex::build(&store)?;
        tracing::info!(
            predictions = index.len(),
            model = served.as_ref().map_or("none", |s| s.version.as_str()),
            "state loaded"
        );
        let drift_schedule = IntervalSchedule::new(config.drift_min_interval);
        Ok(Self {
            config,
            started: Instant::now(),
            store,
            served: RwLock::new(served),
            index: Mutex::new(index),
            predictions_total: AtomicU64::new(0),
            outcomes_total: AtomicU64::new(0),
            since_drift: AtomicU64::new(0),
            drift_schedule,
            since_metrics: AtomicU64::new(0),
            drift_busy: AtomicBool::new(false),
            metrics_busy: AtomicBool::new(false),
            storage_failing: AtomicBool::new(false),
            storage_problem: Mutex::new(None),
            pipeline: PipelineControl::new(runner),
            background: Mutex::new(Vec::new()),
        })
    }

    /// The served model, if any: one read lock and one `Arc` clone, no I/O.
    #[must_use]
    pub fn served(&self) -> Option<Arc<Served>> {
        self.served
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the served model (after a promotion).
    pub fn set_served(&self, served: Served) {
        *self.served.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(served));
    }

    /// Whether the last write to the data directory was refused by the disk.
    #[must_use]
    pub fn storage_failing(&self) -> bool {
        self.storage_failing.load(Ordering::Acquire)
    }

    /// The last write the disk refused, while no write has succeeded since.
    #[must_use]
    pub fn storage_problem(&self) -> Option<StorageProblem> {
        if !self.storage_failing() {
            return None;
        }
        self.storage_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records how a write to the data directory ended, for `/health`: a success clears
    /// the failing state, a full or read-only disk sets it, other errors leave it.
    pub fn note_write<T, E: std::error::Error + 'static>(&self, result: &Result<T, E>) {
        match result {
            Ok(_) => self.note_write_success(),
            Err(err) => self.note_write_failure(err),
        }
    }

    /// As [`AppState::note_write`] for an `anyhow` result.
    pub fn note_write_anyhow<T>(&self, result: &anyhow::Result<T>) {
        match result {
            Ok(_) => self.note_write_success(),
            Err(err) => self.note_write_failure(err.as_ref()),
        }
    }

    fn note_write_success(&self) {
        if self.storage_failing() {
            let mut problem = self
                .storage_problem
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *problem = None;
            self.storage_failing.store(false, Ordering::Release);
        }
    }

    /// Records a failed write: only a full or read-only disk sets the failing state, with
    /// the message its 503 answer carries.
    pub fn note_write_failure(&self, err: &(dyn std::error::Error + 'static)) {
        if crate::error::is_storage_fault(err) {
            let message = crate::error::storage_fault_message(err);
            let mut problem = self
                .storage_problem
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *problem = Some(StorageProblem {
                message,
                at: OffsetDateTime::now_utc(),
            });
            self.storage_failing.store(true, Ordering::Release);
        }
    }

    /// The outcome index, even if a panicking thread poisoned its lock.
    pub fn index(&self) -> std::sync::MutexGuard<'_, OutcomeIndex> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts logged predictions and starts a background drift report every
    /// `drift_every` of them, but not sooner than `drift_min_interval` after the last
    /// one: a report reads `drift_window` rows of the log, so at thousands of requests a
    /// second a count alone would spend a good part of the CPU on monitoring. A count
    /// reached early waits (it is not reset) until the interval has passed.
    pub fn count_predictions(self: &Arc<Self>, n: u64) {
        self.predictions_total.fetch_add(n, Ordering::Relaxed);
        let every = self.config.drift_every;
        if every == 0 {
            return;
        }
        let since = self.since_drift.fetch_add(n, Ordering::Relaxed) + n;
        if since >= every && self.drift_schedule.take_if_due() {
            self.since_drift.store(0, Ordering::Relaxed);
            // No deadline watches a background report: its gate is never abandoned.
            self.spawn_background(&self.drift_busy, "drift", |state| {
                state.run_drift(&WriteGate::new()).map(|_| ())
            });
        }
    }

    /// Counts recorded outcomes and recomputes production metrics every
    /// `metrics_every` of them.
    pub fn count_outcomes(self: &Arc<Self>, n: u64) {
        self.outcomes_total.fetch_add(n, Ordering::Relaxed);
        let every = self.config.metrics_every;
        if every == 0 {
            return;
        }
        let since = self.since_metrics.fetch_add(n, Ordering::Relaxed) + n;
        if since >= every {
            self.since_metrics.store(0, Ordering::Relaxed);
            self.spawn_background(&self.metrics_busy, "production metrics", |state| {
                state.compute_production_metrics().map(|_| ())
            });
        }
    }

    /// Runs `job` on its own thread unless the previous one is still busy; a busy job
    /// skips this round rather than queueing (the next trigger catches up).
    fn spawn_background(
        self: &Arc<Self>,
        busy: &AtomicBool,
        what: &'static str,
        job: fn(&AppState) -> anyhow::Result<()>,
    ) {
        if busy.swap(true, Ordering::AcqRel) {
            tracing::debug!(what, "background job still running; skipped");
            return;
        }
        let state = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name(format!("scorewatch-{}", what.replace(' ', "-")))
            .spawn(move || {
                lower_priority(what);
                let result = job(&state);
                state.note_write_anyhow(&result);
                if let Err(err) = result {
                    tracing::warn!(what, error = format!("{err:#}"), "background job failed");
                }
                let flag = if what == "drift" {
                    &state.drift_busy
                } else {
                    &state.metrics_busy
                };
                flag.store(false, Ordering::Release);
            });
        match spawned {
            Ok(handle) => {
                let mut background = self
                    .background
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                background.retain(|h| !h.is_finished());
                background.push(handle);
            }
            Err(err) => {
                busy.store(false, Ordering::Release);
                tracing::error!(what, %err, "cannot start background thread");
            }
        }
    }

    /// Waits for the background jobs started so far (shutdown).
    pub fn join_background(&self) {
        let handles: Vec<_> = self
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        for handle in handles {
            let _ = handle.join();
        }
    }

    /// Computes and stores a drift report: the newest `drift_window` predictions of the
    /// current model against its reference profile. `Ok(None)` when there is nothing to
    /// compare (no model, no profile, no prediction). The report is saved only if `gate`
    /// lets the write through (a request past its deadline saves nothing).
    ///
    /// # Errors
    /// When the log cannot be read, the report cannot be computed or stored, or the gate
    /// was abandoned.
    pub fn run_drift(&self, gate: &WriteGate) -> anyhow::Result<Option<DriftReport>> {
        let Some(served) = self.served() else {
            return Ok(None);
        };
        let Some(profile) = served.profile.as_deref() else {
            return Ok(None);
        };
        let report = drift_report_of_newest(
            &self.store,
            &served.version,
            profile,
            self.config.drift_window,
        )?;
        if let Some(report) = &report {
            // The deadline may have answered 503 meanwhile: then nothing is saved.
            gate.commit()?;
            self.store.drift_reports().save(report.clone())?;
            tracing::info!(
                id = %report.id,
                drifted_share = report.drifted_share,
                dataset_drift = report.dataset_drift,
                "drift report computed"
            );
        }
        Ok(report)
    }

    /// Computes and stores production metrics of the current model: its newest
    /// `drift_window` predictions that have an outcome. `Ok(None)` when none has.
    ///
    /// # Errors
    /// When a log cannot be read or the entry cannot be stored.
    pub fn compute_production_metrics(&self) -> anyhow::Result<Option<MetricsEntry>> {
        let Some(served) = self.served() else {
            return Ok(None);
        };
        let entry = production_metrics(
            &self.store,
            &served.version,
            &served.features,
            served.model.threshold(),
            self.config.drift_window,
        )?;
        if let Some(rows) = entry.as_ref().and_then(|e| e.rows) {
            tracing::info!(rows, "production metrics computed");
        }
        Ok(entry)
    }
}
