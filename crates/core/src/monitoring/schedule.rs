//! When a background job is due: at most once per interval, whichever thread asks first.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Allows a job at most once per `interval`, shared by all request threads without a lock.
#[derive(Debug)]
pub struct IntervalSchedule {
    started: Instant,
    interval_ms: u64,
    /// Milliseconds after `started` from which the next run is allowed.
    next_ms: AtomicU64,
}

impl IntervalSchedule {
    /// A schedule whose first run is allowed at once.
    #[must_use]
    pub fn new(interval: Duration) -> Self {
        Self {
            started: Instant::now(),
            interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
            next_ms: AtomicU64::new(0),
        }
    }

    /// Whether a run is due now; if so, the next one is pushed an interval ahead, and of
    /// threads asking at the same moment exactly one is told yes.
    pub fn take_if_due(&self) -> bool {
        self.take_if_due_at(self.started.elapsed())
    }

    fn take_if_due_at(&self, elapsed: Duration) -> bool {
        let now = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let next = self.next_ms.load(Ordering::Relaxed);
        if now < next {
            return false;
        }
        self.next_ms
            .compare_exchange(
                next,
                now.saturating_add(self.interval_ms),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn runs_once_per_interval() {
        let schedule = IntervalSchedule::new(Duration::from_mins(1));
        assert!(schedule.take_if_due_at(Duration::ZERO));
        assert!(!schedule.take_if_due_at(Duration::from_secs(59)));
        assert!(schedule.take_if_due_at(Duration::from_mins(1)));
        assert!(!schedule.take_if_due_at(Duration::from_secs(61)));
        assert!(schedule.take_if_due_at(Duration::from_secs(125)));
    }

    #[test]
    fn of_racing_threads_exactly_one_runs() {
        let schedule = Arc::new(IntervalSchedule::new(Duration::from_hours(1)));
        let winners: usize = (0..8)
            .map(|_| {
                let schedule = Arc::clone(&schedule);
                std::thread::spawn(move || schedule.take_if_due())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|thread| usize::from(thread.join().unwrap()))
            .sum();
        assert_eq!(winners, 1);
    }
}
