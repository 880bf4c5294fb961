//! Append-only CSV logs with a fixed header.
//!
//! Guarantees:
//! - Rows from many threads never interleave: an append encodes its rows first, then
//!   writes them with one `write_all` under a mutex, on a file opened with `O_APPEND`.
//! - A row is in the operating system before the append returns, so it survives a killed
//!   process; [`FsyncPolicy`] decides when it also survives a power loss.
//! - Readers only see bytes of complete appends (`committed`), never a half-written row.
//! - A torn last line left by a crash is cut back at open; nothing else is rewritten.
//!   A [`ReadOnlyLog`] (an archive) is never written at all: its torn line is only
//!   skipped by the readers.
//! - Reading the newest rows seeks from the end in chunks: the cost grows with the rows
//!   read, not with the size of the file.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use csv::StringRecord;

use super::StoreError;

/// How many bytes a backward read fetches at a time.
const TAIL_CHUNK: usize = 64 * 1024;
/// The longest header the store accepts; a longer first line is not one of its logs.
const MAX_HEADER_BYTES: usize = 1024 * 1024;

/// When appended rows are fsynced, as Redis' `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// After every append, before it returns: nothing acknowledged is lost on power loss,
    /// at the cost of one fsync per append.
    Always,
    /// In the background at most this often (default 1 s): a power loss loses at most
    /// about one interval of rows; a killed process loses nothing.
    Interval(Duration),
    /// Never explicitly; the operating system writes back when it likes.
    Never,
}

impl FsyncPolicy {
    /// The default interval of [`FsyncPolicy::Interval`].
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
}

impl Default for FsyncPolicy {
    fn default() -> Self {
        Self::Interval(Self::DEFAULT_INTERVAL)
    }
}

impl FromStr for FsyncPolicy {
    type Err = String;

    /// Parses `always`, `never`, `interval` (1 s) or `interval:<milliseconds>`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(Self::Always),
            "never" => Ok(Self::Never),
            "interval" => Ok(Self::default()),
            other => other
                .strip_prefix("interval:")
                .and_then(|ms| ms.parse::<u64>().ok())
                .filter(|&ms| ms > 0)
                .map(|ms| Self::Interval(Duration::from_millis(ms)))
                .ok_or_else(|| {
                    format!(
                        "unknown fsync policy {other:?}; expected always, interval, interval:<ms> or never"
                    )
                }),
        }
    }
}

/// Encodes rows for one [`CsvLog::append`]: standard CSV quoting, `\n` line ends.
#[derive(Debug)]
pub struct RowEncoder {
    writer: csv::Writer<Vec<u8>>,
    rows: usize,
}

impl Default for RowEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl RowEncoder {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .flexible(true)
                .from_writer(Vec::with_capacity(256)),
            rows: 0,
        }
    }

    /// Adds one row. Fields may hold commas and quotes but no line break, because the
    /// log is read line by line from its end.
    ///
    /// # Errors
    /// The index of the first field holding `\n` or `\r`, with nothing added. (Index 0
    /// would also report a failure of the CSV writer, which cannot happen in memory.)
    pub fn push<I, F>(&mut self, fields: I) -> Result<(), usize>
    where
        I: IntoIterator<Item = F> + Clone,
        F: AsRef<[u8]>,
    {
        if let Some(at) = fields
            .clone()
            .into_iter()
            .position(|f| f.as_ref().iter().any(|&b| b == b'\n' || b == b'\r'))
        {
            return Err(at);
        }
        self.writer.write_record(fields).map_err(|_| 0usize)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows added so far.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The encoded rows.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        // Flushing into a Vec cannot fail.
        self.writer.into_inner().unwrap_or_default()
    }
}

/// What opening a log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Bytes of a torn last line that were cut off (0 when the log was whole).
    pub dropped_bytes: u64,
}

/// The append side, behind the log's mutex.
#[derive(Debug)]
struct Appender {
    file: File,
    len: u64,
}

/// One append-only CSV file with a fixed header.
#[derive(Debug)]
pub struct CsvLog {
    path: PathBuf,
    header: Vec<String>,
    header_len: u64,
    policy: FsyncPolicy,
    appender: Mutex<Appender>,
    /// A second handle on the same file so that background fsyncs never hold the
    /// append mutex.
    sync_handle: File,
    /// Bytes of complete appends; readers stop here.
    committed: AtomicU64,
    /// Rows written since the last fsync.
    dirty: AtomicBool,
}

impl CsvLog {
    /// The bytes of a log holding only `header`.
    #[must_use]
    pub fn header_bytes(header: &[&str]) -> Vec<u8> {
        let mut encoder = RowEncoder::new();
        // Header names are compile-time constants or schema names without line breaks;
        // a name with one would only be quoted wrongly, never torn.
        let _ = encoder.push(header.iter().map(|h| h.as_bytes()));
        encoder.into_bytes()
    }

    /// Opens the log at `path`, checks its header with `accept` (which gets the header's
    /// fields and says whether the store can use them; `expected` describes the header
    /// for the error message), and cuts back a torn last line.
    ///
    /// A file whose header is rejected is not modified.
    ///
    /// # Errors
    /// [`StoreError::Missing`], [`StoreError::CsvHeader`], or [`StoreError::Io`] naming
    /// the file.
    pub fn open(
        path: &Path,
        policy: FsyncPolicy,
        expected: &str,
        accept: &dyn Fn(&[String]) -> bool,
    ) -> Result<(Self, OpenReport), StoreError> {
        let Opened {
            file,
            len,
            header,
            header_len,
            complete: kept,
        } = open_checked(
            path,
            OpenOptions::new().read(true).append(true),
            expected,
            accept,
        )?;
        let dropped_bytes = len - kept;
        if dropped_bytes > 0 {
            file.set_len(kept)
                .and_then(|()| file.sync_data())
                .map_err(|e| StoreError::io("cut back the torn last line of", path, e))?;
            tracing::warn!(
                path = %path.display(),
                dropped_bytes,
                "cut back a torn last line left by an interrupted append ({dropped_bytes} bytes dropped)"
            );
        }
        let sync_handle = file
            .try_clone()
            .map_err(|e| StoreError::io("open", path, e))?;
        Ok((
            Self {
                path: path.to_owned(),
                header,
                header_len,
                policy,
                appender: Mutex::new(Appender { file, len: kept }),
                sync_handle,
                committed: AtomicU64::new(kept),
                dirty: AtomicBool::new(false),
            },
            OpenReport { dropped_bytes },
        ))
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header's fields.
    #[must_use]
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Whether the log holds no row.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.committed.load(Ordering::Acquire) <= self.header_len
    }

    /// Appends the rows of `encoder` with one write, then fsyncs if the policy is
    /// [`FsyncPolicy::Always`].
    ///
    /// # Errors
    /// [`StoreError::Io`] naming the file. A write that fails part-way (a full disk) is
    /// cut back to the last whole row, and later appends work again once the cause is
    /// gone. Only if the file cannot be cut back either is the partial row left for the
    /// next open to remove; later appends are refused until then, because a row after
    /// the fragment would be glued to it.
    pub fn append(&self, encoder: RowEncoder) -> Result<(), StoreError> {
        if encoder.rows() == 0 {
            return Ok(());
        }
        let bytes = encoder.into_bytes();
        let mut appender = self
            .appender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let expected_len = self.committed.load(Ordering::Acquire);
        if appender.len != expected_len {
            return Err(StoreError::io(
                "append to",
                &self.path,
                io::Error::other(
                    "an earlier append failed part-way; reopen the store to repair the log",
                ),
            ));
        }
        if let Err(e) = appender.file.write_all(&bytes) {
            // A full disk can take part of the rows before refusing the rest. Cut the
            // fragment off so that the file keeps only whole rows and appends resume
            // once space returns; if even that fails, poison the length so that no later
            // row is glued onto the fragment (the next open cuts it back).
            if !cut_back(&appender.file, expected_len) {
                appender.len = u64::MAX;
            }
            return Err(StoreError::io("append to", &self.path, e));
        }
        appender.len += bytes.len() as u64;
        // The rows are whole in the file now, whatever the fsync below says.
        self.committed.store(appender.len, Ordering::Release);
        if self.policy == FsyncPolicy::Always {
            appender
                .file
                .sync_data()
                .map_err(|e| StoreError::io("fsync", &self.path, e))?;
        } else {
            self.dirty.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Fsyncs the file if rows were appended since the last fsync (the background flusher
    /// of [`FsyncPolicy::Interval`] calls this).
    ///
    /// # Errors
    /// [`StoreError::Io`] naming the file.
    pub fn sync_if_dirty(&self) -> Result<(), StoreError> {
        if self.dirty.swap(false, Ordering::AcqRel)
            && let Err(e) = self.sync_handle.sync_data()
        {
            self.dirty.store(true, Ordering::Release);
            return Err(StoreError::io("fsync", &self.path, e));
        }
        Ok(())
    }

    /// Rows from newest to oldest, read backwards from the end in chunks.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file cannot be opened.
    pub fn newest_first(&self) -> Result<NewestFirst, StoreError> {
        NewestFirst::over(
            &self.path,
            self.header_len,
            self.committed.load(Ordering::Acquire),
        )
    }

    /// Rows from oldest to newest, streamed with a buffered reader.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file cannot be opened.
    pub fn oldest_first(&self) -> Result<OldestFirst, StoreError> {
        OldestFirst::over(
            &self.path,
            self.header_len,
            self.committed.load(Ordering::Acquire),
        )
    }
}

/// A log opened for reading only, such as an archived prediction log: the file is never
/// opened for writing, so nothing here can change it. A torn last line (bytes after the
/// last newline) is left in the file and kept out of the rows the readers return;
/// [`ReadOnlyLog::torn_bytes`] says how long it is so that the caller can warn.
#[derive(Debug, Clone)]
pub struct ReadOnlyLog {
    path: PathBuf,
    header: Vec<String>,
    header_len: u64,
    /// Bytes of the header and the complete rows: readers stop here.
    complete: u64,
    torn_bytes: u64,
}

impl ReadOnlyLog {
    /// Opens `path` for reading and checks its header as [`CsvLog::open`] does.
    ///
    /// # Errors
    /// [`StoreError::Missing`], [`StoreError::CsvHeader`], or [`StoreError::Io`] naming
    /// the file.
    pub fn open(
        path: &Path,
        expected: &str,
        accept: &dyn Fn(&[String]) -> bool,
    ) -> Result<Self, StoreError> {
        let Opened {
            len,
            header,
            header_len,
            complete,
            ..
        } = open_checked(path, OpenOptions::new().read(true), expected, accept)?;
        Ok(Self {
            path: path.to_owned(),
            header,
            header_len,
            complete,
            torn_bytes: len - complete,
        })
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The header's fields.
    #[must_use]
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Bytes after the last complete row (0 when the file ends with a whole row).
    #[must_use]
    pub fn torn_bytes(&self) -> u64 {
        self.torn_bytes
    }

    /// Byte offset where the torn last line starts (the end of the complete rows).
    #[must_use]
    pub fn complete_len(&self) -> u64 {
        self.complete
    }

    /// Complete rows from newest to oldest; see [`CsvLog::newest_first`].
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file cannot be opened.
    pub fn newest_first(&self) -> Result<NewestFirst, StoreError> {
        NewestFirst::over(&self.path, self.header_len, self.complete)
    }

    /// Complete rows from oldest to newest; see [`CsvLog::oldest_first`].
    ///
    /// # Errors
    /// [`StoreError::Io`] when the file cannot be opened.
    pub fn oldest_first(&self) -> Result<OldestFirst, StoreError> {
        OldestFirst::over(&self.path, self.header_len, self.complete)
    }
}

impl Drop for CsvLog {
    fn drop(&mut self) {
        if self.policy != FsyncPolicy::Never
            && let Err(err) = self.sync_if_dirty()
        {
            tracing::error!(%err, "final fsync of a log failed");
        }
    }
}

/// Brings the file back to `len` bytes after a failed append; says whether it is there.
fn cut_back(file: &File, len: u64) -> bool {
    match file.metadata() {
        Ok(meta) if meta.len() == len => true,
        _ => file.set_len(len).is_ok(),
    }
}

/// Where a row sits in its file, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLocation {
    /// 1-based line number (header is line 1), known when reading forward.
    Line(u64),
    /// Byte offset of the row's start, known when reading backwards.
    Offset(u64),
}

impl std::fmt::Display for RowLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Line(line) => write!(f, "line {line}"),
            Self::Offset(offset) => write!(f, "row at byte {offset}"),
        }
    }
}

/// Iterator over rows newest first; see [`CsvLog::newest_first`].
#[derive(Debug)]
pub struct NewestFirst {
    file: File,
    path: PathBuf,
    /// Offset of the first row (just after the header).
    start: u64,
    /// File offset of `buf[0]`.
    pos: u64,
    /// Bytes `[pos, pos + buf.len())` not yet returned; they end at a line boundary.
    buf: Vec<u8>,
    record: StringRecord,
    done: bool,
}

impl NewestFirst {
    /// Rows of `path` between the header (`header_len` bytes) and `end`, which must be
    /// a line boundary.
    fn over(path: &Path, header_len: u64, end: u64) -> Result<Self, StoreError> {
        let file = File::open(path).map_err(|e| StoreError::io("open", path, e))?;
        // The last byte of a non-empty log is the final row's newline.
        let last = if end > header_len {
            end - 1
        } else {
            header_len
        };
        Ok(Self {
            file,
            path: path.to_owned(),
            start: header_len,
            pos: last,
            buf: Vec::new(),
            record: StringRecord::new(),
            done: end <= header_len,
        })
    }

    /// The next row (newest first) and where it is, or `None` at the header.
    ///
    /// # Errors
    /// [`StoreError::Io`] on a read error, [`StoreError::CsvRow`] on a row that is not
    /// UTF-8 CSV.
    pub fn next_row(&mut self) -> Result<Option<(RowLocation, &StringRecord)>, StoreError> {
        if self.done {
            return Ok(None);
        }
        loop {
            if let Some(i) = self.buf.iter().rposition(|&b| b == b'\n') {
                let offset = self.pos + i as u64 + 1;
                parse_line(&self.buf[i + 1..], &mut self.record).map_err(|reason| {
                    row_error(&self.path, RowLocation::Offset(offset), &reason)
                })?;
                self.buf.truncate(i);
                return Ok(Some((RowLocation::Offset(offset), &self.record)));
            }
            if self.pos == self.start {
                self.done = true;
                parse_line(&self.buf, &mut self.record).map_err(|reason| {
                    row_error(&self.path, RowLocation::Offset(self.start), &reason)
                })?;
                self.buf.clear();
                return Ok(Some((RowLocation::Offset(self.start), &self.record)));
            }
            let n = usize::try_from(self.pos - self.start)
                .unwrap_or(TAIL_CHUNK)
                .min(TAIL_CHUNK);
            let new_pos = self.pos - n as u64;
            let mut chunk = vec![0; n];
            self.file
                .seek(SeekFrom::Start(new_pos))
                .and_then(|_| self.file.read_exact(&mut chunk))
                .map_err(|e| StoreError::io("read", &self.path, e))?;
            chunk.extend_from_slice(&self.buf);
            self.buf = chunk;
            self.pos = new_pos;
        }
    }
}

/// Iterator over rows oldest first; see [`CsvLog::oldest_first`].
#[derive(Debug)]
pub struct OldestFirst {
    reader: csv::Reader<io::Take<BufReader<File>>>,
    path: PathBuf,
    record: StringRecord,
}

impl OldestFirst {
    /// Rows of `path` between the header (`header_len` bytes) and `end`.
    fn over(path: &Path, header_len: u64, end: u64) -> Result<Self, StoreError> {
        let mut file = File::open(path).map_err(|e| StoreError::io("open", path, e))?;
        file.seek(SeekFrom::Start(header_len))
            .map_err(|e| StoreError::io("read", path, e))?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(BufReader::new(file).take(end.saturating_sub(header_len)));
        Ok(Self {
            reader,
            path: path.to_owned(),
            record: StringRecord::new(),
        })
    }

    /// The next row (oldest first) and its line number, or `None` at the end.
    ///
    /// # Errors
    /// [`StoreError::CsvRow`] naming the line when a row is not UTF-8 CSV,
    /// [`StoreError::Io`] on a read error.
    pub fn next_row(&mut self) -> Result<Option<(RowLocation, &StringRecord)>, StoreError> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {
                // The reader starts after the header, which is line 1.
                let line = self.record.position().map_or(0, |p| p.line() + 1);
                Ok(Some((RowLocation::Line(line), &self.record)))
            }
            Ok(false) => Ok(None),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() + 1);
                match e.into_kind() {
                    csv::ErrorKind::Io(io) => Err(StoreError::io("read", &self.path, io)),
                    other => Err(row_error(
                        &self.path,
                        RowLocation::Line(line),
                        &format!("{other:?}"),
                    )),
                }
            }
        }
    }
}

fn row_error(path: &Path, location: RowLocation, reason: &str) -> StoreError {
    StoreError::CsvRow {
        path: path.to_owned(),
        location: location.to_string(),
        field: "(row)".to_owned(),
        reason: reason.to_owned(),
    }
}

/// Splits one line into `record`. Lines without quotes (almost all, since the encoder
/// quotes only when needed) skip the CSV parser.
fn parse_line(line: &[u8], record: &mut StringRecord) -> Result<(), String> {
    let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8: {e}"))?;
    record.clear();
    if text.contains('"') {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        if !reader.read_record(record).map_err(|e| e.to_string())? {
            record.clear();
        }
    } else {
        for field in text.split(',') {
            record.push_field(field);
        }
    }
    Ok(())
}

/// Reads and parses the first line; returns its fields and its length with the newline.
/// A log file opened and checked: its header accepted, the length of its whole rows found.
struct Opened {
    file: File,
    /// The file's length when opened.
    len: u64,
    header: Vec<String>,
    header_len: u64,
    /// Bytes up to the end of the last whole row.
    complete: u64,
}

/// Opens `path` with `options` and checks it as both the current log (which then cuts
/// a torn tail) and a read-only archive (which leaves it) need: present, a header that
/// `accept`s, and where its whole rows end.
fn open_checked(
    path: &Path,
    options: &OpenOptions,
    expected: &str,
    accept: &dyn Fn(&[String]) -> bool,
) -> Result<Opened, StoreError> {
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(StoreError::Missing {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(StoreError::io("open", path, e)),
    };
    let len = file
        .metadata()
        .map_err(|e| StoreError::io("inspect", path, e))?
        .len();
    let (header, header_len) = read_header(&mut file, path, expected)?;
    if !accept(&header) {
        return Err(StoreError::CsvHeader {
            path: path.to_owned(),
            expected: expected.to_owned(),
            found: header.join(","),
        });
    }
    let complete = complete_prefix_len(&mut file, header_len, len)
        .map_err(|e| StoreError::io("read", path, e))?;
    Ok(Opened {
        file,
        len,
        header,
        header_len,
        complete,
    })
}

fn read_header(
    file: &mut File,
    path: &Path,
    expected: &str,
) -> Result<(Vec<String>, u64), StoreError> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    let newline = loop {
        let n = file
            .read(&mut chunk)
            .map_err(|e| StoreError::io("read", path, e))?;
        let before = head.len();
        head.extend_from_slice(&chunk[..n]);
        if let Some(i) = head[before..].iter().position(|&b| b == b'\n') {
            break Some(before + i);
        }
        if n == 0 || head.len() > MAX_HEADER_BYTES {
            break None;
        }
    };
    let bad = |found: &[u8]| StoreError::CsvHeader {
        path: path.to_owned(),
        expected: expected.to_owned(),
        found: String::from_utf8_lossy(&found[..found.len().min(200)]).into_owned(),
    };
    let Some(newline) = newline else {
        return Err(bad(&head));
    };
    let mut record = StringRecord::new();
    parse_line(&head[..newline], &mut record).map_err(|_| bad(&head[..newline]))?;
    Ok((
        record.iter().map(str::to_owned).collect(),
        newline as u64 + 1,
    ))
}

/// The length of the file up to and including its last newline at or after
/// `header_len - 1`: everything after it is a torn row.
fn complete_prefix_len(file: &mut File, header_len: u64, len: u64) -> io::Result<u64> {
    let mut end = len;
    let mut chunk = vec![0u8; TAIL_CHUNK];
    while end > header_len {
        let n = usize::try_from(end - header_len)
            .unwrap_or(TAIL_CHUNK)
            .min(TAIL_CHUNK);
        let from = end - n as u64;
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut chunk[..n])?;
        if let Some(i) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(from + i as u64 + 1);
        }
        end = from;
    }
    Ok(header_len)
}
