//! Typed JSON documents that carry a `schema_version`, replaced atomically.
//!
//! A document is read once at open and kept in memory: the directory lock makes this
//! process the only writer, so the copy in memory is the file's content. A file that does
//! not parse, or carries another `schema_version`, fails the open with its name, line and
//! column, and is never written over.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{StoreError, atomic};

/// A kind of JSON document in the data directory.
pub(crate) trait JsonDocument: Serialize + DeserializeOwned + Clone + Send {
    /// What the file holds, for messages (`metrics history`).
    const KIND: &'static str;
    /// The `schema_version` this build reads and writes.
    const SCHEMA_VERSION: u32;
    /// The document `init` writes.
    fn empty() -> Self;
}

/// Only the version, so that a file of another version is reported as such rather than
/// as a shape error.
#[derive(serde::Deserialize)]
struct VersionProbe {
    schema_version: Option<serde_json::Value>,
}

/// Reads and checks the document at `path`.
pub(crate) fn load<T: JsonDocument>(path: &Path) -> Result<T, StoreError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(StoreError::Missing {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(StoreError::io("read", path, e)),
    };
    let json_error = |source: serde_json::Error| StoreError::Json {
        path: path.to_owned(),
        kind: T::KIND,
        line: source.line(),
        column: source.column(),
        source,
    };
    let probe: VersionProbe = serde_json::from_slice(&bytes).map_err(json_error)?;
    let found = probe
        .schema_version
        .as_ref()
        .and_then(serde_json::Value::as_u64);
    if found != Some(u64::from(T::SCHEMA_VERSION)) {
        return Err(StoreError::SchemaVersion {
            path: path.to_owned(),
            found,
            supported: T::SCHEMA_VERSION,
        });
    }
    serde_json::from_slice(&bytes).map_err(json_error)
}

/// The bytes of a new document as `init` writes it.
pub(crate) fn empty_bytes<T: JsonDocument>(path: &Path) -> Result<Vec<u8>, StoreError> {
    let mut bytes =
        serde_json::to_vec_pretty(&T::empty()).map_err(|source| StoreError::Encode {
            path: path.to_owned(),
            kind: T::KIND,
            source,
        })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// One JSON document, its in-memory copy and where to stage replacements.
#[derive(Debug)]
pub(crate) struct JsonFile<T> {
    path: PathBuf,
    tmp_dir: PathBuf,
    doc: Mutex<T>,
}

impl<T: JsonDocument> JsonFile<T> {
    /// Loads and checks the document at `path`.
    pub(crate) fn open(path: &Path, tmp_dir: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            doc: Mutex::new(load(path)?),
            path: path.to_owned(),
            tmp_dir: tmp_dir.to_owned(),
        })
    }

    /// Loads and checks the document at `path`, or starts from [`JsonDocument::empty`]
    /// when there is no file yet (a document added after `init` first ran: the file
    /// appears with the first write).
    pub(crate) fn open_or_empty(path: &Path, tmp_dir: &Path) -> Result<Self, StoreError> {
        let doc = match load(path) {
            Ok(doc) => doc,
            Err(StoreError::Missing { .. }) => T::empty(),
            Err(err) => return Err(err),
        };
        Ok(Self {
            doc: Mutex::new(doc),
            path: path.to_owned(),
            tmp_dir: tmp_dir.to_owned(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, T> {
        self.doc.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the document.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.lock())
    }

    /// As [`JsonFile::update`], but writes nothing when `f` leaves the document as it
    /// was, so that an evaluation that changes nothing never touches the disk.
    pub(crate) fn update_if_changed(&self, f: impl FnOnce(&mut T)) -> Result<bool, StoreError>
    where
        T: PartialEq,
    {
        let mut doc = self.lock();
        let mut next = doc.clone();
        f(&mut next);
        if next == *doc {
            return Ok(false);
        }
        atomic::atomic_write_json(&self.tmp_dir, &self.path, T::KIND, &next)?;
        *doc = next;
        Ok(true)
    }

    /// Changes a copy of the document, writes it atomically, then keeps it. When the
    /// write fails the file and the copy in memory both stay as they were.
    pub(crate) fn update(&self, f: impl FnOnce(&mut T)) -> Result<(), StoreError> {
        let mut doc = self.lock();
        let mut next = doc.clone();
        f(&mut next);
        atomic::atomic_write_json(&self.tmp_dir, &self.path, T::KIND, &next)?;
        *doc = next;
        Ok(())
    }
}
