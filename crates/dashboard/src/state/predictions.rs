//! The predictions tab's state: the filter as typed, the query it makes, and the loaded
//! rows, with the function that applies a page of predictions.

use scorewatch_core::views::PredictionsPage;
use time::OffsetDateTime;

use crate::client::PredictionsQuery;
use crate::format::format_time;

/// Largest page the API serves (`limit` is 1 to 1000).
pub const MAX_PAGE_SIZE: usize = 1000;

/// How many predictions "Load up to 10,000" fetches, page by page.
pub const MAX_LOADED_PREDICTIONS: usize = 10_000;

/// A time window preset of the predictions filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeRange {
    /// No time filter.
    #[default]
    All,
    /// The last hour.
    LastHour,
    /// The last 24 hours.
    LastDay,
    /// The last 7 days.
    LastWeek,
    /// RFC 3339 bounds typed by the user.
    Custom,
}

impl TimeRange {
    /// Every preset, in display order.
    pub const ALL: [Self; 5] = [
        Self::All,
        Self::LastHour,
        Self::LastDay,
        Self::LastWeek,
        Self::Custom,
    ];

    /// How it is shown.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All time",
            Self::LastHour => "Last hour",
            Self::LastDay => "Last 24 hours",
            Self::LastWeek => "Last 7 days",
            Self::Custom => "Custom range",
        }
    }
}

/// The filters of the predictions tab, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PredictionFilter {
    /// Model version; empty for all.
    pub model_version: String,
    /// Time window.
    pub range: TimeRange,
    /// Custom lower bound, RFC 3339.
    pub since: String,
    /// Custom upper bound, RFC 3339.
    pub until: String,
}

/// Why a filter cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A custom bound is not RFC 3339.
    #[error("field `{field}`: `{value}` is not an RFC 3339 time such as 2026-01-31T12:00:00Z")]
    BadTime {
        /// `since` or `until`.
        field: &'static str,
        /// What was typed.
        value: String,
    },
    /// The window is empty.
    #[error("field `until`: must be after `since`")]
    EmptyWindow,
}

impl PredictionFilter {
    /// The query for the first page of this filter at time `now`.
    ///
    /// # Errors
    /// [`FilterError`] when a custom bound does not parse or the window is empty.
    pub fn query(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<PredictionsQuery, FilterError> {
        let parse =
            |field: &'static str, value: &str| -> Result<Option<OffsetDateTime>, FilterError> {
                let value = value.trim();
                if value.is_empty() {
                    return Ok(None);
                }
                OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
                    .map(Some)
                    .map_err(|_| FilterError::BadTime {
                        field,
                        value: value.to_owned(),
                    })
            };
        let (since, until) = match self.range {
            TimeRange::All => (None, None),
            TimeRange::LastHour => (Some(now - time::Duration::HOUR), None),
            TimeRange::LastDay => (Some(now - time::Duration::DAY), None),
            TimeRange::LastWeek => (Some(now - time::Duration::WEEK), None),
            TimeRange::Custom => (parse("since", &self.since)?, parse("until", &self.until)?),
        };
        if let (Some(since), Some(until)) = (since, until)
            && until <= since
        {
            return Err(FilterError::EmptyWindow);
        }
        let model_version = self.model_version.trim();
        Ok(PredictionsQuery {
            limit,
            offset: 0,
            since,
            until,
            model_version: (!model_version.is_empty()).then(|| model_version.to_owned()),
        })
    }
}

/// The predictions tab's data and choices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictionsState {
    /// Whether an answer for the current filter has arrived.
    pub loaded: bool,
    /// Loaded rows, newest first.
    pub rows: Vec<PredictionsRow>,
    /// Whether older matching predictions exist.
    pub has_more: bool,
    /// The filter being edited.
    pub filter: PredictionFilter,
    /// The query the rows answer (paging aside); answers to other queries are stale.
    pub active: Option<PredictionsQuery>,
    /// Why the filter cannot be applied.
    pub filter_error: Option<String>,
    /// Keep fetching pages until this many rows are loaded (0: one page at a time).
    pub load_until: usize,
}

/// One prediction as the table shows it: formatted once when it arrives, so drawing
/// 10,000 rows does no formatting.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionsRow {
    /// Prediction id.
    pub id: String,
    /// Time, `YYYY-MM-DD HH:MM:SS`.
    pub time: String,
    /// Model version.
    pub model_version: String,
    /// Score.
    pub score: f64,
    /// Decision.
    pub decision: u8,
    /// Features as `name=value`, comma separated.
    pub features: String,
}

/// Applies a page of `GET /monitoring/predictions` asked with `query`. A page for another
/// filter than the active one is stale and dropped; offset 0 replaces, the next offset
/// appends.
pub fn apply_predictions(
    predictions: &mut PredictionsState,
    query: &PredictionsQuery,
    page: PredictionsPage,
) {
    if let Some(active) = &predictions.active
        && !active.same_filter(query)
    {
        return;
    }
    let rows = page.predictions.into_iter().map(|p| PredictionsRow {
        features: p
            .features
            .iter()
            .map(|(name, value)| match value {
                serde_json::Value::Null => format!("{name}=null"),
                serde_json::Value::String(text) => format!("{name}={text}"),
                other => format!("{name}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        time: format_time(p.timestamp),
        id: p.prediction_id,
        model_version: p.model_version,
        score: p.score,
        decision: p.decision,
    });
    if page.offset == 0 {
        predictions.rows = rows.collect();
    } else if page.offset == predictions.rows.len() {
        predictions.rows.extend(rows);
    } else {
        // An answer for a page that no longer follows the loaded rows (a refresh raced a
        // "load more"); keeping it would duplicate or skip rows.
        return;
    }
    predictions.loaded = true;
    predictions.has_more = page.has_more;
}
