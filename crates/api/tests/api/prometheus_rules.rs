//! `deploy/prometheus/alerts.yml`: Prometheus alerting rules on scorewatch's own
//! metrics. promtool checks them and runs their unit tests
//! (`deploy/prometheus/alerts_test.yml`), and every `scorewatch_*` metric they name is in
//! what a real server serves, so a renamed metric cannot leave a rule silently empty.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{TestApp, applications, spawn_with};
use crate::skip::skip_or_fail;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/prometheus")
}

/// Runs promtool with `args` in the rules directory; `None` (after `skip_or_fail`) when
/// promtool is not installed.
fn promtool(test: &str, args: &[&str]) -> Option<()> {
    let Ok(output) = Command::new("promtool")
        .args(args)
        .current_dir(rules_dir())
        .output()
    else {
        skip_or_fail(
            test,
            "promtool is not installed (apt-get install prometheus)",
        );
        return None;
    };
    assert!(
        output.status.success(),
        "promtool {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(())
}

#[test]
fn prometheus_rules_pass_promtool_check_and_their_unit_tests() {
    const TEST: &str =
        "prometheus_rules::prometheus_rules_pass_promtool_check_and_their_unit_tests";
    if promtool(TEST, &["check", "rules", "alerts.yml"]).is_none() {
        return;
    }
    promtool(TEST, &["test", "rules", "alerts_test.yml"]);
}

/// Every `scorewatch_*` token of the rules file: the metric names its expressions use.
fn metric_names_in_rules() -> BTreeSet<String> {
    let text = std::fs::read_to_string(rules_dir().join("alerts.yml")).expect("alerts.yml");
    let mut names = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("scorewatch_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.insert(name);
    }
    names
}

/// Series names of an exposition (histograms give `_bucket`, `_sum` and `_count`).
fn served_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn metrics_text(app: &TestApp) -> String {
    let response = app.get("/metrics").send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("text")
}

#[tokio::test]
async fn prometheus_rules_name_only_metrics_the_server_exports() {
    let used = metric_names_in_rules();
    assert!(used.len() >= 10, "the rules name too few metrics: {used:?}");

    // A server with everything a rule looks at: a model, predictions (data-quality
    // counters, request histograms), and the background job's drift report and
    // performance estimate.
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.drift_every = 20).await;
    app.train().await;
    let response = app
        .post_json(
            "/predict",
            &serde_json::json!({ "instances": applications(40, 7) }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut text = String::new();
    for _ in 0..1200 {
        text = metrics_text(&app).await;
        if text.contains("\nscorewatch_estimated_metric{")
            && text.contains("\nscorewatch_drift_verdict ")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let served = served_names(&text);
    let missing: Vec<&String> = used.iter().filter(|n| !served.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "deploy/prometheus/alerts.yml names metrics /metrics does not export: {missing:?}\n{text}"
    );
    app.stop().await;
}
