//! Reference values come from scipy 1.17 and scikit-learn 1.9; the Python call that
//! produced each is beside it.

use super::*;
use crate::drift::{CurrentWindow, DriftOptions, PsiBand, ReferenceProfile, compute_report};
use crate::estimate::CbpeEstimator;
use crate::records::FeatureKind;

/// Agreement with scipy / scikit-learn (float summation order differs).
const TOLERANCE: f64 = 1e-12;
/// scipy's exact KS p-value and ours take different paths to the same number.
const P_TOLERANCE: f64 = 1e-9;

fn close(got: Option<f64>, want: f64, tolerance: f64) {
    let got = got.expect("value is defined");
    assert!((got - want).abs() <= tolerance, "got {got}, want {want}");
}

/// The scores of the Python script: `[((i*k) % m)/m for i in range(150)]`.
fn scores(k: u32, m: u32) -> Vec<f64> {
    (0..150)
        .map(|i| f64::from((i * k) % m) / f64::from(m))
        .collect()
}

fn features() -> Vec<(String, FeatureKind)> {
    vec![
        ("age".to_owned(), FeatureKind::Numeric),
        ("channel".to_owned(), FeatureKind::Categorical),
    ]
}

fn push(side: &mut SegmentColumns, segment: &str, scores: &[f64], age_shift: u32) {
    for (i, &score) in (0u32..).zip(scores) {
        let age = (20 + i % 40 + age_shift).to_string();
        let channel = if i % 3 == 0 { "web" } else { "branch" };
        side.push_row(Some(segment), &[Some(&age), Some(channel)], Some(score))
            .unwrap();
    }
}

/// north: stable; south: score and age shifted; east: thin; west: only current.
fn sides() -> (SegmentColumns, SegmentColumns) {
    let mut reference = SegmentColumns::new("region", FeatureKind::Categorical, features());
    let mut current = SegmentColumns::new("region", FeatureKind::Categorical, features());
    push(&mut reference, "north", &scores(37, 101), 0);
    push(&mut current, "north", &scores(53, 103), 0);
    push(&mut reference, "south", &scores(29, 107), 0);
    let shifted: Vec<f64> = scores(31, 109)
        .into_iter()
        .map(|s| (0.3 + s).min(1.0))
        .collect();
    push(&mut current, "south", &shifted, 30);
    push(&mut reference, "east", &scores(7, 11)[..20], 0);
    push(&mut current, "east", &scores(7, 11)[..5], 0);
    push(&mut current, "west", &scores(3, 13)[..40], 0);
    (reference, current)
}

#[test]
fn each_segment_is_judged_on_its_own_rows_worst_first() {
    let (reference, current) = sides();
    let result = drift_segments(
        reference,
        current,
        &SegmentOptions::default(),
        &DriftOptions::default(),
    )
    .unwrap();
    let order: Vec<(&str, SegmentStatus)> = result
        .segments
        .iter()
        .map(|s| (s.segment.as_str(), s.status))
        .collect();
    assert_eq!(
        order,
        [
            ("south", SegmentStatus::Drifted),
            ("north", SegmentStatus::Stable),
            ("east", SegmentStatus::Insufficient),
            ("west", SegmentStatus::Insufficient),
        ]
    );
    assert_eq!(result.drifted(), 1);

    let south = &result.segments[0];
    assert_eq!((south.reference_rows, south.current_rows), (150, 150));
    let ks = south.score_ks.unwrap();
    // scipy.stats.ks_2samp(ref_s, cur_s) -> statistic 0.32666666666666666,
    //   pvalue 1.7564392953194488e-07 (seg_ref.py: ref_s = [((i*29) % 107)/107 ...],
    //   cur_s = [min(1.0, 0.3 + ((i*31) % 109)/109) ...], i in range(150))
    close(Some(ks.statistic), 0.326_666_666_666_666_66, TOLERANCE);
    close(Some(ks.p_value), 1.756_439_295_319_448_8e-7, P_TOLERANCE);
    assert_eq!(south.score_psi_band, Some(PsiBand::Significant));
    assert_eq!(south.drifted_features, ["age"]);
    assert!(
        south.reason.starts_with("Score drift: PSI"),
        "{}",
        south.reason
    );

    let north = &result.segments[1];
    // scipy.stats.ks_2samp(ref_n, cur_n) -> statistic 0.03333333333333333,
    //   pvalue 0.9999974826701125
    let ks = north.score_ks.unwrap();
    close(Some(ks.statistic), 0.033_333_333_333_333_33, TOLERANCE);
    close(Some(ks.p_value), 0.999_997_482_670_112_5, P_TOLERANCE);
    assert!(north.drifted_features.is_empty());
    assert!(!north.verdict.as_ref().unwrap().is_drifted());

    let east = &result.segments[2];
    assert_eq!((east.reference_rows, east.current_rows), (20, 5));
    assert!(east.verdict.is_none() && east.score_psi.is_none());
    assert_eq!(
        east.reason,
        "too few rows to judge: 20 reference and 5 current, at least 100 needed on each side"
    );
    let west = &result.segments[3];
    assert_eq!((west.reference_rows, west.current_rows), (0, 40));
    assert!(
        west.reason.starts_with("not in the reference"),
        "{}",
        west.reason
    );
}

#[test]
fn a_segment_report_equals_the_whole_report_of_that_segments_rows() {
    // The segment's PSI must be what compute_report gives on the segment's rows alone:
    // the per-segment reference is built from the segment's reference rows.
    let (reference, current) = sides();
    let result = drift_segments(
        reference,
        current,
        &SegmentOptions::default(),
        &DriftOptions::default(),
    )
    .unwrap();
    let south = &result.segments[0];

    let (mut reference, mut current) = sides();
    let mut ref_parts = std::mem::replace(
        &mut reference,
        SegmentColumns::new("region", FeatureKind::Categorical, features()),
    )
    .into_parts();
    let mut cur_parts = std::mem::replace(
        &mut current,
        SegmentColumns::new("region", FeatureKind::Categorical, features()),
    )
    .into_parts();
    let r = ref_parts.remove("south").unwrap();
    let c = cur_parts.remove("south").unwrap();
    let profile = ReferenceProfile::from_columns(r.columns, r.score);
    let window =
        CurrentWindow::from_columns(&profile, c.columns, c.score, "south".as_ref()).unwrap();
    let whole = compute_report(&profile, &window, &DriftOptions::default()).unwrap();
    assert_eq!(south.score_psi, whole.score.as_ref().unwrap().psi);
    assert_eq!(south.verdict.as_ref(), Some(&whole.verdict));
}

#[test]
fn thin_segments_never_alarm_whatever_their_numbers() {
    // Completely different distributions, but 10 rows: listed, not drifted.
    let mut reference = SegmentColumns::new("region", FeatureKind::Categorical, features());
    let mut current = SegmentColumns::new("region", FeatureKind::Categorical, features());
    push(&mut reference, "tiny", &[0.0; 10], 0);
    push(&mut current, "tiny", &[1.0; 10], 500);
    let options = SegmentOptions { min_rows: 11 };
    let result = drift_segments(reference, current, &options, &DriftOptions::default()).unwrap();
    assert_eq!(result.segments[0].status, SegmentStatus::Insufficient);
    assert_eq!(result.drifted(), 0);
    assert_eq!(result.min_rows, 11);
}

#[test]
fn min_rows_zero_is_refused() {
    let (reference, current) = sides();
    let err = drift_segments(
        reference,
        current,
        &SegmentOptions { min_rows: 0 },
        &DriftOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, SegmentError::BadMinRows));
}

#[test]
fn numeric_segment_values_are_normalised_and_missing_is_a_segment() {
    let mut side = SegmentColumns::new("term", FeatureKind::Numeric, Vec::new());
    for cell in [
        Some("36"),
        Some("36.0"),
        Some(" 36 "),
        Some(""),
        None,
        Some("60"),
    ] {
        side.push_row(cell, &[], None).unwrap();
    }
    assert_eq!(
        side.segment_rows(),
        [("(missing)", 2), ("36", 3), ("60", 1)].into()
    );
}

#[test]
fn a_column_with_too_many_values_is_refused() {
    let mut side = SegmentColumns::new("income", FeatureKind::Numeric, Vec::new());
    let mut last = Ok(());
    for i in 0..=MAX_SEGMENTS {
        last = side.push_row(Some(&i.to_string()), &[], None);
    }
    let err = last.unwrap_err();
    assert_eq!(
        err.to_string(),
        "segment column 'income' has more than 100 distinct values; segment by a column with few values, such as a categorical feature"
    );
}

#[test]
fn a_bad_number_names_the_row_and_column() {
    let mut side = SegmentColumns::new("region", FeatureKind::Categorical, features());
    side.push_row(Some("n"), &[Some("30"), Some("web")], None)
        .unwrap();
    let err = side
        .push_row(Some("n"), &[Some("thirty"), Some("web")], None)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 2, column 'age': 'thirty' is not a number"
    );
}

const A_SCORES: [f64; 12] = [
    0.91, 0.12, 0.55, 0.73, 0.33, 0.68, 0.05, 0.49, 0.81, 0.27, 0.62, 0.44,
];
const A_LABELS: [u8; 12] = [1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1];
const B_SCORES: [f64; 10] = [0.2, 0.8, 0.4, 0.35, 0.9, 0.1, 0.6, 0.65, 0.3, 0.5];
const B_LABELS: [u8; 10] = [0, 1, 1, 0, 1, 0, 0, 1, 0, 1];

fn labelled() -> LabelledSegments {
    let mut rows = LabelledSegments::new("channel", FeatureKind::Categorical);
    for (&s, &y) in A_SCORES.iter().zip(&A_LABELS) {
        rows.push(Some("a"), s, Some(y == 1)).unwrap();
    }
    for (&s, &y) in B_SCORES.iter().zip(&B_LABELS) {
        rows.push(Some("b"), s, Some(y == 1)).unwrap();
    }
    // thin: 3 labelled of 5 predictions
    for (s, y) in [
        (0.1, Some(true)),
        (0.2, Some(false)),
        (0.3, Some(true)),
        (0.4, None),
        (0.5, None),
    ] {
        rows.push(Some("c"), s, y).unwrap();
    }
    // one class: 6 labelled negatives
    for s in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] {
        rows.push(Some("d"), s, Some(false)).unwrap();
    }
    // predictions without any outcome
    rows.push(None, 0.5, None).unwrap();
    rows
}

#[test]
fn segment_metrics_match_scikit_learn() {
    let result = metrics_segments(
        labelled(),
        0.5,
        &SegmentOptions { min_rows: 5 },
        Err("no calibration"),
    )
    .unwrap();
    let order: Vec<&str> = result.segments.iter().map(|s| s.segment.as_str()).collect();
    // a (AUC 0.83) before b (AUC 0.92); then d (6 labelled, one class), c (3), (missing) (0)
    assert_eq!(order, ["a", "b", "d", "c", "(missing)"]);
    assert_eq!((result.rows, result.labelled_rows), (34, 31));

    let a = &result.segments[0];
    assert_eq!((a.rows, a.labelled_rows, a.positives), (12, 12, 6));
    close(a.positive_rate, 0.5, TOLERANCE);
    // sklearn.metrics.roc_auc_score(a_y, a_s) -> 0.8333333333333334
    close(a.roc_auc, 0.833_333_333_333_333_4, TOLERANCE);
    // 2 * roc_auc_score(a_y, a_s) - 1 -> 0.6666666666666667
    close(a.gini, 0.666_666_666_666_666_7, TOLERANCE);
    // scipy.stats.ks_2samp(a_s[a_y == 1], a_s[a_y == 0]).statistic -> 0.6666666666666666
    close(a.ks, 0.666_666_666_666_666_6, TOLERANCE);
    // sklearn.metrics.brier_score_loss(a_y, a_s) -> 0.1615666666666667
    close(a.brier, 0.161_566_666_666_666_7, TOLERANCE);
    assert!(a.insufficient.is_none());
    // Only the estimates are undefined, with the reason given.
    let undefined: Vec<(&str, &str)> = a
        .undefined
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        undefined,
        [
            ("estimated_accuracy", "no calibration"),
            ("estimated_roc_auc", "no calibration")
        ]
    );

    let b = &result.segments[1];
    // sklearn.metrics.roc_auc_score(b_y, b_s) -> 0.92
    close(b.roc_auc, 0.92, TOLERANCE);
    // 2 * roc_auc_score(b_y, b_s) - 1 -> 0.8400000000000001
    close(b.gini, 0.840_000_000_000_000_1, TOLERANCE);
    // scipy.stats.ks_2samp(b_s[b_y == 1], b_s[b_y == 0]).statistic -> 0.8
    close(b.ks, 0.8, TOLERANCE);
    // sklearn.metrics.brier_score_loss(b_y, b_s) -> 0.1405
    close(b.brier, 0.1405, TOLERANCE);

    let d = &result.segments[2];
    assert_eq!(d.roc_auc, None);
    assert_eq!(d.undefined["roc_auc"], "only one class in the labels");
    assert_eq!(d.undefined["ks"], "only one class in the labels");
    // Brier needs no second class: sklearn.metrics.brier_score_loss([0]*6,
    //   [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) -> 0.15166666666666667
    close(d.brier, 0.151_666_666_666_666_67, TOLERANCE);
    close(d.positive_rate, 0.0, TOLERANCE);

    let c = &result.segments[3];
    assert_eq!((c.rows, c.labelled_rows, c.positives), (5, 3, 2));
    assert_eq!(
        c.insufficient.as_deref(),
        Some("too few labelled rows: 3, at least 5 needed")
    );
    assert_eq!(c.roc_auc, None);
    assert_eq!(
        c.undefined["brier"],
        "too few labelled rows: 3, at least 5 needed"
    );

    let missing = &result.segments[4];
    assert_eq!(missing.positive_rate, None);
    assert_eq!(missing.undefined["positive_rate"], "no labelled rows");
}

#[test]
fn segment_estimates_are_cbpe_over_each_segments_unlabelled_rows() {
    // Calibrated on A's labelled scores; each segment's unlabelled rows are estimated.
    let estimator = CbpeEstimator::fit(&A_SCORES, &A_LABELS.map(|y| y == 1), 0.5, None).unwrap();
    let mut rows = LabelledSegments::new("channel", FeatureKind::Categorical);
    let web: Vec<f64> = (0..8).map(|i| 0.05 + f64::from(i) * 0.12).collect();
    for &s in &web {
        rows.push(Some("web"), s, None).unwrap();
    }
    rows.push(Some("web"), 0.9, Some(true)).unwrap();
    // Two unlabelled rows: under the minimum of 4.
    rows.push(Some("branch"), 0.3, None).unwrap();
    rows.push(Some("branch"), 0.6, None).unwrap();
    let result =
        metrics_segments(rows, 0.5, &SegmentOptions { min_rows: 4 }, Ok(&estimator)).unwrap();
    let by = |name: &str| result.segments.iter().find(|s| s.segment == name).unwrap();

    let expected = estimator.estimate(&web, None).unwrap().estimated;
    let web_result = by("web");
    assert_eq!(web_result.unlabelled_rows, 8);
    assert!(expected.roc_auc.is_some() && expected.accuracy.is_some());
    assert_eq!(web_result.estimated_roc_auc, expected.roc_auc);
    assert_eq!(web_result.estimated_accuracy, expected.accuracy);
    assert!(!web_result.undefined.contains_key("estimated_roc_auc"));

    let branch = by("branch");
    assert_eq!(branch.unlabelled_rows, 2);
    assert_eq!(branch.estimated_roc_auc, None);
    assert_eq!(
        branch.undefined["estimated_accuracy"],
        "too few unlabelled rows: 2, at least 4 needed"
    );
}
