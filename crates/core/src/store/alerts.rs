//! `alerts.json`: the alert book, alerts and the webhook outbox in one document, so
//! that an alert's change and the notifications it queues are written together.

use std::fmt::Debug;
use std::path::Path;

use super::StoreError;
use super::json_file::{JsonDocument, JsonFile};
use crate::records::{AlertBook, AlertState};

/// Resolved alerts kept in `alerts.json` unless configured otherwise; firing ones and
/// those with notifications still in the outbox are always kept.
pub const DEFAULT_ALERTS_RETENTION: usize = 500;

/// The version of `alerts.json` this build reads and writes.
pub const ALERTS_SCHEMA_VERSION: u32 = 1;

impl JsonDocument for AlertBook {
    const KIND: &'static str = "alert book";
    const SCHEMA_VERSION: u32 = ALERTS_SCHEMA_VERSION;
    fn empty() -> Self {
        Self {
            schema_version: ALERTS_SCHEMA_VERSION,
            alerts: Vec::new(),
            outbox: Vec::new(),
        }
    }
}

/// The alert book, whatever stores it.
///
/// Every change is a read-modify-write of the whole book under one lock, so that the
/// evaluation, an acknowledgement and the delivery worker never lose each other's
/// changes. A database backend implements [`AlertStore::update`] as one transaction
/// (`SELECT ... FOR UPDATE`, apply, write back).
pub trait AlertStore: Send + Sync + Debug {
    /// The stored book.
    ///
    /// # Errors
    /// When the backend cannot be read.
    fn load(&self) -> Result<AlertBook, StoreError>;

    /// Applies `change` to the book and stores the result, unless `change` left it as
    /// it was. Old resolved alerts beyond the retention are dropped. Returns whether
    /// anything was written.
    ///
    /// # Errors
    /// When it cannot be stored; the stored book is then unchanged.
    fn update(&self, change: &mut dyn FnMut(&mut AlertBook)) -> Result<bool, StoreError>;
}

/// [`AlertStore`] in `data/monitoring/alerts.json`, created by the first write.
#[derive(Debug)]
pub struct FileAlertStore {
    file: JsonFile<AlertBook>,
    retention: usize,
}

impl FileAlertStore {
    /// Loads and checks `path` (a missing file is an empty book); keeps at most
    /// `retention` resolved alerts.
    ///
    /// # Errors
    /// [`StoreError::Json`] or [`StoreError::SchemaVersion`] naming the file.
    pub fn open(path: &Path, tmp_dir: &Path, retention: usize) -> Result<Self, StoreError> {
        Ok(Self {
            file: JsonFile::open_or_empty(path, tmp_dir)?,
            retention,
        })
    }
}

impl AlertStore for FileAlertStore {
    fn load(&self) -> Result<AlertBook, StoreError> {
        Ok(self.file.read(Clone::clone))
    }

    fn update(&self, change: &mut dyn FnMut(&mut AlertBook)) -> Result<bool, StoreError> {
        self.file.update_if_changed(|book| {
            change(book);
            book.schema_version = ALERTS_SCHEMA_VERSION;
            trim_resolved(book, self.retention);
        })
    }
}

/// Drops the oldest resolved alerts beyond `retention`, never one that still has a
/// notification in the outbox. Every backend applies it on write, so that they bound the
/// book alike.
pub fn trim_resolved(book: &mut AlertBook, retention: usize) {
    let droppable = |book: &AlertBook, i: usize| {
        let alert = &book.alerts[i];
        alert.state == AlertState::Resolved && !book.outbox.iter().any(|n| n.alert_id == alert.id)
    };
    let resolved = book
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Resolved)
        .count();
    let mut excess = resolved.saturating_sub(retention);
    let mut keep = Vec::with_capacity(book.alerts.len());
    for i in 0..book.alerts.len() {
        if excess > 0 && droppable(book, i) {
            excess -= 1;
            keep.push(false);
        } else {
            keep.push(true);
        }
    }
    let mut flags = keep.into_iter();
    book.alerts.retain(|_| flags.next().unwrap_or(true));
}
