//! The outcome horizon (`serve --outcome-horizon-days`): how old a prediction may be and
//! still take its outcome.
//!
//! The outcome index holds one entry per prediction it knows, so without a bound its
//! memory grows with the whole history. With the horizon it loads, at start, only the
//! predictions of the last `D` days, and memory follows the horizon. An outcome for an
//! older prediction is refused with 422 `outside_outcome_horizon`, naming the horizon
//! and the flag, rather than a 404 that would say the id never existed: a server id is
//! a UUID v7, which carries the millisecond it was made, so its age is known without
//! any lookup. (An id that is not a UUID v7 carries no time; when it is unknown the
//! answer stays 404.)

use std::num::NonZeroU32;

use time::{Duration, OffsetDateTime};

/// How many days back outcomes are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeHorizon {
    days: NonZeroU32,
}

impl OutcomeHorizon {
    /// A horizon of `days` days.
    #[must_use]
    pub fn new(days: NonZeroU32) -> Self {
        Self { days }
    }

    /// The horizon in days.
    #[must_use]
    pub fn days(self) -> u32 {
        self.days.get()
    }

    /// The oldest instant inside the horizon at `now`.
    #[must_use]
    pub fn start(self, now: OffsetDateTime) -> OffsetDateTime {
        now - Duration::days(i64::from(self.days.get()))
    }

    /// When `id` is a UUID v7 made before the horizon's start at `now`: the message of
    /// the 422, naming the id's day, the horizon and the flag. `None` otherwise.
    #[must_use]
    pub fn refusal(self, id: &str, now: OffsetDateTime) -> Option<String> {
        let uuid = uuid::Uuid::parse_str(id).ok()?;
        if uuid.get_version_num() != 7 {
            return None;
        }
        let (secs, nanos) = uuid.get_timestamp()?.to_unix();
        let made = OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()?
            + Duration::nanoseconds(i64::from(nanos));
        (made < self.start(now)).then(|| {
            format!(
                "prediction {id} was made on {}, more than {} days ago: outcomes are taken \
                 only within the outcome horizon (serve --outcome-horizon-days {}, env \
                 SCOREWATCH_OUTCOME_HORIZON_DAYS)",
                made.date(),
                self.days,
                self.days
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn v7_at(at: OffsetDateTime) -> String {
        let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).expect("after 1970");
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, millis / 1000, 0);
        uuid::Uuid::new_v7(ts).to_string()
    }

    #[test]
    fn only_a_uuid_v7_older_than_the_horizon_is_refused() {
        let horizon = OutcomeHorizon::new(NonZeroU32::new(30).expect("30 > 0"));
        let now = datetime!(2026-12-03 12:00 UTC);
        let old = v7_at(datetime!(2026-11-01 12:00 UTC));
        let message = horizon.refusal(&old, now).expect("older than 30 days");
        assert!(message.contains("2026-11-01"), "{message}");
        assert!(message.contains("--outcome-horizon-days 30"), "{message}");
        assert_eq!(
            horizon.refusal(&v7_at(datetime!(2026-11-05 12:00 UTC)), now),
            None
        );
        // No time in the id: not refused here (unknown stays 404).
        assert_eq!(horizon.refusal("loan-42", now), None);
        assert_eq!(
            horizon.refusal("550e8400-e29b-41d4-a716-446655440000", now),
            None
        );
    }
}
