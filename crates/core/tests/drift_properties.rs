//! Invariants and edge cases of the drift engine.
// Helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]
// "Exactly 0" and "exactly 1" are the properties under test.
#![allow(clippy::float_cmp)]

use proptest::prelude::*;
use scorewatch_core::{
    CategoricalValues, ColumnValues, CurrentWindow, DriftOptions, NamedColumn, NumericValues,
    PsiBand, ReferenceProfile, VerdictReason, VerdictStatus, compute_report, ks_2samp, numeric_bin,
    psi,
};

fn numeric(name: &str, values: Vec<f64>) -> NamedColumn {
    NamedColumn {
        name: name.into(),
        values: ColumnValues::Numeric(NumericValues::from_raw(values)),
    }
}

fn categorical(name: &str, values: &[&str]) -> NamedColumn {
    let mut c = CategoricalValues::new();
    for v in values {
        c.push(Some(v));
    }
    NamedColumn {
        name: name.into(),
        values: ColumnValues::Categorical(c),
    }
}

fn window(profile: &ReferenceProfile, columns: Vec<NamedColumn>) -> CurrentWindow {
    CurrentWindow::from_columns(profile, columns, None, "cur.csv".as_ref()).unwrap()
}

proptest! {
    #[test]
    fn ks_statistic_and_p_lie_in_unit_interval(
        mut x in prop::collection::vec(-1e3f64..1e3, 1..300),
        mut y in prop::collection::vec(-1e3f64..1e3, 1..300),
    ) {
        x.sort_unstable_by(f64::total_cmp);
        y.sort_unstable_by(f64::total_cmp);
        let r = ks_2samp(&x, &y).unwrap();
        prop_assert!((0.0..=1.0).contains(&r.statistic));
        prop_assert!((0.0..=1.0).contains(&r.p_value));
    }

    #[test]
    fn psi_is_non_negative_and_zero_on_identical_counts(
        reference in prop::collection::vec(0u64..1000, 2..15),
        current in prop::collection::vec(0u64..1000, 2..15),
    ) {
        prop_assume!(reference.iter().sum::<u64>() > 0 && current.iter().sum::<u64>() > 0);
        let k = reference.len().min(current.len());
        prop_assume!(reference[..k].iter().sum::<u64>() > 0 && current[..k].iter().sum::<u64>() > 0);
        prop_assert!(psi(&reference[..k], &current[..k]).unwrap() >= 0.0);
        prop_assert_eq!(psi(&reference, &reference).unwrap(), 0.0);
    }

    #[test]
    fn a_sample_against_itself_has_no_drift(
        values in prop::collection::vec(prop_oneof![Just(f64::NAN), -50f64..50.0], 1..400),
        cats in prop::collection::vec(prop_oneof![Just("a"), Just("b"), Just("c"), Just("")], 1..100),
    ) {
        let profile = ReferenceProfile::from_columns(
            vec![numeric("x", values.clone()), categorical("c", &cats)], None);
        let current = window(&profile, vec![numeric("x", values), categorical("c", &cats)]);
        let report = compute_report(&profile, &current, &DriftOptions::default()).unwrap();
        prop_assert!(!report.dataset_drift);
        for f in &report.features {
            prop_assert!(!f.drifted, "{}: {}", f.name, f.reason);
            if let Some(p) = f.psi { prop_assert_eq!(p, 0.0); }
        }
    }
}

/// Issue 16: only the score moved. No feature drifted, so `dataset_drift` is false, but the
/// score's significant PSI makes the report drifted, and the reason says so.
#[test]
fn issue_16_a_report_where_only_the_score_drifts_is_drifted() {
    let same = || numeric("x", (0..1000).map(f64::from).collect());
    let scores = |shift: f64| {
        NumericValues::from_raw((0..1000).map(|i| f64::from(i) / 1000.0 + shift).collect())
    };
    let profile = ReferenceProfile::from_columns(vec![same()], Some(scores(0.0)));
    let current =
        CurrentWindow::from_columns(&profile, vec![same()], Some(scores(0.3)), "cur".as_ref())
            .unwrap();
    let report = compute_report(&profile, &current, &DriftOptions::default()).unwrap();
    assert!(!report.dataset_drift);
    assert_eq!(report.drifted_share, 0.0);
    assert_eq!(report.verdict.status, VerdictStatus::Drifted);
    let score_psi = report.score.as_ref().and_then(|s| s.psi).unwrap();
    assert_eq!(
        report.verdict.reasons,
        [VerdictReason::ScorePsi {
            psi: score_psi,
            band: PsiBand::Significant
        }]
    );

    let unmoved =
        CurrentWindow::from_columns(&profile, vec![same()], Some(scores(0.0)), "cur".as_ref())
            .unwrap();
    let report = compute_report(&profile, &unmoved, &DriftOptions::default()).unwrap();
    assert_eq!(report.verdict.status, VerdictStatus::Stable);
    assert!(report.verdict.reasons.is_empty());
}

#[test]
fn empty_current_window_is_insufficient_data() {
    let profile = ReferenceProfile::from_columns(
        vec![
            numeric("x", (0..100).map(f64::from).collect()),
            categorical("c", &["a", "b"]),
        ],
        None,
    );
    let current = CurrentWindow::new(&profile);
    let report = compute_report(&profile, &current, &DriftOptions::default()).unwrap();
    for f in &report.features {
        assert_eq!((f.psi, f.drifted, f.n_current), (None, false, 0));
        assert!(f.reason.contains("insufficient data"), "{}", f.reason);
        assert!(f.bins.iter().all(|b| b.current_share == 0.0));
    }
    assert_eq!((report.drifted_share, report.dataset_drift), (0.0, false));
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("NaN"), "{json}");
}

#[test]
fn all_missing_column_is_insufficient_data() {
    let profile = ReferenceProfile::from_columns(vec![numeric("x", vec![f64::NAN; 20])], None);
    let current = window(
        &profile,
        vec![numeric("x", (0..20).map(f64::from).collect())],
    );
    let report = compute_report(&profile, &current, &DriftOptions::default()).unwrap();
    let f = &report.features[0];
    assert_eq!((f.psi, f.drifted, f.missing_reference), (None, false, 1.0));
    assert!(
        f.reason.contains("all 20 reference rows are missing"),
        "{}",
        f.reason
    );
}

#[test]
fn constant_column_has_one_edge_and_no_drift_against_itself() {
    let profile = ReferenceProfile::from_columns(vec![numeric("x", vec![3.0; 50])], None);
    let current = window(&profile, vec![numeric("x", vec![3.0; 70])]);
    let report = compute_report(&profile, &current, &DriftOptions::default()).unwrap();
    let f = &report.features[0];
    assert_eq!(f.bins.len(), 3, "(-inf, 3), [3, +inf), missing");
    assert_eq!(f.psi, Some(0.0));
    assert_eq!(f.ks.unwrap().p_value, 1.0);
    let shifted = window(&profile, vec![numeric("x", vec![2.0; 70])]);
    let report = compute_report(&profile, &shifted, &DriftOptions::default()).unwrap();
    assert!(report.features[0].drifted);
}

#[test]
fn category_only_in_current_goes_to_unseen() {
    let profile =
        ReferenceProfile::from_columns(vec![categorical("c", &["a", "b", "a", "b"])], None);
    let current = window(&profile, vec![categorical("c", &["a", "b", "z", "z"])]);
    let report = compute_report(&profile, &current, &DriftOptions::default()).unwrap();
    let f = &report.features[0];
    let unseen = f.bins.iter().find(|b| b.label == "unseen").unwrap();
    assert_eq!((unseen.reference_share, unseen.current_share), (0.0, 0.5));
    assert!(f.psi.unwrap().is_finite() && f.drifted);
    assert_eq!(f.chi2.unwrap().dof, 2);
}

#[test]
fn values_equal_to_an_edge_fall_in_the_bin_it_opens() {
    let edges = [1.0, 2.0, 3.0];
    assert_eq!(numeric_bin(&edges, 0.999), 0);
    assert_eq!(numeric_bin(&edges, 1.0), 1);
    assert_eq!(numeric_bin(&edges, 2.0), 2);
    assert_eq!(numeric_bin(&edges, 3.0), 3);
    let sorted = [1.0, 1.0, 2.0, 2.5, 3.0];
    assert_eq!(
        scorewatch_core::count_sorted(&edges, &sorted),
        vec![0, 2, 2, 1]
    );
}

#[test]
fn streamed_rows_equal_columns() {
    let profile = ReferenceProfile::from_columns(
        vec![
            numeric("x", (0..100).map(f64::from).collect()),
            categorical("c", &["a", "b"]),
        ],
        None,
    );
    let mut streamed = CurrentWindow::new(&profile);
    for i in 0..60 {
        let x = (i * 3).to_string();
        let c = if i % 3 == 0 { "a" } else { "new" };
        streamed.push_row(&[Some(&x), Some(c)], None).unwrap();
    }
    streamed.push_row(&[Some(""), None], None).unwrap();
    let err = streamed
        .push_row(&[Some("x1"), Some("a")], None)
        .unwrap_err();
    assert!(
        err.to_string().contains("row 62") || err.to_string().contains("line 62"),
        "{err}"
    );
    let options = DriftOptions {
        computed_at: Some(time::OffsetDateTime::UNIX_EPOCH),
        ..DriftOptions::default()
    };
    let report = compute_report(&profile, &streamed, &options).unwrap();
    assert_eq!(report.features[0].n_current, 61);
    assert!(report.features[0].missing_current > 0.0);
    assert!(report.features[1].drifted);
}

#[test]
fn bad_options_are_errors() {
    let profile = ReferenceProfile::from_columns(vec![numeric("x", vec![1.0])], None);
    let current = CurrentWindow::new(&profile);
    let options = DriftOptions {
        dataset_drift_threshold: 0.0,
        ..DriftOptions::default()
    };
    assert!(compute_report(&profile, &current, &options).is_err());
}
