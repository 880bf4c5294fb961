use reqwest::StatusCode;
use scorewatch_core::{PipelineState, Scenario, write_sample_csv};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, expect_error, snapshot, spawn_app, spawn_with};

fn sample_csv(rows: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_sample_csv(&mut bytes, rows, 11, Scenario::Baseline).expect("sample written");
    bytes
}

async fn put(app: &TestApp, name: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/monitoring/training-data/{name}")))
        .header("X-API-Key", API_KEY)
        .header("Content-Type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn an_uploaded_set_is_listed_and_a_run_trains_on_it() {
    let app = spawn_app().await;
    let csv = sample_csv(1500);

    let created = put(&app, "q3.csv", csv.clone()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let stored: Value = created.json().await.unwrap();
    assert_eq!(stored["name"], "q3.csv");
    assert_eq!(stored["rows"], 1500);
    assert_eq!(stored["bytes"], csv.len());
    // Replacing answers 200 and changes what is listed.
    let smaller = sample_csv(1200);
    let replaced = put(&app, "q3.csv", smaller.clone()).await;
    assert_eq!(replaced.status(), StatusCode::OK);
    if let Some(stored) = app.stored_file("training/q3.csv") {
        assert_eq!(stored.as_bytes(), smaller);
    }

    let listed = app.get_json("/monitoring/training-data").await;
    let sets = listed["training_sets"].as_array().unwrap();
    assert_eq!(sets.len(), 1, "{listed}");
    assert_eq!(sets[0]["name"], "q3.csv");
    assert_eq!(sets[0]["rows"], 1200);
    assert_eq!(sets[0]["bytes"], smaller.len());

    let started = app
        .post_json(
            "/monitoring/run-pipeline",
            &json!({"training_file": "q3.csv"}),
        )
        .await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let status = app.wait_for_pipeline().await;
    assert!(
        matches!(status.state, PipelineState::Succeeded { .. }),
        "{status:?}"
    );
    let source = &status.runs.last().unwrap().data[0];
    assert_eq!(source.name, "q3.csv");
    assert_eq!(source.rows, 1200);
    // The run hashed the bytes it read; the listing hashed the stored file: one set.
    assert_eq!(source.sha256.as_deref(), sets[0]["sha256"].as_str());
    app.stop().await;
}

#[tokio::test]
async fn a_bad_set_is_422_naming_line_and_column_and_nothing_is_stored() {
    let app = spawn_app().await;
    put(&app, "good.csv", sample_csv(50)).await;
    let before = snapshot(app.path());

    let cases: [(&str, &[u8], &str); 3] = [
        (
            "label.csv",
            b"income,default\n1200,0\n800,\n",
            "label.csv: line 3, column 'default': the label is empty",
        ),
        (
            "target.csv",
            b"income,label\n1200,0\n",
            "target.csv: line 1: target column 'default' is missing from the header",
        ),
        (
            "good.csv",
            b"income,default\n1200,0\n800,1,9\n",
            "good.csv: line 3: malformed csv",
        ),
    ];
    for (name, body, problem) in cases {
        let response = put(&app, name, body.to_vec()).await;
        let error = expect_error(response, 422, "invalid_fields").await;
        assert_eq!(error.error.details[0].field, "body");
        assert!(
            error.error.details[0].problem.starts_with(problem),
            "{name}: {:?}",
            error.error.details
        );
    }
    // Neither new sets nor the replaced one changed.
    assert_eq!(snapshot(app.path()), before);
    app.stop().await;
}

#[tokio::test]
async fn names_outside_the_training_sets_keyless_and_oversized_uploads_are_refused() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |config| {
        config.training_upload_limit = 4096;
    })
    .await;
    let before = snapshot(app.path());

    for name in [".hidden.csv", "..%2Fsecrets%2Fapi_key"] {
        let response = put(&app, name, sample_csv(10)).await;
        let error = expect_error(response, 422, "invalid_fields").await;
        assert_eq!(error.error.details[0].field, "name", "{name}");
    }
    let keyless = app
        .client
        .put(app.url("/monitoring/training-data/a.csv"))
        .body(sample_csv(10))
        .send()
        .await
        .unwrap();
    expect_error(keyless, 401, "missing_api_key").await;
    let oversized = put(&app, "big.csv", sample_csv(500)).await;
    let error = expect_error(oversized, 413, "payload_too_large").await;
    assert!(error.error.message.contains("4096"), "{error:?}");

    assert_eq!(snapshot(app.path()), before);
    app.stop().await;
}
