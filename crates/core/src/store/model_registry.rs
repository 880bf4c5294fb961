//! Model versions on disk: `data/models/<version>/model.json`, the drift reference
//! profile beside it, and the `current` pointer.

use std::fs;
use std::path::{Path, PathBuf};

use super::StoreError;
use super::atomic::atomic_write_bytes;
use super::layout::DataLayout;
use super::models::ModelStore;
use crate::drift::{DriftError, ReferenceProfile};
use crate::model::{
    InvalidModel, InvalidModelVersion, MODEL_FORMAT_VERSION, Model, ModelArtifact, ModelVersion,
    Promotion, PromotionPolicy, decide_promotion, replaces_broken,
};

/// File name of the artifact inside a version directory.
pub const MODEL_FILE: &str = "model.json";
/// File name of the drift reference profile inside a version directory.
pub const PROFILE_FILE: &str = "reference_profile.json";
/// File in `data/models/` holding the current version's name.
pub const CURRENT_FILE: &str = "current";

/// Errors of the model registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A file could not be read or written.
    #[error("{path}: {action} failed")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A model file is not valid JSON of the artifact.
    #[error("{path}: not a valid model artifact")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A model file parses, but its parts do not fit together (the source names the
    /// field).
    #[error("{path}: invalid model")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        #[source]
        source: InvalidModel,
    },
    /// A reference profile is not valid JSON of a profile (or could not be encoded).
    #[error("{path}: not a valid reference profile")]
    ProfileParse {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A reference profile parses, but its parts do not fit together.
    #[error("{path}: invalid reference profile")]
    InvalidProfile {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        #[source]
        source: DriftError,
    },
    /// A trained model was refused before anything of it was written.
    #[error("model {version} is not published: it is invalid")]
    Unpublishable {
        /// Its version.
        version: ModelVersion,
        /// What does not fit.
        #[source]
        source: InvalidModel,
    },
    /// The `current` pointer holds an invalid name.
    #[error("{path}: invalid current pointer")]
    BadPointer {
        /// The pointer file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: InvalidModelVersion,
    },
    /// An atomic write failed.
    #[error("writing the model version failed")]
    Store(#[source] StoreError),
    /// The version directory already exists.
    #[error("model version {0} already exists")]
    Exists(ModelVersion),
}

/// Parses and validates the bytes of a `model.json` read from `path`.
///
/// A file of another format version is reported as such even when it does not parse as
/// this version's artifact, which is the likely case.
///
/// # Errors
/// [`RegistryError::Parse`], [`RegistryError::Invalid`], both naming `path`.
fn parse_model(path: &Path, bytes: &[u8]) -> Result<Model, RegistryError> {
    #[derive(serde::Deserialize)]
    struct FormatProbe {
        format_version: u32,
    }
    let invalid = |source| RegistryError::Invalid {
        path: path.to_owned(),
        source,
    };
    let artifact: ModelArtifact = match serde_json::from_slice(bytes) {
        Ok(artifact) => artifact,
        Err(source) => {
            return Err(match serde_json::from_slice::<FormatProbe>(bytes) {
                Ok(probe) if probe.format_version != MODEL_FORMAT_VERSION => {
                    invalid(InvalidModel::FormatVersion {
                        found: probe.format_version,
                    })
                }
                _ => RegistryError::Parse {
                    path: path.to_owned(),
                    source,
                },
            });
        }
    };
    Model::new(artifact).map_err(invalid)
}

/// The models directory (`data/models/`).
#[derive(Debug, Clone)]
pub struct ModelRegistry {
    dir: PathBuf,
    tmp_dir: PathBuf,
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> RegistryError {
    let path = path.to_owned();
    move |source| RegistryError::Io {
        path,
        action,
        source,
    }
}

fn write_atomic(tmp_dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    atomic_write_bytes(tmp_dir, path, bytes).map_err(RegistryError::Store)
}

/// The promotion decision for a candidate of `candidate_auc` against the current model
/// `version` as its store loaded it (`loaded`: its validation AUC). Compared by AUC when
/// it loads; replaced when its stored form does not parse or validate (it never will, so
/// training again repairs it); any other error (the disk or the database may come back)
/// is returned. Every model store decides so: the file registry and the PostgreSQL one.
///
/// # Errors
/// `loaded`'s error when it is neither [`RegistryError::Parse`] nor
/// [`RegistryError::Invalid`].
pub fn decide_against_current(
    candidate_auc: Option<f64>,
    version: &ModelVersion,
    loaded: Result<Option<f64>, RegistryError>,
    policy: &PromotionPolicy,
) -> Result<Promotion, RegistryError> {
    match loaded {
        Ok(current_auc) => Ok(decide_promotion(
            candidate_auc,
            Some((version, current_auc)),
            policy,
        )),
        Err(RegistryError::Parse { source, .. }) => {
            Ok(replaces_broken(version, &source.to_string()))
        }
        Err(RegistryError::Invalid { source, .. }) => {
            Ok(replaces_broken(version, &source.to_string()))
        }
        Err(err) => Err(err),
    }
}

impl ModelRegistry {
    /// The registry in `dir` (normally `data/models`), staging atomic writes in
    /// `tmp_dir` (normally `data/monitoring/tmp`, on the same file system).
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>, tmp_dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            tmp_dir: tmp_dir.into(),
        }
    }

    /// The registry of a data directory.
    #[must_use]
    pub fn for_layout(layout: &DataLayout) -> Self {
        Self::new(layout.models_dir(), layout.tmp_dir())
    }

    /// The directory of `version`.
    #[must_use]
    pub fn version_dir(&self, version: &ModelVersion) -> PathBuf {
        self.dir.join(version.as_str())
    }
}

impl ModelStore for ModelRegistry {
    /// The current version, `None` before the first promotion.
    ///
    /// # Errors
    /// [`RegistryError::Io`], [`RegistryError::BadPointer`].
    fn current_version(&self) -> Result<Option<ModelVersion>, RegistryError> {
        let path = self.dir.join(CURRENT_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|source| RegistryError::BadPointer { path, source }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io_err(&path, "read")(err)),
        }
    }

    /// Reads, parses and validates the model of `version`.
    ///
    /// # Errors
    /// [`RegistryError::Io`], [`RegistryError::Parse`], [`RegistryError::Invalid`]; each
    /// names the file.
    fn load(&self, version: &ModelVersion) -> Result<Model, RegistryError> {
        let path = self.version_dir(version).join(MODEL_FILE);
        let bytes = fs::read(&path).map_err(io_err(&path, "read"))?;
        parse_model(&path, &bytes)
    }

    /// Reads, parses and validates `reference_profile.json` of `version`.
    ///
    /// # Errors
    /// [`RegistryError::Io`], [`RegistryError::ProfileParse`],
    /// [`RegistryError::InvalidProfile`]; each names the file.
    fn load_profile(
        &self,
        version: &ModelVersion,
    ) -> Result<Option<ReferenceProfile>, RegistryError> {
        let path = self.version_dir(version).join(PROFILE_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(io_err(&path, "read")(err)),
        };
        let profile: ReferenceProfile =
            serde_json::from_slice(&bytes).map_err(|source| RegistryError::ProfileParse {
                path: path.clone(),
                source,
            })?;
        profile
            .validate()
            .map_err(|source| RegistryError::InvalidProfile { path, source })?;
        Ok(Some(profile))
    }

    /// Version directories present, oldest name first.
    ///
    /// # Errors
    /// [`RegistryError::Io`].
    fn versions(&self) -> Result<Vec<ModelVersion>, RegistryError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(io_err(&self.dir, "list")(err)),
        };
        let mut versions: Vec<ModelVersion> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().join(MODEL_FILE).is_file())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .collect();
        versions.sort();
        Ok(versions)
    }

    /// Validates `artifact`, decides promotion against the current model, writes the
    /// version directory (`model.json` with the decision, and `profile` as the reference
    /// profile), then, when promoted, replaces the `current` pointer atomically.
    ///
    /// A current model whose file does not parse or validate is replaced whatever the
    /// policy says (it could never be served), so that training again repairs it.
    ///
    /// # Errors
    /// [`RegistryError::Unpublishable`] for an invalid `artifact`, before anything is
    /// written; other [`RegistryError`]s; on error the current pointer is unchanged.
    fn publish(
        &self,
        mut artifact: ModelArtifact,
        profile: Option<&ReferenceProfile>,
        policy: &PromotionPolicy,
    ) -> Result<ModelArtifact, RegistryError> {
        artifact
            .validate()
            .map_err(|source| RegistryError::Unpublishable {
                version: artifact.version.clone(),
                source,
            })?;
        let promotion = match self.current_version()? {
            None => decide_promotion(artifact.validation_metrics.roc_auc, None, policy),
            Some(version) => decide_against_current(
                artifact.validation_metrics.roc_auc,
                &version,
                self.load(&version)
                    .map(|current| current.artifact().validation_metrics.roc_auc),
                policy,
            )?,
        };
        artifact.promotion = Some(promotion.clone());
        let dir = self.version_dir(&artifact.version);
        if dir.exists() {
            return Err(RegistryError::Exists(artifact.version.clone()));
        }
        fs::create_dir_all(&dir).map_err(io_err(&dir, "create directory"))?;
        fs::create_dir_all(&self.tmp_dir).map_err(io_err(&self.tmp_dir, "create directory"))?;
        if let Some(profile) = profile {
            let path = dir.join(PROFILE_FILE);
            let json = serde_json::to_vec_pretty(profile).map_err(|source| {
                RegistryError::ProfileParse {
                    path: path.clone(),
                    source,
                }
            })?;
            write_atomic(&self.tmp_dir, &path, &json)?;
        }
        let json = serde_json::to_vec_pretty(&artifact).map_err(|source| RegistryError::Parse {
            path: dir.join(MODEL_FILE),
            source,
        })?;
        write_atomic(&self.tmp_dir, &dir.join(MODEL_FILE), &json)?;
        if promotion.promoted {
            write_atomic(
                &self.tmp_dir,
                &self.dir.join(CURRENT_FILE),
                format!("{}\n", artifact.version).as_bytes(),
            )?;
        }
        Ok(artifact)
    }
}
