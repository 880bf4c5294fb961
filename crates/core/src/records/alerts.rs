//! What the alert book keeps (`alerts.json`): alerts with their lifecycle and delivery
//! state, and the outbox of webhook notifications not yet delivered.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How urgent an alert is. `Critical` sorts above `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look soon.
    Warning,
    /// Needs someone now.
    Critical,
}

impl Severity {
    /// `warning` or `critical`, as in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an alert is in its lifecycle; also the `state` of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// The rule's condition holds.
    Firing,
    /// It held, and a later evaluation found it cleared. Final: if the condition
    /// comes back, a new alert starts.
    Resolved,
}

impl AlertState {
    /// `firing` or `resolved`, as in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

impl fmt::Display for AlertState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rules an alert can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    /// The model score's PSI band is moderate or significant.
    ScoreDrift,
    /// The share of drifted features reached the threshold.
    FeatureDrift,
    /// Production AUC fell too far below validation AUC.
    PerformanceDrop,
    /// The estimated AUC (no outcomes needed) fell too far below validation AUC.
    EstimatedPerformanceDrop,
    /// A feature's missing, out-of-range or unseen-category share is above its threshold.
    DataQuality,
    /// No prediction for a while.
    NoTraffic,
    /// The data directory does not take writes.
    StorageDegraded,
    /// The newest training pipeline run failed.
    PipelineFailed,
}

impl AlertRule {
    /// Every rule, in the order the rules file lists them.
    pub const ALL: [AlertRule; 8] = [
        AlertRule::ScoreDrift,
        AlertRule::FeatureDrift,
        AlertRule::PerformanceDrop,
        AlertRule::EstimatedPerformanceDrop,
        AlertRule::DataQuality,
        AlertRule::NoTraffic,
        AlertRule::StorageDegraded,
        AlertRule::PipelineFailed,
    ];

    /// The rule's name in JSON, the rules file and Prometheus labels.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScoreDrift => "score_drift",
            Self::FeatureDrift => "feature_drift",
            Self::PerformanceDrop => "performance_drop",
            Self::EstimatedPerformanceDrop => "estimated_performance_drop",
            Self::DataQuality => "data_quality",
            Self::NoTraffic => "no_traffic",
            Self::StorageDegraded => "storage_degraded",
            Self::PipelineFailed => "pipeline_failed",
        }
    }
}

impl fmt::Display for AlertRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an alert's webhook notifications have fared.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryStatus {
    /// Notifications (one per webhook) waiting in the outbox.
    pub pending: u32,
    /// Notifications a webhook accepted (a 2xx answer).
    pub delivered: u32,
    /// Notifications given up on: still refused after the retry period, or their
    /// webhook is no longer configured.
    pub failed: u32,
    /// When a webhook last accepted one.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_delivered_at: Option<OffsetDateTime>,
    /// The last failed attempt's error.
    #[serde(default)]
    pub last_error: Option<String>,
}

/// One alert: a rule's condition on one subject, from the evaluation that found it to
/// the one that found it cleared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    /// Unique id (a UUID v7), for `POST /monitoring/alerts/{id}/ack`.
    pub id: String,
    /// The rule that fired.
    pub rule: AlertRule,
    /// What it fired on (`score`, a model version, `pipeline`, ...). A rule has at
    /// most one firing alert per subject.
    pub subject: String,
    /// Firing or resolved.
    pub state: AlertState,
    /// The worst severity found since it started firing: a milder finding does not
    /// lower it, so a value hovering at a band's edge cannot re-escalate it again and
    /// again.
    pub severity: Severity,
    /// When it started firing.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// When it was resolved.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// One line for people, e.g. "Score drift: PSI 0.29 (significant)".
    pub summary: String,
    /// The numbers behind it, as a JSON object.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// When someone acknowledged it; an acknowledged alert is not re-notified.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub acked_at: Option<OffsetDateTime>,
    /// The id (never the value) of the API key that acknowledged it.
    #[serde(default)]
    pub acked_by: Option<String>,
    /// When its last notification was queued.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_notified_at: Option<OffsetDateTime>,
    /// Its webhook notifications.
    #[serde(default)]
    pub delivery: DeliveryStatus,
    /// Consecutive evaluations that judged its rule clear of it while it fires; a
    /// finding resets it, and it resolves when this reaches the rules' `resolve_after`.
    /// Absent in books written before it existed, hence the default.
    #[serde(default)]
    pub clear_streak: u32,
}

/// One notification for one webhook, kept in the outbox until the webhook accepts it
/// or the retry period ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique id (a UUID v7); sent in the body so that receivers can drop duplicates
    /// (delivery is at least once).
    pub id: String,
    /// The webhook it goes to: the id of its URL, never the URL (which may hold a
    /// token).
    pub target: String,
    /// The alert it is about.
    pub alert_id: String,
    /// The alert's rule.
    pub rule: AlertRule,
    /// The alert's subject.
    pub subject: String,
    /// Firing (also a re-notification) or resolved.
    pub state: AlertState,
    /// The alert's severity when queued.
    pub severity: Severity,
    /// The alert's summary when queued.
    pub summary: String,
    /// The alert's details when queued.
    pub details: serde_json::Value,
    /// When the alert started firing.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When the alert was resolved (resolved notifications).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// When it was queued; the retry period counts from here.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Attempts made so far.
    pub attempts: u32,
    /// Not sent before this time (backoff).
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    /// The last attempt's error.
    #[serde(default)]
    pub last_error: Option<String>,
}

/// The content of `alerts.json`: every alert kept and the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertBook {
    /// Version of this document's layout.
    pub schema_version: u32,
    /// Alerts, oldest first.
    pub alerts: Vec<Alert>,
    /// Notifications not yet delivered, in the order they were queued.
    pub outbox: Vec<Notification>,
}
