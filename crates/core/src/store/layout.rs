//! The data directory's paths, exactly as the monitoring guide lays them out.
//!
//! ```text
//! data/
//!   monitoring/
//!     model_metrics.json  predictions_log.csv  drift_reports.json
//!     outcomes_log.csv    pipeline_status.json tmp/
//!   models/<version>/  training/  logs/  secrets/
//!   scorewatch.lock
//! ```

use std::path::{Path, PathBuf};

/// File name of the metrics history.
pub const MODEL_METRICS_FILE: &str = "model_metrics.json";
/// File name of the prediction log.
pub const PREDICTIONS_LOG_FILE: &str = "predictions_log.csv";
/// File name of the drift reports.
pub const DRIFT_REPORTS_FILE: &str = "drift_reports.json";
/// File name of the outcome log.
pub const OUTCOMES_LOG_FILE: &str = "outcomes_log.csv";
/// File name of the pipeline status.
pub const PIPELINE_STATUS_FILE: &str = "pipeline_status.json";
/// File name of the alert book (alerts and their webhook outbox).
pub const ALERTS_FILE: &str = "alerts.json";
/// File name of the lock that makes one process the owner of a data directory.
pub const LOCK_FILE: &str = "scorewatch.lock";

/// The paths of one data directory. Computing a path touches no file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataLayout {
    root: PathBuf,
}

impl DataLayout {
    /// The layout rooted at `root` (the guide's `data/`).
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `data/`.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `data/monitoring/`.
    #[must_use]
    pub fn monitoring_dir(&self) -> PathBuf {
        self.root.join("monitoring")
    }

    /// `data/monitoring/tmp/`: where atomic writes stage their files. It sits on the same
    /// file system as its targets, so the final rename is atomic.
    #[must_use]
    pub fn tmp_dir(&self) -> PathBuf {
        self.monitoring_dir().join("tmp")
    }

    /// `data/monitoring/model_metrics.json`.
    #[must_use]
    pub fn model_metrics(&self) -> PathBuf {
        self.monitoring_dir().join(MODEL_METRICS_FILE)
    }

    /// `data/monitoring/predictions_log.csv`.
    #[must_use]
    pub fn predictions_log(&self) -> PathBuf {
        self.monitoring_dir().join(PREDICTIONS_LOG_FILE)
    }

    /// `data/monitoring/drift_reports.json`.
    #[must_use]
    pub fn drift_reports(&self) -> PathBuf {
        self.monitoring_dir().join(DRIFT_REPORTS_FILE)
    }

    /// `data/monitoring/outcomes_log.csv`.
    #[must_use]
    pub fn outcomes_log(&self) -> PathBuf {
        self.monitoring_dir().join(OUTCOMES_LOG_FILE)
    }

    /// `data/monitoring/pipeline_status.json`.
    #[must_use]
    pub fn pipeline_status(&self) -> PathBuf {
        self.monitoring_dir().join(PIPELINE_STATUS_FILE)
    }

    /// `data/monitoring/alerts.json`.
    #[must_use]
    pub fn alerts(&self) -> PathBuf {
        self.monitoring_dir().join(ALERTS_FILE)
    }

    /// `data/models/`: one sub-directory per model version.
    #[must_use]
    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// `data/models/<version>/`. The caller must have validated `version` as a single
    /// path component.
    #[must_use]
    pub fn model_dir(&self, version: &str) -> PathBuf {
        self.models_dir().join(version)
    }

    /// `data/training/`: training data sets for the pipeline.
    #[must_use]
    pub fn training_dir(&self) -> PathBuf {
        self.root.join("training")
    }

    /// `data/logs/`: `api.log`, `dashboard.log`.
    #[must_use]
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// `data/secrets/`: API keys and other files that must not be world-readable.
    #[must_use]
    pub fn secrets_dir(&self) -> PathBuf {
        self.root.join("secrets")
    }

    /// `data/scorewatch.lock`.
    #[must_use]
    pub fn lock_file(&self) -> PathBuf {
        self.root.join(LOCK_FILE)
    }

    /// Every directory of the layout, parents before children.
    #[must_use]
    pub fn directories(&self) -> Vec<PathBuf> {
        vec![
            self.root.clone(),
            self.monitoring_dir(),
            self.tmp_dir(),
            self.models_dir(),
            self.training_dir(),
            self.logs_dir(),
            self.secrets_dir(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_the_monitoring_guide() {
        let layout = DataLayout::new("data");
        assert_eq!(
            layout.model_metrics(),
            Path::new("data/monitoring/model_metrics.json")
        );
        assert_eq!(
            layout.predictions_log(),
            Path::new("data/monitoring/predictions_log.csv")
        );
        assert_eq!(
            layout.drift_reports(),
            Path::new("data/monitoring/drift_reports.json")
        );
        assert_eq!(
            layout.outcomes_log(),
            Path::new("data/monitoring/outcomes_log.csv")
        );
        assert_eq!(
            layout.pipeline_status(),
            Path::new("data/monitoring/pipeline_status.json")
        );
        assert_eq!(layout.tmp_dir(), Path::new("data/monitoring/tmp"));
        assert_eq!(layout.model_dir("v1"), Path::new("data/models/v1"));
        assert_eq!(layout.training_dir(), Path::new("data/training"));
        assert_eq!(layout.logs_dir(), Path::new("data/logs"));
        assert_eq!(layout.secrets_dir(), Path::new("data/secrets"));
    }

    #[test]
    fn directories_list_parents_first() {
        let dirs = DataLayout::new("d").directories();
        for (i, dir) in dirs.iter().enumerate() {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                let at = dirs.iter().position(|d| d == parent);
                assert!(
                    at.is_some_and(|at| at < i),
                    "{dir:?} listed before {parent:?}"
                );
            }
        }
    }
}
