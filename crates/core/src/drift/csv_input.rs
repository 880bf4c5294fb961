//! Reading CSV files into column summaries, fast: one pass over `csv::ByteRecord`s,
//! numbers parsed straight from the bytes, no per-cell allocation, numeric columns stored
//! as `f64` only.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use csv::{ByteRecord, ReaderBuilder};

use super::error::DriftError;
use super::profile::{FeatureReference, ReferenceProfile};
use super::values::{CategoricalValues, ColumnValues, NamedColumn, NumericValues};
use super::window::CurrentWindow;

/// Longest cell echoed back in an error message.
const MAX_ECHO: usize = 40;
/// Read buffer: large reads keep the parser busy rather than the kernel.
const BUFFER_BYTES: usize = 1 << 20;

/// Which columns of a CSV file to read, and how.
///
/// A column is numeric when every non-missing cell parses as a number (`f64` syntax;
/// `NaN` and `inf` parse, and count as missing), unless it is named in `categorical`.
/// Cells are trimmed of ASCII whitespace; an empty cell is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvColumnOptions {
    /// Columns read as categories whatever they hold.
    pub categorical: Vec<String>,
    /// Columns not read at all.
    pub exclude: Vec<String>,
    /// The model score column: numeric, kept apart from the features.
    pub score_column: Option<String>,
    /// Whether a name above that is not in the header is an error (true for the reference;
    /// the current file is checked against the profile instead).
    pub require_named_columns: bool,
}

/// The columns of one CSV file.
#[derive(Debug, Clone)]
pub struct CsvColumns {
    /// The file.
    pub path: PathBuf,
    /// Data rows (the header excluded).
    pub rows: u64,
    /// The feature columns, in header order.
    pub columns: Vec<NamedColumn>,
    /// The score column, when asked for and present.
    pub score: Option<NumericValues>,
    /// For columns inferred categorical: the line and cell that was not a number.
    pub first_non_numeric: HashMap<String, (u64, String)>,
}

#[derive(Debug, Clone, Copy)]
enum Plan {
    Skip,
    /// Numeric column into `slot`; `forced` makes a non-number an error.
    Numeric {
        slot: usize,
        forced: bool,
    },
    Categorical {
        slot: usize,
    },
    Score,
}

#[derive(Debug)]
enum Slot {
    Numeric(NumericValues),
    Categorical(CategoricalValues),
    /// Inferred numeric until a cell proved otherwise: read again as categorical.
    Reread,
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

fn echo(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .take(MAX_ECHO)
        .collect()
}

fn parse_number(bytes: &[u8]) -> Option<f64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, DriftError> {
    let file = std::fs::File::open(path).map_err(|source| DriftError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(ReaderBuilder::new()
        .has_headers(true)
        .buffer_capacity(BUFFER_BYTES)
        .from_reader(file))
}

fn csv_error(path: &Path, source: csv::Error) -> DriftError {
    let line = source.position().map_or(0, csv::Position::line);
    if let csv::ErrorKind::Io(_) = source.kind() {
        let csv::ErrorKind::Io(io) = source.into_kind() else {
            unreachable!("checked above")
        };
        return DriftError::Io {
            path: path.to_path_buf(),
            source: io,
        };
    }
    DriftError::Csv {
        path: path.to_path_buf(),
        line,
        source,
    }
}

fn header(reader: &mut csv::Reader<std::fs::File>, path: &Path) -> Result<Vec<String>, DriftError> {
    let raw = reader
        .byte_headers()
        .map_err(|e| csv_error(path, e))?
        .clone();
    if raw.is_empty() {
        return Err(DriftError::NoHeader {
            path: path.to_path_buf(),
        });
    }
    let mut names = Vec::with_capacity(raw.len());
    let mut seen = HashSet::new();
    for (i, cell) in raw.iter().enumerate() {
        let name = std::str::from_utf8(trim(cell))
            .map_err(|_| DriftError::NotUtf8 {
                path: path.to_path_buf(),
                line: 1,
                column: format!("#{}", i + 1),
            })?
            .to_owned();
        if !seen.insert(name.clone()) {
            return Err(DriftError::DuplicateColumn {
                path: path.to_path_buf(),
                column: name,
            });
        }
        names.push(name);
    }
    Ok(names)
}

/// With `require_named_columns`, every column named in the options must exist.
fn check_named_columns(
    path: &Path,
    names: &[String],
    options: &CsvColumnOptions,
) -> Result<(), DriftError> {
    if options.require_named_columns {
        let named = options
            .categorical
            .iter()
            .map(|c| (c, "--categorical"))
            .chain(options.exclude.iter().map(|c| (c, "--exclude")))
            .chain(options.score_column.iter().map(|c| (c, "--score-column")));
        for (column, option) in named {
            if !names.contains(column) {
                return Err(DriftError::UnknownOption {
                    path: path.to_path_buf(),
                    column: column.clone(),
                    option,
                });
            }
        }
    }
    Ok(())
}

/// What to do with each header column, and the storage of the kept ones.
fn plan_columns(
    names: &[String],
    options: &CsvColumnOptions,
) -> (Vec<Plan>, Vec<Slot>, Vec<String>) {
    let mut plans = Vec::with_capacity(names.len());
    let mut slots = Vec::new();
    let mut slot_names = Vec::new();
    for name in names {
        let plan = if options.exclude.contains(name) {
            Plan::Skip
        } else if options.score_column.as_ref() == Some(name) {
            Plan::Score
        } else if options.categorical.contains(name) {
            slots.push(Slot::Categorical(CategoricalValues::new()));
            slot_names.push(name.clone());
            Plan::Categorical {
                slot: slots.len() - 1,
            }
        } else {
            slots.push(Slot::Numeric(NumericValues::new()));
            slot_names.push(name.clone());
            Plan::Numeric {
                slot: slots.len() - 1,
                forced: false,
            }
        };
        plans.push(plan);
    }
    (plans, slots, slot_names)
}

/// Reads the feature columns (and the score) of a CSV file with a header row.
///
/// # Errors
/// [`DriftError::Io`], [`DriftError::Csv`] (with the line), [`DriftError::NoHeader`],
/// [`DriftError::DuplicateColumn`], [`DriftError::UnknownOption`], and
/// [`DriftError::NotANumber`] / [`DriftError::NotUtf8`] naming the line and column.
pub fn read_csv_columns(path: &Path, options: &CsvColumnOptions) -> Result<CsvColumns, DriftError> {
    let mut reader = open(path)?;
    let names = header(&mut reader, path)?;
    check_named_columns(path, &names, options)?;
    let (mut plans, mut slots, slot_names) = plan_columns(&names, options);
    let mut score = options
        .score_column
        .as_ref()
        .filter(|s| names.contains(s))
        .map(|_| NumericValues::new());
    let mut first_non_numeric = HashMap::new();
    let mut record = ByteRecord::new();
    let mut rows = 0u64;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        rows += 1;
        let line = record.position().map_or(rows + 1, csv::Position::line);
        for (col, plan) in plans.iter_mut().enumerate() {
            let cell = trim(&record[col]);
            match *plan {
                Plan::Skip => {}
                Plan::Score => {
                    let target = score.get_or_insert_with(NumericValues::new);
                    push_number(target, cell).ok_or_else(|| DriftError::NotANumber {
                        path: path.to_path_buf(),
                        line,
                        column: names[col].clone(),
                        value: echo(cell),
                    })?;
                }
                Plan::Numeric { slot, forced } => {
                    let Slot::Numeric(target) = &mut slots[slot] else {
                        continue;
                    };
                    if push_number(target, cell).is_none() {
                        if forced {
                            return Err(DriftError::NotANumber {
                                path: path.to_path_buf(),
                                line,
                                column: names[col].clone(),
                                value: echo(cell),
                            });
                        }
                        first_non_numeric.insert(names[col].clone(), (line, echo(cell)));
                        slots[slot] = Slot::Reread;
                        *plan = Plan::Skip;
                    }
                }
                Plan::Categorical { slot } => {
                    let Slot::Categorical(target) = &mut slots[slot] else {
                        continue;
                    };
                    push_category(target, cell, path, line, &names[col])?;
                }
            }
        }
    }
    let reread: Vec<String> = slot_names
        .iter()
        .zip(&slots)
        .filter(|(_, slot)| matches!(slot, Slot::Reread))
        .map(|(name, _)| name.clone())
        .collect();
    let mut reread_columns: HashMap<String, CategoricalValues> = if reread.is_empty() {
        HashMap::new()
    } else {
        read_categorical_columns(path, &reread)?
            .into_iter()
            .filter_map(|c| match c.values {
                ColumnValues::Categorical(v) => Some((c.name, v)),
                ColumnValues::Numeric(_) => None,
            })
            .collect()
    };
    let columns = slot_names
        .into_iter()
        .zip(slots)
        .map(|(name, slot)| {
            let values = match slot {
                Slot::Numeric(v) => ColumnValues::Numeric(v),
                Slot::Categorical(v) => ColumnValues::Categorical(v),
                Slot::Reread => {
                    ColumnValues::Categorical(reread_columns.remove(&name).unwrap_or_default())
                }
            };
            NamedColumn { name, values }
        })
        .collect();
    Ok(CsvColumns {
        path: path.to_path_buf(),
        rows,
        columns,
        score,
        first_non_numeric,
    })
}

/// `Some(())` when the cell was empty or a number, `None` when it is not a number.
fn push_number(target: &mut NumericValues, cell: &[u8]) -> Option<()> {
    if cell.is_empty() {
        target.push_missing();
    } else {
        target.push(parse_number(cell)?);
    }
    Some(())
}

fn push_category(
    target: &mut CategoricalValues,
    cell: &[u8],
    path: &Path,
    line: u64,
    column: &str,
) -> Result<(), DriftError> {
    if cell.is_empty() {
        target.push(None);
        return Ok(());
    }
    let text = std::str::from_utf8(cell).map_err(|_| DriftError::NotUtf8 {
        path: path.to_path_buf(),
        line,
        column: column.to_owned(),
    })?;
    target.push(Some(text));
    Ok(())
}

/// Reads the named columns of a CSV file as categorical, in the order given.
///
/// # Errors
/// As [`read_csv_columns`]; [`DriftError::MissingColumn`] when a name is not in the header.
pub fn read_categorical_columns(
    path: &Path,
    names: &[String],
) -> Result<Vec<NamedColumn>, DriftError> {
    let mut reader = open(path)?;
    let header_names = header(&mut reader, path)?;
    let mut wanted = Vec::with_capacity(names.len());
    for name in names {
        let index = header_names.iter().position(|h| h == name).ok_or_else(|| {
            DriftError::MissingColumn {
                path: path.to_path_buf(),
                column: name.clone(),
            }
        })?;
        wanted.push(index);
    }
    let mut values = vec![CategoricalValues::new(); names.len()];
    let mut record = ByteRecord::new();
    let mut rows = 0u64;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        rows += 1;
        let line = record.position().map_or(rows + 1, csv::Position::line);
        for (target, (&index, name)) in values.iter_mut().zip(wanted.iter().zip(names)) {
            push_category(target, trim(&record[index]), path, line, name)?;
        }
    }
    Ok(names
        .iter()
        .cloned()
        .zip(values)
        .map(|(name, v)| NamedColumn {
            name,
            values: ColumnValues::Categorical(v),
        })
        .collect())
}

/// A reference profile from one CSV file and a current window from another, read on two
/// threads; the current file is read with the reference's column kinds.
///
/// Returns the profile, the (sorted) window, and the row counts of both files.
///
/// # Errors
/// As [`read_csv_columns`]; a column numeric in the reference that holds a non-number in
/// the current file is [`DriftError::NotANumber`] naming the current file's line.
pub fn profile_and_window_from_csv(
    reference: &Path,
    current: &Path,
    options: &CsvColumnOptions,
) -> Result<(ReferenceProfile, CurrentWindow, u64, u64), DriftError> {
    let current_options = CsvColumnOptions {
        require_named_columns: false,
        ..options.clone()
    };
    let (reference_side, current_side) = std::thread::scope(|scope| {
        let reference_thread = scope.spawn(|| {
            let table = read_csv_columns(reference, options)?;
            let rows = table.rows;
            Ok::<_, DriftError>((
                ReferenceProfile::from_columns(table.columns, table.score),
                rows,
            ))
        });
        let current_thread = scope.spawn(|| {
            let mut table = read_csv_columns(current, &current_options)?;
            for column in &mut table.columns {
                if let ColumnValues::Numeric(values) = &mut column.values {
                    values.sort();
                }
            }
            if let Some(score) = &mut table.score {
                score.sort();
            }
            Ok::<_, DriftError>(table)
        });
        (
            reference_thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            current_thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    });
    let (profile, reference_rows) = reference_side?;
    let mut table = current_side?;
    reconcile_kinds(&profile, &mut table)?;
    let mut window = CurrentWindow::from_columns(&profile, table.columns, table.score, current)?;
    window.sort();
    Ok((profile, window, reference_rows, table.rows))
}

/// Makes the current file's column kinds agree with the reference's.
fn reconcile_kinds(profile: &ReferenceProfile, table: &mut CsvColumns) -> Result<(), DriftError> {
    let mut as_categorical = Vec::new();
    for feature in &profile.features {
        let Some(column) = table.columns.iter().find(|c| c.name == feature.name) else {
            continue;
        };
        match (&feature.reference, &column.values) {
            (FeatureReference::Numeric(_), ColumnValues::Categorical(_)) => {
                let (line, value) = table
                    .first_non_numeric
                    .get(&feature.name)
                    .cloned()
                    .unwrap_or_default();
                return Err(DriftError::NotANumber {
                    path: table.path.clone(),
                    line,
                    column: feature.name.clone(),
                    value,
                });
            }
            (FeatureReference::Categorical(_), ColumnValues::Numeric(_)) => {
                as_categorical.push(feature.name.clone());
            }
            _ => {}
        }
    }
    if as_categorical.is_empty() {
        return Ok(());
    }
    let reread = read_categorical_columns(&table.path, &as_categorical)?;
    for column in reread {
        if let Some(slot) = table.columns.iter_mut().find(|c| c.name == column.name) {
            *slot = column;
        }
    }
    Ok(())
}
