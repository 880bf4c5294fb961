//! Computing [`ClassificationMetrics`] from scores and labels.

use std::collections::BTreeMap;

use super::MetricsError;
use super::calibration::calibration_table;
use super::summary::{ClassificationMetrics, Confusion};
use crate::records::MetricName;

/// Machine epsilon of `f64`; scikit-learn's `log_loss` clips probabilities to
/// `[eps, 1 - eps]` with this value.
pub const LOG_LOSS_EPS: f64 = f64::EPSILON;

/// Checks that scores and labels line up and that every score is finite.
fn check_inputs(scores: &[f64], labels: &[bool]) -> Result<(), MetricsError> {
    if scores.len() != labels.len() {
        return Err(MetricsError::LengthMismatch {
            scores: scores.len(),
            labels: labels.len(),
        });
    }
    if scores.is_empty() {
        return Err(MetricsError::Empty);
    }
    if let Some(index) = scores.iter().position(|s| !s.is_finite()) {
        return Err(MetricsError::NonFiniteScore { index });
    }
    Ok(())
}

fn class_counts(labels: &[bool]) -> (u64, u64) {
    let positives = labels.iter().filter(|&&l| l).count() as u64;
    (positives, labels.len() as u64 - positives)
}

/// Indices of `scores` sorted by descending score (stable, NaN-free input).
fn order_descending(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// Area under the ROC curve, with tied scores counted as half a correct ordering.
///
/// # Formula
/// Mann-Whitney: rank all scores ascending, giving tied scores the average of their ranks;
/// with `R+` the rank sum of the positives, `AUC = (R+ - n+(n+ + 1)/2) / (n+ n-)`.
/// Equal to `sklearn.metrics.roc_auc_score` (trapezoidal ROC area).
///
/// # Errors
/// [`MetricsError::OneClass`] when the labels hold only one class, plus the input errors of
/// [`classification_metrics`].
///
/// # Examples
/// ```
/// let auc = scorewatch_core::roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true])?;
/// assert!((auc - 0.75).abs() < 1e-12);
/// # Ok::<(), scorewatch_core::MetricsError>(())
/// ```
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Result<f64, MetricsError> {
    check_inputs(scores, labels)?;
    let (pos, neg) = class_counts(labels);
    if pos == 0 || neg == 0 {
        return Err(MetricsError::OneClass);
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]].total_cmp(&scores[order[start]]).is_eq() {
            end += 1;
        }
        // Ranks are 1-based: the group covers ranks start+1 ..= end.
        let average_rank = (start + 1 + end) as f64 / 2.0;
        let group_positives = order[start..end].iter().filter(|&&i| labels[i]).count();
        positive_rank_sum += average_rank * group_positives as f64;
        start = end;
    }
    let pos = pos as f64;
    let neg = neg as f64;
    Ok((positive_rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// KS separation: the largest gap between the true and false positive rates.
///
/// # Formula
/// `KS = max_t |TPR(t) - FPR(t)|`, with thresholds `t` only between whole tie groups of
/// scores (a tie group is never split), as the ROC points of
/// `sklearn.metrics.roc_curve`: `max(tpr - fpr)` in absolute value.
///
/// # Errors
/// [`MetricsError::OneClass`] when the labels hold only one class, plus the input errors of
/// [`classification_metrics`].
///
/// # Examples
/// ```
/// let ks = scorewatch_core::ks_separation(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true])?;
/// assert!((ks - 0.5).abs() < 1e-12);
/// # Ok::<(), scorewatch_core::MetricsError>(())
/// ```
pub fn ks_separation(scores: &[f64], labels: &[bool]) -> Result<f64, MetricsError> {
    check_inputs(scores, labels)?;
    let (pos, neg) = class_counts(labels);
    if pos == 0 || neg == 0 {
        return Err(MetricsError::OneClass);
    }
    let order = order_descending(scores);
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut best: f64 = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end < order.len() && scores[order[end]].total_cmp(&scores[order[start]]).is_eq() {
            if labels[order[end]] {
                tp += 1;
            } else {
                fp += 1;
            }
            end += 1;
        }
        let gap = (tp as f64 / pos as f64 - fp as f64 / neg as f64).abs();
        best = best.max(gap);
        start = end;
    }
    Ok(best)
}

/// Mean negative log-likelihood of the labels under the scores as probabilities.
///
/// # Formula
/// `-(1/n) sum(y ln p + (1 - y) ln(1 - p))` with `p` clipped to `[eps, 1 - eps]`,
/// `eps` = [`LOG_LOSS_EPS`], as `sklearn.metrics.log_loss` (scikit-learn >= 1.5).
///
/// # Errors
/// [`MetricsError::NotProbability`] when a score is outside `[0, 1]`, plus the input errors
/// of [`classification_metrics`].
///
/// # Examples
/// ```
/// let loss = scorewatch_core::log_loss(&[0.5, 0.5], &[true, false])?;
/// assert!((loss - std::f64::consts::LN_2).abs() < 1e-12);
/// # Ok::<(), scorewatch_core::MetricsError>(())
/// ```
pub fn log_loss(scores: &[f64], labels: &[bool]) -> Result<f64, MetricsError> {
    check_probabilities(scores, labels)?;
    let total: f64 = scores
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if y { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    Ok(total / scores.len() as f64)
}

/// Brier score: mean squared error of the probabilities.
///
/// # Formula
/// `(1/n) sum (p - y)^2`, as `sklearn.metrics.brier_score_loss`.
///
/// # Errors
/// [`MetricsError::NotProbability`] when a score is outside `[0, 1]`, plus the input errors
/// of [`classification_metrics`].
///
/// # Examples
/// ```
/// let brier = scorewatch_core::brier_score(&[0.9, 0.2], &[true, false])?;
/// assert!((brier - 0.025).abs() < 1e-12);
/// # Ok::<(), scorewatch_core::MetricsError>(())
/// ```
pub fn brier_score(scores: &[f64], labels: &[bool]) -> Result<f64, MetricsError> {
    check_probabilities(scores, labels)?;
    let total: f64 = scores
        .iter()
        .zip(labels)
        .map(|(&p, &y)| (p - f64::from(u8::from(y))).powi(2))
        .sum();
    Ok(total / scores.len() as f64)
}

pub(super) fn check_probabilities(scores: &[f64], labels: &[bool]) -> Result<(), MetricsError> {
    check_inputs(scores, labels)?;
    match scores.iter().position(|s| !(0.0..=1.0).contains(s)) {
        Some(index) => Err(MetricsError::NotProbability {
            index,
            value: scores[index],
        }),
        None => Ok(()),
    }
}

/// Confusion matrix at `threshold`: a score `>= threshold` is a positive decision.
#[must_use]
pub fn confusion_at(scores: &[f64], labels: &[bool], threshold: f64) -> Confusion {
    let mut confusion = Confusion::default();
    for (&score, &label) in scores.iter().zip(labels) {
        match (score >= threshold, label) {
            (true, true) => confusion.tp += 1,
            (true, false) => confusion.fp += 1,
            (false, false) => confusion.tn += 1,
            (false, true) => confusion.fn_ += 1,
        }
    }
    confusion
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Every metric of a scored, labelled sample at a decision threshold.
///
/// # Formula
/// See [`roc_auc`], [`ks_separation`], [`log_loss`], [`brier_score`] and
/// [`calibration_table`]; Gini = `2 AUC - 1`; at the threshold (score `>= threshold` is
/// positive): accuracy = `(TP + TN) / n`, precision = `TP / (TP + FP)`, recall =
/// `TP / (TP + FN)`, F1 = `2 TP / (2 TP + FP + FN)` (as scikit-learn >= 1.3, so F1 is 0,
/// not undefined, when positives exist but none is predicted).
///
/// A metric that cannot be computed is `None`, with the reason in `undefined`: AUC, Gini
/// and KS need both classes, precision needs a predicted positive, recall a positive
/// label, F1 a positive label or decision; log loss, Brier and ECE need scores in `[0, 1]`.
///
/// # Errors
/// [`MetricsError::Empty`], [`MetricsError::LengthMismatch`],
/// [`MetricsError::NonFiniteScore`], [`MetricsError::InvalidThreshold`].
///
/// # Examples
/// ```
/// let m = scorewatch_core::classification_metrics(&[0.9, 0.2, 0.7], &[true, false, false], 0.5)?;
/// assert_eq!(m.confusion.fp, 1);
/// assert_eq!(m.roc_auc, Some(1.0));
/// # Ok::<(), scorewatch_core::MetricsError>(())
/// ```
pub fn classification_metrics(
    scores: &[f64],
    labels: &[bool],
    threshold: f64,
) -> Result<ClassificationMetrics, MetricsError> {
    check_inputs(scores, labels)?;
    if !threshold.is_finite() {
        return Err(MetricsError::InvalidThreshold(threshold));
    }
    let (n_positive, n_negative) = class_counts(labels);
    let mut undefined = BTreeMap::new();
    let mut note = |metric: MetricName, reason: &str| {
        undefined.insert(metric.as_str().to_owned(), reason.to_owned());
    };

    let (roc_auc, ks) = if n_positive == 0 || n_negative == 0 {
        let reason = "only one class in the labels";
        for metric in [MetricName::RocAuc, MetricName::Gini, MetricName::Ks] {
            note(metric, reason);
        }
        (None, None)
    } else {
        (
            Some(roc_auc(scores, labels)?),
            Some(ks_separation(scores, labels)?),
        )
    };

    let confusion = confusion_at(scores, labels, threshold);
    let precision = ratio(confusion.tp, confusion.tp + confusion.fp);
    if precision.is_none() {
        note(
            MetricName::Precision,
            "no predicted positives at the threshold",
        );
    }
    let recall = ratio(confusion.tp, confusion.tp + confusion.fn_);
    if recall.is_none() {
        note(MetricName::Recall, "no positive labels");
    }
    let f1 = ratio(
        2 * confusion.tp,
        2 * confusion.tp + confusion.fp + confusion.fn_,
    );
    if f1.is_none() {
        note(
            MetricName::F1,
            "no positive labels and no predicted positives",
        );
    }

    let probabilities_ok = check_probabilities(scores, labels).is_ok();
    let (log_loss, brier, ece) = if probabilities_ok {
        (
            Some(log_loss(scores, labels)?),
            Some(brier_score(scores, labels)?),
            Some(calibration_table(scores, labels)?.ece),
        )
    } else {
        let reason = "scores are not probabilities in [0, 1]";
        for metric in [MetricName::LogLoss, MetricName::Brier, MetricName::Ece] {
            note(metric, reason);
        }
        (None, None, None)
    };

    Ok(ClassificationMetrics {
        roc_auc,
        gini: roc_auc.map(|auc| 2.0 * auc - 1.0),
        ks,
        accuracy: ratio(confusion.tp + confusion.tn, scores.len() as u64),
        precision,
        recall,
        f1,
        log_loss,
        brier,
        ece,
        confusion,
        threshold,
        n: scores.len() as u64,
        n_positive,
        undefined,
    })
}
