//! The rules, as pure functions: what the service knows now -> the conditions that
//! hold. No I/O and no clock: the caller passes `now` and everything else.

use std::collections::BTreeSet;

use serde_json::json;
use time::OffsetDateTime;

use super::quality_rule::data_quality;
use super::rules::{AlertRules, Share};
use crate::drift::{DriftReport, PsiBand};
use crate::records::{
    AlertRule, DataQualitySummary, MetricName, MetricsEntry, PipelineStatus, RunOutcome, Severity,
};

/// Whether the data directory takes writes, as `/health` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageCondition {
    /// It does.
    Ok,
    /// It does not, and why.
    Degraded(String),
}

/// When the served model last scored, for the no-traffic rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    /// The newest prediction's time, if any was logged.
    pub last_prediction_at: Option<OffsetDateTime>,
    /// When the server started: with no prediction at all, the quiet spell counts
    /// from here.
    pub serving_since: OffsetDateTime,
}

/// What the rules look at. A rule whose input is `None` is not judged this time: its
/// alerts stay as they are (neither fired nor resolved).
#[derive(Debug, Clone, Copy)]
pub struct AlertInputs<'a> {
    /// The evaluation's time.
    pub now: OffsetDateTime,
    /// The newest drift report of the served model.
    pub drift: Option<&'a DriftReport>,
    /// The served model's newest production metrics.
    pub production: Option<&'a MetricsEntry>,
    /// The served model's validation metrics.
    pub validation: Option<&'a MetricsEntry>,
    /// The served model's newest performance estimate (source `estimated`).
    pub estimated: Option<&'a MetricsEntry>,
    /// The data quality of the served model's newest drift window.
    pub quality: Option<&'a DataQualitySummary>,
    /// The pipeline's status and runs.
    pub pipeline: Option<&'a PipelineStatus>,
    /// The data directory's health.
    pub storage: Option<&'a StorageCondition>,
    /// Prediction traffic.
    pub traffic: Option<Traffic>,
}

/// One condition that holds: an alert should be firing for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The rule.
    pub rule: AlertRule,
    /// What it is about; alerts are deduplicated by rule and subject.
    pub subject: String,
    /// How urgent.
    pub severity: Severity,
    /// One line for people.
    pub summary: String,
    /// The numbers behind it (a JSON object).
    pub details: serde_json::Value,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// The rules that were judged: their firing alerts without a finding resolve.
    pub judged: BTreeSet<AlertRule>,
    /// The conditions that hold.
    pub findings: Vec<Finding>,
}

impl Evaluation {
    fn judge(&mut self, rule: AlertRule, finding: Option<Finding>) {
        self.judged.insert(rule);
        self.findings.extend(finding);
    }
}

/// Applies every enabled rule whose input is present.
///
/// ```
/// use scorewatch_core::{AlertInputs, AlertRule, AlertRules, StorageCondition, evaluate_rules};
///
/// let degraded = StorageCondition::Degraded("disk full".into());
/// let inputs = AlertInputs {
///     now: time::OffsetDateTime::now_utc(), drift: None, production: None,
///     validation: None, estimated: None, quality: None, pipeline: None,
///     storage: Some(&degraded), traffic: None,
/// };
/// let evaluation = evaluate_rules(&AlertRules::default(), &inputs);
/// assert_eq!(evaluation.findings[0].rule, AlertRule::StorageDegraded);
/// ```
#[must_use]
pub fn evaluate_rules(rules: &AlertRules, inputs: &AlertInputs<'_>) -> Evaluation {
    let mut out = Evaluation::default();
    if let Some(report) = inputs.drift {
        if rules.score_drift.enabled {
            out.judge(AlertRule::ScoreDrift, score_drift(rules, report));
        }
        if rules.feature_drift.enabled {
            out.judge(AlertRule::FeatureDrift, feature_drift(rules, report));
        }
    }
    if rules.performance_drop.enabled
        && let (Some(production), Some(validation)) = (inputs.production, inputs.validation)
        && let Some(judged) = performance_drop(rules, production, validation)
    {
        out.judge(AlertRule::PerformanceDrop, judged);
    }
    if rules.estimated_performance_drop.enabled
        && let (Some(estimated), Some(validation)) = (inputs.estimated, inputs.validation)
        && let Some(judged) = estimated_performance_drop(rules, estimated, validation)
    {
        out.judge(AlertRule::EstimatedPerformanceDrop, judged);
    }
    if rules.data_quality.enabled
        && let Some(summary) = inputs.quality
        && summary.rows >= rules.data_quality.min_rows
        && summary.rows > 0
    {
        out.judged.insert(AlertRule::DataQuality);
        out.findings
            .extend(data_quality(&rules.data_quality, summary));
    }
    if rules.pipeline_failed.enabled
        && let Some(status) = inputs.pipeline
        && let Some(judged) = pipeline_failed(rules, status)
    {
        out.judge(AlertRule::PipelineFailed, judged);
    }
    if rules.storage_degraded.enabled
        && let Some(storage) = inputs.storage
    {
        let finding = match storage {
            StorageCondition::Ok => None,
            StorageCondition::Degraded(message) => Some(Finding {
                rule: AlertRule::StorageDegraded,
                subject: "storage".to_owned(),
                severity: rules.storage_degraded.severity,
                summary: "Storage degraded: the data directory refuses writes".to_owned(),
                details: json!({ "message": message }),
            }),
        };
        out.judge(AlertRule::StorageDegraded, finding);
    }
    if rules.no_traffic.enabled
        && let Some(traffic) = inputs.traffic
    {
        out.judge(AlertRule::NoTraffic, no_traffic(rules, traffic, inputs.now));
    }
    out
}

fn score_drift(rules: &AlertRules, report: &DriftReport) -> Option<Finding> {
    let score = report.score.as_ref()?;
    let (psi, band) = (score.psi?, score.psi_band?);
    let severity = match band {
        PsiBand::Significant => rules.score_drift.significant,
        PsiBand::Moderate if rules.score_drift.alert_on_moderate => rules.score_drift.moderate,
        _ => return None,
    };
    Some(Finding {
        rule: AlertRule::ScoreDrift,
        subject: "score".to_owned(),
        severity,
        summary: format!("Score drift: PSI {psi:.2} ({})", band_name(band)),
        details: json!({
            "psi": psi,
            "band": band,
            "report_id": report.id,
            "model_version": report.current.model_version,
            "rows": report.current.rows,
        }),
    })
}

fn band_name(band: PsiBand) -> &'static str {
    match band {
        PsiBand::Stable => "stable",
        PsiBand::Moderate => "moderate",
        PsiBand::Significant => "significant",
    }
}

fn feature_drift(rules: &AlertRules, report: &DriftReport) -> Option<Finding> {
    let threshold = rules
        .feature_drift
        .threshold
        .map_or(report.dataset_drift_threshold, Share::get);
    let drifted: Vec<&str> = report
        .features
        .iter()
        .filter(|f| f.drifted)
        .map(|f| f.name.as_str())
        .collect();
    if report.features.is_empty() || drifted.is_empty() || report.drifted_share < threshold {
        return None;
    }
    Some(Finding {
        rule: AlertRule::FeatureDrift,
        subject: "features".to_owned(),
        severity: rules.feature_drift.severity,
        summary: format!(
            "Feature drift: {:.0}% of features drifted (threshold {:.0}%)",
            report.drifted_share * 100.0,
            threshold * 100.0
        ),
        details: json!({
            "drifted_share": report.drifted_share,
            "threshold": threshold,
            "drifted_features": drifted,
            "report_id": report.id,
            "model_version": report.current.model_version,
        }),
    })
}

/// An AUC measured (or estimated) on production rows against validation AUC of the
/// same model version.
struct AucDrop {
    version: String,
    observed: f64,
    validation: f64,
    drop: f64,
    rows: u64,
}

/// `None` when the entries cannot be compared (different versions, no AUC, fewer than
/// `min_rows` rows).
fn auc_drop(observed: &MetricsEntry, validation: &MetricsEntry, min_rows: u64) -> Option<AucDrop> {
    if observed.model_version != validation.model_version {
        return None;
    }
    let auc = MetricName::RocAuc.as_str();
    let (value, valid) = (*observed.metrics.get(auc)?, *validation.metrics.get(auc)?);
    let rows = observed.rows?;
    if rows < min_rows {
        return None;
    }
    Some(AucDrop {
        version: observed.model_version.clone().unwrap_or_default(),
        observed: value,
        validation: valid,
        drop: valid - value,
        rows,
    })
}

/// `None` when the rule cannot judge (different versions, no AUC, too few rows);
/// `Some(None)` when it judged and the condition does not hold.
#[allow(clippy::option_option)]
fn performance_drop(
    rules: &AlertRules,
    production: &MetricsEntry,
    validation: &MetricsEntry,
) -> Option<Option<Finding>> {
    let rule = &rules.performance_drop;
    let AucDrop {
        version,
        observed: prod,
        validation: valid,
        drop,
        rows,
    } = auc_drop(production, validation, rule.min_rows)?;
    Some((drop > rule.max_drop.get()).then(|| Finding {
        rule: AlertRule::PerformanceDrop,
        subject: version.clone(),
        severity: rule.severity,
        summary: format!(
            "Performance drop: production AUC {prod:.3} is {drop:.3} below validation {valid:.3}"
        ),
        details: json!({
            "model_version": version,
            "production_auc": prod,
            "validation_auc": valid,
            "drop": drop,
            "max_drop": rule.max_drop.get(),
            "rows": rows,
            "min_rows": rule.min_rows,
        }),
    }))
}

/// As [`performance_drop`], on the newest estimate: `None` until an estimate with an
/// AUC over enough rows exists.
#[allow(clippy::option_option)]
fn estimated_performance_drop(
    rules: &AlertRules,
    estimated: &MetricsEntry,
    validation: &MetricsEntry,
) -> Option<Option<Finding>> {
    let rule = &rules.estimated_performance_drop;
    let AucDrop {
        version,
        observed: est,
        validation: valid,
        drop,
        rows,
    } = auc_drop(estimated, validation, rule.min_rows)?;
    let max_drop = rule.max_drop.get();
    let band = estimated.bands.get(MetricName::RocAuc.as_str());
    Some((drop > max_drop).then(|| Finding {
        rule: AlertRule::EstimatedPerformanceDrop,
        subject: version.clone(),
        severity: rule.severity,
        summary: format!(
            "Estimated performance drop: estimated AUC {est:.3} is {drop:.3} below validation {valid:.3}"
        ),
        details: json!({
            "model_version": version,
            "estimated_auc": est,
            "estimated_auc_lower": band.map(|b| b.lower),
            "estimated_auc_upper": band.map(|b| b.upper),
            "validation_auc": valid,
            "drop": drop,
            "max_drop": max_drop,
            "rows": rows,
            "min_rows": rule.min_rows,
            "estimated_at": rfc3339(estimated.timestamp),
        }),
    }))
}

/// Judges the newest finished run; `None` before any run has finished.
#[allow(clippy::option_option)]
fn pipeline_failed(rules: &AlertRules, status: &PipelineStatus) -> Option<Option<Finding>> {
    let run = status.runs.last()?;
    match run.outcome {
        RunOutcome::Failed => {}
        RunOutcome::Promoted | RunOutcome::Rejected => return Some(None),
        // A cancelled run says nothing about whether training works.
        RunOutcome::Cancelled => return None,
    }
    Some(Some(Finding {
        rule: AlertRule::PipelineFailed,
        subject: "pipeline".to_owned(),
        severity: rules.pipeline_failed.severity,
        summary: format!(
            "Pipeline run {} failed: {}",
            run.run_id,
            run.error.as_deref().unwrap_or("no error recorded")
        ),
        details: json!({
            "run_id": run.run_id,
            "error": run.error,
            "finished_at": rfc3339(run.finished_at),
        }),
    }))
}

fn no_traffic(rules: &AlertRules, traffic: Traffic, now: OffsetDateTime) -> Option<Finding> {
    let minutes = rules.no_traffic.minutes.get();
    let since = traffic
        .last_prediction_at
        .map_or(traffic.serving_since, |t| t.max(traffic.serving_since));
    let quiet = now - since;
    if quiet < time::Duration::minutes(i64::try_from(minutes).unwrap_or(i64::MAX)) {
        return None;
    }
    Some(Finding {
        rule: AlertRule::NoTraffic,
        subject: "predictions".to_owned(),
        severity: rules.no_traffic.severity,
        summary: format!(
            "No traffic: no prediction for {} minutes",
            quiet.whole_minutes()
        ),
        details: json!({
            "last_prediction_at": traffic.last_prediction_at.map(rfc3339),
            "minutes": minutes,
        }),
    })
}

/// A time as RFC 3339 text, as every time in the API's JSON.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
