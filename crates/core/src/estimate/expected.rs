//! The metrics CBPE expects from calibrated probabilities, and the realized ones they
//! are compared with.

use super::PerMetric;
use crate::classification::{confusion_at, roc_auc};

/// A value per metric; `None` where the metric is undefined for the rows.
pub type MetricValues = PerMetric<Option<f64>>;

/// The `OpenAPI` shape of [`MetricValues`]: utoipa documents a generic's type parameter
/// by name, and `Option` is no schema, so the document names this concrete copy instead.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(as = MetricValues)]
#[expect(
    dead_code,
    reason = "describes MetricValues in the OpenAPI document only"
)]
pub struct MetricValuesSchema {
    /// ROC AUC; `null` where undefined.
    roc_auc: Option<f64>,
    /// Share of correct decisions; `null` where undefined.
    accuracy: Option<f64>,
    /// TP / (TP + FP); `null` where undefined.
    precision: Option<f64>,
    /// TP / (TP + FN); `null` where undefined.
    recall: Option<f64>,
    /// 2 TP / (2 TP + FP + FN); `null` where undefined.
    f1: Option<f64>,
}

/// The expected metrics of rows whose chance of being positive is `calibrated`, decided
/// positive when `score >= threshold`.
///
/// # Formula
/// NannyML 0.13.1 `estimate_*` in `performance_estimation/confidence_based/metrics.py`.
/// With `p` the calibrated probability and `d` the decision: expected
/// `TP = sum_{d=1} p`, `FP = sum_{d=1} (1 - p)`, `FN = sum_{d=0} p`, `TN = sum_{d=0} (1 - p)`;
/// accuracy `(TP + TN) / n`, precision `TP / (TP + FP)`, recall `TP / (TP + FN)`,
/// F1 `TP / (TP + (FP + FN) / 2)`, each 0 (as NannyML) when its denominator is 0.
/// ROC AUC: rows sorted by descending raw score, the cumulative sums of `p` and `1 - p`
/// (rounded to 5 decimals, as NannyML) are the expected TP and FP counts at each cut; the
/// trapezoidal area under the resulting ROC curve (`sklearn.metrics.auc`). It is `None`
/// when every `p` is 0 or every `p` is 1.
///
/// `scores` and `calibrated` must have the same length (the calibrator's input and output).
///
/// # Examples
/// ```
/// let m = scorewatch_core::expected_metrics(&[0.2, 0.9], &[0.1, 0.8], 0.5);
/// assert!((m.accuracy.unwrap() - (0.9 + 0.8) / 2.0).abs() < 1e-12);
/// ```
#[must_use]
pub fn expected_metrics(scores: &[f64], calibrated: &[f64], threshold: f64) -> MetricValues {
    let (mut tp, mut fp, mut fn_, mut tn) = (0.0, 0.0, 0.0, 0.0);
    for (&score, &p) in scores.iter().zip(calibrated) {
        if score >= threshold {
            tp += p;
            fp += 1.0 - p;
        } else {
            fn_ += p;
            tn += 1.0 - p;
        }
    }
    let ratio = |num: f64, den: f64| if den == 0.0 { 0.0 } else { num / den };
    PerMetric {
        roc_auc: expected_roc_auc(scores, calibrated),
        accuracy: (!scores.is_empty()).then(|| (tp + tn) / scores.len() as f64),
        precision: Some(ratio(tp, tp + fp)),
        recall: Some(ratio(tp, tp + fn_)),
        f1: Some(ratio(tp, tp + 0.5 * (fp + fn_))),
    }
}

/// NannyML's `np.round(x, 5)`: scale, round half to even, scale back.
fn round5(x: f64) -> f64 {
    (x * 1e5).round_ties_even() / 1e5
}

fn expected_roc_auc(scores: &[f64], calibrated: &[f64]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // Tied scores have equal calibrated values, so the order among them does not matter.
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    // ROC points (fp, tp), starting at (0, 0).
    let mut points = Vec::with_capacity(scores.len() + 1);
    points.push((0.0, 0.0));
    let mut tp = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        tp += calibrated[i];
        let fp = (rank + 1) as f64 - tp;
        points.push((round5(fp), round5(tp)));
    }
    let &(fp_total, tp_total) = points.last()?;
    if fp_total == 0.0 || tp_total == 0.0 {
        return None;
    }
    // numpy.trapz over (fpr, tpr), in its order of operations.
    let rate = |&(fp, tp): &(f64, f64)| (fp / fp_total, tp / tp_total);
    let area = points
        .windows(2)
        .map(|w| {
            let ((x0, y0), (x1, y1)) = (rate(&w[0]), rate(&w[1]));
            (x1 - x0) * (y1 + y0) / 2.0
        })
        .sum();
    Some(area)
}

/// The realized metrics of labelled rows, with NannyML's undefined cases: ROC AUC needs
/// both classes; precision, recall and F1 need both classes among the labels and among
/// the decisions (NannyML returns NaN otherwise).
#[must_use]
pub fn realized_metrics(scores: &[f64], labels: &[bool], threshold: f64) -> MetricValues {
    let c = confusion_at(scores, labels, threshold);
    let n = (c.tp + c.fp + c.tn + c.fn_) as f64;
    let both_labels = c.tp + c.fn_ > 0 && c.fp + c.tn > 0;
    let both_decisions = c.tp + c.fp > 0 && c.tn + c.fn_ > 0;
    let (tp, fp, fn_) = (c.tp as f64, c.fp as f64, c.fn_ as f64);
    let defined = |v: f64| (both_labels && both_decisions).then_some(v);
    PerMetric {
        roc_auc: roc_auc(scores, labels).ok(),
        accuracy: (n > 0.0).then(|| (c.tp + c.tn) as f64 / n),
        precision: defined(tp / (tp + fp)),
        recall: defined(tp / (tp + fn_)),
        f1: defined(2.0 * tp / (2.0 * tp + fp + fn_)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certain_probabilities_give_the_realized_metrics() {
        // With p in {0, 1} the expectation is the outcome itself.
        let scores = [0.1, 0.4, 0.35, 0.8, 0.7];
        let labels = [false, false, true, true, false];
        let p: Vec<f64> = labels.iter().map(|&l| f64::from(u8::from(l))).collect();
        let expected = expected_metrics(&scores, &p, 0.5);
        let realized = realized_metrics(&scores, &labels, 0.5);
        for ((name, e), (_, r)) in expected.named().into_iter().zip(realized.named()) {
            let (e, r) = (e.unwrap(), r.unwrap());
            assert!((e - r).abs() < 1e-12, "{name}: {e} vs {r}");
        }
    }

    #[test]
    fn auc_is_undefined_when_every_probability_is_one() {
        assert_eq!(
            expected_metrics(&[0.2, 0.9], &[1.0, 1.0], 0.5).roc_auc,
            None
        );
    }
}
