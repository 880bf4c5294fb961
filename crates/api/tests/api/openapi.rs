use serde_json::Value;

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
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
    let storage = &doc["components"]["schemas"]["StorageProblem"]["properties"];
    for field in ["message", "at"] {
        assert!(
            storage.get(field).is_some(),
            "StorageProblem.{field}: {storage}"
        );
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    app.stop().await;
}
