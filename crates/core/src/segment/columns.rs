//! Rows split by the value of the segment column, summarised per segment as the drift
//! statistics need them (numeric values and category counts, and the score).

use std::collections::BTreeMap;

use super::{MAX_SEGMENTS, SegmentError};
use crate::drift::{CategoricalValues, ColumnValues, NamedColumn, NumericValues};
use crate::records::FeatureKind;

/// The segment of rows whose segment cell is empty.
pub const MISSING_SEGMENT: &str = "(missing)";

/// Longest cell echoed back in an error message.
const MAX_ECHO: usize = 40;

/// The segment a cell belongs to. Numeric cells are normalised (`35`, `35.0` and ` 35 `
/// are one segment) so that a training file and the prediction log, which write numbers
/// differently, agree; a numeric cell that does not parse keeps its text.
pub(crate) fn segment_key(kind: FeatureKind, cell: Option<&str>) -> String {
    let Some(text) = cell.map(str::trim).filter(|c| !c.is_empty()) else {
        return MISSING_SEGMENT.to_owned();
    };
    match kind {
        FeatureKind::Numeric => text
            .parse::<f64>()
            .map_or_else(|_| text.to_owned(), |x| x.to_string()),
        FeatureKind::Categorical => text.to_owned(),
    }
}

/// Adds `key` to `map` unless that would make more than [`MAX_SEGMENTS`] segments.
pub(crate) fn entry_or_refuse<'m, T>(
    map: &'m mut BTreeMap<String, T>,
    key: String,
    column: &str,
    new: impl FnOnce() -> T,
) -> Result<&'m mut T, SegmentError> {
    if !map.contains_key(&key) && map.len() >= MAX_SEGMENTS {
        return Err(SegmentError::TooManySegments {
            column: column.to_owned(),
            max: MAX_SEGMENTS,
        });
    }
    Ok(map.entry(key).or_insert_with(new))
}

#[derive(Debug, Clone)]
enum Accumulator {
    Numeric(NumericValues),
    Categorical(CategoricalValues),
}

/// One segment's rows, summarised.
#[derive(Debug, Clone)]
pub(crate) struct SegmentPart {
    /// The features, in the order given to [`SegmentColumns::new`].
    pub columns: Vec<NamedColumn>,
    /// The scores, when the rows carried any.
    pub score: Option<NumericValues>,
    /// Rows of the segment.
    pub rows: u64,
}

#[derive(Debug, Clone)]
struct Part {
    columns: Vec<Accumulator>,
    score: Option<NumericValues>,
    rows: u64,
}

/// Rows of one side (the reference or the current window) split by segment.
///
/// # Examples
/// ```
/// use scorewatch_core::{FeatureKind, SegmentColumns};
/// let mut rows = SegmentColumns::new(
///     "region",
///     FeatureKind::Categorical,
///     vec![("age".into(), FeatureKind::Numeric)],
/// );
/// rows.push_row(Some("north"), &[Some("35")], Some(0.2)).unwrap();
/// rows.push_row(Some("south"), &[None], Some(0.7)).unwrap();
/// rows.push_row(Some("north"), &[Some("41")], Some(0.1)).unwrap();
/// assert_eq!(rows.segment_rows(), [("north", 2), ("south", 1)].into());
/// ```
#[derive(Debug, Clone)]
pub struct SegmentColumns {
    column: String,
    kind: FeatureKind,
    features: Vec<(String, FeatureKind)>,
    parts: BTreeMap<String, Part>,
    rows: u64,
}

impl SegmentColumns {
    /// Empty sides segmented by `column` (of `kind`), summarising `features` (name and
    /// kind, in the order [`Self::push_row`] gets their cells).
    #[must_use]
    pub fn new(
        column: impl Into<String>,
        kind: FeatureKind,
        features: Vec<(String, FeatureKind)>,
    ) -> Self {
        Self {
            column: column.into(),
            kind,
            features,
            parts: BTreeMap::new(),
            rows: 0,
        }
    }

    /// Adds one row: its segment cell, its feature cells (`None` or empty is missing) and
    /// its score, when known.
    ///
    /// # Errors
    /// [`SegmentError::RowWidth`], [`SegmentError::NotANumber`] for a numeric feature's
    /// cell that does not parse, [`SegmentError::TooManySegments`].
    pub fn push_row(
        &mut self,
        segment: Option<&str>,
        cells: &[Option<&str>],
        score: Option<f64>,
    ) -> Result<(), SegmentError> {
        let row = self.rows + 1;
        if cells.len() != self.features.len() {
            return Err(SegmentError::RowWidth {
                row,
                expected: self.features.len(),
                got: cells.len(),
            });
        }
        let features = &self.features;
        let key = segment_key(self.kind, segment);
        let part = entry_or_refuse(&mut self.parts, key, &self.column, || Part {
            columns: features
                .iter()
                .map(|(_, kind)| match kind {
                    FeatureKind::Numeric => Accumulator::Numeric(NumericValues::new()),
                    FeatureKind::Categorical => Accumulator::Categorical(CategoricalValues::new()),
                })
                .collect(),
            score: None,
            rows: 0,
        })?;
        for ((accumulator, cell), (name, _)) in part.columns.iter_mut().zip(cells).zip(features) {
            let cell = cell.map(str::trim).filter(|c| !c.is_empty());
            match accumulator {
                Accumulator::Numeric(values) => match cell {
                    None => values.push_missing(),
                    Some(text) => {
                        let value = text.parse().map_err(|_| SegmentError::NotANumber {
                            row,
                            column: name.clone(),
                            value: text.chars().take(MAX_ECHO).collect(),
                        })?;
                        values.push(value);
                    }
                },
                Accumulator::Categorical(values) => values.push(cell),
            }
        }
        if let Some(score) = score {
            part.score
                .get_or_insert_with(NumericValues::new)
                .push(score);
        }
        part.rows += 1;
        self.rows = row;
        Ok(())
    }

    /// The segment column.
    #[must_use]
    pub fn column(&self) -> &str {
        &self.column
    }

    /// Rows pushed, all segments.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows of each segment, by segment value.
    #[must_use]
    pub fn segment_rows(&self) -> BTreeMap<&str, u64> {
        self.parts
            .iter()
            .map(|(key, part)| (key.as_str(), part.rows))
            .collect()
    }

    /// The summaries of each segment, by segment value.
    pub(crate) fn into_parts(self) -> BTreeMap<String, SegmentPart> {
        let names: Vec<String> = self.features.into_iter().map(|(name, _)| name).collect();
        self.parts
            .into_iter()
            .map(|(key, part)| {
                let columns = names
                    .iter()
                    .zip(part.columns)
                    .map(|(name, accumulator)| NamedColumn {
                        name: name.clone(),
                        values: match accumulator {
                            Accumulator::Numeric(v) => ColumnValues::Numeric(v),
                            Accumulator::Categorical(v) => ColumnValues::Categorical(v),
                        },
                    })
                    .collect();
                (
                    key,
                    SegmentPart {
                        columns,
                        score: part.score,
                        rows: part.rows,
                    },
                )
            })
            .collect()
    }
}
