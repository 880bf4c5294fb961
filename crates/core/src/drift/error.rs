//! Errors of the drift module.

use std::path::PathBuf;

/// Everything that can go wrong while profiling data or computing drift.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    /// A CSV file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV parser rejected a record (unbalanced quotes, ragged row, ...).
    #[error("{path}: line {line}: malformed csv: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line of the record, 0 when unknown.
        line: u64,
        /// The underlying error.
        #[source]
        source: csv::Error,
    },
    /// A file has no header row.
    #[error("{path}: the file is empty (no header row)")]
    NoHeader {
        /// The file.
        path: PathBuf,
    },
    /// Two columns of a file share a name.
    #[error("{path}: column {column:?} appears twice in the header")]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The repeated name.
        column: String,
    },
    /// A column the profile needs is not in the file.
    #[error("{path}: column {column:?} of the reference is missing from the header")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column.
        column: String,
    },
    /// A cell of a numeric column is not a number.
    #[error("{path}: line {line}: column {column:?}: {value:?} is not a number")]
    NotANumber {
        /// The file, or a description of the source for streamed rows.
        path: PathBuf,
        /// 1-based line (or row number for streamed rows).
        line: u64,
        /// The column.
        column: String,
        /// The offending cell, truncated to 40 characters.
        value: String,
    },
    /// A cell is not valid UTF-8.
    #[error("{path}: line {line}: column {column:?}: cell is not valid utf-8")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// The column.
        column: String,
    },
    /// A streamed row has the wrong number of cells.
    #[error("row {row}: expected {expected} feature values, got {got}")]
    RowWidth {
        /// 1-based row number within the stream.
        row: u64,
        /// Number of features in the profile.
        expected: usize,
        /// Cells given.
        got: usize,
    },
    /// A column named on the command line (categorical, excluded, score) is not in the file.
    #[error("{path}: column {column:?} named in {option} is not in the header")]
    UnknownOption {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// The option that named it.
        option: &'static str,
    },
    /// The dataset drift threshold or the significance level is outside (0, 1].
    #[error("{field} must lie in (0, 1], got {value}")]
    BadOption {
        /// The option.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// Two count vectors that should share their bins do not.
    #[error("reference has {reference} bins but current has {current}")]
    BinMismatch {
        /// Reference bins.
        reference: usize,
        /// Current bins.
        current: usize,
    },
    /// A side has no rows, so shares are undefined.
    #[error("a side has no rows")]
    EmptySide,
    /// A column's kind in the current data differs from the reference's.
    #[error("{path}: column {column:?} is {reference:?} in the reference but not here")]
    KindMismatch {
        /// The file or source.
        path: PathBuf,
        /// The column.
        column: String,
        /// The reference's kind.
        reference: crate::records::FeatureKind,
    },
    /// A reference profile whose parts do not fit together (a hand-edited or corrupt
    /// `reference_profile.json`).
    #[error("reference profile: feature {feature:?}: {reason}")]
    InconsistentProfile {
        /// The feature (`score` for the score profile).
        feature: String,
        /// What does not fit.
        reason: String,
    },
    /// A current sample was built for a different profile.
    #[error("the current sample has {sample} features but the profile has {profile}")]
    ProfileMismatch {
        /// Features in the profile.
        profile: usize,
        /// Features in the sample.
        sample: usize,
    },
}
