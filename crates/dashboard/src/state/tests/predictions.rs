//! The predictions tab's state: pages, stale answers, filters, and loading many pages.

use time::macros::datetime;

use super::{NOW, fixtures, ok, query};
use crate::client::{Payload, Request};
use crate::state::{
    FilterError, FollowUp, PredictionFilter, PredictionsState, TimeRange, ViewState,
    apply_predictions, apply_response,
};

#[test]
fn predictions_first_page_replaces_and_next_page_appends() {
    let all = fixtures::predictions(250);
    let mut predictions = PredictionsState {
        active: Some(query(0, None)),
        ..Default::default()
    };
    apply_predictions(
        &mut predictions,
        &query(0, None),
        fixtures::page(&all, 100, 0),
    );
    assert_eq!(predictions.rows.len(), 100);
    assert!(predictions.has_more && predictions.loaded);
    apply_predictions(
        &mut predictions,
        &query(100, None),
        fixtures::page(&all, 100, 100),
    );
    apply_predictions(
        &mut predictions,
        &query(200, None),
        fixtures::page(&all, 100, 200),
    );
    assert_eq!(predictions.rows.len(), 250);
    assert!(!predictions.has_more);
    assert_eq!(predictions.rows[249].id, "pred-00249");
    // A refresh of the first page replaces everything.
    apply_predictions(
        &mut predictions,
        &query(0, None),
        fixtures::page(&all, 100, 0),
    );
    assert_eq!(predictions.rows.len(), 100);
}

#[test]
fn predictions_rows_are_formatted_once() {
    let all = fixtures::predictions(1);
    let mut predictions = PredictionsState::default();
    apply_predictions(
        &mut predictions,
        &query(0, None),
        fixtures::page(&all, 100, 0),
    );
    let row = &predictions.rows[0];
    assert_eq!(row.time, "2026-01-12 10:00:00");
    assert_eq!(row.features, "age=20, employment=employed, income=null");
}

#[test]
fn stale_or_out_of_order_prediction_pages_are_dropped() {
    let all = fixtures::predictions(300);
    let mut predictions = PredictionsState {
        active: Some(query(0, Some("v2"))),
        ..Default::default()
    };
    // An answer to the previous filter (no version) arrives late.
    apply_predictions(
        &mut predictions,
        &query(0, None),
        fixtures::page(&all, 100, 0),
    );
    assert!(predictions.rows.is_empty() && !predictions.loaded);
    apply_predictions(
        &mut predictions,
        &query(0, Some("v2")),
        fixtures::page(&all, 100, 0),
    );
    // A page that does not follow the loaded rows.
    apply_predictions(
        &mut predictions,
        &query(200, Some("v2")),
        fixtures::page(&all, 100, 200),
    );
    assert_eq!(predictions.rows.len(), 100);
}

#[test]
fn filter_presets_and_custom_bounds_build_the_query() {
    let mut filter = PredictionFilter {
        model_version: "  v2 ".into(),
        range: TimeRange::LastDay,
        ..Default::default()
    };
    let q = filter.query(NOW, 500).unwrap();
    assert_eq!(q.since, Some(datetime!(2026-01-11 12:00:00 UTC)));
    assert_eq!((q.until, q.limit, q.offset), (None, 500, 0));
    assert_eq!(q.model_version.as_deref(), Some("v2"));

    filter.range = TimeRange::Custom;
    filter.since = "2026-01-01T00:00:00Z".into();
    filter.until = "2026-01-02T00:00:00+01:00".into();
    let q = filter.query(NOW, 10).unwrap();
    assert_eq!(q.since, Some(datetime!(2026-01-01 00:00:00 UTC)));
    assert_eq!(q.until, Some(datetime!(2026-01-01 23:00:00 UTC)));

    filter.until = "yesterday".into();
    assert_eq!(
        filter.query(NOW, 10).unwrap_err(),
        FilterError::BadTime {
            field: "until",
            value: "yesterday".into()
        }
    );
    filter.until = "2025-12-31T00:00:00Z".into();
    assert_eq!(filter.query(NOW, 10).unwrap_err(), FilterError::EmptyWindow);
}

#[test]
fn loading_many_predictions_asks_for_the_next_page_until_the_target() {
    let all = fixtures::predictions(250);
    let mut state = ViewState::default();
    state.predictions.active = Some(query(0, None));
    state.predictions.load_until = 200;
    let page = |offset| {
        ok(
            Request::Predictions(query(offset, None)),
            Payload::Predictions(fixtures::page(&all, 100, offset)),
        )
    };
    assert_eq!(
        apply_response(&mut state, page(0), NOW),
        FollowUp::MorePredictions
    );
    assert_eq!(apply_response(&mut state, page(100), NOW), FollowUp::None);
    assert_eq!(state.predictions.rows.len(), 200);
}
