//! Reading a scored, labelled CSV (for `scorewatch evaluate`).

use std::path::Path;

use super::dataset::DataError;
use super::schema::parse_number;

/// Scores and labels read from a CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredRows {
    /// One score per row.
    pub scores: Vec<f64>,
    /// One label per row (`true` = positive class).
    pub labels: Vec<bool>,
}

/// Reads `score_column` as numbers and `label_column` as labels (`positive` is the
/// positive class, any other value negative). One class only is allowed here: the metrics
/// that need two are reported undefined.
///
/// # Errors
/// [`DataError`] naming the file, line and column: unreadable file, empty file, missing
/// column, empty or non-numeric score, empty label.
pub fn read_scored_csv(
    path: &Path,
    score_column: &str,
    label_column: &str,
    positive: &str,
) -> Result<ScoredRows, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader
        .headers()
        .map_err(|source| DataError::Csv {
            path: path.to_owned(),
            line: 1,
            source,
        })?
        .clone();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(DataError::Empty {
            path: path.to_owned(),
        });
    }
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| DataError::MissingFeature {
                path: path.to_owned(),
                column: name.to_owned(),
            })
    };
    let score_index = find(score_column)?;
    let label_index = find(label_column).map_err(|_| DataError::MissingTarget {
        path: path.to_owned(),
        column: label_column.to_owned(),
    })?;
    let mut rows = ScoredRows {
        scores: Vec::new(),
        labels: Vec::new(),
    };
    for record in reader.records() {
        let record = record.map_err(|source| DataError::Csv {
            path: path.to_owned(),
            line: source.position().map_or(0, csv::Position::line),
            source,
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let cell = record.get(score_index).unwrap_or("");
        let score = parse_number(cell)
            .ok()
            .flatten()
            .ok_or_else(|| DataError::NotNumeric {
                path: path.to_owned(),
                line,
                column: score_column.to_owned(),
                value: cell.to_owned(),
            })?;
        let label = record.get(label_index).unwrap_or("").trim();
        if label.is_empty() {
            return Err(DataError::MissingLabel {
                path: path.to_owned(),
                line,
                column: label_column.to_owned(),
            });
        }
        rows.scores.push(score);
        rows.labels.push(label == positive);
    }
    if rows.scores.is_empty() {
        return Err(DataError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scores_and_labels_with_located_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        std::fs::write(&path, "id,p,y\n1,0.2,no\n2,0.9,yes\n").unwrap();
        let rows = read_scored_csv(&path, "p", "y", "yes").unwrap();
        assert_eq!(rows.scores, vec![0.2, 0.9]);
        assert_eq!(rows.labels, vec![false, true]);

        std::fs::write(&path, "id,p,y\n1,0.2,no\n2,high,yes\n").unwrap();
        let err = read_scored_csv(&path, "p", "y", "yes")
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("line 3, column 'p': 'high' is not a number (the column is numeric)"),
            "{err}"
        );
        let err = read_scored_csv(&path, "p", "label", "yes")
            .unwrap_err()
            .to_string();
        assert!(err.contains("target column 'label' is missing"), "{err}");
        std::fs::write(&path, "").unwrap();
        assert!(matches!(
            read_scored_csv(&path, "p", "y", "1"),
            Err(DataError::Empty { .. })
        ));
    }
}
