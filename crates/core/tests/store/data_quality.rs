//! The data-quality summary of the newest predictions, read through the store.

use scorewatch_core::{
    IssueKind, NamedColumn, PredictionRecord, ReferenceProfile, data_quality_of_newest,
};

use crate::helpers::{T0, features, open};

fn row(i: i64, version: &str, age: &str, purpose: &str) -> PredictionRecord {
    PredictionRecord {
        prediction_id: uuid::Uuid::now_v7().to_string(),
        timestamp: T0 + time::Duration::seconds(i),
        model_version: version.to_owned(),
        score: 0.5,
        decision: 1,
        features: vec![
            (!age.is_empty()).then(|| age.to_owned()),
            (!purpose.is_empty()).then(|| purpose.to_owned()),
        ],
    }
}

#[test]
fn the_summary_covers_the_newest_rows_of_the_version_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let names = features(&["age", "purpose"]);
    let rows = [
        row(0, "v1", "999", "boat"), // oldest: outside a window of 3
        row(1, "v1", "30", "car"),
        row(2, "v2", "", ""), // another version: never counted
        row(3, "v1", "", "home"),
        row(4, "v1", "80", "plane"),
    ];
    store.predictions().append(&names, &rows).unwrap();
    let profile = ReferenceProfile::from_columns(
        vec![
            NamedColumn::numeric("age", [Some(21.0), Some(70.0)]),
            NamedColumn::categorical("purpose", [Some("car"), Some("home")]),
        ],
        None,
    );

    let summary = data_quality_of_newest(&store, "v1", &profile, 3).unwrap();

    assert_eq!(summary.rows, 3);
    assert_eq!(summary.model_version.as_deref(), Some("v1"));
    assert_eq!(summary.from, Some(T0 + time::Duration::seconds(1)));
    assert_eq!(summary.to, Some(T0 + time::Duration::seconds(4)));
    let age = &summary.features[0];
    assert_eq!((age.missing, age.out_of_range), (1, 1));
    let purpose = &summary.features[1];
    assert_eq!((purpose.missing, purpose.unseen_category), (0, 1));
    assert_eq!(summary.worst(IssueKind::OutOfRange).unwrap().name, "age");

    let none = data_quality_of_newest(&store, "v3", &profile, 3).unwrap();
    assert_eq!(none.rows, 0);
}
