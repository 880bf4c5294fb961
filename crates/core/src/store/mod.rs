//! The file-backed store: the data directory layout, atomic JSON files and append-only
//! CSV logs, behind one small trait per kind of record so that another backend (a
//! database) can replace the files without touching callers.

mod alerts;
mod atomic;
mod csv_log;
mod drift_reports;
mod error;
mod fields;
mod init;
mod job_claims;
mod json_file;
mod labelled;
mod layout;
mod lock;
mod metrics_history;
mod model_registry;
mod models;
mod outcomes;
mod pipeline_status;
mod predictions;
mod promotions;
mod run_lease;
mod training_sets;

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;

pub use alerts::{ALERTS_SCHEMA_VERSION, AlertStore, DEFAULT_ALERTS_RETENTION, trim_resolved};
pub use csv_log::FsyncPolicy;
pub use drift_reports::{DEFAULT_DRIFT_RETENTION, DriftReportStore, DriftReportSummary};
pub use error::StoreError;
pub use init::{InitAction, InitEntry, InitReport, init};
pub use job_claims::{JobClaims, SingleProcessClaims};
pub use labelled::{feature_positions, outcome_labels};
pub use layout::DataLayout;
pub use metrics_history::{DEFAULT_METRICS_RETENTION, MetricsHistory};
pub use model_registry::{ModelRegistry, RegistryError, decide_against_current};
pub use models::ModelStore;
pub use outcomes::{FileOutcomeLog, OutcomeLog};
pub use pipeline_status::{
    DEFAULT_PIPELINE_RUNS_RETENTION, PIPELINE_STATUS_SCHEMA_VERSION, PipelineStatusStore,
};
pub use predictions::{
    ExpiredArchive, FilePredictionLog, NamedRowVisitor, ORDER_SLACK, PredictionLog,
    PredictionQuery, check_prediction,
};
pub use promotions::PromotionNotices;
pub use run_lease::{
    Lease, LeaseChange, LeaseHolder, LeaseRenewal, RUN_LEASE, RUN_LEASE_RENEW, lease_change,
};
pub use training_sets::{
    FileTrainingSets, InvalidTrainingSetName, TrainingSetName, TrainingSetSummary, TrainingSets,
};
#[cfg(feature = "testing")]
pub use {
    drift_reports::DriftReportsDocument,
    metrics_history::MetricsDocument,
    model_registry::{CURRENT_FILE, MODEL_FILE, PROFILE_FILE},
    predictions::list_prediction_archives,
};

use alerts::FileAlertStore;
use atomic::clean_tmp;
use drift_reports::FileDriftReports;
use lock::DirLock;
use metrics_history::FileMetricsHistory;
use pipeline_status::FilePipelineStatus;

use crate::records::PipelineStatus;

/// How a [`Store`] opens its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// When appended log rows are fsynced (default: every second in the background).
    pub fsync: FsyncPolicy,
    /// Metrics history entries kept of each source (default [`DEFAULT_METRICS_RETENTION`]).
    pub metrics_retention: usize,
    /// Drift reports kept (default [`DEFAULT_DRIFT_RETENTION`]).
    pub drift_retention: usize,
    /// Finished pipeline runs kept (default [`DEFAULT_PIPELINE_RUNS_RETENTION`]).
    pub pipeline_runs_retention: usize,
    /// Resolved alerts kept (default [`DEFAULT_ALERTS_RETENTION`]).
    pub alerts_retention: usize,
    /// Prediction archives whose every row is older than this many days are deleted at
    /// open and at each daily rotation (default `None`: every archive is kept).
    pub prediction_retention_days: Option<NonZeroU32>,
    /// Create missing directories and files as [`init`] does (default `true`); when
    /// `false` a missing file is an error.
    pub create_missing: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            fsync: FsyncPolicy::default(),
            metrics_retention: DEFAULT_METRICS_RETENTION,
            drift_retention: DEFAULT_DRIFT_RETENTION,
            pipeline_runs_retention: DEFAULT_PIPELINE_RUNS_RETENTION,
            alerts_retention: DEFAULT_ALERTS_RETENTION,
            prediction_retention_days: None,
            create_missing: true,
        }
    }
}

/// What opening the store found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOpenReport {
    /// Leftover temporary files removed from `tmp/`.
    pub tmp_files_removed: usize,
    /// Bytes of a torn last line cut from `predictions_log.csv`.
    pub predictions_dropped_bytes: u64,
    /// Bytes of a torn last line cut from `outcomes_log.csv`.
    pub outcomes_dropped_bytes: u64,
    /// Paths created because they were missing.
    pub created: Vec<std::path::PathBuf>,
}

/// The name [`Store::backend`] gives the file backend (and `/health` reports).
pub const FILE_BACKEND: &str = "files";

/// The backends a [`Store`] is made of. The file backend builds them in
/// [`Store::open`]; another backend builds its own and calls [`Store::from_backends`].
#[derive(Debug, Clone)]
pub struct StoreBackends {
    /// The backend's name as `/health` reports it: [`FILE_BACKEND`], `postgres`.
    pub backend: &'static str,
    /// Predictions.
    pub predictions: Arc<dyn PredictionLog>,
    /// Late outcomes.
    pub outcomes: Arc<dyn OutcomeLog>,
    /// Metrics history.
    pub metrics: Arc<dyn MetricsHistory>,
    /// Drift reports.
    pub drift_reports: Arc<dyn DriftReportStore>,
    /// Pipeline status.
    pub pipeline_status: Arc<dyn PipelineStatusStore>,
    /// Published models and their reference profiles.
    pub models: Arc<dyn ModelStore>,
    /// Training data sets.
    pub training_sets: Arc<dyn TrainingSets>,
    /// Alerts and their webhook outbox.
    pub alerts: Arc<dyn AlertStore>,
    /// Claims of the background jobs run once per interval for every process.
    pub job_claims: Arc<dyn JobClaims>,
    /// Notices of promotions by other processes; `None` when one process owns the store.
    pub promotions: Option<Arc<dyn PromotionNotices>>,
}

/// Everything scorewatch keeps, shared by the API's worker threads as `Arc<Store>`.
///
/// ```
/// use scorewatch_core::{PredictionQuery, Store, StoreOptions};
///
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path(), StoreOptions::default())?;
/// assert!(store.predictions().recent(&PredictionQuery::newest(10))?.is_empty());
/// assert_eq!(store.metrics().latest()?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Store {
    layout: DataLayout,
    backends: StoreBackends,
    report: StoreOpenReport,
    flusher: Option<Flusher>,
    /// Declared last so that it is released after the logs' final fsync.
    _lock: Option<DirLock>,
}

impl Store {
    /// Opens the data directory `dir`: takes its lock, creates what is missing (unless
    /// `options.create_missing` is off), removes leftovers from `tmp/`, cuts back torn
    /// log tails, and checks every header and `schema_version`.
    ///
    /// # Errors
    /// [`StoreError::Locked`] when another process (or another `Store`) has the
    /// directory; [`StoreError::Json`], [`StoreError::SchemaVersion`] or
    /// [`StoreError::CsvHeader`] naming a corrupt file, which is left untouched;
    /// [`StoreError::Missing`] or [`StoreError::Io`] naming the path at fault.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Self, StoreError> {
        let layout = DataLayout::new(dir);
        let mut report = StoreOpenReport::default();
        if options.create_missing {
            let created = init(&layout)?;
            report.created = created
                .entries
                .into_iter()
                .filter(|e| e.action == InitAction::Created)
                .map(|e| e.path)
                .collect();
        } else if !dir.is_dir() {
            return Err(StoreError::Missing {
                path: dir.to_owned(),
            });
        }
        let lock = DirLock::acquire(dir, &layout.lock_file())?;
        let tmp = layout.tmp_dir();
        report.tmp_files_removed = clean_tmp(&tmp)?;
        let metrics = Arc::new(FileMetricsHistory::open(
            &layout.model_metrics(),
            &tmp,
            options.metrics_retention,
        )?);
        let drift = Arc::new(FileDriftReports::open(
            &layout.drift_reports(),
            &tmp,
            options.drift_retention,
        )?);
        let pipeline = Arc::new(FilePipelineStatus::open(
            &layout.pipeline_status(),
            &tmp,
            options.pipeline_runs_retention,
        )?);
        let alerts = Arc::new(FileAlertStore::open(
            &layout.alerts(),
            &tmp,
            options.alerts_retention,
        )?);
        let (predictions, predictions_open) =
            FilePredictionLog::open(&layout.predictions_log(), &tmp, options.fsync)?;
        let predictions = predictions.with_retention(options.prediction_retention_days);
        predictions.apply_retention(time::OffsetDateTime::now_utc())?;
        let (outcomes, outcomes_open) =
            FileOutcomeLog::open(&layout.outcomes_log(), options.fsync)?;
        report.predictions_dropped_bytes = predictions_open.dropped_bytes;
        report.outcomes_dropped_bytes = outcomes_open.dropped_bytes;
        let predictions = Arc::new(predictions);
        let outcomes = Arc::new(outcomes);
        let flusher = match options.fsync {
            FsyncPolicy::Interval(every) => Some(Flusher::start(
                every,
                Arc::clone(&predictions),
                Arc::clone(&outcomes),
            )),
            FsyncPolicy::Always | FsyncPolicy::Never => None,
        };
        let models = Arc::new(ModelRegistry::for_layout(&layout));
        let training_sets = Arc::new(FileTrainingSets::new(layout.training_dir(), tmp));
        Ok(Self {
            layout,
            backends: StoreBackends {
                backend: FILE_BACKEND,
                predictions,
                outcomes,
                metrics,
                drift_reports: drift,
                pipeline_status: pipeline,
                models,
                training_sets,
                alerts,
                job_claims: Arc::new(SingleProcessClaims),
                promotions: None,
            },
            report,
            flusher,
            _lock: Some(lock),
        })
    }

    /// A store over other backends (a database, or fakes in tests). `layout` still names
    /// the directories for models, training data and logs.
    #[must_use]
    pub fn from_backends(layout: DataLayout, backends: StoreBackends) -> Self {
        Self {
            layout,
            backends,
            report: StoreOpenReport::default(),
            flusher: None,
            _lock: None,
        }
    }

    /// The backend's name: [`FILE_BACKEND`] or the one given to [`Store::from_backends`].
    #[must_use]
    pub fn backend(&self) -> &'static str {
        self.backends.backend
    }

    /// The data directory's paths.
    #[must_use]
    pub fn layout(&self) -> &DataLayout {
        &self.layout
    }

    /// Why the store cannot take writes now, found without writing: for the file backend,
    /// the staging directory where every write starts is missing or read-only. `None`
    /// when it looks writable (a write can still fail, for a full disk). Another backend
    /// keeps nothing in `tmp/`; its refused writes are its only signal, so `None`.
    #[must_use]
    pub fn unwritable_reason(&self) -> Option<String> {
        if self.backends.backend != FILE_BACKEND {
            return None;
        }
        let tmp = self.layout.tmp_dir();
        let writable =
            std::fs::metadata(&tmp).is_ok_and(|m| m.is_dir() && !m.permissions().readonly());
        (!writable).then(|| format!("{} is not a writable directory", tmp.display()))
    }

    /// What opening found and repaired.
    #[must_use]
    pub fn open_report(&self) -> &StoreOpenReport {
        &self.report
    }

    /// The prediction log.
    #[must_use]
    pub fn predictions(&self) -> &dyn PredictionLog {
        &*self.backends.predictions
    }

    /// The outcome log.
    #[must_use]
    pub fn outcomes(&self) -> &dyn OutcomeLog {
        &*self.backends.outcomes
    }

    /// The metrics history.
    #[must_use]
    pub fn metrics(&self) -> &dyn MetricsHistory {
        &*self.backends.metrics
    }

    /// The drift reports.
    #[must_use]
    pub fn drift_reports(&self) -> &dyn DriftReportStore {
        &*self.backends.drift_reports
    }

    /// The pipeline status.
    #[must_use]
    pub fn pipeline_status(&self) -> &dyn PipelineStatusStore {
        &*self.backends.pipeline_status
    }

    /// The published models.
    #[must_use]
    pub fn models(&self) -> &dyn ModelStore {
        &*self.backends.models
    }

    /// The training data sets.
    #[must_use]
    pub fn training_sets(&self) -> &dyn TrainingSets {
        &*self.backends.training_sets
    }

    /// The alerts and their webhook outbox.
    #[must_use]
    pub fn alerts(&self) -> &dyn AlertStore {
        &*self.backends.alerts
    }

    /// Notices of promotions other processes make, when the store is shared.
    #[must_use]
    pub fn promotions(&self) -> Option<Arc<dyn PromotionNotices>> {
        self.backends.promotions.clone()
    }

    /// The claims of once-per-interval background jobs.
    #[must_use]
    pub fn job_claims(&self) -> &dyn JobClaims {
        &*self.backends.job_claims
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Stop the flusher before the logs drop (and fsync one last time).
        self.flusher.take();
    }
}

/// The background thread of [`FsyncPolicy::Interval`].
#[derive(Debug)]
struct Flusher {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    fn start(
        every: std::time::Duration,
        predictions: Arc<FilePredictionLog>,
        outcomes: Arc<FileOutcomeLog>,
    ) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("scorewatch-fsync".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    for result in [predictions.sync_if_dirty(), outcomes.sync_if_dirty()] {
                        if let Err(err) = result {
                            tracing::error!(%err, "background fsync failed; will retry");
                        }
                    }
                }
            })
            .ok();
        if thread.is_none() {
            tracing::error!("cannot start the fsync thread; logs are fsynced only at close");
        }
        Self {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
