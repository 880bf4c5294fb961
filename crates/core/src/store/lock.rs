//! One process owns a data directory: an exclusive lock on `data/scorewatch.lock`.
//!
//! The lock is an advisory `flock`-style lock ([`File::try_lock`]); the operating system
//! releases it when the holder exits, even after a crash, so a stale lock file never
//! blocks a restart. The file's content (the holder's pid) is informational only.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::StoreError;

/// The held lock on a data directory; dropping it releases the lock.
#[derive(Debug)]
pub struct DirLock {
    file: File,
}

impl DirLock {
    /// Takes the exclusive lock `lock_path` on the data directory `dir`, failing at once
    /// (never waiting) when someone else holds it.
    ///
    /// # Errors
    /// [`StoreError::Locked`] naming the directory and the lock file when it is held
    /// (also by another handle in this process), [`StoreError::Io`] when the lock file
    /// cannot be opened.
    pub fn acquire(dir: &Path, lock_path: &Path) -> Result<Self, StoreError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_path)
            .map_err(|e| StoreError::io("open lock file", lock_path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let holder = file
                    .read_to_string(&mut holder)
                    .ok()
                    .map(|_| holder.trim().to_owned())
                    .filter(|h| !h.is_empty());
                return Err(StoreError::Locked {
                    dir: dir.to_owned(),
                    lock: lock_path.to_owned(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(StoreError::io("lock", lock_path, e)),
        }
        // Tell a blocked second process who holds it; failure to write is harmless.
        let pid = format!("pid {}\n", std::process::id());
        let _ = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(pid.as_bytes()));
        Ok(Self { file })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it explicit.
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_in_same_process_fails_with_names() {
        let dir = tempfile::tempdir().unwrap();
        let lock_path = dir.path().join("scorewatch.lock");
        let first = DirLock::acquire(dir.path(), &lock_path).unwrap();
        let err = DirLock::acquire(dir.path(), &lock_path).unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
        assert!(message.contains("scorewatch.lock"), "{message}");
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        drop(first);
        DirLock::acquire(dir.path(), &lock_path).expect("lock released on drop");
    }
}
