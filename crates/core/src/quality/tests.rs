// Shares of a few rows are exact (k / n computed the same way on both sides).
#![allow(clippy::float_cmp)]
// `num` and `cat` build the `Option` values the checker takes, so they read like the calls.
#![allow(clippy::unnecessary_wraps)]

use proptest::prelude::*;
use time::OffsetDateTime;

use super::*;
use crate::drift::{CurrentWindow, NamedColumn, ReferenceProfile};
use crate::model::FeatureValue;
use crate::records::{DataQualitySummary, FeatureKind, IssueKind, PredictionRecord};

/// age in [21, 70] with one missing training value, purpose in {car, home}.
fn profile() -> ReferenceProfile {
    ReferenceProfile::from_columns(
        vec![
            NamedColumn::numeric("age", [Some(35.0), Some(21.0), Some(70.0), None]),
            NamedColumn::categorical("purpose", [Some("car"), Some("home"), Some("car"), None]),
        ],
        None,
    )
}

fn num(x: f64) -> Option<FeatureValue> {
    Some(FeatureValue::Number(x))
}

fn cat(c: &str) -> Option<FeatureValue> {
    Some(FeatureValue::Category(c.to_owned()))
}

fn issues(checker: &QualityChecker, values: &[Option<FeatureValue>]) -> Vec<(usize, IssueKind)> {
    let mut found = Vec::new();
    let n = checker.check(values, |i, kind| found.push((i, kind)));
    assert_eq!(n, found.len(), "the count returned is the callbacks made");
    found
}

#[test]
fn values_inside_the_training_data_have_no_issue() {
    let checker = QualityChecker::new(&profile(), ["age", "purpose"]);
    // Both ends of the range are inside it: the range is closed.
    for age in [21.0, 35.0, 70.0] {
        assert_eq!(issues(&checker, &[num(age), cat("home")]), []);
    }
}

#[test]
fn each_kind_of_issue_is_reported_with_its_feature() {
    let checker = QualityChecker::new(&profile(), ["age", "purpose"]);
    assert_eq!(
        issues(&checker, &[None, cat("car")]),
        [(0, IssueKind::Missing)]
    );
    assert_eq!(
        issues(&checker, &[num(20.999), cat("car")]),
        [(0, IssueKind::OutOfRange)]
    );
    assert_eq!(
        issues(&checker, &[num(70.001), cat("boat")]),
        [(0, IssueKind::OutOfRange), (1, IssueKind::UnseenCategory)]
    );
    // Categories compare exactly: case and spaces make a new category, as in drift.
    assert_eq!(
        issues(&checker, &[num(30.0), cat("Car")]),
        [(1, IssueKind::UnseenCategory)]
    );
    assert_eq!(
        issues(&checker, &[num(30.0), None]),
        [(1, IssueKind::Missing)]
    );
}

#[test]
fn the_value_order_is_the_one_given_not_the_profiles() {
    let checker = QualityChecker::new(&profile(), ["purpose", "age"]);
    assert_eq!(checker.features(), ["purpose", "age"]);
    assert_eq!(checker.kind(0), Some(FeatureKind::Categorical));
    assert_eq!(
        issues(&checker, &[cat("car"), num(99.0)]),
        [(1, IssueKind::OutOfRange)]
    );
}

#[test]
fn absent_values_wrong_kinds_and_unprofiled_features() {
    let checker = QualityChecker::new(&profile(), ["age", "purpose", "tenure"]);
    assert_eq!(checker.kind(2), None);
    // Too few values: the absent ones are missing, as the model scores them.
    assert_eq!(
        issues(&checker, &[num(30.0)]),
        [(1, IssueKind::Missing), (2, IssueKind::Missing)]
    );
    // A feature the profile does not describe has no range and no categories to judge.
    assert_eq!(issues(&checker, &[num(30.0), cat("car"), num(1e9)]), []);
    // The wrong kind is scored as missing, so it is reported as missing.
    assert_eq!(
        issues(&checker, &[cat("30"), num(1.0), cat("x")]),
        [(0, IssueKind::Missing), (1, IssueKind::Missing)]
    );
}

#[test]
fn a_numeric_feature_training_never_saw_a_value_of_puts_every_value_out_of_range() {
    let profile =
        ReferenceProfile::from_columns(vec![NamedColumn::numeric("bonus", [None, None])], None);
    let checker = QualityChecker::new(&profile, ["bonus"]);
    assert_eq!(checker.range(0), None);
    assert_eq!(issues(&checker, &[num(0.0)]), [(0, IssueKind::OutOfRange)]);
}

fn record(id: &str, seconds: i64, age: Option<&str>, purpose: Option<&str>) -> PredictionRecord {
    PredictionRecord {
        prediction_id: id.to_owned(),
        timestamp: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(seconds),
        model_version: "v1".to_owned(),
        score: 0.5,
        decision: 1,
        features: vec![age.map(str::to_owned), purpose.map(str::to_owned)],
    }
}

fn log_features() -> Vec<String> {
    vec!["age".to_owned(), "purpose".to_owned()]
}

#[test]
fn the_window_summary_counts_and_shares_each_issue() {
    let records = [
        record("a", 3, Some("40"), Some("car")),
        record("b", 1, Some("94.5"), Some("boat")),
        record("c", 2, None, Some("")),
        record("d", 4, Some("20"), Some("plane")),
        record("e", 0, Some(" 21 "), Some("home")),
    ];
    let summary = summarize_window(&profile(), &log_features(), &records).unwrap();
    assert_eq!(summary.rows, 5);
    assert_eq!(summary.from, Some(OffsetDateTime::UNIX_EPOCH));
    assert_eq!(
        summary.to,
        Some(OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(4))
    );
    let age = &summary.features[0];
    assert_eq!(age.name, "age");
    assert_eq!(age.kind, FeatureKind::Numeric);
    assert_eq!(
        (
            age.rows,
            age.present,
            age.missing,
            age.out_of_range,
            age.unseen_category
        ),
        (5, 4, 1, 2, 0)
    );
    assert_eq!(age.missing_share, 0.2);
    assert_eq!(age.out_of_range_share, 0.5);
    assert_eq!(age.unseen_category_share, 0.0);
    assert_eq!(age.reference_missing_share, 0.25);
    assert_eq!(age.training_range, Some([21.0, 70.0]));
    let purpose = &summary.features[1];
    // The empty cell is missing, as the log writes a missing value.
    assert_eq!(
        (
            purpose.present,
            purpose.missing,
            purpose.out_of_range,
            purpose.unseen_category
        ),
        (4, 1, 0, 2)
    );
    assert_eq!(purpose.unseen_category_share, 0.5);
    assert_eq!(purpose.training_range, None);
    assert_eq!(
        summary.worst(IssueKind::UnseenCategory).unwrap().name,
        "purpose"
    );
    assert_eq!(summary.worst(IssueKind::OutOfRange).unwrap().name, "age");
    assert_eq!(purpose.count(IssueKind::UnseenCategory), 2);
}

#[test]
fn the_window_follows_the_logs_columns_and_a_feature_the_log_lacks_is_missing() {
    let records = [record("a", 0, Some("car"), Some("99"))];
    // This log has purpose first and no age column at all.
    let log = vec!["purpose".to_owned(), "income".to_owned()];
    let summary = summarize_window(&profile(), &log, &records).unwrap();
    assert_eq!(summary.features[0].missing, 1, "age is not in the log");
    assert_eq!(
        summary.features[1].unseen_category, 0,
        "purpose read from column 0"
    );
}

/// Issue 16: a drift window (a CSV file of `scorewatch drift`) is summarized with the
/// same counts and shares as the same rows logged; only the timestamps are unknown.
#[test]
fn a_drift_window_summarizes_as_the_same_logged_rows() {
    let profile = profile();
    let cells = [
        (Some("40"), Some("car")),
        (Some("94.5"), Some("boat")),
        (None, Some("")),
        (Some("20"), Some("plane")),
        (Some(" 21 "), Some("home")),
        (Some("inf"), None),
    ];
    let records: Vec<_> = cells
        .iter()
        .enumerate()
        .map(|(i, &(age, purpose))| {
            record(&format!("r{i}"), i64::try_from(i).unwrap(), age, purpose)
        })
        .collect();
    let mut window = CurrentWindow::new(&profile);
    for (age, purpose) in cells {
        window.push_row(&[age, purpose], None).unwrap();
    }

    let of_window = summarize_current_window(&profile, &window);
    let of_log = summarize_window(&profile, &log_features(), &records).unwrap();

    assert_eq!(of_window.features, of_log.features);
    assert_eq!(of_window.rows, 6);
    assert_eq!((of_window.from, of_window.to), (None, None));
    let age = &of_window.features[0];
    // "inf" is missing on both sides, as drift reads it.
    assert_eq!((age.missing, age.out_of_range), (2, 2));
    assert_eq!(age.out_of_range_share, 0.5);
    let purpose = &of_window.features[1];
    assert_eq!((purpose.missing, purpose.unseen_category), (2, 2));
    assert_eq!(purpose.unseen_category_share, 0.5);
}

#[test]
fn an_empty_window_has_zero_rows_and_zero_shares() {
    let summary = summarize_window(&profile(), &log_features(), &[]).unwrap();
    assert_eq!(summary.rows, 0);
    assert_eq!((summary.from, summary.to), (None, None));
    assert!(summary.features.iter().all(|f| f.missing_share == 0.0
        && f.out_of_range_share == 0.0
        && f.unseen_category_share == 0.0));
    assert!(summary.worst(IssueKind::Missing).is_none());
}

#[test]
fn a_logged_cell_that_is_not_a_number_is_an_error_naming_row_feature_and_cell() {
    let records = [record("p-17", 0, Some("forty"), Some("car"))];
    let err = summarize_window(&profile(), &log_features(), &records).unwrap_err();
    assert_eq!(
        err.to_string(),
        "prediction p-17: feature \"age\": \"forty\" is not a number"
    );
}

#[test]
fn the_summary_serializes_with_snake_case_names() {
    let records = [record("a", 0, Some("80"), Some("car"))];
    let summary = summarize_window(&profile(), &log_features(), &records).unwrap();
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["features"][0]["out_of_range_share"], 1.0);
    assert_eq!(json["features"][0]["kind"], "numeric");
    assert_eq!(json["from"], "1970-01-01T00:00:00Z");
    assert!(json["features"][1].get("training_range").is_none());
    let back: DataQualitySummary = serde_json::from_value(json).unwrap();
    assert_eq!(back, summary);
    assert_eq!(
        serde_json::to_value(IssueKind::UnseenCategory).unwrap(),
        IssueKind::UnseenCategory.as_str()
    );
}

proptest! {
    /// The window summary counts exactly the issues the per-prediction check reports on
    /// the same rows, and every share is a fraction.
    #[test]
    fn the_window_agrees_with_the_per_prediction_check(
        rows in prop::collection::vec(
            (prop::option::of(0.0..100.0_f64), prop::option::of(0..4_usize)),
            0..60,
        )
    ) {
        let names = ["car", "home", "boat", "plane"];
        let checker = QualityChecker::new(&profile(), ["age", "purpose"]);
        let mut expected = [[0_u64; 3]; 2];
        let mut records = Vec::new();
        for (i, (age, purpose)) in rows.iter().enumerate() {
            let values = [age.map(FeatureValue::Number), purpose.map(|p| FeatureValue::Category(names[p].to_owned()))];
            checker.check(&values, |f, kind| expected[f][kind.index()] += 1);
            records.push(PredictionRecord {
                prediction_id: i.to_string(),
                timestamp: OffsetDateTime::UNIX_EPOCH,
                model_version: "v1".to_owned(),
                score: 0.5,
                decision: 0,
                // Written as the API logs a number (`f64::to_string`), read back exactly.
                features: vec![age.map(|a| a.to_string()), purpose.map(|p| names[p].to_owned())],
            });
        }
        let summary = summarize_window(&profile(), &log_features(), &records).unwrap();
        for (feature, expected) in summary.features.iter().zip(expected) {
            for kind in IssueKind::ALL {
                prop_assert_eq!(feature.count(kind), expected[kind.index()]);
                prop_assert!((0.0..=1.0).contains(&feature.share(kind)));
            }
            prop_assert_eq!(feature.present + feature.missing, feature.rows);
        }
    }
}
