//! The data-quality rule: per feature, each kind of issue's share in the window against
//! its threshold.

use serde_json::json;

use super::evaluate::{Finding, rfc3339};
use super::rules::DataQualityRule;
use crate::records::{AlertRule, DataQualitySummary, FeatureQuality, IssueKind};

/// One finding per feature with a share above its threshold; its subject is the
/// feature, so each feature's alert fires and resolves on its own. When several kinds
/// exceed their thresholds, the summary names the one furthest above (share over
/// threshold) and `details.issues` lists them all.
pub(super) fn data_quality(rule: &DataQualityRule, summary: &DataQualitySummary) -> Vec<Finding> {
    summary
        .features
        .iter()
        .filter_map(|feature| feature_finding(rule, summary, feature))
        .collect()
}

fn feature_finding(
    rule: &DataQualityRule,
    summary: &DataQualitySummary,
    feature: &FeatureQuality,
) -> Option<Finding> {
    let exceeded: Vec<(IssueKind, f64, f64)> = IssueKind::ALL
        .into_iter()
        .map(|kind| (kind, feature.share(kind), rule.threshold(kind).get()))
        .filter(|(_, share, threshold)| share > threshold)
        .collect();
    // A threshold of 0 makes any share "infinitely" far above it.
    let excess = |&(_, share, threshold): &(IssueKind, f64, f64)| {
        if threshold > 0.0 {
            share / threshold
        } else {
            f64::INFINITY
        }
    };
    let worst = exceeded
        .iter()
        .copied()
        .reduce(|a, b| if excess(&b) > excess(&a) { b } else { a })?;
    let (kind, share, threshold) = worst;
    let issues: Vec<_> = exceeded
        .iter()
        .map(|&(kind, share, threshold)| {
            json!({
                "issue": kind.as_str(),
                "share": share,
                "threshold": threshold,
                "count": feature.count(kind),
            })
        })
        .collect();
    Some(Finding {
        rule: AlertRule::DataQuality,
        subject: feature.name.clone(),
        severity: rule.severity,
        summary: format!(
            "Data quality: {} {:.0}% {} (threshold {:.0}%)",
            feature.name,
            share * 100.0,
            describe(kind),
            threshold * 100.0
        ),
        details: json!({
            "feature": feature.name,
            "issue": kind.as_str(),
            "share": share,
            "threshold": threshold,
            "count": feature.count(kind),
            "rows": feature.rows,
            "present": feature.present,
            "reference_missing_share": feature.reference_missing_share,
            "issues": issues,
            "model_version": summary.model_version,
            "from": summary.from.map(rfc3339),
            "to": summary.to.map(rfc3339),
        }),
    })
}

fn describe(kind: IssueKind) -> &'static str {
    match kind {
        IssueKind::Missing => "missing",
        IssueKind::OutOfRange => "outside the training range",
        IssueKind::UnseenCategory => "unseen categories",
    }
}
