//! What the handlers share: the store, the served model (swapped atomically on
//! promotion), the in-memory index of prediction ids and outcomes, counters, and the
//! background drift and production-metrics computations.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::Context as _;
use scorewatch_core::{
    DriftReport, IntervalSchedule, MetricsEntry, MonitorError, PipelineRunner, Store,
    drift_report_of_newest, estimated_metrics_entry, production_metrics,
};

use crate::alerts::{self, Alerting};
use crate::config::Config;
use crate::feature_issues::FeatureIssues;
use crate::run_control::PipelineControl;
use crate::served::Served;
use crate::storage_health::StorageHealth;
use crate::write_gate::WriteGate;

use crate::horizon::OutcomeHorizon;
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

/// The name of the background drift report (and performance estimate) job in the
/// store's job claims.
const DRIFT_JOB: &str = "drift";
/// The name of the background production-metrics job in the store's job claims.
const METRICS_JOB: &str = "production_metrics";

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
    /// Held while the served model is reloaded from the store.
    reloading: Mutex<()>,
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
    /// Whether the data directory takes writes, for `/health`.
    pub storage: StorageHealth,
    /// The training pipeline's run control.
    pub pipeline: PipelineControl,
    /// Data-quality issues of served predictions per feature (`/metrics`).
    pub feature_issues: FeatureIssues,
    /// Alert rules, webhooks and the delivery worker's wake-up.
    pub alerting: Alerting,
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
        let feature_issues = FeatureIssues::default();
        let served = Served::load_current(store.models())
            .context("refusing to start: the current model cannot be served")?
            .map(|served| Arc::new(served.count_issues_in(&feature_issues)));
        let horizon = OutcomeHorizon::new(config.outcome_horizon_days);
        let index = OutcomeIndex::build(&store, horizon.start(time::OffsetDateTime::now_utc()))?;
        tracing::info!(
            predictions = index.len(),
            index_bytes = index.heap_bytes(),
            outcome_horizon_days = horizon.days(),
            model = served.as_ref().map_or("none", |s| s.version.as_str()),
            "state loaded"
        );
        let drift_schedule = IntervalSchedule::new(config.drift_min_interval);
        let alerting = Alerting::new(&config);
        Ok(Self {
            config,
            started: Instant::now(),
            store,
            served: RwLock::new(served),
            reloading: Mutex::new(()),
            index: Mutex::new(index),
            predictions_total: AtomicU64::new(0),
            outcomes_total: AtomicU64::new(0),
            since_drift: AtomicU64::new(0),
            drift_schedule,
            since_metrics: AtomicU64::new(0),
            drift_busy: AtomicBool::new(false),
            metrics_busy: AtomicBool::new(false),
            storage: StorageHealth::default(),
            pipeline: PipelineControl::new(runner),
            feature_issues,
            alerting,
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

    /// Serves the store's current model when it is not the one served: after this
    /// process's run promoted one, or when another replica on the database did (see
    /// `promotions.rs`). Returns the version now served when it changed. One reload at a
    /// time, so that a slow load of an older version never replaces a newer one.
    ///
    /// # Errors
    /// When the current version cannot be read, or its model cannot be loaded (the
    /// served model then stays).
    pub fn follow_current_model(&self) -> anyhow::Result<Option<String>> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let current = self
            .store
            .models()
            .current_version()?
            .map(|v| v.to_string());
        let served = self.served().map(|s| s.version.clone());
        if current.is_none() || current == served {
            return Ok(None);
        }
        let Some(loaded) = Served::load_current(self.store.models())? else {
            return Ok(None);
        };
        let version = loaded.version.clone();
        self.set_served(loaded);
        tracing::info!(model = %version, "now serving the current model");
        Ok(Some(version))
    }

    /// Whether this replica runs the background `job` now: it claims it for the
    /// `interval` in the store, and only one replica on a database wins per interval (the
    /// file backend's single process always does).
    fn won_claim(&self, job: &str, interval: std::time::Duration) -> anyhow::Result<bool> {
        let owner = self.pipeline.runner().lease_owner();
        let won = self.store.job_claims().claim(job, owner, interval)?;
        if !won {
            tracing::debug!(job, "another replica ran the job in this interval; skipped");
        }
        Ok(won)
    }

    /// Replaces the served model (after a promotion).
    pub fn set_served(&self, served: Served) {
        // Attached before the swap, so no request of the new model goes uncounted.
        let served = Arc::new(served.count_issues_in(&self.feature_issues));
        *self.served.write().unwrap_or_else(PoisonError::into_inner) = Some(served);
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
            // No deadline watches a background report: its gate is never abandoned. The
            // performance estimate rides on the same trigger, so it too is computed at
            // most once per `drift_min_interval`; one failing does not stop the other.
            self.spawn_background(&self.drift_busy, "drift", |state| {
                if !state.won_claim(DRIFT_JOB, state.config.drift_min_interval)? {
                    return Ok(());
                }
                let drift = state.run_drift(&WriteGate::new()).map(|_| ());
                let estimate = state.record_estimate().map(|_| ());
                drift.and(estimate)
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
                // Spaced as the drift reports are: once per --drift-min-interval for the
                // cluster (each replica still counts its own outcomes to trigger).
                if !state.won_claim(METRICS_JOB, state.config.drift_min_interval)? {
                    return Ok(());
                }
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
                state.storage.note_anyhow(&result);
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
                drifted = report.verdict.is_drifted(),
                "drift report computed"
            );
            alerts::after_drift_report(self, report);
        }
        Ok(report)
    }

    /// Estimates the current model's performance on its newest unlabelled predictions
    /// (among the newest `drift_window`) and records it in the metrics history with
    /// source `estimated`. `Ok(None)` without a model, an unlabelled prediction or a
    /// calibration (a model trained before calibration was stored: logged at debug, since
    /// it would repeat every interval).
    ///
    /// # Errors
    /// When a log cannot be read, the estimate fails or the entry cannot be stored.
    pub fn record_estimate(&self) -> anyhow::Result<Option<MetricsEntry>> {
        let Some(served) = self.served() else {
            return Ok(None);
        };
        let entry = match estimated_metrics_entry(
            &self.store,
            served.model.artifact(),
            &served.features,
            self.config.drift_window,
        ) {
            Ok(entry) => entry,
            Err(MonitorError::Unavailable(reason)) => {
                tracing::debug!(%reason, "no performance estimate");
                return Ok(None);
            }
            Err(err) => return Err(err.into()),
        };
        if let Some(entry) = &entry {
            self.store.metrics().record(entry.clone())?;
            tracing::info!(rows = entry.rows, "performance estimate recorded");
            alerts::evaluate(self, "performance estimate");
        }
        Ok(entry)
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
            alerts::evaluate(self, "production metrics");
        }
        Ok(entry)
    }
}
