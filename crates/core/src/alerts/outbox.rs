//! The webhook outbox's rules, as pure functions over the book: which notifications
//! are due, and what a success or a failure does. The API's delivery worker does the
//! HTTP and stores the book after each step, so a restart picks up where it stopped.

use std::time::Duration as StdDuration;

use time::{Duration, OffsetDateTime};

use crate::records::{AlertBook, Notification};

/// When failed deliveries are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure; doubled after each further one.
    pub first: StdDuration,
    /// Longest wait between two tries.
    pub cap: StdDuration,
    /// A notification still refused this long after it was queued is given up.
    pub give_up_after: StdDuration,
}

impl Default for RetryPolicy {
    /// 1 s, doubling, at most 30 s between tries, for 24 h.
    fn default() -> Self {
        Self {
            first: StdDuration::from_secs(1),
            cap: StdDuration::from_secs(30),
            give_up_after: StdDuration::from_hours(24),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed try (1-based): `first * 2^(attempts-1)`,
    /// at most `cap`.
    #[must_use]
    pub fn backoff(&self, attempts: u32) -> StdDuration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
        self.first.saturating_mul(factor).min(self.cap)
    }
}

/// The notifications to send now: per alert and webhook only the oldest queued one, so
/// a resolved notification never overtakes its firing one, and only once its backoff
/// has passed.
#[must_use]
pub fn due_notifications(book: &AlertBook, now: OffsetDateTime) -> Vec<Notification> {
    heads(book)
        .filter(|n| n.next_attempt_at <= now)
        .cloned()
        .collect()
}

/// When the next queued notification becomes due, if any is queued.
#[must_use]
pub fn next_due_at(book: &AlertBook) -> Option<OffsetDateTime> {
    heads(book).map(|n| n.next_attempt_at).min()
}

/// The oldest queued notification of each (alert, webhook): the outbox is in queue
/// order, so the first one met.
fn heads(book: &AlertBook) -> impl Iterator<Item = &Notification> {
    book.outbox.iter().enumerate().filter_map(|(i, n)| {
        let earlier = book.outbox[..i]
            .iter()
            .any(|m| m.alert_id == n.alert_id && m.target == n.target);
        (!earlier).then_some(n)
    })
}

/// A webhook accepted notification `id`: it leaves the outbox. Unknown ids (already
/// settled) change nothing.
pub fn record_delivered(book: &mut AlertBook, id: &str, now: OffsetDateTime) {
    let Some(at) = book.outbox.iter().position(|n| n.id == id) else {
        return;
    };
    let done = book.outbox.remove(at);
    if let Some(alert) = book.alerts.iter_mut().find(|a| a.id == done.alert_id) {
        alert.delivery.pending = alert.delivery.pending.saturating_sub(1);
        alert.delivery.delivered += 1;
        alert.delivery.last_delivered_at = Some(now);
    }
}

/// A try of notification `id` failed with `error`: it waits its backoff, or is given up
/// once `policy.give_up_after` has passed since it was queued. Returns whether it was
/// given up.
pub fn record_failed(
    book: &mut AlertBook,
    id: &str,
    error: &str,
    policy: &RetryPolicy,
    now: OffsetDateTime,
) -> bool {
    let Some(at) = book.outbox.iter().position(|n| n.id == id) else {
        return false;
    };
    let entry = &mut book.outbox[at];
    entry.attempts = entry.attempts.saturating_add(1);
    entry.last_error = Some(error.to_owned());
    let give_up = now - entry.created_at >= to_time(policy.give_up_after);
    entry.next_attempt_at = now + to_time(policy.backoff(entry.attempts));
    let alert_id = entry.alert_id.clone();
    if give_up {
        book.outbox.remove(at);
    }
    if let Some(alert) = book.alerts.iter_mut().find(|a| a.id == alert_id) {
        alert.delivery.last_error = Some(error.to_owned());
        if give_up {
            alert.delivery.pending = alert.delivery.pending.saturating_sub(1);
            alert.delivery.failed += 1;
        }
    }
    give_up
}

/// Gives up queued notifications whose webhook is no longer configured (the server
/// restarted with other `--alert-webhook`s). Returns how many.
pub fn drop_unknown_targets(book: &mut AlertBook, targets: &[String]) -> usize {
    let gone: Vec<Notification> = book
        .outbox
        .iter()
        .filter(|n| !targets.contains(&n.target))
        .cloned()
        .collect();
    book.outbox.retain(|n| targets.contains(&n.target));
    for entry in &gone {
        if let Some(alert) = book.alerts.iter_mut().find(|a| a.id == entry.alert_id) {
            alert.delivery.pending = alert.delivery.pending.saturating_sub(1);
            alert.delivery.failed += 1;
            alert.delivery.last_error = Some("webhook no longer configured".to_owned());
        }
    }
    gone.len()
}

fn to_time(d: StdDuration) -> Duration {
    Duration::try_from(d).unwrap_or(Duration::MAX)
}
