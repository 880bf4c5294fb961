//! Reference values from scikit-learn 1.9.1 / numpy; the Python call is beside each number.
//!
//! Cases (Python):
//! ```python
//! ties      = ([0.1,0.4,0.4,0.4,0.8,0.8,0.2,0.6,0.6,0.3], [0,0,1,1,1,0,0,1,0,1])
//! extremes  = ([0.0,1.0,0.0,1.0,0.5,0.3,0.9], [0,1,1,0,1,0,1])
//! no_pred   = ([0.1,0.2,0.3,0.45], [0,1,0,1])
//! ```
// Reference numbers are pasted exactly as Python printed them.
#![allow(clippy::unreadable_literal)]

use super::*;

/// Summation order differs from numpy's pairwise sums; a few ulps are expected.
const TOL: f64 = 1e-12;

fn labels(raw: &[u8]) -> Vec<bool> {
    raw.iter().map(|&y| y == 1).collect()
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("metric should be defined");
    assert!(
        (actual - expected).abs() < TOL,
        "actual {actual} expected {expected}"
    );
}

const TIES_S: [f64; 10] = [0.1, 0.4, 0.4, 0.4, 0.8, 0.8, 0.2, 0.6, 0.6, 0.3];
const TIES_Y: [u8; 10] = [0, 0, 1, 1, 1, 0, 0, 1, 0, 1];

#[test]
fn ties_match_scikit_learn() {
    let m = classification_metrics(&TIES_S, &labels(&TIES_Y), 0.5).unwrap();
    // roc_auc_score(y, s)
    close(m.roc_auc, 0.6000000000000001);
    close(m.gini, 2.0 * 0.6000000000000001 - 1.0);
    // fpr, tpr, _ = roc_curve(y, s); np.max(np.abs(tpr - fpr))
    close(m.ks, 0.4);
    // log_loss(y, s)
    close(m.log_loss, 0.7135581778200728);
    // brier_score_loss(y, s)
    close(m.brier, 0.26199999999999996);
    // f1_score(y, s >= 0.5)
    close(m.f1, 0.4444444444444444);
    // accuracy_score(y, s >= 0.5)
    close(m.accuracy, 0.5);
    // ids = np.searchsorted(np.linspace(0,1,11)[1:-1], s, side="right");
    // sum(mean(ids==b) * abs(s[ids==b].mean() - y[ids==b].mean()) for non-empty b)
    close(m.ece, 0.21999999999999997);
    assert_eq!(
        m.confusion,
        Confusion {
            tp: 2,
            fp: 2,
            tn: 3,
            fn_: 3
        }
    );
    assert_eq!((m.n, m.n_positive), (10, 5));
    assert!(m.undefined.is_empty());
}

#[test]
fn probabilities_of_exactly_zero_and_one_are_clipped() {
    let s = [0.0, 1.0, 0.0, 1.0, 0.5, 0.3, 0.9];
    let m = classification_metrics(&s, &labels(&[0, 1, 1, 0, 1, 0, 1]), 0.5).unwrap();
    // roc_auc_score(y, s)
    close(m.roc_auc, 0.5833333333333334);
    // np.max(np.abs(tpr - fpr)) of roc_curve(y, s)
    close(m.ks, 0.4166666666666667);
    // log_loss(y, s): clipping with eps = np.finfo(float).eps
    close(m.log_loss, 10.46321277405583);
    // brier_score_loss(y, s)
    close(m.brier, 0.3357142857142857);
    // f1_score(y, s >= 0.5)
    close(m.f1, 0.75);
    close(m.ece, 0.3857142857142857);
    // log_loss([0,1,1,0], [0.0,1.0,0.0,1.0])
    let loss = log_loss(&[0.0, 1.0, 0.0, 1.0], &labels(&[0, 1, 1, 0])).unwrap();
    assert!((loss - 18.021826694558577).abs() < 1e-9);
}

#[test]
fn no_predicted_positives_leave_precision_undefined() {
    let m = classification_metrics(&[0.1, 0.2, 0.3, 0.45], &labels(&[0, 1, 0, 1]), 0.5).unwrap();
    // roc_auc_score(y, s)
    close(m.roc_auc, 0.75);
    close(m.ks, 0.5);
    // log_loss(y, s)
    close(m.log_loss, 0.7174952670621076);
    // brier_score_loss(y, s)
    close(m.brier, 0.26062500000000005);
    // f1_score(y, s >= 0.5, zero_division=np.nan) == 0.0 (2TP / (2TP + FP + FN))
    close(m.f1, 0.0);
    close(m.recall, 0.0);
    assert_eq!(m.precision, None);
    assert!(m.undefined.contains_key("precision"));
    close(m.ece, 0.2875);
}

#[test]
fn one_class_only_is_explicit() {
    let m = classification_metrics(&[0.1, 0.2, 0.3], &labels(&[0, 0, 0]), 0.5).unwrap();
    // roc_auc_score raises "Only one class present in y_true"
    for name in ["roc_auc", "gini", "ks", "recall", "precision", "f1"] {
        assert!(m.undefined.contains_key(name), "{name}");
    }
    assert_eq!((m.roc_auc, m.gini, m.ks), (None, None, None));
    // log_loss([0,0,0], [.1,.2,.3], labels=[0,1])
    close(m.log_loss, 0.22839300363692283);
    // brier_score_loss([0,0,0], [.1,.2,.3])
    close(m.brier, 0.04666666666666667);
    close(m.accuracy, 1.0);
    let json = serde_json::to_string(&m).unwrap();
    assert!(json.contains("\"roc_auc\":null"));
    assert!(!json.contains("NaN"));
    assert_eq!(roc_auc(&[0.1], &[true]), Err(MetricsError::OneClass));
}

#[test]
fn bad_inputs_are_errors() {
    assert_eq!(
        classification_metrics(&[], &[], 0.5),
        Err(MetricsError::Empty)
    );
    assert_eq!(
        classification_metrics(&[0.1], &[true, false], 0.5),
        Err(MetricsError::LengthMismatch {
            scores: 1,
            labels: 2
        })
    );
    assert_eq!(
        classification_metrics(&[0.1, f64::NAN], &[true, false], 0.5),
        Err(MetricsError::NonFiniteScore { index: 1 })
    );
    let m = classification_metrics(&[-1.0, 2.0], &[true, false], 0.5).unwrap();
    assert_eq!(m.log_loss, None);
    assert!(m.undefined.contains_key("brier"));
}

#[test]
fn calibration_bins_follow_numpy_searchsorted() {
    // 0.1 sits on an edge and goes right, 1.0 goes to the last bin.
    let table = calibration_table(&[0.1, 1.0, 0.0], &labels(&[0, 1, 0])).unwrap();
    assert_eq!(table.bins[1].count, 1);
    assert_eq!(table.bins[9].count, 1);
    assert_eq!(table.bins[0].count, 1);
    close(Some(table.ece), 0.1 / 3.0);
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    proptest! {
        #[test]
        fn auc_of_reversed_scores_is_one_minus_auc(
            rows in proptest::collection::vec((0.0f64..1.0, any::<bool>()), 2..60)
        ) {
            let scores: Vec<f64> = rows.iter().map(|r| (r.0 * 10.0).round() / 10.0).collect();
            let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
            prop_assume!(labels.iter().any(|&l| l) && labels.iter().any(|&l| !l));
            let reversed: Vec<f64> = scores.iter().map(|s| 1.0 - s).collect();
            let auc = roc_auc(&scores, &labels).unwrap();
            let auc_reversed = roc_auc(&reversed, &labels).unwrap();
            prop_assert!((auc + auc_reversed - 1.0).abs() < 1e-12);
            let ks = ks_separation(&scores, &labels).unwrap();
            prop_assert!((0.0..=1.0).contains(&ks));
        }
    }
}
