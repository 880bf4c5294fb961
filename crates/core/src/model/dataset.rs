//! Loading a labelled training set from CSV into typed columns.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::schema::{FeatureSchema, FeatureSpec, TargetSpec, parse_number};
use crate::drift::{NamedColumn, NumericValues, ReferenceProfile};
use crate::records::FeatureKind;

/// Share of non-empty cells that must parse as numbers for a column to be inferred
/// numeric; a column above it with a few bad cells is a data error, not a categorical
/// column.
pub const NUMERIC_INFERENCE_SHARE: f64 = 0.9;

/// Errors loading a training set. Lines are 1-based and count the header as line 1.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file has no header or no data rows.
    #[error("{path}: the file is empty (no header or no data rows)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The CSV is malformed.
    #[error("{path}: line {line}: malformed csv")]
    Csv {
        /// The file.
        path: PathBuf,
        /// Line of the bad record.
        line: u64,
        /// The cause.
        #[source]
        source: csv::Error,
    },
    /// The target column is not in the header.
    #[error("{path}: line 1: target column '{column}' is missing from the header")]
    MissingTarget {
        /// The file.
        path: PathBuf,
        /// The target column.
        column: String,
    },
    /// A feature of the given schema is not in the header.
    #[error("{path}: line 1: feature column '{column}' is missing from the header")]
    MissingFeature {
        /// The file.
        path: PathBuf,
        /// The feature.
        column: String,
    },
    /// A row has no label.
    #[error("{path}: line {line}, column '{column}': the label is empty")]
    MissingLabel {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The target column.
        column: String,
    },
    /// The labels hold only one class.
    #[error("{path}: column '{column}': every label is '{value}', training needs two classes")]
    OneClass {
        /// The file.
        path: PathBuf,
        /// The target column.
        column: String,
        /// The only label value.
        value: String,
    },
    /// The labels hold more than two classes.
    #[error(
        "{path}: line {line}, column '{column}': label '{value}' is a third class; the target must be binary"
    )]
    TooManyClasses {
        /// The file.
        path: PathBuf,
        /// The line of the first third class.
        line: u64,
        /// The target column.
        column: String,
        /// The third value.
        value: String,
    },
    /// The positive class is not among the labels.
    #[error(
        "{path}: column '{column}': positive class '{positive}' not found among the labels {found:?}"
    )]
    PositiveNotFound {
        /// The file.
        path: PathBuf,
        /// The target column.
        column: String,
        /// The configured positive class.
        positive: String,
        /// The labels found.
        found: Vec<String>,
    },
    /// A numeric column holds a value that is not a finite number.
    #[error(
        "{path}: line {line}, column '{column}': '{value}' is not a number (the column is numeric)"
    )]
    NotNumeric {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The column.
        column: String,
        /// The cell.
        value: String,
    },
    /// A timestamp cell is not an RFC 3339 date and time.
    #[error(
        "{path}: line {line}, column '{column}': '{value}' is not an RFC 3339 timestamp \
         (like 2026-03-01T12:00:00Z)"
    )]
    NotTimestamp {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The column.
        column: String,
        /// The cell.
        value: String,
    },
    /// A feature column has no value at all.
    #[error("{path}: column '{column}' is empty in every row")]
    EmptyColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
}

/// The values of one feature.
#[derive(Debug, Clone, PartialEq)]
pub enum DatasetColumn {
    /// Numeric values; `None` is missing.
    Numeric(Vec<Option<f64>>),
    /// Categories; `None` is missing.
    Categorical(Vec<Option<String>>),
}

/// A labelled data set in schema order.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The schema the columns follow.
    pub schema: FeatureSchema,
    /// One column per schema feature.
    pub columns: Vec<DatasetColumn>,
    /// The labels (`true` = positive class).
    pub labels: Vec<bool>,
}

/// A loaded file with its fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedFile {
    /// The data.
    pub dataset: Dataset,
    /// sha256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

impl Dataset {
    /// The drift reference profile of these rows and the model's scores of them: what
    /// later windows of predictions are compared with.
    #[must_use]
    pub fn reference_profile(&self, scores: &[f64]) -> ReferenceProfile {
        let columns = self
            .schema
            .features
            .iter()
            .zip(&self.columns)
            .map(|(spec, column)| match column {
                DatasetColumn::Numeric(values) => {
                    NamedColumn::numeric(spec.name.as_str(), values.iter().copied())
                }
                DatasetColumn::Categorical(values) => NamedColumn::categorical(
                    spec.name.as_str(),
                    values.iter().map(Option::as_deref),
                ),
            })
            .collect();
        ReferenceProfile::from_columns(columns, Some(NumericValues::from_raw(scores.to_vec())))
    }

    /// Rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The rows at `indices`, in that order.
    #[must_use]
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let columns = self
            .columns
            .iter()
            .map(|column| match column {
                DatasetColumn::Numeric(v) => {
                    DatasetColumn::Numeric(indices.iter().map(|&i| v[i]).collect())
                }
                DatasetColumn::Categorical(v) => {
                    DatasetColumn::Categorical(indices.iter().map(|&i| v[i].clone()).collect())
                }
            })
            .collect();
        Dataset {
            schema: self.schema.clone(),
            columns,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// Appends the rows of `other`, which must have the same schema.
    ///
    /// # Panics
    /// Never: columns of another kind are skipped, which the shared schema rules out.
    pub fn extend(&mut self, other: Dataset) {
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            match (mine, theirs) {
                (DatasetColumn::Numeric(a), DatasetColumn::Numeric(b)) => a.extend(b),
                (DatasetColumn::Categorical(a), DatasetColumn::Categorical(b)) => a.extend(b),
                _ => {}
            }
        }
        self.labels.extend(other.labels);
    }
}

/// Lowercase hex sha256 of `bytes`.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut out, b| {
            use std::fmt::Write;
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Reads a labelled CSV file. With `schema`, its features are read with their kinds (a
/// non-numeric cell in a numeric feature is an error); without, every column except the
/// target and `exclude` becomes a feature, numeric when every non-empty cell is a finite
/// number. A column where at least [`NUMERIC_INFERENCE_SHARE`] of the cells are numbers
/// but some are not is reported as an error at the first bad cell.
///
/// # Errors
/// Every [`DataError`]; messages name the file, line and column.
pub fn load_csv(
    path: &Path,
    target: &TargetSpec,
    schema: Option<&FeatureSchema>,
    exclude: &[String],
) -> Result<LoadedFile, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_owned(),
        source,
    })?;
    let sha256 = sha256_hex(&bytes);
    let dataset = parse_csv(path, &bytes, target, schema, exclude)?;
    Ok(LoadedFile { dataset, sha256 })
}

/// Parses CSV bytes as [`load_csv`] does; `path` only names the source in errors.
///
/// # Errors
/// Every [`DataError`] but `Io`.
#[allow(clippy::too_many_lines)] // header checks, labels, then columns: one pass each
pub fn parse_csv(
    path: &Path,
    bytes: &[u8],
    target: &TargetSpec,
    schema: Option<&FeatureSchema>,
    exclude: &[String],
) -> Result<Dataset, DataError> {
    let path_buf = || path.to_owned();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let header = reader.headers().map_err(|source| DataError::Csv {
        path: path_buf(),
        line: 1,
        source,
    })?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    if header.iter().all(String::is_empty) {
        return Err(DataError::Empty { path: path_buf() });
    }
    let mut records = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|source| DataError::Csv {
            path: path_buf(),
            line: source.position().map_or(0, csv::Position::line),
            source,
        })?;
        lines.push(record.position().map_or(0, csv::Position::line));
        records.push(record);
    }
    if records.is_empty() {
        return Err(DataError::Empty { path: path_buf() });
    }
    let target_index = header
        .iter()
        .position(|h| *h == target.column)
        .ok_or_else(|| DataError::MissingTarget {
            path: path_buf(),
            column: target.column.clone(),
        })?;

    let labels = read_labels(path, target, target_index, &records, &lines)?;

    let features: Vec<(usize, FeatureSpec)> = match schema {
        Some(schema) => schema
            .features
            .iter()
            .map(|spec| {
                header
                    .iter()
                    .position(|h| *h == spec.name)
                    .map(|i| (i, spec.clone()))
                    .ok_or_else(|| DataError::MissingFeature {
                        path: path_buf(),
                        column: spec.name.clone(),
                    })
            })
            .collect::<Result<_, _>>()?,
        None => header
            .iter()
            .enumerate()
            .filter(|(i, name)| *i != target_index && !exclude.contains(name))
            .map(|(i, name)| {
                infer_kind(path, name, i, &records, &lines).map(|kind| {
                    (
                        i,
                        FeatureSpec {
                            name: name.clone(),
                            kind,
                        },
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };

    let mut columns = Vec::with_capacity(features.len());
    for (index, spec) in &features {
        let column = match spec.kind {
            FeatureKind::Numeric => {
                let mut values = Vec::with_capacity(records.len());
                for (record, &line) in records.iter().zip(&lines) {
                    let cell = record.get(*index).unwrap_or("");
                    let value = parse_number(cell).map_err(|()| DataError::NotNumeric {
                        path: path_buf(),
                        line,
                        column: spec.name.clone(),
                        value: cell.to_owned(),
                    })?;
                    values.push(value);
                }
                DatasetColumn::Numeric(values)
            }
            FeatureKind::Categorical => DatasetColumn::Categorical(
                records
                    .iter()
                    .map(|record| {
                        let cell = record.get(*index).unwrap_or("").trim();
                        (!cell.is_empty()).then(|| cell.to_owned())
                    })
                    .collect(),
            ),
        };
        let all_missing = match &column {
            DatasetColumn::Numeric(v) => v.iter().all(Option::is_none),
            DatasetColumn::Categorical(v) => v.iter().all(Option::is_none),
        };
        if all_missing {
            return Err(DataError::EmptyColumn {
                path: path_buf(),
                column: spec.name.clone(),
            });
        }
        columns.push(column);
    }
    Ok(Dataset {
        schema: FeatureSchema {
            features: features.into_iter().map(|(_, spec)| spec).collect(),
            target: target.clone(),
        },
        columns,
        labels,
    })
}

fn read_labels(
    path: &Path,
    target: &TargetSpec,
    index: usize,
    records: &[csv::StringRecord],
    lines: &[u64],
) -> Result<Vec<bool>, DataError> {
    let mut classes: Vec<String> = Vec::with_capacity(2);
    let mut labels = Vec::with_capacity(records.len());
    for (record, &line) in records.iter().zip(lines) {
        let cell = record.get(index).unwrap_or("").trim();
        if cell.is_empty() {
            return Err(DataError::MissingLabel {
                path: path.to_owned(),
                line,
                column: target.column.clone(),
            });
        }
        if !classes.iter().any(|c| c == cell) {
            if classes.len() == 2 {
                return Err(DataError::TooManyClasses {
                    path: path.to_owned(),
                    line,
                    column: target.column.clone(),
                    value: cell.to_owned(),
                });
            }
            classes.push(cell.to_owned());
        }
        labels.push(cell == target.positive);
    }
    if classes.len() < 2 {
        return Err(DataError::OneClass {
            path: path.to_owned(),
            column: target.column.clone(),
            value: classes.pop().unwrap_or_default(),
        });
    }
    if !classes.contains(&target.positive) {
        return Err(DataError::PositiveNotFound {
            path: path.to_owned(),
            column: target.column.clone(),
            positive: target.positive.clone(),
            found: classes,
        });
    }
    Ok(labels)
}

fn infer_kind(
    path: &Path,
    name: &str,
    index: usize,
    records: &[csv::StringRecord],
    lines: &[u64],
) -> Result<FeatureKind, DataError> {
    let mut numeric = 0usize;
    let mut first_bad: Option<(u64, String)> = None;
    let mut bad = 0usize;
    for (record, &line) in records.iter().zip(lines) {
        let cell = record.get(index).unwrap_or("");
        match parse_number(cell) {
            Ok(Some(_)) => numeric += 1,
            Ok(None) => {}
            Err(()) => {
                bad += 1;
                if first_bad.is_none() {
                    first_bad = Some((line, cell.to_owned()));
                }
            }
        }
    }
    match first_bad {
        None if numeric > 0 => Ok(FeatureKind::Numeric),
        Some((line, value))
            if numeric as f64 >= NUMERIC_INFERENCE_SHARE * (numeric + bad) as f64 =>
        {
            Err(DataError::NotNumeric {
                path: path.to_owned(),
                line,
                column: name.to_owned(),
                value,
            })
        }
        _ => {
            let distinct: BTreeSet<&str> = records
                .iter()
                .filter_map(|r| r.get(index).map(str::trim))
                .filter(|c| !c.is_empty())
                .collect();
            if distinct.is_empty() {
                Err(DataError::EmptyColumn {
                    path: path.to_owned(),
                    column: name.to_owned(),
                })
            } else {
                Ok(FeatureKind::Categorical)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Dataset, DataError> {
        parse_csv(
            Path::new("train.csv"),
            text.as_bytes(),
            &TargetSpec::default(),
            None,
            &[],
        )
    }

    #[test]
    fn infers_kinds_and_reads_missing_cells() {
        let d = parse("age,job,default\n30,a,0\n,b,1\n41,,0\n").unwrap();
        assert_eq!(d.schema.features[0].kind, FeatureKind::Numeric);
        assert_eq!(d.schema.features[1].kind, FeatureKind::Categorical);
        assert_eq!(
            d.columns[0],
            DatasetColumn::Numeric(vec![Some(30.0), None, Some(41.0)])
        );
        assert_eq!(d.labels, vec![false, true, false]);
    }

    #[test]
    fn missing_target_column_names_file_and_column() {
        let err = parse("age,job\n30,a\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "train.csv: line 1: target column 'default' is missing from the header"
        );
    }

    #[test]
    fn one_class_is_an_error() {
        let err = parse("age,default\n30,0\n31,0\n").unwrap_err();
        assert!(matches!(err, DataError::OneClass { .. }), "{err}");
        assert!(err.to_string().contains("column 'default'"));
    }

    #[test]
    fn non_numeric_cell_names_line_and_column() {
        let mut text = String::from("age,default\n");
        for i in 0..20 {
            text += &(20 + i).to_string();
            text += if i % 2 == 0 { ",0\n" } else { ",1\n" };
        }
        text.push_str("abc,1\n");
        let err = parse(&text).unwrap_err().to_string();
        assert_eq!(
            err,
            "train.csv: line 22, column 'age': 'abc' is not a number (the column is numeric)"
        );
        // With a given schema even a single bad cell is an error.
        let schema = FeatureSchema {
            features: vec![FeatureSpec {
                name: "age".into(),
                kind: FeatureKind::Numeric,
            }],
            target: TargetSpec::default(),
        };
        let err = parse_csv(
            Path::new("t.csv"),
            b"age,default\nx,1\n3,0\n",
            &TargetSpec::default(),
            Some(&schema),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 2, column 'age'"), "{err}");
    }

    #[test]
    fn empty_file_and_header_only_are_errors() {
        assert!(matches!(parse(""), Err(DataError::Empty { .. })));
        assert!(matches!(
            parse("age,default\n"),
            Err(DataError::Empty { .. })
        ));
    }

    #[test]
    fn labels_need_two_classes_including_the_positive() {
        assert!(matches!(
            parse("a,default\n1,x\n2,y\n"),
            Err(DataError::PositiveNotFound { .. })
        ));
        assert!(matches!(
            parse("a,default\n1,0\n2,1\n3,2\n"),
            Err(DataError::TooManyClasses { line: 4, .. })
        ));
        assert!(matches!(
            parse("a,default\n1,0\n2,\n"),
            Err(DataError::MissingLabel { line: 3, .. })
        ));
    }

    #[test]
    fn sha256_is_hex_of_the_bytes() {
        // python3 -c "import hashlib; print(hashlib.sha256(b'abc').hexdigest())"
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
