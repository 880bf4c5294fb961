//! How rows are cut into chunks: by count (NannyML's `SizeBasedChunker`) or by the
//! period their timestamp falls in (NannyML's `PeriodBasedChunker`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time};

/// A chunk period: a whole number of hours, days or weeks (`1h`, `6h`, `1d`, `7d`, `1w`).
///
/// Hour and day periods are counted from midnight UTC of the earliest timestamp, as
/// pandas' `Grouper(freq=...)` does with its default `origin="start_day"`, so `1d` chunks
/// are calendar days and `1h` chunks clock hours. Week periods start on a Monday at
/// midnight UTC (ISO weeks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChunkPeriod {
    count: u32,
    unit: PeriodUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PeriodUnit {
    Hour,
    Day,
    Week,
}

impl PeriodUnit {
    fn suffix(self) -> char {
        match self {
            PeriodUnit::Hour => 'h',
            PeriodUnit::Day => 'd',
            PeriodUnit::Week => 'w',
        }
    }

    fn length(self) -> Duration {
        match self {
            PeriodUnit::Hour => Duration::HOUR,
            PeriodUnit::Day => Duration::DAY,
            PeriodUnit::Week => Duration::WEEK,
        }
    }
}

/// A string that is not a [`ChunkPeriod`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid chunk period '{0}': use a whole number from 1 to 10000 followed by h, d or w \
     (1h, 6h, 1d, 7d, 1w)"
)]
pub struct InvalidChunkPeriod(pub String);

impl ChunkPeriod {
    /// The length of one period.
    #[must_use]
    pub fn length(self) -> Duration {
        self.unit.length() * self.count
    }

    /// Where the first period of data starting at `first` begins.
    fn origin(self, first: OffsetDateTime) -> OffsetDateTime {
        let midnight = first
            .to_offset(time::UtcOffset::UTC)
            .replace_time(Time::MIDNIGHT);
        match self.unit {
            PeriodUnit::Week => {
                midnight - Duration::days(i64::from(midnight.weekday().number_days_from_monday()))
            }
            PeriodUnit::Hour | PeriodUnit::Day => midnight,
        }
    }
}

impl FromStr for ChunkPeriod {
    type Err = InvalidChunkPeriod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidChunkPeriod(s.to_owned());
        // The unit is the last character, which need not be one byte long (`1µ`).
        let (split, _) = s.char_indices().next_back().ok_or_else(bad)?;
        let (digits, unit) = s.split_at(split);
        let unit = match unit {
            "h" | "H" => PeriodUnit::Hour,
            "d" | "D" => PeriodUnit::Day,
            "w" | "W" => PeriodUnit::Week,
            _ => return Err(bad()),
        };
        // A bare unit means one of it, as in pandas (`D` is one day).
        let count = if digits.is_empty() {
            1
        } else if digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse().map_err(|_| bad())?
        } else {
            return Err(bad());
        };
        if !(1..=10_000).contains(&count) {
            return Err(bad());
        }
        Ok(Self { count, unit })
    }
}

impl TryFrom<String> for ChunkPeriod {
    type Error = InvalidChunkPeriod;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ChunkPeriod> for String {
    fn from(p: ChunkPeriod) -> String {
        p.to_string()
    }
}

impl fmt::Display for ChunkPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit.suffix())
    }
}

/// How to cut rows into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    /// Consecutive rows, this many per chunk; a shorter last chunk is kept (NannyML's
    /// `SizeBasedChunker(incomplete='keep')`).
    Size(usize),
    /// Rows whose timestamps fall in the same period.
    Period(ChunkPeriod),
}

/// The rows of one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ChunkRows {
    /// Row indices, ascending.
    pub rows: Vec<usize>,
    /// The period `[start, end)`, for period chunks.
    pub period: Option<(OffsetDateTime, OffsetDateTime)>,
}

/// Consecutive chunks of `size` rows.
pub(super) fn size_chunks(rows: usize, size: usize) -> Vec<ChunkRows> {
    (0..rows)
        .step_by(size.max(1))
        .map(|start| ChunkRows {
            rows: (start..(start + size).min(rows)).collect(),
            period: None,
        })
        .collect()
}

/// One chunk per period holding at least one row, in time order; rows keep their order
/// within a chunk. Periods without rows are left out, as pandas' `groupby` does.
pub(super) fn period_chunks(timestamps: &[OffsetDateTime], period: ChunkPeriod) -> Vec<ChunkRows> {
    let Some(&first) = timestamps.iter().min() else {
        return Vec::new();
    };
    let origin = period.origin(first);
    let length = period.length().whole_seconds();
    let mut keyed: Vec<(i64, usize)> = timestamps
        .iter()
        .enumerate()
        .map(|(i, t)| ((*t - origin).whole_seconds().div_euclid(length), i))
        .collect();
    keyed.sort_unstable();
    let mut chunks: Vec<ChunkRows> = Vec::new();
    let mut current_key = None;
    for (key, row) in keyed {
        if current_key != Some(key) {
            current_key = Some(key);
            let start = origin + Duration::seconds(key * length);
            chunks.push(ChunkRows {
                rows: Vec::new(),
                period: Some((start, start + period.length())),
            });
        }
        if let Some(chunk) = chunks.last_mut() {
            chunk.rows.push(row);
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn periods_parse_and_print() {
        for (text, printed, hours) in [
            ("1h", "1h", 1),
            ("6h", "6h", 6),
            ("1d", "1d", 24),
            ("D", "1d", 24),
            ("7d", "7d", 168),
            ("1w", "1w", 168),
        ] {
            let period: ChunkPeriod = text.parse().unwrap();
            assert_eq!(period.to_string(), printed);
            assert_eq!(period.length(), Duration::hours(hours));
        }
        // Non-ASCII last characters (schemathesis sent `\u{80}`) are refused, not split
        // inside a character.
        for bad in [
            "", "0d", "1m", "d1", "-1d", "1.5d", "1 d", "99999d", "1dd", "\u{80}", "1µ", "dé",
        ] {
            let err = bad.parse::<ChunkPeriod>().unwrap_err();
            assert!(err.to_string().contains(&format!("'{bad}'")), "{err}");
        }
    }

    #[test]
    fn day_chunks_are_calendar_days_in_time_order_and_skip_empty_days() {
        let ts = [
            datetime!(2026-03-03 10:00 UTC),
            datetime!(2026-03-01 23:59:59 UTC),
            datetime!(2026-03-01 00:00 UTC),
            datetime!(2026-03-03 00:00 UTC),
        ];
        let chunks = period_chunks(&ts, "1d".parse().unwrap());
        assert_eq!(chunks.len(), 2, "2026-03-02 has no rows");
        assert_eq!(chunks[0].rows, [1, 2]);
        assert_eq!(
            chunks[0].period,
            Some((
                datetime!(2026-03-01 00:00 UTC),
                datetime!(2026-03-02 00:00 UTC)
            ))
        );
        assert_eq!(chunks[1].rows, [0, 3]);
    }

    #[test]
    fn week_chunks_start_on_monday() {
        // 2026-03-04 is a Wednesday; its ISO week starts on Monday 2026-03-02.
        let chunks = period_chunks(&[datetime!(2026-03-04 12:00 UTC)], "1w".parse().unwrap());
        assert_eq!(
            chunks[0].period,
            Some((
                datetime!(2026-03-02 00:00 UTC),
                datetime!(2026-03-09 00:00 UTC)
            ))
        );
    }

    #[test]
    fn size_chunks_keep_a_short_last_chunk() {
        let chunks = size_chunks(5, 2);
        let rows: Vec<Vec<usize>> = chunks.into_iter().map(|c| c.rows).collect();
        assert_eq!(rows, vec![vec![0, 1], vec![2, 3], vec![4]]);
    }
}
