//! Alerts: rules that judge what the service knows (the newest drift report,
//! production and validation metrics, the pipeline's runs, storage health, traffic),
//! the lifecycle of the alerts they raise, and the outbox of webhook notifications.
//!
//! Everything here is pure except [`AlertRules::load`] (reads the rules file): the
//! API gathers the inputs, calls [`evaluate_rules`] and [`apply_evaluation`] inside
//! one [`AlertStore::update`](crate::store::AlertStore::update), and its delivery
//! worker sends [`due_notifications`] and records each outcome the same way.
//!
//! Uses `records`, `drift`, `quality` and nothing else; the store persists the book.

mod evaluate;
mod lifecycle;
mod outbox;
mod quality_rule;
mod rules;
mod webhook;

pub use evaluate::{AlertInputs, Evaluation, Finding, StorageCondition, Traffic, evaluate_rules};
pub use lifecycle::{
    AckError, AlertChange, AlertEvent, AlertTransitionError, ChangeKind, NotifyPolicy, acknowledge,
    apply_evaluation, transition,
};
pub use outbox::{
    RetryPolicy, drop_unknown_targets, due_notifications, next_due_at, record_delivered,
    record_failed,
};
pub use rules::{
    AlertRules, AlertRulesError, DEFAULT_MAX_AUC_DROP, DEFAULT_MAX_MISSING_SHARE,
    DEFAULT_MAX_OUT_OF_RANGE_SHARE, DEFAULT_MAX_UNSEEN_CATEGORY_SHARE, DEFAULT_MIN_ESTIMATED_ROWS,
    DEFAULT_MIN_LABELLED_ROWS, DEFAULT_MIN_QUALITY_ROWS, DEFAULT_NO_TRAFFIC_MINUTES,
    DEFAULT_RENOTIFY_MINUTES, DEFAULT_RESOLVE_AFTER, DataQualityRule, EstimatedPerformanceDropRule,
    FeatureDriftRule, NoTrafficRule, PerformanceDropRule, PipelineFailedRule, ScoreDriftRule,
    Share, StorageDegradedRule,
};
pub use webhook::{WebhookBody, webhook_id};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_estimate_quality;
#[cfg(test)]
mod tests_flapping;
