//! Alerts in the server: when rules are evaluated (after each drift report, with the
//! data quality of its window; after each performance estimate, production-metrics
//! computation and pipeline end; when storage health changes; and once a minute for the
//! clock-driven rules), and the webhooks they are sent to. The
//! rules and the lifecycle are core's; this module gathers their inputs and stores the
//! outcome.

mod delivery;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use scorewatch_core::{
    AlertInputs, AlertRules, ChangeKind, DataQualitySummary, DriftReport, MetricSource,
    MetricsEntry, NotifyPolicy, PredictionQuery, RetryPolicy, StorageCondition, Traffic,
    apply_evaluation, error_chain, evaluate_rules, webhook_id,
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

/// The served model's newest entries the rules compare.
#[derive(Debug, Default)]
struct Performance {
    production: Option<MetricsEntry>,
    validation: Option<MetricsEntry>,
    estimated: Option<MetricsEntry>,
}

/// The served model's newest production, validation and estimated entries.
fn performance(history: &[MetricsEntry], version: &str) -> Performance {
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
    Performance {
        production: newest(MetricSource::Production),
        validation: newest(MetricSource::Validation),
        estimated: newest(MetricSource::Estimated),
    }
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
    evaluate_with(state, trigger, None);
}

/// After a drift report: evaluates every rule, the data-quality rule too, on the
/// report's own `data_quality` section (the same rows the drift was computed on, the
/// newest `drift_window` predictions). Only this trigger passes a summary, so the other
/// triggers leave the data-quality alerts as they are; a report without the section
/// (none is computed without one today) leaves them as they are too.
pub fn after_drift_report(state: &AppState, report: &DriftReport) {
    evaluate_with(state, "drift report", report.data_quality.as_ref());
}

fn evaluate_with(state: &AppState, trigger: &'static str, quality: Option<&DataQualitySummary>) {
    if let Err(err) = try_evaluate(state, trigger, quality) {
        tracing::warn!(trigger, error = %format!("{err:#}"), "alert evaluation failed");
    }
}

fn try_evaluate(
    state: &AppState,
    trigger: &'static str,
    quality: Option<&DataQualitySummary>,
) -> anyhow::Result<()> {
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
    let performance = match &served {
        Some(served) => performance(&store.metrics().history()?, &served.version),
        None => Performance::default(),
    };
    // A summary of a version no longer served says nothing about the served one.
    let quality = quality.filter(|q| {
        served
            .as_ref()
            .is_some_and(|s| q.model_version.as_deref() == Some(s.version.as_str()))
    });
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
            production: performance.production.as_ref(),
            validation: performance.validation.as_ref(),
            estimated: performance.estimated.as_ref(),
            quality,
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
                resolve_after: alerting.rules.resolve_after,
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
