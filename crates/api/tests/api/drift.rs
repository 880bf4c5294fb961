use reqwest::StatusCode;
use scorewatch_core::DriftReport;
use scorewatch_core::views::DriftView;

use crate::helpers::{expect_error, spawn_with};

#[tokio::test]
async fn drift_runs_on_demand_and_in_the_background() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.drift_every = 20).await;
    app.train().await;
    let response = app.post("/monitoring/drift/run").send().await.unwrap();
    expect_error(response, 409, "no_predictions").await;

    app.predict_n(30).await;
    let response = app.post("/monitoring/drift/run").send().await.unwrap();

    assert_eq!(response.status(), StatusCode::CREATED);
    let report: DriftReport = response.json().await.unwrap();
    assert_eq!(report.features.len(), 12);
    assert!(report.current.rows >= 20);
    assert!(report.score.is_some());
    // The 20th prediction started a background report too.
    let mut view = DriftView {
        report: None,
        history: Vec::new(),
        by_segment: None,
    };
    for _ in 0..200 {
        view = serde_json::from_value(app.get_json("/monitoring/drift?history=5").await).unwrap();
        if view.history.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(view.history.len() >= 2, "{:?}", view.history);
    assert!(view.report.is_some());
    let by_id_json = app
        .get_json(&format!("/monitoring/drift?id={}", report.id))
        .await;
    // Checked on the raw JSON: the typed report would derive a missing verdict on load.
    let status = if report.verdict.is_drifted() {
        "drifted"
    } else {
        "stable"
    };
    assert_eq!(by_id_json["report"]["verdict"]["status"], status);
    assert!(by_id_json["report"]["verdict"]["reasons"].is_array());
    let by_id: DriftView = serde_json::from_value(by_id_json).unwrap();
    assert_eq!(by_id.report.unwrap().id, report.id);
    if let Some(stored) = app.stored_file("monitoring/drift_reports.json") {
        assert!(stored.contains(&report.id));
    }
    let metrics = app
        .get("/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("scorewatch_feature_psi{feature=\"age\"}"),
        "{metrics}"
    );
    // The latest report may be a background one, so only its presence is checked here.
    assert!(
        metrics
            .lines()
            .any(|l| l == "scorewatch_drift_verdict 0" || l == "scorewatch_drift_verdict 1"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn background_reports_wait_for_the_minimum_interval() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| {
        c.drift_every = 5;
        c.drift_min_interval = std::time::Duration::from_hours(1);
    })
    .await;
    app.train().await;
    let history = |view: serde_json::Value| {
        serde_json::from_value::<DriftView>(view)
            .unwrap()
            .history
            .len()
    };
    // The first count starts a report at once.
    app.predict_n(5).await;
    let mut reports = 0;
    for _ in 0..200 {
        reports = history(app.get_json("/monitoring/drift?history=10").await);
        if reports >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(reports, 1);
    // Four more counts within the hour start none.
    app.predict_n(20).await;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        assert_eq!(
            history(app.get_json("/monitoring/drift?history=10").await),
            1
        );
    }
    app.stop().await;
}
