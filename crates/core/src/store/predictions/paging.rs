//! One newest-first page of predictions, filled from the current log and then the
//! archives.

use std::ops::ControlFlow;
use std::path::Path;

use time::OffsetDateTime;

use super::row::parse_row;
use super::{ORDER_SLACK, PredictionQuery};
use crate::records::PredictionRecord;
use crate::store::StoreError;
use crate::store::csv_log::NewestFirst;

/// A page of [`PredictionLog::recent`] being filled from one log after another, newest
/// first.
pub(super) struct RecentPage<'q> {
    query: &'q PredictionQuery,
    /// Rows older than this end the read (see [`ORDER_SLACK`]).
    stop_before: Option<OffsetDateTime>,
    skipped: usize,
    pub(super) out: Vec<PredictionRecord>,
}

impl<'q> RecentPage<'q> {
    pub(super) fn new(query: &'q PredictionQuery) -> Self {
        Self {
            query,
            stop_before: query.since.map(|since| since - ORDER_SLACK),
            skipped: 0,
            out: Vec::with_capacity(query.limit.min(10_000)),
        }
    }

    /// Adds matching rows of one log; breaks when the page is full or the rows are older
    /// than `since` (every later log is older still).
    pub(super) fn fill(
        &mut self,
        rows: &mut NewestFirst,
        header: &[String],
        path: &Path,
    ) -> Result<ControlFlow<()>, StoreError> {
        let query = self.query;
        if self.out.len() >= query.limit {
            return Ok(ControlFlow::Break(()));
        }
        while let Some((location, record)) = rows.next_row()? {
            if let Some(version) = &query.model_version
                && record.get(2) != Some(version.as_str())
            {
                continue;
            }
            let prediction = parse_row(record, header, path, location)?;
            if query
                .until
                .is_some_and(|until| prediction.timestamp > until)
            {
                continue;
            }
            if let Some(since) = query.since
                && prediction.timestamp < since
            {
                if self
                    .stop_before
                    .is_some_and(|stop| prediction.timestamp < stop)
                {
                    return Ok(ControlFlow::Break(()));
                }
                continue;
            }
            if self.skipped < query.offset {
                self.skipped += 1;
                continue;
            }
            self.out.push(prediction);
            if self.out.len() == query.limit {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }
}
