//! One CSV row of a prediction log as a [`PredictionRecord`].

use std::path::Path;

use csv::StringRecord;

use super::PREDICTION_BASE_COLUMNS;
use crate::records::PredictionRecord;
use crate::store::StoreError;
use crate::store::csv_log::RowLocation;
use crate::store::fields::{check_width, field, field_error, parse_binary, parse_timestamp};

/// Parses one row of a log whose header is `header`.
pub(super) fn parse_row(
    record: &StringRecord,
    header: &[String],
    path: &Path,
    location: RowLocation,
) -> Result<PredictionRecord, StoreError> {
    check_width(record, header, path, location)?;
    let get = |i: usize| field(record, i, &header[i], path, location);
    let score_text = get(3)?;
    let score = score_text
        .parse::<f64>()
        .ok()
        .filter(|s| (0.0..=1.0).contains(s))
        .ok_or_else(|| {
            field_error(
                path,
                location,
                "score",
                &format!("{score_text:?} is not a probability"),
            )
        })?;
    let decision = parse_binary(get(4)?, "decision", path, location)?;
    Ok(PredictionRecord {
        prediction_id: get(0)?.to_owned(),
        timestamp: parse_timestamp(get(1)?, path, location)?,
        model_version: get(2)?.to_owned(),
        score,
        decision,
        features: record
            .iter()
            .skip(PREDICTION_BASE_COLUMNS.len())
            .map(|v| (!v.is_empty()).then(|| v.to_owned()))
            .collect(),
    })
}
