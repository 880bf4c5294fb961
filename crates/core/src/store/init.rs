//! Creating the data directory: what is missing is created, nothing existing is touched.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::drift_reports::DriftReportsDocument;
use super::json_file::empty_bytes;
use super::metrics_history::MetricsDocument;
use super::{DataLayout, FileOutcomeLog, FilePredictionLog, PipelineStatus, StoreError, atomic};

/// What `init` did with one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitAction {
    /// It did not exist and was created.
    Created,
    /// It existed and was left as it was.
    Kept,
}

/// One path of the layout and what `init` did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitEntry {
    /// The directory or file.
    pub path: PathBuf,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Created or kept.
    pub action: InitAction,
}

impl fmt::Display for InitEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.action {
            InitAction::Created => "created",
            InitAction::Kept => "kept   ",
        };
        let slash = if self.is_dir { "/" } else { "" };
        write!(f, "{action} {}{slash}", self.path.display())
    }
}

/// Everything `init` looked at, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InitReport {
    /// Directories first (parents before children), then files.
    pub entries: Vec<InitEntry>,
}

impl InitReport {
    /// How many paths were created.
    #[must_use]
    pub fn created(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.action == InitAction::Created)
            .count()
    }
}

/// Creates the directories and the empty monitoring files of `layout` that are missing.
/// Existing files are never opened for writing, so running it again changes no byte. New
/// files appear whole (staged in `tmp/`, then linked into place).
///
/// It takes no lock: it only adds what is missing, so it is safe beside a running server.
///
/// # Errors
/// [`StoreError::Io`] naming the path that could not be created (for example a directory
/// without write permission, or a file where a directory should be).
pub fn init(layout: &DataLayout) -> Result<InitReport, StoreError> {
    let mut report = InitReport::default();
    for dir in layout.directories() {
        let action = create_dir(&dir, dir == layout.root(), dir == layout.secrets_dir())?;
        report.entries.push(InitEntry {
            path: dir,
            is_dir: true,
            action,
        });
    }
    let tmp = layout.tmp_dir();
    let files = [
        (
            layout.model_metrics(),
            empty_bytes::<MetricsDocument>(&layout.model_metrics())?,
        ),
        (
            layout.predictions_log(),
            FilePredictionLog::empty_log_bytes(),
        ),
        (
            layout.drift_reports(),
            empty_bytes::<DriftReportsDocument>(&layout.drift_reports())?,
        ),
        (layout.outcomes_log(), FileOutcomeLog::empty_log_bytes()),
        (
            layout.pipeline_status(),
            empty_bytes::<PipelineStatus>(&layout.pipeline_status())?,
        ),
    ];
    for (path, bytes) in files {
        let action = if atomic::atomic_create_new(&tmp, &path, &bytes)? {
            InitAction::Created
        } else {
            InitAction::Kept
        };
        report.entries.push(InitEntry {
            path,
            is_dir: false,
            action,
        });
    }
    Ok(report)
}

fn create_dir(dir: &Path, is_root: bool, private: bool) -> Result<InitAction, StoreError> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(InitAction::Kept),
        Ok(_) => {
            return Err(StoreError::io(
                "create directory",
                dir,
                io::Error::new(io::ErrorKind::AlreadyExists, "a file of that name exists"),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::io("create directory", dir, e)),
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(is_root);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::DirBuilderExt;
        // API keys live here: owner only.
        builder.mode(0o700);
    }
    #[cfg(not(unix))]
    let _ = private;
    match builder.create(dir) {
        Ok(()) => Ok(InitAction::Created),
        // Created by a concurrent init between the check and here.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(InitAction::Kept),
        Err(e) => Err(StoreError::io("create directory", dir, e)),
    }
}
