//! The alert rules through the real server path: each rule is evaluated at its trigger
//! (a drift report, a performance estimate, a production-metrics computation, a storage
//! health change), and `/metrics` exports the firing alerts per rule and severity.

use std::time::Duration;

use reqwest::StatusCode;
use scorewatch_core::{AlertRule, DataLayout};
use serde_json::{Map, Value, json};

use crate::data_quality::{clean_application, profile};
use crate::helpers::{TestApp, applications, promtool_check, spawn_with};
use crate::skip::skip_or_fail;

async fn alerts_of(app: &TestApp, rule: &str) -> Vec<Value> {
    let view = app.get_json("/monitoring/alerts").await;
    view["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["rule"] == rule)
        .cloned()
        .collect()
}

/// Polls until an alert of `rule` is in `state`; its JSON. Gives up after 30 s: the
/// once-a-minute evaluation first runs 60 s after the start, so an alert seen in time
/// came from the trigger under test (without it, these tests fail: checked by removing
/// the evaluation after the performance estimate).
async fn wait_for(app: &TestApp, rule: &str, state: &str) -> Value {
    for _ in 0..600 {
        if let Some(alert) = alerts_of(app, rule)
            .await
            .into_iter()
            .find(|a| a["state"] == state)
        {
            return alert;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no {state} {rule} alert in 30 s: {:?}",
        app.get_json("/monitoring/alerts").await
    );
}

async fn metrics_text(app: &TestApp) -> String {
    let response = app.get("/metrics").send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("text")
}

/// The value of one `scorewatch_alerts_firing` series.
fn firing(text: &str, rule: &str, severity: &str) -> f64 {
    let prefix = format!("scorewatch_alerts_firing{{rule=\"{rule}\",severity=\"{severity}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
        .parse()
        .expect("a number")
}

async fn predict_batch(app: &TestApp, instances: &[Map<String, Value>]) -> Value {
    let response = app
        .post_json("/predict", &json!({ "instances": instances }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn run_drift(app: &TestApp) {
    let response = app
        .post("/monitoring/drift/run")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_data_quality_alert_fires_for_the_feature_after_a_drift_report_and_resolves() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| {
        // Only the explicit drift runs below evaluate: no background job.
        c.drift_every = 0;
        c.drift_window = 200;
    })
    .await;
    app.train().await;
    let clean = clean_application(&profile(&app).await);
    let mut unseen = clean.clone();
    unseen.insert("loan_purpose".into(), json!("spaceship"));

    // Nothing fires yet, and every rule and severity is exported at 0.
    let text = metrics_text(&app).await;
    for rule in AlertRule::ALL {
        for severity in ["warning", "critical"] {
            assert!(
                firing(&text, rule.as_str(), severity).abs() < f64::EPSILON,
                "{rule} {severity}"
            );
        }
    }

    // 60 of 200 applications with a purpose training never saw: 30 % > 5 %.
    let window: Vec<_> = (0..200)
        .map(|i| {
            if i < 60 {
                unseen.clone()
            } else {
                clean.clone()
            }
        })
        .collect();
    predict_batch(&app, &window).await;
    run_drift(&app).await;
    let found = alerts_of(&app, "data_quality").await;
    assert_eq!(found.len(), 1, "one feature, one alert: {found:?}");
    let alert = &found[0];
    assert_eq!(alert["state"], "firing");
    assert_eq!(alert["severity"], "warning");
    assert_eq!(alert["subject"], "loan_purpose");
    assert_eq!(alert["details"]["issue"], "unseen_category");
    assert_eq!(alert["details"]["share"], 0.3);
    assert_eq!(alert["details"]["threshold"], 0.05);
    assert_eq!(alert["details"]["rows"], 200);
    assert!(
        alert["summary"]
            .as_str()
            .unwrap()
            .starts_with("Data quality: loan_purpose 30% unseen categories"),
        "{alert}"
    );

    let text = metrics_text(&app).await;
    assert!((firing(&text, "data_quality", "warning") - 1.0).abs() < f64::EPSILON);
    assert!(firing(&text, "data_quality", "critical").abs() < f64::EPSILON);
    promtool_check(
        "alert_rules::a_data_quality_alert_fires_for_the_feature_after_a_drift_report_and_resolves",
        &text,
    );

    // A clean window: it resolves after `resolve_after` (3 by default) clear evaluations;
    // each drift report is one (other triggers may add more, which only resolve it
    // sooner).
    predict_batch(&app, &vec![clean.clone(); 200]).await;
    for _ in 0..scorewatch_core::DEFAULT_RESOLVE_AFTER {
        run_drift(&app).await;
    }
    let found = alerts_of(&app, "data_quality").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["state"], "resolved");
    let text = metrics_text(&app).await;
    assert!(firing(&text, "data_quality", "warning").abs() < f64::EPSILON);
    app.stop().await;
}

#[tokio::test]
async fn an_estimated_performance_drop_fires_once_the_background_job_has_an_estimate() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.drift_every = 20).await;
    app.train().await;
    let metrics = app.get_json("/monitoring/metrics").await;
    let version = metrics["model"]["version"]
        .as_str()
        .expect("a model")
        .to_owned();
    assert!(
        alerts_of(&app, "estimated_performance_drop")
            .await
            .is_empty(),
        "no estimate yet: not judged"
    );

    // 200 copies of one application: every score ties, so the estimated ROC curve is
    // the diagonal and the estimated AUC 0.5, far below validation.
    let clean = clean_application(&profile(&app).await);
    predict_batch(&app, &vec![clean; 200]).await;
    let alert = wait_for(&app, "estimated_performance_drop", "firing").await;
    assert_eq!(alert["severity"], "warning");
    assert_eq!(alert["subject"], version.as_str());
    let details = &alert["details"];
    let estimated = details["estimated_auc"].as_f64().unwrap();
    assert!((estimated - 0.5).abs() < 1e-6, "{details}");
    assert_eq!(details["rows"], 200);

    // The numbers are the stored entries' numbers.
    let view = app.get_json("/monitoring/metrics?limit=1000").await;
    let history = &view["history"];
    let entries = history.as_array().expect("history, newest first");
    let auc_of = |source: &str| {
        entries
            .iter()
            .find(|e| e["source"] == source && e["model_version"] == version.as_str())
            .and_then(|e| e["metrics"]["roc_auc"].as_f64())
            .unwrap_or_else(|| panic!("no {source} AUC in {history}"))
    };
    let validation = auc_of("validation");
    assert!((details["validation_auc"].as_f64().unwrap() - validation).abs() < 1e-12);
    assert!((auc_of("estimated") - estimated).abs() < 1e-12);
    assert!((details["drop"].as_f64().unwrap() - (validation - estimated)).abs() < 1e-9);
    app.stop().await;
}

#[tokio::test]
async fn production_metrics_far_below_validation_fire_a_performance_drop() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| {
        c.drift_every = 0;
        c.metrics_every = 250;
    })
    .await;
    app.train().await;
    let answer = predict_batch(&app, &applications(250, 31)).await;
    let mut scored: Vec<(String, f64)> = answer["predictions"]
        .as_array()
        .expect("predictions")
        .iter()
        .map(|p| {
            (
                p["prediction_id"].as_str().expect("id").to_owned(),
                p["score"].as_f64().expect("score"),
            )
        })
        .collect();
    // The lowest-scored half defaulted, the highest did not: production AUC near 0.
    scored.sort_by(|a, b| a.1.total_cmp(&b.1));
    let outcomes: Vec<Value> = scored
        .iter()
        .enumerate()
        .map(|(rank, (id, _))| json!({"prediction_id": id, "actual": u8::from(rank < 125)}))
        .collect();
    let response = app
        .post_json("/monitoring/outcomes", &json!({ "outcomes": outcomes }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let alert = wait_for(&app, "performance_drop", "firing").await;
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["details"]["rows"], 250);
    assert!(
        alert["details"]["production_auc"].as_f64().unwrap() < 0.2,
        "{alert}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_storage_health_change_fires_and_resolves_the_storage_alert() {
    const TEST: &str = "alert_rules::a_storage_health_change_fires_and_resolves_the_storage_alert";
    if !crate::database::file_backend_only(TEST) {
        return;
    }
    // The staging directory made read-only turns /health degraded; only root can still
    // write the alert book through it (as on a real disk fault, the alert is recorded
    // with the first write that goes through).
    if !crate::disk_faults::is_root() {
        return skip_or_fail(TEST, "needs root to write through a read-only directory");
    }
    // One clear evaluation resolves (the health change is one; waiting for two more
    // once-a-minute ones would only slow the test, `resolve_after` has core tests).
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| {
        c.alert_rules.resolve_after = std::num::NonZeroU32::MIN;
    })
    .await;
    let tmp = DataLayout::new(app.path()).tmp_dir();
    set_mode(&tmp, 0o555);
    let alert = wait_for(&app, "storage_degraded", "firing").await;
    assert_eq!(alert["severity"], "critical");
    let text = metrics_text(&app).await;
    assert!((firing(&text, "storage_degraded", "critical") - 1.0).abs() < f64::EPSILON);
    assert!(text.contains("\nscorewatch_storage_degraded 1\n"), "{text}");

    set_mode(&tmp, 0o755);
    wait_for(&app, "storage_degraded", "resolved").await;
    let text = metrics_text(&app).await;
    assert!(text.contains("\nscorewatch_storage_degraded 0\n"), "{text}");
    app.stop().await;
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
