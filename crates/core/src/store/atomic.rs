//! Atomic file replacement: write into `tmp/`, fsync, rename over the target, fsync the
//! directory. A crash at any point leaves either the old or the new file whole, because
//! `rename(2)` within one file system replaces the directory entry in one step.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::StoreError;

/// The points of an atomic write at which a test can inject a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtomicStep {
    /// The temporary file is written and fsynced; the target is untouched.
    Written,
    /// The temporary file has replaced the target; the directory is not yet fsynced.
    Renamed,
}

/// Distinguishes temporary files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `bytes` atomically, staging the new content in `tmp_dir` (which
/// must be on the same file system as `path`).
///
/// # Errors
/// [`StoreError::Io`] naming the temporary file or the target. On error the target is
/// unchanged (or already whole and new, if only the final directory fsync failed) and the
/// temporary file is removed.
pub fn atomic_write_bytes(tmp_dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    atomic_write_bytes_with(tmp_dir, path, bytes, &mut |_| Ok(()))
}

/// Serialises `value` as pretty JSON (with a final newline) and replaces `path` with it
/// atomically, like [`atomic_write_bytes`].
///
/// # Errors
/// [`StoreError::Encode`] when `value` cannot be encoded, else as [`atomic_write_bytes`].
pub fn atomic_write_json<T: Serialize + ?Sized>(
    tmp_dir: &Path,
    path: &Path,
    kind: &'static str,
    value: &T,
) -> Result<(), StoreError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| StoreError::Encode {
        path: path.to_owned(),
        kind,
        source,
    })?;
    bytes.push(b'\n');
    atomic_write_bytes(tmp_dir, path, &bytes)
}

/// [`atomic_write_bytes`] with a hook called at each [`AtomicStep`]; an error from the
/// hook aborts the write at that point, as a crash or a full disk would. Tests use it to
/// show that the old file survives.
///
/// # Errors
/// As [`atomic_write_bytes`]; a hook error is reported as [`StoreError::Io`].
pub fn atomic_write_bytes_with(
    tmp_dir: &Path,
    path: &Path,
    bytes: &[u8],
    hook: &mut dyn FnMut(AtomicStep) -> io::Result<()>,
) -> Result<(), StoreError> {
    let tmp = stage(tmp_dir, path, bytes)?;
    let result = hook(AtomicStep::Written)
        .map_err(|e| StoreError::io("write", &tmp, e))
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| StoreError::io("rename", path, e)));
    if let Err(err) = result {
        // Best effort: a leftover is also removed when the store next opens.
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    hook(AtomicStep::Renamed).map_err(|e| StoreError::io("sync directory of", path, e))?;
    sync_parent(path)
}

/// Creates `path` with `bytes` only if it does not exist, never replacing an existing
/// file, and never leaving a partly written `path` behind (the content is staged and
/// fsynced in `tmp_dir`, then hard-linked into place, which fails if `path` exists).
///
/// Returns `false` (and changes nothing) when `path` already exists.
///
/// # Errors
/// [`StoreError::Io`] naming the temporary file or the target.
pub fn atomic_create_new(tmp_dir: &Path, path: &Path, bytes: &[u8]) -> Result<bool, StoreError> {
    if path.exists() {
        return Ok(false);
    }
    let tmp = stage(tmp_dir, path, bytes)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_parent(path)?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(StoreError::io("create", path, e)),
    }
}

/// Writes `bytes` into a new, fsynced temporary file in `tmp_dir` named after `path`.
fn stage(tmp_dir: &Path, path: &Path, bytes: &[u8]) -> Result<PathBuf, StoreError> {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    let tmp = tmp_dir.join(format!(
        "{name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(StoreError::io("write temporary file", tmp, e));
    }
    Ok(tmp)
}

/// Fsyncs the directory holding `path`, so that a rename or a new entry in it survives a
/// power loss.
pub(crate) fn sync_parent(path: &Path) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    sync_dir(dir)
}

/// Fsyncs a directory. Only Unix can open a directory for this; elsewhere the rename is
/// still atomic and durability is left to the file system.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io("sync directory", dir, e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Removes every file left in `tmp_dir` by an interrupted write and returns how many.
/// Only the owner of the directory lock may call this: another writer's staged file would
/// be removed too.
///
/// # Errors
/// [`StoreError::Io`] naming the directory or the file that could not be removed.
pub fn clean_tmp(tmp_dir: &Path) -> Result<usize, StoreError> {
    let entries = fs::read_dir(tmp_dir).map_err(|e| StoreError::io("list", tmp_dir, e))?;
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("list", tmp_dir, e))?;
        let path = entry.path();
        let is_file = entry
            .file_type()
            .map_err(|e| StoreError::io("inspect", &path, e))?
            .is_file();
        if is_file {
            fs::remove_file(&path).map_err(|e| StoreError::io("remove leftover", &path, e))?;
            tracing::warn!(path = %path.display(), "removed a leftover temporary file of an interrupted write");
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        fs::create_dir(&tmp).unwrap();
        let target = dir.path().join("doc.json");
        (dir, tmp, target)
    }

    fn tmp_is_empty(tmp: &Path) -> bool {
        fs::read_dir(tmp).unwrap().next().is_none()
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let (_dir, tmp, target) = setup();
        fs::write(&target, b"old").unwrap();
        atomic_write_bytes(&tmp, &target, b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert!(tmp_is_empty(&tmp));
    }

    #[test]
    fn failure_between_write_and_rename_leaves_old_file_intact() {
        let (_dir, tmp, target) = setup();
        fs::write(&target, b"{\"old\":true}\n").unwrap();
        let err = atomic_write_bytes_with(&tmp, &target, b"{\"new\":true}\n", &mut |step| {
            if step == AtomicStep::Written {
                Err(io::Error::other("injected crash before rename"))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(cause.as_deref(), Some("injected crash before rename"));
        assert_eq!(fs::read(&target).unwrap(), b"{\"old\":true}\n");
        assert!(tmp_is_empty(&tmp), "temporary file not cleaned up");
    }

    #[test]
    fn failure_after_rename_leaves_new_file_whole() {
        let (_dir, tmp, target) = setup();
        fs::write(&target, b"old").unwrap();
        let result = atomic_write_bytes_with(&tmp, &target, b"new", &mut |step| {
            if step == AtomicStep::Renamed {
                Err(io::Error::other("injected crash after rename"))
            } else {
                Ok(())
            }
        });
        assert!(result.is_err());
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn json_ends_with_newline() {
        let (_dir, tmp, target) = setup();
        atomic_write_json(&tmp, &target, "test document", &serde_json::json!({"a": 1})).unwrap();
        let text = fs::read_to_string(&target).unwrap();
        assert!(text.ends_with("}\n"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap()["a"],
            1
        );
    }

    #[test]
    fn create_new_never_replaces() {
        let (_dir, tmp, target) = setup();
        assert!(atomic_create_new(&tmp, &target, b"first").unwrap());
        assert!(!atomic_create_new(&tmp, &target, b"second").unwrap());
        assert_eq!(fs::read(&target).unwrap(), b"first");
        assert!(tmp_is_empty(&tmp));
    }

    #[test]
    fn clean_tmp_removes_leftovers() {
        let (_dir, tmp, _target) = setup();
        fs::write(tmp.join("x.tmp"), b"partial").unwrap();
        fs::write(tmp.join("y.tmp"), b"partial").unwrap();
        assert_eq!(clean_tmp(&tmp).unwrap(), 2);
        assert!(tmp_is_empty(&tmp));
    }
}
