//! The delivery worker: a task on the server's tokio runtime that posts due
//! notifications from the outbox to their webhooks, signed, and records each outcome in
//! the store before it moves on. What is due, and what a failure does, is core's
//! (`due_notifications`, `record_failed`); this file does the HTTP.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use scorewatch_core::{
    Notification, WebhookBody, drop_unknown_targets, due_notifications, next_due_at,
    record_delivered, record_failed,
};
use sha2::Sha256;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{PERIODIC_EVALUATION, Webhook, evaluate, log_store_error, storage_changed};
use crate::state::AppState;

/// The header that carries the body's signature: `sha256=<hex HMAC-SHA256 of the body
/// with --alert-webhook-secret>`, as GitHub's `X-Hub-Signature-256`.
pub const SIGNATURE_HEADER: &str = "X-Scorewatch-Signature";
/// How long one webhook gets to answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the worker looks at storage health (the health-change trigger).
const HEALTH_POLL: Duration = Duration::from_secs(1);

/// `sha256=<hex>`: the HMAC-SHA256 of `body` keyed with `secret`.
#[must_use]
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for byte in tag {
        use std::fmt::Write as _;
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Runs until `stop` turns true: delivers what is due, sleeps until the next retry, a
/// wake-up or the next health poll. A send in flight when it stops is abandoned; its
/// notification stays in the outbox and goes after the restart (at least once).
pub async fn run_worker(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let client = match reqwest::Client::builder().timeout(SEND_TIMEOUT).build() {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(%err, "cannot build the webhook client; alerts are not delivered");
            return;
        }
    };
    let targets: Vec<String> = state
        .alerting
        .webhooks()
        .iter()
        .map(|w| w.id.clone())
        .collect();
    let start = Arc::clone(&state);
    let started = tokio::task::spawn_blocking(move || {
        match start.store.alerts().update(&mut |book| {
            let dropped = drop_unknown_targets(book, &targets);
            if dropped > 0 {
                tracing::warn!(
                    dropped,
                    "notifications for webhooks no longer configured given up"
                );
            }
        }) {
            Ok(_) => {}
            Err(err) => log_store_error("dropping unknown webhooks", &err),
        }
        evaluate(&start, "start");
    });
    let _ = started.await;
    let mut last_periodic = tokio::time::Instant::now();
    loop {
        if *stop.borrow() {
            return;
        }
        let sent = tokio::select! {
            biased;
            _ = stop.changed() => return,
            sent = deliver_due(&state, &client) => sent,
        };
        if sent {
            // Settled ones may have unblocked the next of their alert (a resolved
            // notification after its firing one): look again at once.
            continue;
        }
        let wait = next_wait(&state);
        tokio::select! {
            biased;
            _ = stop.changed() => return,
            () = state.alerting.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
        let periodic = last_periodic.elapsed() >= PERIODIC_EVALUATION;
        if periodic || storage_changed(&state) {
            if periodic {
                last_periodic = tokio::time::Instant::now();
            }
            let eval = Arc::clone(&state);
            let trigger = if periodic {
                "periodic"
            } else {
                "health change"
            };
            let _ = tokio::task::spawn_blocking(move || evaluate(&eval, trigger)).await;
        }
    }
}

/// How long to sleep: until the next queued notification is due, at most one health
/// poll.
fn next_wait(state: &AppState) -> Duration {
    let Ok(book) = state.store.alerts().load() else {
        return HEALTH_POLL;
    };
    next_due_at(&book).map_or(HEALTH_POLL, |at| {
        let until = at - OffsetDateTime::now_utc();
        Duration::try_from(until)
            .unwrap_or(Duration::ZERO)
            .min(HEALTH_POLL)
    })
}

/// Sends every due notification (each (alert, webhook) has at most one due, so order
/// holds), concurrently, and records each outcome. Returns whether any was sent.
async fn deliver_due(state: &Arc<AppState>, client: &reqwest::Client) -> bool {
    let due = match state.store.alerts().load() {
        Ok(book) => due_notifications(&book, OffsetDateTime::now_utc()),
        Err(err) => {
            log_store_error("reading the outbox", &err);
            return false;
        }
    };
    if due.is_empty() {
        return false;
    }
    let mut sends = JoinSet::new();
    for notification in due {
        let Some(webhook) = state
            .alerting
            .webhooks()
            .iter()
            .find(|w| w.id == notification.target)
            .cloned()
        else {
            continue;
        };
        let client = client.clone();
        let secret = state.alerting.secret.clone();
        sends.spawn(async move {
            let result = send(
                &client,
                &webhook,
                secret.as_ref().map(|s| s.expose().as_bytes()),
                &notification,
            )
            .await;
            (notification, webhook, result)
        });
    }
    let mut any = false;
    while let Some(joined) = sends.join_next().await {
        let Ok((notification, webhook, result)) = joined else {
            continue;
        };
        any = true;
        let record = Arc::clone(state);
        let _ = tokio::task::spawn_blocking(move || {
            record_outcome(&record, &notification, &webhook, result);
        })
        .await;
    }
    any
}

/// Stores how one send ended.
fn record_outcome(
    state: &AppState,
    notification: &Notification,
    webhook: &Webhook,
    result: Result<(), String>,
) {
    let now = OffsetDateTime::now_utc();
    let retry = state.alerting.retry;
    let mut given_up = false;
    let stored = state.store.alerts().update(&mut |book| match &result {
        Ok(()) => record_delivered(book, &notification.id, now),
        Err(error) => given_up = record_failed(book, &notification.id, error, &retry, now),
    });
    if let Err(err) = stored {
        log_store_error("recording a delivery", &err);
    }
    match result {
        Ok(()) => tracing::info!(
            webhook = %webhook.id, alert = %notification.alert_id, state = %notification.state,
            "alert notification delivered"
        ),
        Err(error) if given_up => tracing::error!(
            webhook = %webhook.id, origin = %webhook.url.origin(), alert = %notification.alert_id,
            %error, "alert notification given up after the retry period"
        ),
        Err(error) => tracing::warn!(
            webhook = %webhook.id, origin = %webhook.url.origin(), alert = %notification.alert_id,
            attempts = notification.attempts + 1, %error, "alert notification failed; will retry"
        ),
    }
}

/// Posts one notification; `Err` with a message that never holds the URL.
async fn send(
    client: &reqwest::Client,
    webhook: &Webhook,
    secret: Option<&[u8]>,
    notification: &Notification,
) -> Result<(), String> {
    let body = serde_json::to_vec(&WebhookBody::of(notification)).map_err(|e| e.to_string())?;
    let mut request = client
        .post(webhook.url.expose())
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if let Some(secret) = secret {
        request = request.header(SIGNATURE_HEADER, sign(secret, &body));
    }
    match request.body(body).send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!("HTTP {}", response.status())),
        Err(err) => Err(scorewatch_core::error_chain(&err.without_url())),
    }
}
