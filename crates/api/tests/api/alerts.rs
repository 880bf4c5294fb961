//! Alerts end to end: a failed pipeline run fires `pipeline_failed`, a real webhook
//! receiver (a plain TCP server in the test) gets it signed, after refusing the first
//! tries or across a restart, and the resolved notification follows the firing one; a
//! score drift that clears sends its resolved notification; a receiver that hangs does
//! not hold up `/predict`.

// Helpers of these tests panic on failure like the tests themselves.
#![allow(clippy::unwrap_used, clippy::format_collect)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use scorewatch_api::alerts::{SIGNATURE_HEADER, sign};
use scorewatch_api::config::{Secret, parse_webhook_url};
use scorewatch_core::RetryPolicy;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, expect_error, spawn_app, spawn_with};

const SECRET: &str = "webhook-secret";

/// One request the receiver got, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    signature: Option<String>,
    body: Vec<u8>,
    answered: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A webhook receiver that answers 500 to its first `fail_first` requests, then 200.
/// While `held` is set, a request it has read waits unanswered (a receiver that hangs).
#[derive(Clone)]
struct Receiver {
    url: String,
    fail_first: Arc<Mutex<usize>>,
    got: Arc<Mutex<Vec<Received>>>,
    held: Arc<AtomicBool>,
    arrived: Arc<AtomicUsize>,
}

impl Receiver {
    fn start(fail_first: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook/t0ken", listener.local_addr().unwrap());
        let receiver = Self {
            url,
            fail_first: Arc::new(Mutex::new(fail_first)),
            got: Arc::new(Mutex::new(Vec::new())),
            held: Arc::new(AtomicBool::new(false)),
            arrived: Arc::new(AtomicUsize::new(0)),
        };
        let shared = receiver.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                shared.serve(stream);
            }
        });
        receiver
    }

    fn serve(&self, stream: std::net::TcpStream) {
        let mut reader = BufReader::new(stream);
        let (mut length, mut signature) = (0, None);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case(SIGNATURE_HEADER) {
                    signature = Some(value.trim().to_owned());
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        self.arrived.fetch_add(1, Ordering::SeqCst);
        while self.held.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let answered = {
            let mut fail = self.fail_first.lock().unwrap();
            if *fail > 0 {
                *fail -= 1;
                500
            } else {
                200
            }
        };
        self.got.lock().unwrap().push(Received {
            signature,
            body,
            answered,
        });
        let reason = if answered == 200 {
            "OK"
        } else {
            "Internal Server Error"
        };
        let mut stream = reader.into_inner();
        let _ = write!(
            stream,
            "HTTP/1.1 {answered} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn accepted(&self) -> Vec<Value> {
        self.received()
            .iter()
            .filter(|r| r.answered == 200)
            .map(Received::json)
            .collect()
    }

    /// Waits (polling, at most 60 s) until `done` holds for what was received.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) {
        for _ in 0..1200 {
            if done(&self.received()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "receiver: {what} did not happen in 60 s; got {:?}",
            self.received()
        );
    }
}

/// Retries in milliseconds rather than seconds, so the tests take no long waits.
fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        first: Duration::from_millis(20),
        cap: Duration::from_millis(100),
        ..RetryPolicy::default()
    }
}

async fn spawn_alerting(dir: tempfile::TempDir, receiver: &Receiver) -> TestApp {
    let url = parse_webhook_url(&receiver.url).expect("a valid URL");
    spawn_with(dir, |config| {
        config.alert_webhooks = vec![url];
        config.alert_webhook_secret = Some(Secret::new(SECRET));
        config.alert_retry = fast_retries();
        resolve_at_the_first_clear(config);
    })
    .await
}

/// One clear evaluation resolves an alert, so that a good run (one evaluation) resolves
/// the failed run's alert; more clear evaluations in a row are the core's tests.
fn resolve_at_the_first_clear(config: &mut scorewatch_api::config::Config) {
    config.alert_rules.resolve_after = std::num::NonZeroU32::MIN;
}

/// Runs the pipeline on a training file without a target column: the run fails.
async fn fail_a_run(app: &TestApp) {
    app.write_raw_training_set("broken.csv", b"a,b\n1,2\n3,4\n")
        .await;
    let response = app
        .post_json(
            "/monitoring/run-pipeline",
            &json!({"training_file": "broken.csv"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let status = app.wait_for_pipeline().await;
    assert_eq!(
        status.runs.last().unwrap().outcome,
        scorewatch_core::RunOutcome::Failed
    );
}

async fn alerts(app: &TestApp, query: &str) -> Vec<Value> {
    let view = app.get_json(&format!("/monitoring/alerts{query}")).await;
    view["alerts"].as_array().unwrap().clone()
}

/// Polls the alert list until `done` holds for the first alert.
async fn wait_for_alert(app: &TestApp, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..1200 {
        if let Some(first) = alerts(app, "").await.first()
            && done(first)
        {
            return first.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "alert: {what} did not happen in 60 s: {:?}",
        alerts(app, "").await
    );
}

#[test]
fn the_signature_matches_python_hmac() {
    // python3 -c "import hmac, hashlib; print(hmac.new(b'webhook-secret',
    //   b'{\"rule\":\"pipeline_failed\"}', hashlib.sha256).hexdigest())"
    assert_eq!(
        sign(b"webhook-secret", br#"{"rule":"pipeline_failed"}"#),
        "sha256=6f9ab5bab121b0c8dd8172ac8461a296590e3a1c85f5b4598e810ece1bb43993"
    );
}

/// The receiver's own check, as a receiver would write it.
fn verify(received: &Received) {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&received.body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        received.signature.as_deref(),
        Some(format!("sha256={hex}").as_str())
    );
}

#[tokio::test]
async fn a_failed_run_is_delivered_signed_after_refusals_and_resolved_after_a_good_run() {
    let receiver = Receiver::start(2);
    let app = spawn_alerting(tempfile::tempdir().unwrap(), &receiver).await;

    fail_a_run(&app).await;
    receiver
        .wait_for("the firing notification accepted", |got| {
            got.iter().any(|r| r.answered == 200)
        })
        .await;

    let got = receiver.received();
    assert_eq!(
        got.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    // Every retry is the same notification, byte for byte, and each is signed.
    assert!(got.iter().all(|r| r.body == got[0].body));
    got.iter().for_each(verify);
    let firing = got[2].json();
    assert_eq!(firing["rule"], "pipeline_failed");
    assert_eq!(firing["state"], "firing");
    assert_eq!(firing["severity"], "warning");
    assert!(
        firing["summary"]
            .as_str()
            .unwrap()
            .starts_with("Pipeline run "),
        "{firing}"
    );
    assert!(firing["details"]["run_id"].is_string(), "{firing}");
    assert!(firing["started_at"].is_string(), "{firing}");
    assert!(
        firing["text"]
            .as_str()
            .unwrap()
            .starts_with("[WARNING] Pipeline run "),
        "{firing}"
    );

    let alert = wait_for_alert(&app, "delivered", |a| a["delivery"]["delivered"] == 1).await;
    assert_eq!(alert["state"], "firing");
    assert_eq!(alert["id"], firing["alert_id"]);
    assert_eq!(alert["delivery"]["pending"], 0);
    assert_eq!(
        alert["delivery"]["last_error"],
        "HTTP 500 Internal Server Error"
    );
    assert_eq!(alerts(&app, "?state=firing").await.len(), 1);
    assert!(alerts(&app, "?state=resolved").await.is_empty());

    // A good run clears the condition: a resolved notification, after the firing one.
    app.train().await;
    receiver
        .wait_for("the resolved notification", |got| {
            got.iter().filter(|r| r.answered == 200).count() == 2
        })
        .await;
    let accepted = receiver.accepted();
    assert_eq!(
        accepted
            .iter()
            .map(|b| b["state"].clone())
            .collect::<Vec<_>>(),
        ["firing", "resolved"]
    );
    assert_eq!(accepted[1]["alert_id"], firing["alert_id"]);
    assert!(accepted[1]["resolved_at"].is_string());
    assert!(
        accepted[1]["text"]
            .as_str()
            .unwrap()
            .starts_with("[RESOLVED] ")
    );
    receiver.received().iter().for_each(verify);
    let resolved = alerts(&app, "?state=resolved").await;
    assert_eq!(resolved.len(), 1);
    assert!(resolved[0]["resolved_at"].is_string());
    assert!(alerts(&app, "?state=firing").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_undelivered_notification_is_delivered_after_a_restart() {
    // Refuses everything while the first server runs.
    let receiver = Receiver::start(usize::MAX);
    let app = spawn_alerting(tempfile::tempdir().unwrap(), &receiver).await;
    fail_a_run(&app).await;
    receiver
        .wait_for("a refused try", |got| !got.is_empty())
        .await;
    let alert = wait_for_alert(&app, "a failed try recorded", |a| {
        a["delivery"]["last_error"].is_string()
    })
    .await;
    assert_eq!(alert["delivery"]["pending"], 1);
    let dir = app.stop().await;

    *receiver.fail_first.lock().unwrap() = 0;
    let restarted = spawn_alerting(dir, &receiver).await;
    receiver
        .wait_for("delivery after the restart", |got| {
            got.iter().any(|r| r.answered == 200)
        })
        .await;
    let accepted = receiver.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["alert_id"], alert["id"]);
    assert_eq!(accepted[0]["state"], "firing");
    let after = wait_for_alert(&restarted, "delivered", |a| a["delivery"]["delivered"] == 1).await;
    assert_eq!(after["id"], alert["id"]);
    assert_eq!(after["delivery"]["pending"], 0);
    restarted.stop().await;
}

#[tokio::test]
async fn ack_needs_the_key_knows_the_id_and_refuses_a_resolved_alert() {
    let app = spawn_with(tempfile::tempdir().unwrap(), resolve_at_the_first_clear).await;
    fail_a_run(&app).await;
    let alert = wait_for_alert(&app, "firing", |a| a["state"] == "firing").await;
    let id = alert["id"].as_str().unwrap();
    assert!(alert["acked_at"].is_null());
    // No webhook configured: nothing is queued.
    assert_eq!(alert["delivery"]["pending"], 0);

    let path = format!("/monitoring/alerts/{id}/ack");
    let response = app.client.post(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let unknown = app
        .post("/monitoring/alerts/no-such-alert/ack")
        .send()
        .await
        .unwrap();
    expect_error(unknown, 404, "not_found").await;

    let response = app.post(&path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let acked: Value = response.json().await.unwrap();
    assert!(acked["acked_at"].is_string());
    assert!(acked["acked_by"].is_string());
    assert_eq!(alerts(&app, "").await[0]["acked_at"], acked["acked_at"]);

    app.train().await;
    wait_for_alert(&app, "resolved", |a| a["state"] == "resolved").await;
    let resolved = app.post(&path).send().await.unwrap();
    expect_error(resolved, 409, "alert_resolved").await;
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_state_filter_is_400() {
    let app = spawn_app().await;
    let response = app
        .get("/monitoring/alerts?state=open")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(alerts(&app, "").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_significant_score_drift_fires_a_critical_alert() {
    let app = spawn_app().await;
    app.train().await;
    // Applications whose scores all sit far above the reference's: PSI significant.
    let mut instances = crate::helpers::applications(300, 5);
    for instance in &mut instances {
        instance.insert("recent_delinquencies".into(), json!(6));
        instance.insert("debt_to_income".into(), json!(0.9));
        instance.insert("utilization".into(), json!(0.99));
    }
    let response = app
        .post_json("/predict", &json!({"instances": instances}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.post("/monitoring/drift/run").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let report: Value = response.json().await.unwrap();
    assert_eq!(
        report["score"]["psi_band"], "significant",
        "{}",
        report["score"]
    );

    let alert = alerts(&app, "?state=firing").await;
    let score = alert
        .iter()
        .find(|a| a["rule"] == "score_drift")
        .expect("score alert");
    assert_eq!(score["severity"], "critical");
    assert_eq!(score["subject"], "score");
    assert_eq!(score["details"]["report_id"], report["id"]);
    app.stop().await;
}

/// Applications whose scores all sit far above the reference's (the score's PSI is
/// significant), or, with `shifted` false, applications like the training set's.
fn scored_applications(
    rows: usize,
    seed: u64,
    shifted: bool,
) -> Vec<serde_json::Map<String, Value>> {
    let mut instances = crate::helpers::applications(rows, seed);
    if shifted {
        for instance in &mut instances {
            instance.insert("recent_delinquencies".into(), json!(6));
            instance.insert("debt_to_income".into(), json!(0.9));
            instance.insert("utilization".into(), json!(0.99));
        }
    }
    instances
}

/// Predicts `instances` in one batch and runs a drift report over the window.
async fn predict_and_run_drift(
    app: &TestApp,
    instances: &[serde_json::Map<String, Value>],
) -> Value {
    let response = app
        .post_json("/predict", &json!({ "instances": instances }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.post("/monitoring/drift/run").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_score_drift_that_clears_sends_the_resolved_notification_after_the_firing_one() {
    let receiver = Receiver::start(0);
    let url = parse_webhook_url(&receiver.url).expect("a valid URL");
    // A window of 1,000 rows, so that a window of ordinary applications replaces the
    // shifted one entirely (and its score PSI, about 9 bins / 1,000 rows, is stable).
    let app = spawn_with(tempfile::tempdir().unwrap(), |config| {
        config.alert_webhooks = vec![url];
        config.alert_webhook_secret = Some(Secret::new(SECRET));
        config.alert_retry = fast_retries();
        config.drift_window = 1_000;
    })
    .await;
    app.train().await;

    let report = predict_and_run_drift(&app, &scored_applications(1_000, 5, true)).await;
    assert_eq!(
        report["score"]["psi_band"], "significant",
        "{}",
        report["score"]
    );
    receiver
        .wait_for("the score drift's firing notification", |got| {
            got.iter().any(|r| r.json()["rule"] == "score_drift")
        })
        .await;

    // Ordinary applications: every drift report from now on finds the score stable, and
    // the alert resolves after `resolve_after` such evaluations in a row.
    let mut resolved = false;
    for round in 0..5 {
        let report =
            predict_and_run_drift(&app, &scored_applications(1_000, 100 + round, false)).await;
        assert_eq!(report["score"]["psi_band"], "stable", "{}", report["score"]);
        let score = alerts(&app, "").await;
        let score = score
            .iter()
            .find(|a| a["rule"] == "score_drift")
            .expect("the alert");
        if score["state"] == "resolved" {
            resolved = true;
            break;
        }
    }
    assert!(
        resolved,
        "the score alert resolved within 5 clear drift reports"
    );
    receiver
        .wait_for("the score drift's resolved notification", |got| {
            got.iter()
                .any(|r| r.json()["rule"] == "score_drift" && r.json()["state"] == "resolved")
        })
        .await;

    let score: Vec<Value> = receiver
        .accepted()
        .into_iter()
        .filter(|body| body["rule"] == "score_drift")
        .collect();
    let states: Vec<&str> = score.iter().map(|b| b["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["firing", "resolved"], "{score:?}");
    assert_eq!(score[0]["severity"], "critical");
    assert_eq!(
        score[0]["started_at"], score[1]["started_at"],
        "the same alert"
    );
    for received in receiver.received() {
        verify(&received);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_receiver_that_hangs_does_not_hold_up_predict() {
    let receiver = Receiver::start(0);
    receiver.held.store(true, Ordering::SeqCst);
    let app = spawn_alerting(tempfile::tempdir().unwrap(), &receiver).await;
    app.train().await;
    fail_a_run(&app).await;
    for _ in 0..1200 {
        if receiver.arrived.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        receiver.arrived.load(Ordering::SeqCst) > 0,
        "the notification reached the receiver in 60 s"
    );

    // The receiver holds the notification's request open; predictions are answered
    // meanwhile. The bound is a liveness check (a blocked /predict would wait for the
    // receiver, held for as long as this test runs), not a speed measurement.
    for instance in crate::helpers::applications(20, 3) {
        let answer = tokio::time::timeout(
            Duration::from_secs(30),
            app.post_json("/predict", &json!({ "features": instance })),
        )
        .await
        .expect("/predict answered while the webhook receiver hung");
        assert_eq!(answer.status(), StatusCode::OK);
    }
    assert!(
        receiver.received().is_empty(),
        "the receiver was still holding the notification"
    );

    receiver.held.store(false, Ordering::SeqCst);
    receiver
        .wait_for("the held notification answered", |got| {
            got.iter().any(|r| r.answered == 200)
        })
        .await;
    app.stop().await;
}
