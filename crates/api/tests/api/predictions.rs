use scorewatch_core::views::PredictionsPage;

use crate::helpers::spawn_app;

#[tokio::test]
async fn predictions_are_paged_newest_first() {
    let app = spawn_app().await;
    app.train().await;
    let ids = app.predict_n(5).await;

    let page: PredictionsPage =
        serde_json::from_value(app.get_json("/monitoring/predictions?limit=2").await).unwrap();
    let next: PredictionsPage = serde_json::from_value(
        app.get_json("/monitoring/predictions?limit=2&offset=4")
            .await,
    )
    .unwrap();

    let got: Vec<_> = page
        .predictions
        .iter()
        .map(|p| p.prediction_id.as_str())
        .collect();
    assert_eq!(got, [ids[4].as_str(), ids[3].as_str()]);
    assert!(page.has_more);
    assert_eq!(next.predictions.len(), 1);
    assert_eq!(next.predictions[0].prediction_id, ids[0]);
    assert!(!next.has_more);
    let features = &page.predictions[0].features;
    assert_eq!(features.len(), 12);
    assert!(features["employment_type"].is_string() || features["employment_type"].is_null());

    let version = &page.predictions[0].model_version;
    let filtered: PredictionsPage = serde_json::from_value(
        app.get_json(&format!(
            "/monitoring/predictions?model_version={version}&since=2000-01-01T00:00:00Z"
        ))
        .await,
    )
    .unwrap();
    assert_eq!(filtered.predictions.len(), 5);
    let none: PredictionsPage = serde_json::from_value(
        app.get_json("/monitoring/predictions?until=2000-01-01T00:00:00Z")
            .await,
    )
    .unwrap();
    assert!(none.predictions.is_empty());
    app.stop().await;
}
