//! Field encodings shared by the CSV logs.

use std::path::Path;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::StoreError;
use super::csv_log::RowLocation;

/// RFC 3339 in UTC (`2026-03-01T12:00:00.123Z`), the timestamp form of every log.
pub(crate) fn format_timestamp(ts: OffsetDateTime, path: &Path) -> Result<String, StoreError> {
    ts.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| StoreError::InvalidRecord {
            path: path.to_owned(),
            field: "timestamp".to_owned(),
            reason: e.to_string(),
        })
}

pub(crate) fn parse_timestamp(
    text: &str,
    path: &Path,
    location: RowLocation,
) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
        field_error(
            path,
            location,
            "timestamp",
            &format!("{text:?} is not RFC 3339: {e}"),
        )
    })
}

/// A 0/1 column (`decision`, `actual`): anything else is an error naming the field.
pub(crate) fn parse_binary(
    text: &str,
    name: &str,
    path: &Path,
    location: RowLocation,
) -> Result<u8, StoreError> {
    match text {
        "0" => Ok(0),
        "1" => Ok(1),
        other => Err(field_error(
            path,
            location,
            name,
            &format!("{other:?} is not 0 or 1"),
        )),
    }
}

pub(crate) fn field_error(
    path: &Path,
    location: RowLocation,
    field: &str,
    reason: &str,
) -> StoreError {
    StoreError::CsvRow {
        path: path.to_owned(),
        location: location.to_string(),
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Field `i` of `record`, or an error naming it when the row is short.
pub(crate) fn field<'r>(
    record: &'r csv::StringRecord,
    i: usize,
    name: &str,
    path: &Path,
    location: RowLocation,
) -> Result<&'r str, StoreError> {
    record
        .get(i)
        .ok_or_else(|| field_error(path, location, name, "missing (row too short)"))
}

/// Checks that a row has exactly the header's number of fields.
pub(crate) fn check_width(
    record: &csv::StringRecord,
    header: &[String],
    path: &Path,
    location: RowLocation,
) -> Result<(), StoreError> {
    if record.len() == header.len() {
        Ok(())
    } else {
        Err(field_error(
            path,
            location,
            "(row)",
            &format!("{} fields, header has {}", record.len(), header.len()),
        ))
    }
}
