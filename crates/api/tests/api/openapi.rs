use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn openapi_lists_every_route() {
    let app = spawn_app().await;

    let doc: Value = app.get_json("/openapi.json").await;

    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let expected = [
        ("/health", "get"),
        ("/metrics", "get"),
        ("/predict", "post"),
        ("/monitoring/outcomes", "post"),
        ("/monitoring/metrics", "get"),
        ("/monitoring/metrics", "post"),
        ("/monitoring/drift", "get"),
        ("/monitoring/drift/run", "post"),
        ("/monitoring/predictions", "get"),
        ("/monitoring/run-pipeline", "post"),
        ("/monitoring/pipeline/cancel", "post"),
        ("/monitoring/pipeline-status", "get"),
        ("/monitoring/metrics/segments", "get"),
        // Alerts (issue 16).
        ("/monitoring/alerts", "get"),
        ("/monitoring/alerts/{id}/ack", "post"),
        ("/monitoring/training-data", "get"),
        ("/monitoring/training-data/{name}", "put"),
        ("/monitoring/data-quality", "get"),
        ("/monitoring/performance-estimate", "get"),
        ("/monitoring/report", "get"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let listed: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(listed, expected.len(), "unexpected extra operations");
    for schema in [
        "ErrorBody",
        "MetricsView",
        "DriftView",
        "PredictionsPage",
        "PipelineStatus",
        "MetricsSegments",
        "DriftSegments",
        "AlertsView",
        "Alert",
        "TrainingSetList",
        "TrainingSetSummary",
        "DataQualitySummary",
        "ServedEstimate",
        "EstimateReport",
        "ChunkEstimate",
        "PerMetric_MetricBand",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}: {}",
            doc["components"]["schemas"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    let storage = &doc["components"]["schemas"]["StorageProblem"]["properties"];
    for field in ["message", "at"] {
        assert!(
            storage.get(field).is_some(),
            "StorageProblem.{field}: {storage}"
        );
    }
    // Issue 16: the drift report's optional data-quality section is the summary's schema.
    let drift_report = &doc["components"]["schemas"]["DriftReport"];
    let section = &drift_report["properties"]["data_quality"];
    assert!(
        section
            .to_string()
            .contains("#/components/schemas/DataQualitySummary"),
        "{section}"
    );
    assert!(
        !drift_report["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("data_quality"))),
        "reports saved before it have none: {drift_report}"
    );
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    let min_rows =
        &doc["components"]["schemas"]["RunPipelineRequest"]["properties"]["min_production_rows"];
    let kinds = match &min_rows["type"] {
        Value::Array(kinds) => kinds.clone(),
        kind => vec![kind.clone()],
    };
    assert!(kinds.contains(&json!("integer")), "{min_rows}");
    assert_eq!(min_rows["minimum"], json!(0), "{min_rows}");
    app.stop().await;
}

/// Where `doc` holds a response object without a `description` (required by `OpenAPI`
/// 3.1, "Response Object"): operations' responses and reusable ones in `components`.
fn responses_without_description(doc: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    let mut check = |at: String, response: &Value| {
        // A `$ref` to a reusable response carries its description at the target.
        if response.get("$ref").is_none()
            && response["description"]
                .as_str()
                .is_none_or(|d| d.trim().is_empty())
        {
            missing.push(at);
        }
    };
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
                continue;
            };
            for (status, response) in responses {
                check(format!("{method} {path} {status}"), response);
            }
        }
    }
    if let Some(reusable) = doc["components"]["responses"].as_object() {
        for (name, response) in reusable {
            check(format!("components.responses.{name}"), response);
        }
    }
    missing
}

/// Regression (issue 13): the 200 responses of four GET routes had no `description`,
/// which made the served document invalid (`openapi-spec-validator` found 4 errors).
#[tokio::test]
async fn every_response_has_a_description() {
    // The check itself: a document shaped like the invalid one is caught.
    let invalid = json!({"paths": {"/monitoring/drift": {"get": {"responses": {
        "200": {"content": {"application/json": {}}},
        "404": {"description": "No such resource"},
    }}}}});
    assert_eq!(
        responses_without_description(&invalid),
        ["get /monitoring/drift 200"]
    );
    let app = spawn_app().await;

    let doc: Value = app.get_json("/openapi.json").await;

    assert_eq!(responses_without_description(&doc), Vec::<String>::new());
    app.stop().await;
}

/// The status codes every operation declares (schemathesis fails an answer whose code is
/// not declared), and every error response carries the `ErrorBody` schema. The table is
/// the document as it was before the error responses were defined once.
#[tokio::test]
async fn every_operation_declares_its_status_codes_with_error_bodies() {
    let expected: &[(&str, &str, &[&str])] = &[
        // Alerts (issue 16).
        ("/monitoring/alerts", "get", &["200", "400", "401", "403"]),
        (
            "/monitoring/alerts/{id}/ack",
            "post",
            &["200", "401", "403", "404", "409", "503"],
        ),
        ("/health", "get", &["200"]),
        ("/metrics", "get", &["200", "401", "403"]),
        (
            "/monitoring/drift",
            "get",
            &["200", "400", "401", "403", "404", "409", "422", "503"],
        ),
        (
            "/monitoring/drift/run",
            "post",
            &["201", "401", "403", "409", "503"],
        ),
        (
            "/monitoring/metrics",
            "get",
            &["200", "400", "401", "403", "422"],
        ),
        (
            "/monitoring/metrics",
            "post",
            &["201", "400", "401", "403", "413", "415", "422", "503"],
        ),
        (
            "/monitoring/outcomes",
            "post",
            &[
                "200", "400", "401", "403", "404", "409", "413", "415", "422", "503",
            ],
        ),
        ("/monitoring/pipeline-status", "get", &["200", "401", "403"]),
        (
            "/monitoring/metrics/segments",
            "get",
            &["200", "400", "401", "403", "409", "422", "503"],
        ),
        (
            "/monitoring/report",
            "get",
            &["200", "400", "401", "403", "422"],
        ),
        (
            "/monitoring/pipeline/cancel",
            "post",
            &["202", "401", "403", "409"],
        ),
        (
            "/monitoring/predictions",
            "get",
            &["200", "400", "401", "403", "422"],
        ),
        (
            "/monitoring/run-pipeline",
            "post",
            &[
                "202", "400", "401", "403", "409", "413", "415", "422", "503",
            ],
        ),
        (
            "/predict",
            "post",
            &["200", "400", "401", "403", "413", "415", "422", "503"],
        ),
        (
            "/monitoring/data-quality",
            "get",
            &["200", "400", "401", "403", "422", "503"],
        ),
    ];
    let app = spawn_app().await;

    let doc: Value = app.get_json("/openapi.json").await;

    for (path, method, codes) in expected {
        let responses = doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path}: no responses"));
        let mut declared: Vec<&str> = responses.keys().map(String::as_str).collect();
        declared.sort_unstable();
        assert_eq!(declared, *codes, "{method} {path}");
        for (status, response) in responses {
            if status.starts_with(['4', '5']) {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}: {response}"
                );
            }
        }
    }
    let report = &doc["paths"]["/monitoring/report"]["get"]["responses"]["200"]["content"];
    assert!(report.get("text/html").is_some(), "{report}");
    let retry_after = &doc["paths"]["/predict"]["post"]["responses"]["503"]["headers"];
    assert!(retry_after.get("Retry-After").is_some(), "{retry_after}");
    app.stop().await;
}

/// Every `$ref` of the document, with where it is.
fn refs<'a>(value: &'a Value, at: &str, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => out.push((at.to_owned(), target)),
                    _ => refs(child, &format!("{at}/{key}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                refs(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_schema_reference_resolves() {
    let app = spawn_app().await;
    let doc: Value = app.get_json("/openapi.json").await;

    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(!found.is_empty());
    let dangling: Vec<String> = found
        .into_iter()
        .filter(|(_, target)| {
            target
                .strip_prefix("#/components/schemas/")
                .is_none_or(|name| doc["components"]["schemas"].get(name).is_none())
        })
        .map(|(at, target)| format!("{at} -> {target}"))
        .collect();
    // A generic schema documented with `Option` as its parameter once pointed at a
    // `#/components/schemas/Option` that does not exist (openapi-spec-validator refused it).
    assert_eq!(dangling, Vec::<String>::new());
    app.stop().await;
}
