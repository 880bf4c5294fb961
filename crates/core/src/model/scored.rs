//! Reading a CSV of model scores and, where it has them, labels (`scorewatch evaluate`
//! and `scorewatch estimate`).

use std::path::Path;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

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

/// Scores, and labels when the file has the label column.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoresMaybeLabelled {
    /// One score per row.
    pub scores: Vec<f64>,
    /// One label per row (`true` = positive class); `None` without the label column.
    pub labels: Option<Vec<bool>>,
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
    let (rows, _) = read_scores(path, score_column, label_column, positive, true, None)?;
    Ok(ScoredRows {
        scores: rows.scores,
        // `read_scores` refused a file without the label column.
        labels: rows.labels.unwrap_or_default(),
    })
}

/// As [`read_scored_csv`], but a file without `label_column` is read as unlabelled
/// (a window whose outcomes have not arrived).
///
/// # Errors
/// As [`read_scored_csv`], except a missing label column.
pub fn read_scores_csv(
    path: &Path,
    score_column: &str,
    label_column: &str,
    positive: &str,
) -> Result<ScoresMaybeLabelled, DataError> {
    read_scores(path, score_column, label_column, positive, false, None).map(|(rows, _)| rows)
}

/// As [`read_scores_csv`] (labels required when `labels_required`), with each row's time
/// from `timestamp_column` (RFC 3339, for chunks by period).
///
/// # Errors
/// As [`read_scores_csv`]; a missing timestamp column, and a cell that is not an RFC 3339
/// timestamp, named by file, line and column.
pub fn read_timed_scores_csv(
    path: &Path,
    score_column: &str,
    label_column: &str,
    positive: &str,
    labels_required: bool,
    timestamp_column: &str,
) -> Result<(ScoresMaybeLabelled, Vec<OffsetDateTime>), DataError> {
    read_scores(
        path,
        score_column,
        label_column,
        positive,
        labels_required,
        Some(timestamp_column),
    )
}

/// The reader of all three: a missing label column is [`DataError::MissingTarget`] when
/// `labels_required`, found at the header like every missing column; timestamps are read
/// when `timestamp_column` is given.
fn read_scores(
    path: &Path,
    score_column: &str,
    label_column: &str,
    positive: &str,
    labels_required: bool,
    timestamp_column: Option<&str>,
) -> Result<(ScoresMaybeLabelled, Vec<OffsetDateTime>), DataError> {
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
    let label_index = find(label_column).ok();
    let time_index = timestamp_column.map(find).transpose()?;
    let mut timestamps = Vec::new();
    if labels_required && label_index.is_none() {
        return Err(DataError::MissingTarget {
            path: path.to_owned(),
            column: label_column.to_owned(),
        });
    }
    let mut rows = ScoresMaybeLabelled {
        scores: Vec::new(),
        labels: label_index.map(|_| Vec::new()),
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
        if let (Some(index), Some(labels)) = (label_index, rows.labels.as_mut()) {
            let label = record.get(index).unwrap_or("").trim();
            if label.is_empty() {
                return Err(DataError::MissingLabel {
                    path: path.to_owned(),
                    line,
                    column: label_column.to_owned(),
                });
            }
            labels.push(label == positive);
        }
        if let (Some(index), Some(column)) = (time_index, timestamp_column) {
            let cell = record.get(index).unwrap_or("").trim();
            let time =
                OffsetDateTime::parse(cell, &Rfc3339).map_err(|_| DataError::NotTimestamp {
                    path: path.to_owned(),
                    line,
                    column: column.to_owned(),
                    value: cell.to_owned(),
                })?;
            timestamps.push(time);
        }
        rows.scores.push(score);
    }
    if rows.scores.is_empty() {
        return Err(DataError::Empty {
            path: path.to_owned(),
        });
    }
    Ok((rows, timestamps))
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
        let unlabelled = read_scores_csv(&path, "p", "label", "yes").unwrap_err();
        assert!(
            unlabelled.to_string().contains("'high' is not a number"),
            "{unlabelled}"
        );
        std::fs::write(&path, "id,p\n1,0.2\n2,0.9\n").unwrap();
        let rows = read_scores_csv(&path, "p", "y", "yes").unwrap();
        assert_eq!((rows.scores, rows.labels), (vec![0.2, 0.9], None));
        std::fs::write(&path, "").unwrap();
        assert!(matches!(
            read_scored_csv(&path, "p", "y", "1"),
            Err(DataError::Empty { .. })
        ));
    }

    #[test]
    fn reads_timestamps_and_names_a_bad_one_by_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(
            &path,
            "p,ts\n0.2,2026-03-01T12:00:00Z\n0.9,2026-03-02T00:30:00+02:00\n",
        )
        .unwrap();
        let (rows, times) = read_timed_scores_csv(&path, "p", "y", "1", false, "ts").unwrap();
        assert_eq!(rows.scores, vec![0.2, 0.9]);
        assert_eq!(
            times,
            [
                time::macros::datetime!(2026-03-01 12:00 UTC),
                time::macros::datetime!(2026-03-01 22:30 UTC)
            ]
        );
        std::fs::write(&path, "p,ts\n0.2,2026-03-01T12:00:00Z\n0.9,2026-03-02\n").unwrap();
        let err = read_timed_scores_csv(&path, "p", "y", "1", false, "ts")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "{}: line 3, column 'ts': '2026-03-02' is not an RFC 3339 timestamp (like \
                 2026-03-01T12:00:00Z)",
                path.display()
            )
        );
        let err = read_timed_scores_csv(&path, "p", "y", "1", false, "time")
            .unwrap_err()
            .to_string();
        assert!(err.contains("'time'"), "{err}");
    }
}
