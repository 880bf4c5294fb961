//! Data quality on the prediction path: each served prediction's issues counted in
//! `scorewatch_feature_issues_total`, and the prediction served all the same; the window
//! summary of `GET /monitoring/data-quality`.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use scorewatch_core::{FeatureReference, ReferenceProfile};
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, expect_error, promtool_check, spawn_app, spawn_with};

type Counters = BTreeMap<(String, String), u64>;

/// Every `scorewatch_feature_issues_total` series of `/metrics`, by (feature, issue).
async fn issue_counters(app: &TestApp) -> Counters {
    let text = metrics_text(app).await;
    text.lines()
        .filter_map(|line| line.strip_prefix("scorewatch_feature_issues_total{feature=\""))
        .map(|rest| {
            let (feature, rest) = rest.split_once("\",issue=\"").expect("issue label");
            let (issue, value) = rest.split_once("\"} ").expect("value");
            let value = value.parse().expect("count");
            ((feature.to_owned(), issue.to_owned()), value)
        })
        .collect()
}

async fn metrics_text(app: &TestApp) -> String {
    let response = app.get("/metrics").send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("text")
}

/// What changed between two readings, zeros left out.
fn increase(before: &Counters, after: &Counters) -> BTreeMap<(String, String), u64> {
    after
        .iter()
        .map(|(key, &value)| (key.clone(), value - before.get(key).copied().unwrap_or(0)))
        .filter(|&(_, delta)| delta > 0)
        .collect()
}

fn key(feature: &str, issue: &str) -> (String, String) {
    (feature.to_owned(), issue.to_owned())
}

/// The served model's reference profile, as the store keeps it.
pub(crate) async fn profile(app: &TestApp) -> ReferenceProfile {
    let view = app.get_json("/monitoring/metrics").await;
    let version = view["model"]["version"].as_str().expect("a served model");
    let stored = app.current_model().await;
    assert_eq!(stored.version, version);
    stored.profile.expect("a reference profile")
}

/// An application with no issue: each numeric feature at its training median, each
/// categorical one at a training category.
pub(crate) fn clean_application(profile: &ReferenceProfile) -> Map<String, Value> {
    profile
        .features
        .iter()
        .map(|feature| {
            let value = match &feature.reference {
                FeatureReference::Numeric(p) => json!(p.sorted_values[p.sorted_values.len() / 2]),
                FeatureReference::Categorical(p) => json!(p.categories[0]),
            };
            (feature.name.clone(), value)
        })
        .collect()
}

async fn predict_ok(app: &TestApp, body: &Value) -> Value {
    let response = app.post_json("/predict", body).await;
    let status = response.status();
    let answer: Value = response.json().await.expect("json");
    assert_eq!(
        status,
        StatusCode::OK,
        "an issue never refuses a prediction: {answer}"
    );
    answer
}

#[tokio::test]
async fn each_kind_of_issue_is_counted_per_feature_and_the_prediction_is_served() {
    let app = spawn_app().await;
    app.train().await;
    let profile = profile(&app).await;
    let clean = clean_application(&profile);
    let age_max = match &profile
        .features
        .iter()
        .find(|f| f.name == "age")
        .expect("age")
        .reference
    {
        FeatureReference::Numeric(p) => *p.sorted_values.last().expect("ages"),
        FeatureReference::Categorical(_) => panic!("age is numeric"),
    };

    // Every feature of the model has its three series from the start, at 0.
    let start = issue_counters(&app).await;
    assert_eq!(start.len(), profile.features.len() * 3, "{start:?}");
    assert!(start.values().all(|&v| v == 0), "{start:?}");

    predict_ok(&app, &json!({ "features": clean })).await;
    let after_clean = issue_counters(&app).await;
    assert_eq!(
        increase(&start, &after_clean),
        BTreeMap::new(),
        "a clean application"
    );

    let mut missing = clean.clone();
    missing.insert("utilization".into(), Value::Null);
    let mut out_of_range = clean.clone();
    out_of_range.insert("age".into(), json!(age_max + 1.0));
    let mut unseen = clean.clone();
    unseen.insert("loan_purpose".into(), json!("spaceship"));
    let answer = predict_ok(&app, &json!({ "features": missing })).await;
    assert!(
        answer["score"]
            .as_f64()
            .is_some_and(|s| (0.0..=1.0).contains(&s))
    );
    predict_ok(&app, &json!({ "features": out_of_range })).await;
    predict_ok(&app, &json!({ "features": unseen })).await;
    // A batch counts each of its predictions.
    let answer = predict_ok(&app, &json!({ "instances": [unseen, unseen.clone()] })).await;
    assert_eq!(answer["predictions"].as_array().map(Vec::len), Some(2));

    let after = issue_counters(&app).await;
    assert_eq!(
        increase(&after_clean, &after),
        BTreeMap::from([
            (key("utilization", "missing"), 1),
            (key("age", "out_of_range"), 1),
            (key("loan_purpose", "unseen_category"), 3),
        ])
    );
    // Each of them was logged like any prediction.
    let logged = app.get_json("/monitoring/predictions?limit=10").await;
    assert_eq!(
        logged["predictions"].as_array().map(Vec::len),
        Some(6),
        "{logged}"
    );

    // The window summary of the same six predictions has the same counts, as shares.
    let summary = app.get_json("/monitoring/data-quality").await;
    assert_eq!(summary["rows"], 6);
    assert_eq!(
        summary["model_version"],
        answer["predictions"][0]["model_version"]
    );
    let feature = |summary: &Value, name: &str| {
        summary["features"]
            .as_array()
            .expect("features")
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {summary}"))
            .clone()
    };
    assert_eq!(feature(&summary, "utilization")["missing"], 1);
    assert_eq!(feature(&summary, "utilization")["missing_share"], 1.0 / 6.0);
    assert_eq!(feature(&summary, "age")["out_of_range"], 1);
    assert_eq!(feature(&summary, "age")["out_of_range_share"], 1.0 / 6.0);
    assert_eq!(
        feature(&summary, "loan_purpose")["unseen_category_share"],
        0.5
    );
    assert_eq!(feature(&summary, "home_ownership")["unseen_category"], 0);
    // The newest two are the batch: both unseen.
    let newest = app.get_json("/monitoring/data-quality?rows=2").await;
    assert_eq!(newest["rows"], 2);
    assert_eq!(
        feature(&newest, "loan_purpose")["unseen_category_share"],
        1.0
    );
    let response = app
        .get("/monitoring/data-quality?rows=0")
        .send()
        .await
        .expect("request");
    expect_error(response, 422, "invalid_fields").await;
    app.stop().await;
}

/// Issue 16: a drift report carries the data quality of its own window, the same numbers
/// `GET /monitoring/data-quality` gives for that window (the newest `--drift-window`
/// predictions), and rows older than the window count in neither.
#[tokio::test]
async fn the_drift_report_carries_the_data_quality_of_its_window() {
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), |c| {
        c.drift_window = 4;
    })
    .await;
    app.train().await;
    let profile = profile(&app).await;
    let clean = clean_application(&profile);
    let with = |name: &str, value: Value| {
        let mut features = clean.clone();
        features.insert(name.to_owned(), value);
        json!({ "features": features })
    };
    let age_max = match &profile
        .features
        .iter()
        .find(|f| f.name == "age")
        .expect("age")
        .reference
    {
        FeatureReference::Numeric(p) => *p.sorted_values.last().expect("ages"),
        FeatureReference::Categorical(_) => panic!("age is numeric"),
    };
    // Oldest first; the first two fall outside the window of 4.
    for body in [
        with("loan_purpose", json!("spaceship")),
        with("utilization", Value::Null),
        json!({ "features": clean }),
        with("age", json!(age_max + 1.0)),
        with("loan_purpose", json!("spaceship")),
        with("utilization", Value::Null),
    ] {
        predict_ok(&app, &body).await;
    }

    let response = app
        .post("/monitoring/drift/run")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);
    let run: Value = response.json().await.expect("json");
    let view = app.get_json("/monitoring/drift").await;
    let summary = app.get_json("/monitoring/data-quality").await;

    let report = &view["report"];
    assert_eq!(report["id"], run["id"], "the run's report is the latest");
    let section = &report["data_quality"];
    assert_eq!(section["rows"], 4);
    assert_eq!(section["rows"], report["current"]["rows"]);
    assert_eq!(section["model_version"], report["current"]["model_version"]);
    assert_eq!(section["from"], report["current"]["from"]);
    assert_eq!(section["to"], report["current"]["to"]);
    // Every count and share of every feature, as the data-quality endpoint computes them.
    assert_eq!(
        section, &summary,
        "drift report vs /monitoring/data-quality"
    );
    assert_eq!(run["data_quality"], summary, "as the run answered it");
    let feature = |name: &str| {
        section["features"]
            .as_array()
            .expect("features")
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {section}"))
            .clone()
    };
    assert_eq!(feature("utilization")["missing"], 1);
    assert_eq!(feature("utilization")["missing_share"], 0.25);
    assert_eq!(feature("age")["out_of_range"], 1);
    assert_eq!(feature("age")["out_of_range_share"], 0.25);
    assert_eq!(feature("loan_purpose")["unseen_category"], 1);
    assert_eq!(feature("loan_purpose")["unseen_category_share"], 0.25);
    // Stored with the report: the history's full report by id has it too.
    let by_id = app
        .get_json(&format!(
            "/monitoring/drift?id={}",
            run["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(&by_id["report"]["data_quality"], section);
    app.stop().await;
}

#[tokio::test]
async fn the_data_quality_window_needs_a_model() {
    let app = spawn_app().await;
    let response = app
        .get("/monitoring/data-quality")
        .send()
        .await
        .expect("request");
    expect_error(response, 503, "not_ready").await;
    app.stop().await;
}

#[tokio::test]
async fn a_request_the_validation_refuses_counts_no_issue() {
    let app = spawn_app().await;
    app.train().await;
    let profile = profile(&app).await;
    let mut unseen = clean_application(&profile);
    unseen.insert("loan_purpose".into(), json!("spaceship"));
    let mut wrong_type = unseen.clone();
    wrong_type.insert("age".into(), json!("forty"));
    let before = issue_counters(&app).await;

    // Refused as before (422), and the valid instance of the batch is not served either.
    let response = app
        .post_json("/predict", &json!({ "instances": [unseen, wrong_type] }))
        .await;
    expect_error(response, 422, "invalid_fields").await;

    assert_eq!(
        increase(&before, &issue_counters(&app).await),
        BTreeMap::new()
    );
    app.stop().await;
}

#[tokio::test]
async fn the_metrics_exposition_passes_promtool() {
    let app = spawn_app().await;
    app.train().await;
    app.predict_n(5).await;
    let text = metrics_text(&app).await;
    assert!(text.contains("# TYPE scorewatch_feature_issues_total counter"));
    promtool_check(
        "data_quality::the_metrics_exposition_passes_promtool",
        &text,
    );
    app.stop().await;
}
