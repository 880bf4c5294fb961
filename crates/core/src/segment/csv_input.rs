//! A CSV file split by segment: the input of `scorewatch drift --segment-by`.

use std::path::Path;

use super::SegmentError;
use super::columns::SegmentColumns;
use crate::records::FeatureKind;

/// Which columns of a CSV file to read for segments.
#[derive(Debug, Clone, Copy)]
pub struct SegmentCsv<'a> {
    /// The segment column and its kind.
    pub column: (&'a str, FeatureKind),
    /// The features (name and kind), as the whole report read them.
    pub features: &'a [(String, FeatureKind)],
    /// The score column, when there is one.
    pub score_column: Option<&'a str>,
}

/// The columns of `path`'s header that can segment it (every column but the score).
///
/// # Errors
/// [`SegmentError::File`] when the file or its header cannot be read.
pub fn csv_segment_columns(
    path: &Path,
    score_column: Option<&str>,
) -> Result<Vec<String>, SegmentError> {
    let mut reader = open(path)?;
    let header = reader
        .headers()
        .map_err(|e| in_file(path, 1, SegmentError::Csv(e)))?;
    Ok(header
        .iter()
        .map(|h| h.trim().to_owned())
        .filter(|h| Some(h.as_str()) != score_column)
        .collect())
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, SegmentError> {
    let file = std::fs::File::open(path).map_err(|source| SegmentError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(file))
}

fn in_file(path: &Path, line: u64, source: SegmentError) -> SegmentError {
    SegmentError::File {
        path: path.to_path_buf(),
        line,
        source: Box::new(source),
    }
}

/// Reads `path` into segments of `spec.column`. A feature or score column that the file
/// lacks reads as missing (the whole report has already named such a file).
///
/// # Errors
/// [`SegmentError::UnknownColumn`] listing the file's columns when the segment column
/// is not in its header; [`SegmentError::File`] naming the line for a malformed row, a
/// numeric cell or score that is not a number; [`SegmentError::TooManySegments`].
pub fn segment_columns_from_csv(
    path: &Path,
    spec: SegmentCsv<'_>,
) -> Result<SegmentColumns, SegmentError> {
    let mut reader = open(path)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| in_file(path, 1, SegmentError::Csv(e)))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (column, kind) = spec.column;
    let segment_at = at(column).ok_or_else(|| SegmentError::UnknownColumn {
        column: column.to_owned(),
        valid: header
            .iter()
            .filter(|h| Some(h.as_str()) != spec.score_column)
            .cloned()
            .collect(),
    })?;
    let positions: Vec<Option<usize>> = spec.features.iter().map(|(n, _)| at(n)).collect();
    let score_at = spec.score_column.and_then(at);
    let mut side = SegmentColumns::new(column, kind, spec.features.to_vec());
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(line + 1, csv::Position::line);
                return Err(in_file(path, line, SegmentError::Csv(e)));
            }
        }
        line = record.position().map_or(line + 1, csv::Position::line);
        let cells: Vec<Option<&str>> = positions
            .iter()
            .map(|p| p.and_then(|i| record.get(i)))
            .collect();
        let score = match score_at.map(|i| record.get(i).unwrap_or("").trim()) {
            None | Some("") => None,
            Some(text) => Some(text.parse::<f64>().map_err(|_| {
                in_file(
                    path,
                    line,
                    SegmentError::NotANumber {
                        row: side.rows() + 1,
                        column: spec.score_column.unwrap_or_default().to_owned(),
                        value: text.chars().take(40).collect(),
                    },
                )
            })?),
        };
        side.push_row(record.get(segment_at), &cells, score)
            .map_err(|e| match e {
                SegmentError::TooManySegments { .. } => e,
                other => in_file(path, line, other),
            })?;
    }
    Ok(side)
}
