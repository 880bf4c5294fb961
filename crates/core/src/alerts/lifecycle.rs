//! An alert's lifecycle: firing, then resolved, deduplicated by rule and subject, with
//! re-notification and acknowledgement. Pure: the book is changed in memory and the
//! caller stores it.

use std::num::NonZeroU32;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::evaluate::{Evaluation, Finding};
use crate::records::{Alert, AlertBook, AlertState, DeliveryStatus, Notification};

/// What can happen to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertEvent {
    /// An evaluation found its condition (again).
    Fire,
    /// Evaluations of its rule did not find it, [`NotifyPolicy::resolve_after`] times in
    /// a row (fewer only count, in [`Alert::clear_streak`]).
    Clear,
    /// Someone acknowledged it.
    Ack,
}

/// An event the alert's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "a {state} alert cannot take {event:?}: resolved is final, a new condition starts a new alert"
)]
pub struct AlertTransitionError {
    /// The alert's state.
    pub state: AlertState,
    /// The refused event.
    pub event: AlertEvent,
}

/// The lifecycle's one rule: firing takes every event (clear resolves it); resolved is
/// final.
///
/// # Errors
/// [`AlertTransitionError`] for any event on a resolved alert.
pub fn transition(
    state: AlertState,
    event: AlertEvent,
) -> Result<AlertState, AlertTransitionError> {
    match (state, event) {
        (AlertState::Firing, AlertEvent::Fire | AlertEvent::Ack) => Ok(AlertState::Firing),
        (AlertState::Firing, AlertEvent::Clear) => Ok(AlertState::Resolved),
        (AlertState::Resolved, event) => Err(AlertTransitionError { state, event }),
    }
}

/// What an evaluation did to one alert, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertChange {
    /// The alert's id.
    pub alert_id: String,
    /// What happened.
    pub kind: ChangeKind,
    /// The alert's summary.
    pub summary: String,
}

/// The kinds of [`AlertChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new alert started firing (notified).
    Started,
    /// A firing alert became more severe (notified again).
    Escalated,
    /// A firing, unacknowledged alert was notified again after the re-notify interval.
    Renotified,
    /// A firing alert resolved (notified).
    Resolved,
}

/// How notifications are queued: to which webhooks, how often a firing alert is
/// repeated, and how many clear evaluations it takes to resolve one (each resolution
/// is a notification, so this is what keeps a flapping condition quiet).
#[derive(Debug, Clone, Copy)]
pub struct NotifyPolicy<'a> {
    /// The ids of the configured webhooks; one notification is queued per webhook.
    pub targets: &'a [String],
    /// Repeat a firing, unacknowledged alert after this long; `None`: never.
    pub renotify: Option<Duration>,
    /// A firing alert resolves once this many evaluations in a row judged its rule and
    /// found nothing (the rules' `resolve_after`).
    pub resolve_after: NonZeroU32,
}

/// Applies an evaluation to the book: a finding without a firing alert of the same rule
/// and subject starts one; one with it updates it (and resets its clear streak); a
/// firing alert of a judged rule without a finding counts one more clear evaluation and
/// resolves at `policy.resolve_after` of them in a row. Each start, escalation, due
/// re-notification and resolution queues one notification per target.
pub fn apply_evaluation(
    book: &mut AlertBook,
    evaluation: &Evaluation,
    policy: NotifyPolicy<'_>,
    now: OffsetDateTime,
) -> Vec<AlertChange> {
    let mut changes = Vec::new();
    for finding in &evaluation.findings {
        let firing = book.alerts.iter().position(|a| {
            a.state == AlertState::Firing && a.rule == finding.rule && a.subject == finding.subject
        });
        let change = if let Some(i) = firing {
            update_firing(&mut book.alerts[i], finding, policy, now)
        } else {
            book.alerts.push(new_alert(finding, now));
            Some(ChangeKind::Started)
        };
        if let Some(kind) = change {
            let i = firing.unwrap_or(book.alerts.len() - 1);
            changes.push(notify(book, i, kind, policy, now));
        }
    }
    for i in 0..book.alerts.len() {
        let alert = &book.alerts[i];
        let still = evaluation
            .findings
            .iter()
            .any(|f| f.rule == alert.rule && f.subject == alert.subject);
        if alert.state == AlertState::Firing && evaluation.judged.contains(&alert.rule) && !still {
            let alert = &mut book.alerts[i];
            alert.clear_streak = alert.clear_streak.saturating_add(1);
            if alert.clear_streak < policy.resolve_after.get() {
                continue;
            }
            if let Ok(state) = transition(alert.state, AlertEvent::Clear) {
                alert.state = state;
                alert.resolved_at = Some(now);
                changes.push(notify(book, i, ChangeKind::Resolved, policy, now));
            }
        }
    }
    changes
}

fn new_alert(finding: &Finding, now: OffsetDateTime) -> Alert {
    Alert {
        id: Uuid::now_v7().to_string(),
        rule: finding.rule,
        subject: finding.subject.clone(),
        state: AlertState::Firing,
        severity: finding.severity,
        since: now,
        resolved_at: None,
        summary: finding.summary.clone(),
        details: finding.details.clone(),
        acked_at: None,
        acked_by: None,
        last_notified_at: None,
        delivery: DeliveryStatus::default(),
        clear_streak: 0,
    }
}

/// Takes the newest finding into a firing alert; says whether to notify again.
///
/// The severity only rises while the alert fires: a score PSI hovering around 0.25
/// alternates critical and warning findings, and lowering the severity on each warning
/// would make each critical one a fresh escalation (a notification, the ack cleared).
fn update_firing(
    alert: &mut Alert,
    finding: &Finding,
    policy: NotifyPolicy<'_>,
    now: OffsetDateTime,
) -> Option<ChangeKind> {
    alert.clear_streak = 0;
    let escalated = finding.severity > alert.severity;
    alert.severity = alert.severity.max(finding.severity);
    alert.summary.clone_from(&finding.summary);
    alert.details = finding.details.clone();
    if escalated {
        // A worse condition is news even to whoever acknowledged the milder one.
        alert.acked_at = None;
        alert.acked_by = None;
        return Some(ChangeKind::Escalated);
    }
    let due = match (policy.renotify, alert.last_notified_at) {
        (Some(every), Some(last)) => now - last >= every,
        (Some(_), None) => true,
        (None, _) => false,
    };
    (due && alert.acked_at.is_none()).then_some(ChangeKind::Renotified)
}

/// Queues one notification per target for alert `i` in its current state.
fn notify(
    book: &mut AlertBook,
    i: usize,
    kind: ChangeKind,
    policy: NotifyPolicy<'_>,
    now: OffsetDateTime,
) -> AlertChange {
    let alert = &mut book.alerts[i];
    alert.last_notified_at = Some(now);
    for target in policy.targets {
        book.outbox.push(Notification {
            id: Uuid::now_v7().to_string(),
            target: target.clone(),
            alert_id: alert.id.clone(),
            rule: alert.rule,
            subject: alert.subject.clone(),
            state: alert.state,
            severity: alert.severity,
            summary: alert.summary.clone(),
            details: alert.details.clone(),
            started_at: alert.since,
            resolved_at: alert.resolved_at,
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
        });
        alert.delivery.pending += 1;
    }
    AlertChange {
        alert_id: alert.id.clone(),
        kind,
        summary: alert.summary.clone(),
    }
}

/// Why an acknowledgement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// No alert has this id.
    #[error("no alert has id {0}")]
    NotFound(String),
    /// The alert is resolved already.
    #[error(transparent)]
    Transition(#[from] AlertTransitionError),
}

/// Acknowledges the alert `id` (idempotent on a firing alert); returns it.
///
/// # Errors
/// [`AckError::NotFound`] for an unknown id, [`AckError::Transition`] for a resolved
/// alert.
pub fn acknowledge(
    book: &mut AlertBook,
    id: &str,
    by: Option<String>,
    now: OffsetDateTime,
) -> Result<Alert, AckError> {
    let alert = book
        .alerts
        .iter_mut()
        .find(|a| a.id == id)
        .ok_or_else(|| AckError::NotFound(id.to_owned()))?;
    alert.state = transition(alert.state, AlertEvent::Ack)?;
    if alert.acked_at.is_none() {
        alert.acked_at = Some(now);
        alert.acked_by = by;
    }
    Ok(alert.clone())
}
