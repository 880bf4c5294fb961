//! `GET /metrics`: Prometheus text exposition.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use actix_web::{HttpResponse, get, web};
use scorewatch_core::{
    AlertBook, AlertRule, AlertState, MetricName, MetricSource, MetricsEntry, PipelineState,
    Severity,
};

use super::responses::{MissingKey, WrongKey};
use crate::error::ApiError;
use crate::prometheus::{HttpMetrics, counter, escape, gauge, resident_memory_bytes};
use crate::state::AppState;

/// Request counts and latencies per route, predictions and outcomes totals, data-quality
/// issues per feature, the current model's latest AUC, PSI per feature of the latest drift report, the pipeline state and
/// resident memory; firing alerts per rule and severity, and whether storage is degraded.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String),
        MissingKey, WrongKey,
    )
)]
#[get("/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    http: web::Data<HttpMetrics>,
) -> Result<HttpResponse, ApiError> {
    let state = state.into_inner();
    let body = web::block(move || render(&state, &http))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

/// The newest estimated entry of model `version`: each metric as
/// `scorewatch_estimated_metric`, and its band as `..._lower` and `..._upper`.
fn render_estimate(out: &mut String, history: &[MetricsEntry], version: &str) {
    let Some(entry) = history.iter().rev().find(|e| {
        e.source == MetricSource::Estimated && e.model_version.as_deref() == Some(version)
    }) else {
        return;
    };
    let version = escape(version);
    for (suffix, help) in [
        (
            "",
            "Newest performance estimate without outcomes (CBPE) of the current model.",
        ),
        (
            "_lower",
            "Lower end of the estimate's band (estimate - 3 sampling errors).",
        ),
        (
            "_upper",
            "Upper end of the estimate's band (estimate + 3 sampling errors).",
        ),
    ] {
        let _ = writeln!(out, "# HELP scorewatch_estimated_metric{suffix} {help}");
        let _ = writeln!(out, "# TYPE scorewatch_estimated_metric{suffix} gauge");
        for (metric, value) in &entry.metrics {
            let value = match suffix {
                "_lower" => entry.bands.get(metric).map(|b| b.lower),
                "_upper" => entry.bands.get(metric).map(|b| b.upper),
                _ => Some(*value),
            };
            if let Some(value) = value {
                let _ = writeln!(
                    out,
                    "scorewatch_estimated_metric{suffix}{{model_version=\"{version}\",metric=\"{}\"}} {value}",
                    escape(metric)
                );
            }
        }
    }
}

/// `scorewatch_alerts_firing{rule,severity}`: firing alerts per rule and severity. Every
/// pair is written, 0 when none fires, so a Prometheus rule can compare with 0 and never
/// has to alert on an absent series. Then `scorewatch_storage_degraded`, the storage
/// rule's input.
fn render_alerts(out: &mut String, state: &AppState) -> anyhow::Result<()> {
    let book: AlertBook = state.store.alerts().load()?;
    out.push_str(
        "# HELP scorewatch_alerts_firing Firing scorewatch alerts by rule and severity.\n",
    );
    out.push_str("# TYPE scorewatch_alerts_firing gauge\n");
    for rule in AlertRule::ALL {
        for severity in [Severity::Warning, Severity::Critical] {
            let firing = book
                .alerts
                .iter()
                .filter(|a| {
                    a.state == AlertState::Firing && a.rule == rule && a.severity == severity
                })
                .count();
            let _ = writeln!(
                out,
                "scorewatch_alerts_firing{{rule=\"{rule}\",severity=\"{severity}\"}} {firing}"
            );
        }
    }
    gauge(
        out,
        "scorewatch_storage_degraded",
        "1 while the data directory refuses writes (/health says degraded).",
        if state.storage.current_problem(&state.store).is_some() {
            1.0
        } else {
            0.0
        },
    );
    Ok(())
}

fn render(state: &AppState, http: &HttpMetrics) -> anyhow::Result<String> {
    let mut out = String::with_capacity(4096);
    http.render(&mut out);
    counter(
        &mut out,
        "scorewatch_predictions_total",
        "Predictions logged since the server started.",
        state.predictions_total.load(Ordering::Relaxed),
    );
    counter(
        &mut out,
        "scorewatch_outcomes_total",
        "Outcomes recorded since the server started.",
        state.outcomes_total.load(Ordering::Relaxed),
    );
    gauge(
        &mut out,
        "scorewatch_uptime_seconds",
        "Seconds since the server started.",
        state.started.elapsed().as_secs_f64(),
    );
    if let Some(bytes) = resident_memory_bytes() {
        gauge(
            &mut out,
            "scorewatch_resident_memory_bytes",
            "Resident memory of the server process.",
            bytes as f64,
        );
    }
    // Data quality on the prediction path (issue 16).
    state.feature_issues.render(&mut out);
    let served = state.served();
    gauge(
        &mut out,
        "scorewatch_model_loaded",
        "1 when a model is published and served.",
        if served.is_some() { 1.0 } else { 0.0 },
    );
    if let Some(served) = &served {
        let history = state.store.metrics().history()?;
        out.push_str(
            "# HELP scorewatch_model_auc Latest ROC AUC of the current model by source.\n",
        );
        out.push_str("# TYPE scorewatch_model_auc gauge\n");
        for source in [MetricSource::Validation, MetricSource::Production] {
            let latest = history.iter().rev().find(|e| {
                e.source == source && e.model_version.as_deref() == Some(served.version.as_str())
            });
            if let Some(auc) = latest.and_then(|e| e.metrics.get(MetricName::RocAuc.as_str())) {
                let source = serde_json::to_value(source)?;
                let source = source.as_str().unwrap_or("unknown");
                let _ = writeln!(
                    out,
                    "scorewatch_model_auc{{model_version=\"{}\",source=\"{source}\"}} {auc}",
                    escape(&served.version)
                );
            }
        }
        render_estimate(&mut out, &history, &served.version);
    }
    if let Some(report) = state.store.drift_reports().latest()? {
        out.push_str("# HELP scorewatch_feature_psi PSI per feature in the latest drift report.\n");
        out.push_str("# TYPE scorewatch_feature_psi gauge\n");
        for feature in report.features.iter().chain(report.score.as_ref()) {
            if let Some(psi) = feature.psi {
                let _ = writeln!(
                    out,
                    "scorewatch_feature_psi{{feature=\"{}\"}} {psi}",
                    escape(&feature.name)
                );
            }
        }
        gauge(
            &mut out,
            "scorewatch_dataset_drift",
            "1 when the latest drift report found dataset drift.",
            if report.dataset_drift { 1.0 } else { 0.0 },
        );
        gauge(
            &mut out,
            "scorewatch_drift_verdict",
            "1 when the latest drift report's verdict is drifted (score PSI significant or \
             drifted feature share at the threshold).",
            if report.verdict.is_drifted() {
                1.0
            } else {
                0.0
            },
        );
    }
    // Alerts (issue 16).
    render_alerts(&mut out, state)?;
    let status = state.store.pipeline_status().load()?;
    let current = status.state.name();
    out.push_str("# HELP scorewatch_pipeline_state 1 for the pipeline's current state.\n");
    out.push_str("# TYPE scorewatch_pipeline_state gauge\n");
    for name in PipelineState::NAMES {
        let value = u8::from(name == current);
        let _ = writeln!(out, "scorewatch_pipeline_state{{state=\"{name}\"}} {value}");
    }
    Ok(out)
}
