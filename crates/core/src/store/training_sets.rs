//! Training data sets: the CSV files the pipeline trains on, kept by name. The file
//! backend keeps them in `data/training/`.

use std::fmt::Debug;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::StoreError;
use super::atomic::atomic_write_bytes;
use crate::model::sha256_hex;

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

/// What a listing says about one training set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingSetSummary {
    /// The set's name, as `training_file` of a pipeline run takes it.
    pub name: String,
    /// Data rows (the header not counted); absent when the file is not well-formed CSV.
    pub rows: Option<u64>,
    /// Size in bytes.
    pub bytes: u64,
    /// Lowercase hex sha256 of the bytes, as a run's data source records it.
    pub sha256: String,
    /// When the set was last written.
    #[serde(with = "time::serde::rfc3339")]
    pub modified: OffsetDateTime,
    /// Why the rows could not be counted (a set copied in by hand may be malformed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl TrainingSetSummary {
    /// Describes `bytes`, the content of the set `name` last written at `modified`.
    #[must_use]
    pub fn of(name: &TrainingSetName, bytes: &[u8], modified: OffsetDateTime) -> Self {
        let (rows, problem) = match count_csv_rows(bytes) {
            Ok(rows) => (Some(rows), None),
            Err(problem) => (None, Some(problem)),
        };
        Self {
            name: name.as_str().to_owned(),
            rows,
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            modified,
            problem,
        }
    }
}

/// Data rows of a CSV file with a header; quoted cells may hold line breaks.
fn count_csv_rows(bytes: &[u8]) -> Result<u64, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => rows += 1,
            Ok(false) => return Ok(rows),
            Err(err) => {
                let line = err.position().map_or(0, csv::Position::line);
                return Err(format!("line {line}: malformed csv: {err}"));
            }
        }
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

    /// Every set, by name. Reads each set once (for its rows and sha256).
    ///
    /// # Errors
    /// When the sets cannot be listed or one cannot be read.
    fn list(&self) -> Result<Vec<TrainingSetSummary>, StoreError>;
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

    fn list(&self) -> Result<Vec<TrainingSetSummary>, StoreError> {
        let io = |action, path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::Io {
                action,
                path,
                source,
            }
        };
        let mut sets = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io("list", &self.dir))? {
            let entry = entry.map_err(io("list", &self.dir))?;
            // Hidden files and names that are not valid set names (editor backups such as
            // `.a.csv.swp`) are not sets a run could name, so they are not listed.
            let Some(name) = entry
                .file_name()
                .to_str()
                .and_then(|n| TrainingSetName::parse(n).ok())
            else {
                continue;
            };
            let path = entry.path();
            let meta = entry.metadata().map_err(io("inspect", &path))?;
            if !meta.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(io("read", &path))?;
            let modified = meta
                .modified()
                .map_or(OffsetDateTime::UNIX_EPOCH, OffsetDateTime::from);
            sets.push(TrainingSetSummary::of(&name, &bytes, modified));
        }
        sets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(sets)
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

    #[test]
    fn a_listing_counts_rows_and_names_a_malformed_set() {
        let dir = tempfile::tempdir().unwrap();
        let training = dir.path().join("training");
        std::fs::create_dir_all(&training).unwrap();
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        let sets = FileTrainingSets::new(&training, dir.path().join("tmp"));
        // A quoted line break is one row, not two.
        let good = b"x,note,y\n1,\"two\nlines\",0\n2,plain,1\n";
        sets.write(&TrainingSetName::parse("good.csv").unwrap(), good)
            .unwrap();
        sets.write(
            &TrainingSetName::parse("bad.csv").unwrap(),
            b"x,y\n1,0\n1,0,7\n",
        )
        .unwrap();
        std::fs::write(training.join(".hidden.csv"), b"x\n1\n").unwrap();
        std::fs::create_dir(training.join("subdir")).unwrap();

        let listed = sets.list().unwrap();
        let names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["bad.csv", "good.csv"]);
        let good_summary = &listed[1];
        assert_eq!(good_summary.rows, Some(2));
        assert_eq!(good_summary.bytes, good.len() as u64);
        // printf 'x,note,y\n1,"two\nlines",0\n2,plain,1\n' | sha256sum
        assert_eq!(
            good_summary.sha256,
            "91e335290f1c4a7bb99f2afb235d303d70dff53525500ab6ae0518241abbbe34"
        );
        assert_eq!(good_summary.problem, None);
        let bad = &listed[0];
        assert_eq!(bad.rows, None);
        let problem = bad.problem.as_deref().unwrap();
        assert!(problem.starts_with("line 3: malformed csv"), "{problem}");
    }
}
