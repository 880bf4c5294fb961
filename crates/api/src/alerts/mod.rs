//! Alerts in the server: when rules are evaluated (after each drift report,
//! production-metrics computation and pipeline end, when storage health changes, and
//! once a minute for the clock-driven rules), and the webhooks they are sent to. The
//! rules and the lifecycle are core's; this module gathers their inputs and stores the
//! outcome.

mod delivery;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use scorewatch_core::{
    AlertInputs, AlertRules, ChangeKind, MetricSource, MetricsEntry, NotifyPolicy, PredictionQuery,
    RetryPolicy, StorageCondition, Traffic, apply_evaluation, error_chain, evaluate_rules,
    webhook_id,
};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::config::{Config, Secret, WebhookUrl};
use crate::state::AppState;

pub use delivery::{SIGNATURE_HEADER, run_worker, sign};

/// One configured webhook: its id in the outbox and its URL.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// `webhook_id(url)`.
    pub id: String,
    /// Where notifications are posted.
    pub url: WebhookUrl,
}

/// The alerting settings and the delivery worker's wake-up call.
#[derive(Debug)]
pub struct Alerting {
    rules: AlertRules,
    webhooks: Vec<Webhook>,
    secret: Option<Secret>,
    retry: RetryPolicy,
    /// Wakes the delivery worker when an evaluation queued notifications.
    wake: Notify,
    /// The storage condition the last evaluation saw, to evaluate on a change.
    storage_seen: Mutex<Option<StorageCondition>>,
    /// Evaluations serialise here: each reads the inputs and then updates the book, so
    /// two at once could store an older view over a newer one.
    evaluating: Mutex<()>,
}

impl Alerting {
    /// The settings of `config`.
    #[must_use]
    pub fn new(config: &Config) -> Self {
        Self {
            rules: config.alert_rules.clone(),
            webhooks: config
                .alert_webhooks
                .iter()
                .map(|url| Webhook {
                    id: webhook_id(url.expose()),
                    url: url.clone(),
                })
                .collect(),
            secret: config.alert_webhook_secret.clone(),
            retry: config.alert_retry,
            wake: Notify::new(),
            storage_seen: Mutex::new(None),
            evaluating: Mutex::new(()),
        }
    }

    /// The configured webhooks.
    #[must_use]
    pub fn webhooks(&self) -> &[Webhook] {
        &self.webhooks
    }

    fn targets(&self) -> Vec<String> {
        self.webhooks.iter().map(|w| w.id.clone()).collect()
    }
}

/// The served model's newest production entry and its validation entry.
fn performance(
    history: &[MetricsEntry],
    version: &str,
) -> (Option<MetricsEntry>, Option<MetricsEntry>) {
    let newest = |source: MetricSource| {
        history
            .iter()
            .rev()
            .find(|e| {
                e.source == source
                    && !e.rejected_candidate
                    && e.model_version.as_deref() == Some(version)
            })
            .cloned()
    };
    (
        newest(MetricSource::Production),
        newest(MetricSource::Validation),
    )
}

/// The storage condition now, as `/health` reports it.
fn storage_condition(state: &AppState) -> StorageCondition {
    match state.storage.current_problem(&state.store) {
        None => StorageCondition::Ok,
        Some(problem) => StorageCondition::Degraded(problem.message),
    }
}

/// Whether storage health changed since the last evaluation (the health-change hook).
#[must_use]
pub fn storage_changed(state: &AppState) -> bool {
    let now = storage_condition(state);
    let seen = state
        .alerting
        .storage_seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    seen.as_ref()
        .is_none_or(|seen| std::mem::discriminant(seen) != std::mem::discriminant(&now))
}

/// Evaluates every rule on what the server knows now and stores the outcome; wakes the
/// delivery worker when notifications were queued. Never fails: a problem is logged
/// (alerts are secondary to serving), and the next trigger tries again.
pub fn evaluate(state: &AppState, trigger: &'static str) {
    if let Err(err) = try_evaluate(state, trigger) {
        tracing::warn!(trigger, error = %format!("{err:#}"), "alert evaluation failed");
    }
}

fn try_evaluate(state: &AppState, trigger: &'static str) -> anyhow::Result<()> {
    let alerting = &state.alerting;
    let _one_at_a_time = alerting
        .evaluating
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let store = &state.store;
    let now = OffsetDateTime::now_utc();
    let served = state.served();
    let drift = store.drift_reports().latest()?.filter(|r| {
        served
            .as_ref()
            .is_some_and(|s| r.current.model_version.as_deref() == Some(s.version.as_str()))
    });
    let (production, validation) = match &served {
        Some(served) => performance(&store.metrics().history()?, &served.version),
        None => (None, None),
    };
    let pipeline = store.pipeline_status().load()?;
    let storage = storage_condition(state);
    let traffic = if alerting.rules.no_traffic.enabled {
        let newest = store.predictions().recent(&PredictionQuery::newest(1))?;
        let serving_since =
            now - time::Duration::try_from(state.started.elapsed()).unwrap_or(time::Duration::ZERO);
        Some(Traffic {
            last_prediction_at: newest.first().map(|r| r.timestamp),
            serving_since,
        })
    } else {
        None
    };
    let evaluation = evaluate_rules(
        &alerting.rules,
        &AlertInputs {
            now,
            drift: drift.as_ref(),
            production: production.as_ref(),
            validation: validation.as_ref(),
            pipeline: Some(&pipeline),
            storage: Some(&storage),
            traffic,
        },
    );
    let targets = alerting.targets();
    let renotify = (alerting.rules.renotify_minutes > 0).then(|| {
        time::Duration::minutes(i64::try_from(alerting.rules.renotify_minutes).unwrap_or(i64::MAX))
    });
    let mut changes = Vec::new();
    store.alerts().update(&mut |book| {
        changes = apply_evaluation(
            book,
            &evaluation,
            NotifyPolicy {
                targets: &targets,
                renotify,
            },
            now,
        );
    })?;
    *alerting
        .storage_seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(storage);
    for change in &changes {
        let what = match change.kind {
            ChangeKind::Started => "alert firing",
            ChangeKind::Escalated => "alert escalated",
            ChangeKind::Renotified => "alert notified again",
            ChangeKind::Resolved => "alert resolved",
        };
        tracing::warn!(trigger, id = %change.alert_id, summary = %change.summary, "{what}");
    }
    if !changes.is_empty() && !targets.is_empty() {
        alerting.wake.notify_one();
    }
    Ok(())
}

/// How often the worker re-evaluates for the clock-driven rules (no traffic,
/// re-notification) when nothing else triggers an evaluation.
pub const PERIODIC_EVALUATION: Duration = Duration::from_mins(1);

/// Logs a store error of the delivery path with its chain.
fn log_store_error(what: &'static str, err: &scorewatch_core::StoreError) {
    tracing::warn!(what, error = %error_chain(err), "alert outbox not updated");
}
