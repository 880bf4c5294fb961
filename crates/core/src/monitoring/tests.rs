//! The drift report's `data_quality` section: computed from the same rows as the drift.

// Shares of a few rows are exact (k / n computed the same way on both sides).
#![allow(clippy::float_cmp)]

use time::{Duration, OffsetDateTime, macros::datetime};

use super::drift_report_of_records;
use crate::drift::{NamedColumn, ReferenceProfile};
use crate::records::{FeatureKind, IssueKind, PredictionRecord};
use crate::store::PredictionQuery;

const T0: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

/// age trained on [21, 70]; purpose on {car, home}.
fn profile() -> ReferenceProfile {
    ReferenceProfile::from_columns(
        vec![
            NamedColumn::numeric("age", [Some(21.0), Some(35.0), Some(70.0)]),
            NamedColumn::categorical("purpose", [Some("car"), Some("home"), Some("car")]),
        ],
        None,
    )
}

/// Row `i` of a log whose feature columns are `purpose, income, age` (not the
/// profile's order, and with a column the profile does not know).
fn row(i: i64, age: Option<&str>, purpose: Option<&str>) -> PredictionRecord {
    PredictionRecord {
        prediction_id: format!("p{i}"),
        timestamp: T0 + Duration::minutes(i),
        model_version: "v1".to_owned(),
        score: 0.1,
        decision: 0,
        features: vec![
            purpose.map(str::to_owned),
            Some("5000".to_owned()),
            age.map(str::to_owned),
        ],
    }
}

#[test]
fn issue_16_the_drift_reports_data_quality_counts_its_own_rows() {
    let log_features = ["purpose", "income", "age"].map(str::to_owned);
    // Newest first, as the log pages them. By hand, over 6 rows:
    // age:     missing p3 p6 -> 2 of 6; out of range 94 and 15 -> 2 of the 4 present.
    // purpose: missing p4    -> 1 of 6; unseen boat and plane -> 2 of the 5 present.
    let records = [
        row(6, None, Some("car")),
        row(5, Some("30"), Some("plane")),
        row(4, Some("15"), None),
        row(3, None, Some("home")),
        row(2, Some("94"), Some("boat")),
        row(1, Some("40"), Some("car")),
    ];

    let report = drift_report_of_records(
        "v1",
        &profile(),
        &log_features,
        &records,
        &PredictionQuery::newest(6),
    )
    .unwrap()
    .unwrap();

    let quality = report.data_quality.as_ref().expect("a log window has one");
    assert_eq!(quality.model_version.as_deref(), Some("v1"));
    assert_eq!(quality.rows, 6);
    assert_eq!(quality.rows, report.current.rows);
    assert_eq!(quality.from, report.current.from);
    assert_eq!(quality.to, report.current.to);
    assert_eq!(quality.from, Some(T0 + Duration::minutes(1)));
    assert_eq!(quality.to, Some(T0 + Duration::minutes(6)));
    let names: Vec<&str> = quality.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["age", "purpose"],
        "profile order, the score left out"
    );

    let age = &quality.features[0];
    assert_eq!(age.kind, FeatureKind::Numeric);
    assert_eq!(
        (
            age.rows,
            age.present,
            age.missing,
            age.out_of_range,
            age.unseen_category
        ),
        (6, 4, 2, 2, 0)
    );
    assert_eq!(age.missing_share, 2.0 / 6.0);
    assert_eq!(age.out_of_range_share, 2.0 / 4.0);
    assert_eq!(age.unseen_category_share, 0.0);
    assert_eq!(age.training_range, Some([21.0, 70.0]));

    let purpose = &quality.features[1];
    assert_eq!(purpose.kind, FeatureKind::Categorical);
    assert_eq!(
        (
            purpose.rows,
            purpose.present,
            purpose.missing,
            purpose.out_of_range,
            purpose.unseen_category
        ),
        (6, 5, 1, 0, 2)
    );
    assert_eq!(purpose.missing_share, 1.0 / 6.0);
    assert_eq!(purpose.out_of_range_share, 0.0);
    assert_eq!(purpose.unseen_category_share, 2.0 / 5.0);
    assert_eq!(purpose.training_range, None);

    // One reading of the rows: the drift's missing shares are the section's.
    for (drift, quality) in report.features.iter().zip(&quality.features) {
        assert_eq!(drift.name, quality.name);
        assert_eq!(
            drift.missing_current, quality.missing_share,
            "{}",
            drift.name
        );
    }
    assert_eq!(
        quality
            .worst(IssueKind::UnseenCategory)
            .map(|f| f.name.as_str()),
        Some("purpose")
    );
}

#[test]
fn issue_16_the_section_survives_the_json_round_trip() {
    let records = [row(1, Some("99"), Some("boat"))];
    let report = drift_report_of_records(
        "v1",
        &profile(),
        &["purpose", "income", "age"].map(str::to_owned),
        &records,
        &PredictionQuery::newest(1),
    )
    .unwrap()
    .unwrap();

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["data_quality"]["rows"], 1);
    assert_eq!(
        json["data_quality"]["features"][0]["out_of_range_share"],
        1.0
    );
    assert_eq!(json["data_quality"]["features"][1]["unseen_category"], 1);
    let back: crate::drift::DriftReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
}
