//! The estimated-performance-drop and data-quality rules, each with data that trips it
//! and data that does not. The data-quality inputs are real window summaries
//! ([`summarize_window`]), as the server computes them after each drift report.

use std::path::Path;

use serde_json::json;
use time::{Duration, OffsetDateTime, macros::datetime};

use super::tests::{inputs, metrics, only};
use super::*;
use crate::drift::{NamedColumn, ReferenceProfile};
use crate::quality::summarize_window;
use crate::records::{AlertRule, DataQualitySummary, MetricsEntry, PredictionRecord, Severity};

const T0: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

// ---- estimated performance drop ----

/// An estimated entry of `v1` over `rows` unlabelled rows, with a band on its AUC.
fn estimated(auc: f64, rows: u64) -> MetricsEntry {
    serde_json::from_value(json!({
        "timestamp": "2026-12-01T11:30:00Z", "source": "estimated", "model_version": "v1",
        "metrics": {"roc_auc": auc, "accuracy": 0.8}, "rows": rows,
        "bands": {"roc_auc": {"lower": auc - 0.02, "upper": auc + 0.02}}
    }))
    .unwrap()
}

fn judge_estimate(rules: &AlertRules, estimate: Option<&MetricsEntry>) -> Evaluation {
    let validation = metrics("validation", 0.80, 400);
    evaluate_rules(
        rules,
        &AlertInputs {
            estimated: estimate,
            validation: Some(&validation),
            ..inputs()
        },
    )
}

#[test]
fn estimated_performance_drop_fires_beyond_the_drop_and_names_the_numbers() {
    let rules = AlertRules::default();
    let fallen = estimated(0.74, 300);
    let evaluation = judge_estimate(&rules, Some(&fallen));
    let found = only(&evaluation, AlertRule::EstimatedPerformanceDrop)
        .cloned()
        .expect("0.06 below validation is more than 0.05");
    assert_eq!(
        (found.severity, found.subject.as_str()),
        (Severity::Warning, "v1")
    );
    assert!((found.details["drop"].as_f64().unwrap() - 0.06).abs() < 1e-9);
    assert_eq!(found.details["estimated_auc"], 0.74);
    assert_eq!(found.details["validation_auc"], 0.80);
    assert_eq!(found.details["max_drop"], DEFAULT_MAX_AUC_DROP);
    assert_eq!(found.details["rows"], 300);
    assert!((found.details["estimated_auc_lower"].as_f64().unwrap() - 0.72).abs() < 1e-9);
    assert!(
        found.summary.contains("estimated AUC 0.740"),
        "{}",
        found.summary
    );
    // Only the estimate's rule: the production rule has no production entry to judge.
    assert!(!evaluation.judged.contains(&AlertRule::PerformanceDrop));

    // 0.04 below: judged, quiet (so a firing alert resolves).
    let close = estimated(0.76, 300);
    let evaluation = judge_estimate(&rules, Some(&close));
    assert!(only(&evaluation, AlertRule::EstimatedPerformanceDrop).is_none());
}

#[test]
fn estimated_performance_drop_is_not_judged_without_an_estimate_over_enough_rows() {
    let rules = AlertRules::default();
    assert!(
        !judge_estimate(&rules, None)
            .judged
            .contains(&AlertRule::EstimatedPerformanceDrop),
        "no estimate yet: skipped, not resolved"
    );
    let few = estimated(0.50, DEFAULT_MIN_ESTIMATED_ROWS - 1);
    assert!(
        !judge_estimate(&rules, Some(&few))
            .judged
            .contains(&AlertRule::EstimatedPerformanceDrop)
    );
    // An estimate of another version than the validation entry's says nothing.
    let mut other = estimated(0.50, 300);
    other.model_version = Some("v2".to_owned());
    assert!(
        !judge_estimate(&rules, Some(&other))
            .judged
            .contains(&AlertRule::EstimatedPerformanceDrop)
    );
    // An estimate without an AUC (undefined for its rows) neither.
    let mut no_auc = estimated(0.50, 300);
    no_auc.metrics.remove("roc_auc");
    assert!(
        !judge_estimate(&rules, Some(&no_auc))
            .judged
            .contains(&AlertRule::EstimatedPerformanceDrop)
    );
}

#[test]
fn estimated_performance_drop_follows_its_keys() {
    let text =
        "[estimated_performance_drop]\nseverity = \"critical\"\nmax_drop = 0.1\nmin_rows = 10\n";
    let rules = AlertRules::parse(Path::new("r.toml"), text).unwrap();
    // 0.06 is within 0.1 now.
    let fallen = estimated(0.74, 50);
    assert!(
        only(
            &judge_estimate(&rules, Some(&fallen)),
            AlertRule::EstimatedPerformanceDrop
        )
        .is_none()
    );
    let worse = estimated(0.65, 50);
    let found = only(
        &judge_estimate(&rules, Some(&worse)),
        AlertRule::EstimatedPerformanceDrop,
    )
    .cloned()
    .unwrap();
    assert_eq!(found.severity, Severity::Critical);

    let mut off = AlertRules::default();
    off.estimated_performance_drop.enabled = false;
    assert!(
        !judge_estimate(&off, Some(&worse))
            .judged
            .contains(&AlertRule::EstimatedPerformanceDrop)
    );
}

// ---- data quality ----

/// age numeric in [21, 70], purpose categorical in {car, home}.
fn profile() -> ReferenceProfile {
    ReferenceProfile::from_columns(
        vec![
            NamedColumn::numeric("age", [Some(35.0), Some(21.0), Some(70.0), Some(40.0)]),
            NamedColumn::categorical("purpose", [Some("car"), Some("home"), Some("car"), None]),
        ],
        None,
    )
}

/// A window of `rows` predictions: the first `bad_age` have `age`, the first
/// `bad_purpose` have `purpose`; the rest are ordinary (age 40, purpose car).
fn window(
    rows: usize,
    (bad_age, age): (usize, Option<&str>),
    (bad_purpose, purpose): (usize, Option<&str>),
) -> DataQualitySummary {
    let records: Vec<PredictionRecord> = (0..rows)
        .map(|i| PredictionRecord {
            prediction_id: format!("p{i}"),
            timestamp: T0 + Duration::seconds(i64::try_from(i).unwrap()),
            model_version: "v1".to_owned(),
            score: 0.1,
            decision: 0,
            features: vec![
                if i < bad_age { age } else { Some("40") }.map(str::to_owned),
                if i < bad_purpose {
                    purpose
                } else {
                    Some("car")
                }
                .map(str::to_owned),
            ],
        })
        .collect();
    let mut summary = summarize_window(
        &profile(),
        &["age".to_owned(), "purpose".to_owned()],
        &records,
    )
    .unwrap();
    summary.model_version = Some("v1".to_owned());
    summary
}

fn judge_quality(rules: &AlertRules, summary: &DataQualitySummary) -> Evaluation {
    evaluate_rules(
        rules,
        &AlertInputs {
            quality: Some(summary),
            ..inputs()
        },
    )
}

fn quality_findings(evaluation: &Evaluation) -> Vec<&Finding> {
    assert!(evaluation.judged.contains(&AlertRule::DataQuality));
    evaluation
        .findings
        .iter()
        .filter(|f| f.rule == AlertRule::DataQuality)
        .collect()
}

#[test]
fn a_clean_window_is_judged_and_quiet() {
    let clean = window(200, (0, None), (0, None));
    assert!(quality_findings(&judge_quality(&AlertRules::default(), &clean)).is_empty());
}

#[test]
fn a_missing_share_above_the_threshold_fires_for_that_feature() {
    let rules = AlertRules::default();
    // 25 of 200 = 12.5 % missing > 10 %.
    let summary = window(200, (25, None), (0, None));
    let evaluation = judge_quality(&rules, &summary);
    let found = quality_findings(&evaluation);
    assert_eq!(found.len(), 1, "{found:?}");
    let age = found[0];
    assert_eq!(
        (age.subject.as_str(), age.severity),
        ("age", Severity::Warning)
    );
    assert_eq!(age.details["issue"], "missing");
    assert_eq!(age.details["share"], 0.125);
    assert_eq!(age.details["threshold"], DEFAULT_MAX_MISSING_SHARE);
    assert_eq!(age.details["rows"], 200);
    assert_eq!(age.details["count"], 25);
    assert_eq!(age.details["model_version"], "v1");
    assert_eq!(age.summary, "Data quality: age 12% missing (threshold 10%)");

    // Exactly at the threshold (20 of 200 = 10 %) is not above it.
    let at = window(200, (20, None), (0, None));
    assert!(quality_findings(&judge_quality(&rules, &at)).is_empty());
}

#[test]
fn an_out_of_range_share_above_the_threshold_fires() {
    let rules = AlertRules::default();
    // 11 of 200 present values = 5.5 % outside [21, 70] > 5 %.
    let summary = window(200, (11, Some("95")), (0, None));
    let found = quality_findings(&judge_quality(&rules, &summary))
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].subject, "age");
    assert_eq!(found[0].details["issue"], "out_of_range");
    assert_eq!(found[0].details["share"], 0.055);
    assert_eq!(
        found[0].details["threshold"],
        DEFAULT_MAX_OUT_OF_RANGE_SHARE
    );
    assert!(found[0].summary.contains("outside the training range"));

    let ten = window(200, (10, Some("95")), (0, None));
    assert!(quality_findings(&judge_quality(&rules, &ten)).is_empty());
}

#[test]
fn an_unseen_category_share_above_the_threshold_fires() {
    let rules = AlertRules::default();
    // The new-segment scenario: 30 % of applications from a purpose training never saw.
    let summary = window(200, (0, None), (60, Some("gig")));
    let found = quality_findings(&judge_quality(&rules, &summary))
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].subject, "purpose");
    assert_eq!(found[0].details["issue"], "unseen_category");
    assert_eq!(found[0].details["share"], 0.3);
    assert_eq!(found[0].details["count"], 60);

    let few = window(200, (0, None), (10, Some("gig")));
    assert!(quality_findings(&judge_quality(&rules, &few)).is_empty());
}

#[test]
fn each_feature_fires_on_its_own_and_every_exceeded_issue_is_listed() {
    let rules = AlertRules::default();
    // age: 30 % missing; purpose: 30 % unseen of the present values.
    let summary = window(200, (60, None), (60, Some("gig")));
    let evaluation = judge_quality(&rules, &summary);
    let mut subjects: Vec<&str> = quality_findings(&evaluation)
        .iter()
        .map(|f| f.subject.as_str())
        .collect();
    subjects.sort_unstable();
    assert_eq!(subjects, ["age", "purpose"]);

    // One feature, two kinds above their thresholds: the summary names the one
    // furthest above (missing 0.3 / 0.1 = 3x against out of range 0.1 / 0.05 = 2x at
    // these keys), the details list both.
    let text = "[data_quality]\nmax_missing_share = 0.1\nmax_out_of_range_share = 0.05\n";
    let rules = AlertRules::parse(Path::new("r.toml"), text).unwrap();
    let mut both = window(200, (0, None), (0, None));
    let age = &mut both.features[0];
    (age.missing, age.present, age.out_of_range) = (60, 140, 14);
    (age.missing_share, age.out_of_range_share) = (0.3, 0.1);
    let found = quality_findings(&judge_quality(&rules, &both))[0].clone();
    assert_eq!(found.details["issue"], "missing");
    let issues: Vec<&str> = found.details["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["issue"].as_str().unwrap())
        .collect();
    assert_eq!(issues, ["missing", "out_of_range"]);
}

#[test]
fn a_window_below_min_rows_is_not_judged() {
    let rules = AlertRules::default();
    let small = window(
        usize::try_from(DEFAULT_MIN_QUALITY_ROWS).unwrap() - 1,
        (50, None),
        (0, None),
    );
    assert!(
        !judge_quality(&rules, &small)
            .judged
            .contains(&AlertRule::DataQuality),
        "a small window leaves the alerts as they are"
    );
    let empty = window(0, (0, None), (0, None));
    let mut any = AlertRules::default();
    any.data_quality.min_rows = 0;
    assert!(
        !judge_quality(&any, &empty)
            .judged
            .contains(&AlertRule::DataQuality),
        "an empty window says nothing even with min_rows = 0"
    );
}

#[test]
fn data_quality_follows_its_keys_and_refuses_a_bad_share() {
    let summary = window(200, (25, None), (0, None));
    let text = "[data_quality]\nmax_missing_share = 0.2\nseverity = \"critical\"\n";
    let rules = AlertRules::parse(Path::new("r.toml"), text).unwrap();
    assert!(quality_findings(&judge_quality(&rules, &summary)).is_empty());
    assert_eq!(rules.data_quality.severity, Severity::Critical);
    // Keys left out keep their defaults.
    assert_eq!(
        rules.data_quality.max_unseen_category_share,
        DataQualityRule::default().max_unseen_category_share
    );

    let mut off = AlertRules::default();
    off.data_quality.enabled = false;
    assert!(
        !judge_quality(&off, &summary)
            .judged
            .contains(&AlertRule::DataQuality)
    );

    let err = AlertRules::parse(
        Path::new("rules.toml"),
        "[data_quality]\nmin_rows = 10\nmax_out_of_range_share = 1.5\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("alert rules file rules.toml:3:")
            && err.contains("key `data_quality.max_out_of_range_share`")
            && err.contains("1.5 is not a share in [0, 1]"),
        "{err}"
    );
    let err = AlertRules::parse(
        Path::new("rules.toml"),
        "[data_quality]\nmax_missing = 0.2\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(":2:") && err.contains("data_quality.max_missing"),
        "{err}"
    );
}
