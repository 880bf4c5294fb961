//! Training data sets: the CSV files the pipeline trains on, kept by name. The file
//! backend keeps them in `data/training/`.

use std::fmt::Debug;
use std::path::{Component, Path, PathBuf};

use super::StoreError;
use super::atomic::atomic_write_bytes;

/// The name of a training data set: a plain file name (`applications.csv`), never a path,
/// so that no request can reach outside the training sets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrainingSetName(String);

/// A training set name that is not a plain file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("training file '{0}' must be a plain file name inside data/training/")]
pub struct InvalidTrainingSetName(pub String);

impl TrainingSetName {
    /// Checks that `name` is a plain file name: one path component, no separator, not
    /// hidden.
    ///
    /// # Errors
    /// [`InvalidTrainingSetName`] naming it.
    pub fn parse(name: &str) -> Result<Self, InvalidTrainingSetName> {
        let mut components = Path::new(name).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(_)), None)
                if !name.contains(['/', '\\']) && !name.starts_with('.') =>
            {
                Ok(Self(name.to_owned()))
            }
            _ => Err(InvalidTrainingSetName(name.to_owned())),
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TrainingSetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The training data sets. Calls block, as every store trait's.
pub trait TrainingSets: Send + Sync + Debug {
    /// Where `name` is kept, for messages (`data/training/applications.csv`).
    fn location(&self, name: &TrainingSetName) -> PathBuf;

    /// Whether the set exists.
    ///
    /// # Errors
    /// When the backend cannot tell.
    fn exists(&self, name: &TrainingSetName) -> Result<bool, StoreError>;

    /// The set's bytes (a CSV file).
    ///
    /// # Errors
    /// When it does not exist or cannot be read; the error names the set.
    fn read(&self, name: &TrainingSetName) -> Result<Vec<u8>, StoreError>;

    /// Replaces or creates the set, atomically: a reader sees the old bytes or the new
    /// ones, never a part.
    ///
    /// # Errors
    /// When it cannot be written; the old set is then unchanged.
    fn write(&self, name: &TrainingSetName, bytes: &[u8]) -> Result<(), StoreError>;
}

/// Training sets as files of one directory.
#[derive(Debug, Clone)]
pub struct FileTrainingSets {
    dir: PathBuf,
    tmp_dir: PathBuf,
}

impl FileTrainingSets {
    /// The sets in `dir` (normally `data/training`), staging writes in `tmp_dir`.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>, tmp_dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            tmp_dir: tmp_dir.into(),
        }
    }
}

impl TrainingSets for FileTrainingSets {
    fn location(&self, name: &TrainingSetName) -> PathBuf {
        self.dir.join(name.as_str())
    }

    fn exists(&self, name: &TrainingSetName) -> Result<bool, StoreError> {
        let path = self.location(name);
        match std::fs::metadata(&path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(StoreError::Io {
                action: "inspect",
                path,
                source,
            }),
        }
    }

    fn read(&self, name: &TrainingSetName) -> Result<Vec<u8>, StoreError> {
        let path = self.location(name);
        std::fs::read(&path).map_err(|source| StoreError::Io {
            action: "read",
            path,
            source,
        })
    }

    fn write(&self, name: &TrainingSetName, bytes: &[u8]) -> Result<(), StoreError> {
        atomic_write_bytes(&self.tmp_dir, &self.location(name), bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_are_training_set_names() {
        assert_eq!(
            TrainingSetName::parse("applications.csv").unwrap().as_str(),
            "applications.csv"
        );
        for bad in [
            "",
            ".",
            "..",
            ".hidden.csv",
            "../secrets/api_key",
            "a/b.csv",
            "a\\b.csv",
            "/etc/passwd",
        ] {
            assert_eq!(
                TrainingSetName::parse(bad),
                Err(InvalidTrainingSetName(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_written_set_reads_back_and_a_missing_one_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let sets = FileTrainingSets::new(dir.path().join("training"), dir.path().join("tmp"));
        std::fs::create_dir_all(dir.path().join("training")).unwrap();
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        let name = TrainingSetName::parse("a.csv").unwrap();
        assert!(!sets.exists(&name).unwrap());
        let err = sets.read(&name).unwrap_err();
        assert!(err.to_string().contains("a.csv"), "{err}");
        sets.write(&name, b"x,y\n1,0\n").unwrap();
        assert!(sets.exists(&name).unwrap());
        assert_eq!(sets.read(&name).unwrap(), b"x,y\n1,0\n");
    }
}
