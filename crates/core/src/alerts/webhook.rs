//! What a webhook receives: the JSON body of a notification, with a Slack-compatible
//! `text`, and the id that names a webhook in the outbox without its URL.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::evaluate::rfc3339;
use crate::records::{AlertRule, AlertState, Notification, Severity};

/// The JSON body sent to a webhook (`POST`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookBody {
    /// The notification's id: the same on every retry, so receivers can drop
    /// duplicates.
    pub notification_id: String,
    /// The alert's id.
    pub alert_id: String,
    /// The rule that fired.
    pub rule: AlertRule,
    /// What it fired on.
    pub subject: String,
    /// `firing` or `resolved`.
    pub state: AlertState,
    /// `warning` or `critical`.
    pub severity: Severity,
    /// One line for people.
    pub summary: String,
    /// The numbers behind it.
    pub details: serde_json::Value,
    /// When the alert started firing (RFC 3339).
    pub started_at: String,
    /// When it was resolved (RFC 3339), for resolved notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    /// The message a Slack incoming webhook shows.
    pub text: String,
}

impl WebhookBody {
    /// The body of `notification`.
    #[must_use]
    pub fn of(notification: &Notification) -> Self {
        let text = match notification.state {
            AlertState::Firing => format!(
                "[{}] {} (firing since {})",
                notification.severity.as_str().to_uppercase(),
                notification.summary,
                rfc3339(notification.started_at)
            ),
            AlertState::Resolved => format!(
                "[RESOLVED] {} (was {})",
                notification.summary, notification.severity
            ),
        };
        Self {
            notification_id: notification.id.clone(),
            alert_id: notification.alert_id.clone(),
            rule: notification.rule,
            subject: notification.subject.clone(),
            state: notification.state,
            severity: notification.severity,
            summary: notification.summary.clone(),
            details: notification.details.clone(),
            started_at: rfc3339(notification.started_at),
            resolved_at: notification.resolved_at.map(rfc3339),
            text,
        }
    }
}

/// The id of a webhook URL in the outbox: the first 16 hex digits of its SHA-256. The
/// URL itself (a Slack webhook's holds its token) is never written to the data
/// directory.
#[must_use]
pub fn webhook_id(url: &str) -> String {
    let digest = Sha256::digest(url.as_bytes());
    digest[..8]
        .iter()
        .fold(String::with_capacity(16), |mut hex, b| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
            hex
        })
}
