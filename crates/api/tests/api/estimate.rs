//! `GET /monitoring/performance-estimate` and the estimated entries of the background job.

use reqwest::StatusCode;
use scorewatch_core::{
    CbpeEstimator, Chunking, MetricSource, MetricsEntry, ModelArtifact, Reference, ServedEstimate,
};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, applications, expect_error, promtool_check, spawn_with};

/// Computed the same way in the server and here; only float parsing of the JSON differs.
const SAME_NUMBERS: f64 = 1e-9;

/// Posts `n` applications; returns (prediction id, score) oldest first.
async fn predict(app: &TestApp, n: usize) -> Vec<(String, f64)> {
    let mut out = Vec::with_capacity(n);
    for instance in applications(n, 23) {
        let response = app
            .post_json("/predict", &json!({ "features": instance }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        out.push((
            body["prediction_id"].as_str().expect("id").to_owned(),
            body["score"].as_f64().expect("score"),
        ));
    }
    out
}

async fn label(app: &TestApp, ids: &[(String, f64)]) {
    let outcomes: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, (id, _))| json!({"prediction_id": id, "actual": i % 2}))
        .collect();
    let response = app
        .post_json("/monitoring/outcomes", &json!({ "outcomes": outcomes }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// The served model's artifact as written by training.
async fn served_artifact(app: &TestApp) -> ModelArtifact {
    app.current_model().await.artifact
}

#[tokio::test]
async fn the_estimate_covers_the_unlabelled_predictions_with_cores_numbers() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.drift_every = 0).await;
    app.train().await;
    let predictions = predict(&app, 60).await;
    label(&app, &predictions[..20]).await;

    let response = app
        .get("/monitoring/performance-estimate?chunk_size=15")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let served: ServedEstimate = response.json().await.unwrap();
    assert_eq!(served.predictions_read, 60);
    assert_eq!(served.unlabelled_rows, 40);
    let report = served.estimate.expect("an estimate");
    assert_eq!(report.current_rows, 40);
    assert_eq!(report.chunk_size, Some(15));
    let rows: Vec<usize> = report.chunks.iter().map(|c| c.rows).collect();
    assert_eq!(rows, [15, 15, 10]);

    // Core's estimator on the same rows: the 40 without an outcome, oldest first,
    // calibrated as the stored model is.
    let artifact = served_artifact(&app).await;
    let validation = artifact.validation_scores.as_ref().unwrap();
    let estimator = CbpeEstimator::fit_chunked(
        &Reference {
            scores: &validation.scores,
            labels: &validation.labels,
            timestamps: None,
        },
        artifact.threshold,
        Some(Chunking::Size(15)),
        artifact.calibrator.clone(),
    )
    .unwrap();
    let scores: Vec<f64> = predictions[20..].iter().map(|p| p.1).collect();
    let expected = estimator.estimate(&scores, None).unwrap();
    for ((name, got), (_, want)) in report
        .estimated
        .named()
        .into_iter()
        .zip(expected.estimated.named())
    {
        match (got, want) {
            (Some(got), Some(want)) => assert!((got - want).abs() < SAME_NUMBERS, "{name}"),
            (got, want) => assert_eq!(got, want, "{name}"),
        }
    }
    for (chunk, want) in report.chunks.iter().zip(&expected.chunks) {
        for ((name, got), (_, want)) in chunk.metrics.named().into_iter().zip(want.metrics.named())
        {
            for (field, got, want) in [
                ("estimated", got.estimated, want.estimated),
                ("sampling_error", got.sampling_error, want.sampling_error),
                ("lower", got.lower, want.lower),
                ("upper", got.upper, want.upper),
                ("lower_threshold", got.lower_threshold, want.lower_threshold),
            ] {
                match (got, want) {
                    (Some(g), Some(w)) => {
                        assert!(
                            (g - w).abs() < SAME_NUMBERS,
                            "chunk {} {name} {field}",
                            chunk.start
                        );
                    }
                    (g, w) => assert_eq!(g, w, "chunk {} {name} {field}", chunk.start),
                }
            }
            assert_eq!(got.alert, want.alert, "{name}");
        }
    }

    // Chunks by day: every prediction was made today.
    let by_day = app
        .get_json("/monitoring/performance-estimate?chunk_period=1d")
        .await;
    let chunks = by_day["estimate"]["chunks"].as_array().unwrap();
    assert!(matches!(chunks.len(), 1 | 2), "{by_day}"); // 2 only across midnight UTC
    assert_eq!(by_day["estimate"]["chunk_period"], "1d");
    assert!(
        chunks[0]["period_start"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00Z")
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_parameters_are_422_naming_the_parameter() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |_| {}).await;
    for (query, field) in [
        ("chunk_size=0", "chunk_size"),
        ("chunk_size=10&chunk_period=1d", "chunk_period"),
        ("chunk_period=3x", "chunk_period"),
        ("window=0", "window"),
    ] {
        let response = app
            .get(&format!("/monitoring/performance-estimate?{query}"))
            .send()
            .await
            .unwrap();
        let body = expect_error(response, 422, "invalid_fields").await;
        assert_eq!(body.error.details[0].field, field, "{query}");
    }
    // Before any model: 503 as the other model reads.
    let response = app
        .get("/monitoring/performance-estimate")
        .send()
        .await
        .unwrap();
    expect_error(response, 503, "not_ready").await;
    app.stop().await;
}

#[tokio::test]
async fn a_model_without_calibration_is_409_with_the_reason() {
    if !crate::database::file_backend_only(
        "estimate::a_model_without_calibration_is_409_with_the_reason",
    ) {
        return;
    }
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.drift_every = 0).await;
    app.train().await;
    // A model.json as training wrote it before calibration was stored.
    let dir = app.stop().await;
    let models = dir.path().join("models");
    let version = std::fs::read_to_string(models.join("current")).unwrap();
    let path = models.join(version.trim()).join("model.json");
    let mut json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let object = json.as_object_mut().unwrap();
    assert!(object.remove("calibrator").is_some());
    assert!(object.remove("validation_scores").is_some());
    std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();

    let app = spawn_with(dir, |c| c.drift_every = 0).await;
    predict(&app, 5).await;
    let response = app
        .get("/monitoring/performance-estimate")
        .send()
        .await
        .unwrap();
    let body = expect_error(response, 409, "estimate_unavailable").await;
    assert!(
        body.error
            .message
            .contains(&format!("model {} has no calibration", version.trim()))
            && body.error.message.contains("train a new model"),
        "{}",
        body.error.message
    );
    app.stop().await;
}

#[tokio::test]
async fn with_every_prediction_labelled_there_is_no_estimate_and_the_reason_says_so() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.drift_every = 0).await;
    app.train().await;
    let predictions = predict(&app, 4).await;
    label(&app, &predictions).await;
    let body = app.get_json("/monitoring/performance-estimate").await;
    assert_eq!(body["estimate"], Value::Null);
    assert_eq!(body["unlabelled_rows"], 0);
    assert!(
        body["reason"].as_str().unwrap().contains("have an outcome"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn protect_reads_guards_the_estimate() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.protect_reads = true).await;
    let anonymous = app
        .get("/monitoring/performance-estimate")
        .send()
        .await
        .unwrap();
    expect_error(anonymous, 401, "missing_api_key").await;
    let wrong = app
        .get("/monitoring/performance-estimate")
        .header("X-API-Key", "wrong-key-000000000")
        .send()
        .await
        .unwrap();
    expect_error(wrong, 403, "invalid_api_key").await;
    let with_key = app
        .get("/monitoring/performance-estimate")
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .unwrap();
    // Past auth: no model yet.
    expect_error(with_key, 503, "not_ready").await;
    app.stop().await;
}

#[tokio::test]
async fn the_background_drift_job_records_an_estimated_entry_with_bands() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.drift_every = 20).await;
    app.train().await;
    predict(&app, 30).await;
    let mut estimated = None;
    for _ in 0..200 {
        let view = app.get_json("/monitoring/metrics").await;
        if !view["estimated"].is_null() {
            estimated = Some(view["estimated"].clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let entry: MetricsEntry =
        serde_json::from_value(estimated.expect("an estimated entry")).unwrap();
    assert_eq!(entry.source, MetricSource::Estimated);
    assert!(matches!(entry.rows, Some(20..=30)), "{:?}", entry.rows);
    for name in ["roc_auc", "accuracy", "precision", "recall", "f1"] {
        let Some(value) = entry.metrics.get(name) else {
            assert!(entry.undefined.contains_key(name), "{name}");
            continue;
        };
        let band = entry.bands[name];
        assert!(
            band.lower <= *value && *value <= band.upper,
            "{name}: {band:?}"
        );
    }
    // Prometheus exports the newest estimate and its band.
    let text = app
        .get("/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let version = entry.model_version.as_deref().unwrap();
    for (suffix, value) in [
        ("", entry.metrics.get("accuracy").copied()),
        ("_lower", entry.bands.get("accuracy").map(|b| b.lower)),
        ("_upper", entry.bands.get("accuracy").map(|b| b.upper)),
    ] {
        let name = format!("scorewatch_estimated_metric{suffix}");
        let line = text
            .lines()
            .find(|l| {
                l.starts_with(&format!(
                    "{name}{{model_version=\"{version}\",metric=\"accuracy\"}} "
                ))
            })
            .unwrap_or_else(|| panic!("no {name} for accuracy in\n{text}"));
        let exported: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!((exported - value.unwrap()).abs() < 1e-12, "{line}");
        assert!(text.contains(&format!("# TYPE {name} gauge\n")), "{name}");
    }
    promtool_check(
        "estimate::the_background_drift_job_records_an_estimated_entry_with_bands",
        &text,
    );

    // Saved in the history file, with its bands.
    if let Some(stored) = app.stored_file("monitoring/model_metrics.json") {
        assert!(stored.contains(r#""source": "estimated""#), "{stored}");
        assert!(stored.contains(r#""bands""#));
    }
    app.stop().await;
}
