//! The Alerts tab's state and the banner's: the list the tab shows (with its state
//! filter), the firing alerts polled on every refresh, and how their answers apply.

use scorewatch_core::{Alert, AlertState, DeliveryStatus, Severity};

use crate::state::{Connection, ViewState};

/// What the Alerts tab and the critical-alert banner know.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertsState {
    /// The tab's state filter: `None` lists every alert.
    pub filter: Option<AlertState>,
    /// `GET /monitoring/alerts[?state=]` for `filter`, newest first; `None` until it
    /// arrives (read only while the tab is open).
    pub list: Option<Vec<Alert>>,
    /// `GET /monitoring/alerts?state=firing`, newest first; read on every refresh for
    /// the banner.
    pub firing: Option<Vec<Alert>>,
    /// Why the last acknowledgement failed, shown at the top of the tab until the next
    /// one succeeds.
    pub ack_error: Option<String>,
}

/// The user chose another state filter: the list of the old one goes.
pub fn choose_alert_filter(alerts: &mut AlertsState, filter: Option<AlertState>) {
    if alerts.filter != filter {
        alerts.list = None;
    }
    alerts.filter = filter;
}

/// Applies the tab's list, asked for with `filter`; an answer for a filter the user has
/// since left is dropped.
pub fn apply_alert_list(alerts: &mut AlertsState, filter: Option<AlertState>, list: Vec<Alert>) {
    if alerts.filter == filter {
        alerts.list = Some(list);
    }
}

/// Applies an acknowledged alert: it replaces its old copy in the list and in the
/// firing alerts, so the tab shows it at once (the follow-up re-read confirms it).
pub fn apply_alert_acked(alerts: &mut AlertsState, acked: &Alert) {
    alerts.ack_error = None;
    for list in [alerts.list.as_mut(), alerts.firing.as_mut()]
        .into_iter()
        .flatten()
    {
        for alert in list.iter_mut().filter(|a| a.id == acked.id) {
            *alert = acked.clone();
        }
    }
}

/// Whether the alert can be acknowledged: firing and not acknowledged yet.
#[must_use]
pub fn can_ack(alert: &Alert) -> bool {
    alert.state == AlertState::Firing && alert.acked_at.is_none()
}

/// The text of the banner above every tab while critical alerts fire: how many, and
/// the newest one's summary. `None` when none fires, or while the server cannot be
/// reached (the last known list is then stale).
#[must_use]
pub fn critical_alerts_banner(state: &ViewState) -> Option<String> {
    if matches!(state.connection, Connection::Unreachable { .. }) {
        return None;
    }
    let firing = state.alerts.firing.as_ref()?;
    let mut critical = firing
        .iter()
        .filter(|a| a.state == AlertState::Firing && a.severity == Severity::Critical);
    let newest = critical.next()?;
    let count = 1 + critical.count();
    let what = if count == 1 {
        "1 critical alert firing".to_owned()
    } else {
        format!("{count} critical alerts firing")
    };
    Some(format!(
        "{what}: {}. Open the Alerts tab.",
        newest.summary.trim_end_matches('.')
    ))
}

/// One line on an alert's webhook notifications, such as `1 delivered, 1 pending`.
#[must_use]
pub fn delivery_text(delivery: &DeliveryStatus) -> String {
    let parts: Vec<String> = [
        (delivery.delivered, "delivered"),
        (delivery.pending, "pending"),
        (delivery.failed, "failed"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        // No webhook configured, or none was due yet.
        "no notification".to_owned()
    } else {
        parts.join(", ")
    }
}
