//! Drift and metrics per segment: `GET /monitoring/drift?segment_by=` and
//! `GET /monitoring/metrics/segments`.

use reqwest::StatusCode;
use scorewatch_core::views::DriftView;
use scorewatch_core::{MetricsSegments, SegmentStatus};
use serde_json::json;

use crate::helpers::{API_KEY, TRAINING_ROWS, expect_error, spawn_app, spawn_with};

#[tokio::test]
async fn drift_by_segment_lists_every_segment_against_the_training_set() {
    let app = spawn_app().await;
    app.train().await;
    app.predict_n(150).await;

    let view: DriftView = serde_json::from_value(
        app.get_json("/monitoring/drift?segment_by=employment_type&min_rows=20")
            .await,
    )
    .unwrap();
    let segments = view.by_segment.expect("by_segment");
    assert_eq!(segments.column, "employment_type");
    assert_eq!(segments.min_rows, 20);
    assert_eq!(segments.current.rows, 150);
    // Every training row is in the reference of its segment.
    let reference: u64 = segments.segments.iter().map(|s| s.reference_rows).sum();
    assert_eq!(reference, TRAINING_ROWS as u64);
    let current: u64 = segments.segments.iter().map(|s| s.current_rows).sum();
    assert_eq!(current, 150);
    for s in &segments.segments {
        let thin = s.reference_rows < 20 || s.current_rows < 20;
        assert_eq!(s.status == SegmentStatus::Insufficient, thin, "{s:?}");
        assert_eq!(s.verdict.is_none(), thin, "{s:?}");
    }
    // Without segment_by the field is absent.
    let plain = app.get_json("/monitoring/drift").await;
    assert!(plain.get("by_segment").is_none(), "{plain}");
    app.stop().await;
}

#[tokio::test]
async fn metrics_by_segment_count_the_labelled_rows_of_each_segment() {
    let app = spawn_app().await;
    app.train().await;
    let ids = app.predict_n(120).await;
    let outcomes: Vec<_> = ids
        .iter()
        .take(100)
        .enumerate()
        .map(|(i, id)| json!({"prediction_id": id, "actual": u8::from(i % 4 == 0)}))
        .collect();
    let posted = app
        .post_json("/monitoring/outcomes", &json!({ "outcomes": outcomes }))
        .await;
    assert_eq!(posted.status(), StatusCode::OK);

    let result: MetricsSegments = serde_json::from_value(
        app.get_json("/monitoring/metrics/segments?by=home_ownership&min_rows=5")
            .await,
    )
    .unwrap();
    assert_eq!(result.column, "home_ownership");
    assert_eq!((result.rows, result.labelled_rows), (120, 100));
    let labelled: u64 = result.segments.iter().map(|s| s.labelled_rows).sum();
    assert_eq!(labelled, 100);
    // The 20 without an outcome are estimated where a segment has at least 5 of them.
    let unlabelled: u64 = result.segments.iter().map(|s| s.unlabelled_rows).sum();
    assert_eq!(unlabelled, 20);
    for s in &result.segments {
        if s.unlabelled_rows < 5 {
            assert_eq!(s.estimated_roc_auc, None, "{s:?}");
            assert_eq!(
                s.undefined["estimated_accuracy"],
                format!(
                    "too few unlabelled rows: {}, at least 5 needed",
                    s.unlabelled_rows
                )
            );
        } else {
            let accuracy = s.estimated_accuracy.expect("a calibrated model");
            assert!((0.0..=1.0).contains(&accuracy), "{s:?}");
        }
    }
    for s in &result.segments {
        if s.labelled_rows < 5 {
            assert!(s.insufficient.is_some() && s.roc_auc.is_none(), "{s:?}");
        } else if s.positives > 0 && s.positives < s.labelled_rows {
            let auc = s.roc_auc.expect("two classes and enough rows");
            assert!((s.gini.unwrap() - (2.0 * auc - 1.0)).abs() < 1e-12);
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_column_is_422_listing_the_valid_columns() {
    let app = spawn_app().await;
    app.train().await;
    for (path, field) in [
        ("/monitoring/drift?segment_by=region", "segment_by"),
        ("/monitoring/metrics/segments?by=region", "by"),
    ] {
        let response = app.get(path).send().await.unwrap();
        let body = expect_error(response, 422, "invalid_fields").await;
        let problem = &body.error.details[0];
        assert_eq!(problem.field, field);
        assert!(
            problem
                .problem
                .starts_with("unknown segment column 'region'; valid columns: age, "),
            "{problem:?}"
        );
        assert!(problem.problem.contains("employment_type"), "{problem:?}");
    }
    let response = app
        .get("/monitoring/metrics/segments?by=employment_type&min_rows=0")
        .send()
        .await
        .unwrap();
    let body = expect_error(response, 422, "invalid_fields").await;
    assert_eq!(body.error.details[0].field, "min_rows");
    // A numeric feature with hundreds of values is not a segmentation.
    app.predict_n(150).await;
    let response = app
        .get("/monitoring/metrics/segments?by=monthly_income")
        .send()
        .await
        .unwrap();
    let body = expect_error(response, 422, "invalid_fields").await;
    assert!(
        body.error.details[0]
            .problem
            .contains("more than 100 distinct values"),
        "{body:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn before_a_model_segments_are_not_ready() {
    let app = spawn_app().await;
    for path in [
        "/monitoring/drift?segment_by=employment_type",
        "/monitoring/metrics/segments?by=employment_type",
    ] {
        let response = app.get(path).send().await.unwrap();
        expect_error(response, 503, "not_ready").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_changed_training_set_is_409_no_reference() {
    let app = spawn_app().await;
    app.train().await;
    app.predict_n(5).await;
    app.upload_training_set("applications.csv", 100, 99).await;
    let response = app
        .get("/monitoring/drift?segment_by=employment_type")
        .send()
        .await
        .unwrap();
    let body = expect_error(response, 409, "no_reference").await;
    assert!(
        body.error.message.contains("changed since it was trained"),
        "{body:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn protected_reads_need_a_key_for_segments_too() {
    let app = spawn_with(tempfile::tempdir().unwrap(), |c| c.protect_reads = true).await;
    for path in [
        "/monitoring/drift?segment_by=employment_type",
        "/monitoring/metrics/segments?by=employment_type",
    ] {
        let anonymous = app.get(path).send().await.unwrap();
        expect_error(anonymous, 401, "missing_api_key").await;
        let wrong = app
            .get(path)
            .header("X-API-Key", "nope")
            .send()
            .await
            .unwrap();
        expect_error(wrong, 403, "invalid_api_key").await;
        // With the key the request gets through to the handler (no model yet).
        let with_key = app
            .get(path)
            .header("X-API-Key", API_KEY)
            .send()
            .await
            .unwrap();
        expect_error(with_key, 503, "not_ready").await;
    }
    app.stop().await;
}
