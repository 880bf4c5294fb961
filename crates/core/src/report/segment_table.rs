//! The segments section: drift and metrics per value of one column, worst first, as
//! `GET /monitoring/drift?segment_by=` and `GET /monitoring/metrics/segments` give them.

use std::fmt::Write as _;

use crate::segment::{DriftSegments, MetricsSegments, SegmentMetrics, SegmentStatus};

use super::escape::{decimal, escape, p_value};
use super::gather::{ReportData, ReportSegments};
use super::sections::band_cell;

/// A number cell: the value to four decimals, its raw text in `data-value` (what a test
/// reads back), or `n/a` with the reason as a tooltip.
fn number_cell(name: &str, value: Option<f64>, why: Option<&str>) -> String {
    match value {
        Some(value) => format!(
            "<td class=\"num\" data-metric=\"{name}\" data-value=\"{v}\">{v}</td>",
            v = decimal(value)
        ),
        None => format!(
            "<td class=\"num\" data-metric=\"{name}\"><span class=\"muted\" title=\"{}\">n/a</span></td>",
            escape(why.unwrap_or("not defined"))
        ),
    }
}

/// The segments section, when the report was asked for one.
pub fn segments(page: &mut String, data: &ReportData) {
    let Some(table) = &data.segments else {
        return;
    };
    let column = escape(&table.column);
    let _ = writeln!(
        page,
        "<section id=\"segments\" data-column=\"{column}\">\n<h2>Segments by {column}</h2>\n\
         <p>Each value of <code>{column}</code> is judged on its own rows: the window's rows of \
         the segment against the same segment of the model's training set, worst first. A \
         segment with fewer than {} rows (on either side for drift; labelled rows for the \
         metrics, unlabelled rows for the estimates) is listed with its row counts and marked \
         <span class=\"thin-tag\">thin</span>: it gets no verdict and cannot raise an alarm.</p>",
        table.min_rows
    );
    drift_rows(page, table);
    metrics_rows(page, table);
    page.push_str("</section>\n");
}

fn drift_rows(page: &mut String, table: &ReportSegments) {
    page.push_str("<h3>Drift per segment</h3>\n");
    let Some(drift) = &table.drift else {
        let _ = writeln!(
            page,
            "<p class=\"muted\" id=\"segment-drift-missing\">No drift per segment: {}.</p>",
            escape(
                table
                    .drift_missing
                    .as_deref()
                    .unwrap_or("it could not be computed")
            )
        );
        return;
    };
    let _ = writeln!(
        page,
        "<p>{} of {} segments drifted. Reference: {}.</p>",
        drift.drifted(),
        drift.segments.len(),
        escape(&drift.reference.description)
    );
    page.push_str(
        "<table id=\"segment-drift\">\n<thead><tr><th>Segment</th><th class=\"num\">Rows (reference)</th>\
         <th class=\"num\">Rows (current)</th><th class=\"num\">Score PSI</th><th>Band</th>\
         <th class=\"num\">Score KS</th><th>Drifted features</th><th>Verdict</th></tr></thead>\n<tbody>\n",
    );
    write_drift_rows(page, drift);
    page.push_str("</tbody>\n</table>\n");
}

fn write_drift_rows(page: &mut String, drift: &DriftSegments) {
    for s in &drift.segments {
        let (class, verdict) = match s.status {
            SegmentStatus::Drifted => (
                " class=\"drifted\"",
                format!(
                    "<strong>DRIFTED</strong> <span class=\"muted\">{}</span>",
                    escape(&s.reason)
                ),
            ),
            SegmentStatus::Stable => ("", "stable".to_owned()),
            SegmentStatus::Insufficient => (
                " class=\"thin\"",
                format!(
                    "<span class=\"thin-tag\">thin</span> <span class=\"muted\">{}</span>",
                    escape(&s.reason)
                ),
            ),
        };
        let ks = match s.score_ks {
            Some(ks) => format!(
                "<td class=\"num\" data-metric=\"score_ks\" data-value=\"{d}\">{d} <span class=\"muted\">p={}</span></td>",
                p_value(ks.p_value),
                d = decimal(ks.statistic)
            ),
            None => {
                "<td class=\"num\" data-metric=\"score_ks\"><span class=\"muted\">n/a</span></td>"
                    .to_owned()
            }
        };
        let features = if s.drifted_features.is_empty() {
            "—".to_owned()
        } else {
            escape(&s.drifted_features.join(", "))
        };
        let _ = writeln!(
            page,
            "<tr data-segment=\"{name}\" data-status=\"{status}\"{class}><td>{name}</td>\
             <td class=\"num\" data-metric=\"reference_rows\" data-value=\"{}\">{}</td>\
             <td class=\"num\" data-metric=\"current_rows\" data-value=\"{}\">{}</td>\
             {psi}<td>{band}</td>{ks}<td>{features}</td><td>{verdict}</td></tr>",
            s.reference_rows,
            s.reference_rows,
            s.current_rows,
            s.current_rows,
            name = escape(&s.segment),
            status = status_name(s.status),
            psi = number_cell("score_psi", s.score_psi, Some(s.reason.as_str())),
            band = band_cell(s.score_psi_band),
        );
    }
}

fn status_name(status: SegmentStatus) -> &'static str {
    match status {
        SegmentStatus::Drifted => "drifted",
        SegmentStatus::Stable => "stable",
        SegmentStatus::Insufficient => "insufficient",
    }
}

fn metrics_rows(page: &mut String, table: &ReportSegments) {
    page.push_str("<h3>Performance per segment</h3>\n");
    let Some(metrics) = &table.metrics else {
        page.push_str(
            "<p class=\"muted\" id=\"segment-metrics-missing\">No performance per segment: the window holds no prediction.</p>\n",
        );
        return;
    };
    let _ = writeln!(
        page,
        "<p>{} of the window's {} predictions have an outcome. Lowest AUC first; the \
         estimates (CBPE, without outcomes) cover each segment's predictions that have none.</p>",
        metrics.labelled_rows, metrics.rows
    );
    page.push_str(
        "<table id=\"segment-metrics\">\n<thead><tr><th>Segment</th><th class=\"num\">Rows</th>\
         <th class=\"num\">Labelled</th><th class=\"num\">Positive rate</th><th class=\"num\">AUC</th>\
         <th class=\"num\">Gini</th><th class=\"num\">KS</th><th class=\"num\">Brier</th>\
         <th class=\"num\">Estimated AUC</th><th class=\"num\">Estimated accuracy</th></tr></thead>\n<tbody>\n",
    );
    write_metrics_rows(page, metrics);
    page.push_str("</tbody>\n</table>\n");
}

fn write_metrics_rows(page: &mut String, metrics: &MetricsSegments) {
    for s in &metrics.segments {
        let why = |name: &str| s.undefined.get(name).map(String::as_str);
        let thin = s.insufficient.is_some();
        let _ = writeln!(
            page,
            "<tr data-segment=\"{name}\"{class}><td>{name}{tag}</td>\
             <td class=\"num\" data-metric=\"rows\" data-value=\"{}\">{}</td>\
             <td class=\"num\" data-metric=\"labelled_rows\" data-value=\"{}\">{}</td>\
             {}{}{}{}{}{}{}</tr>",
            s.rows,
            s.rows,
            s.labelled_rows,
            s.labelled_rows,
            number_cell("positive_rate", s.positive_rate, why("positive_rate")),
            number_cell("roc_auc", s.roc_auc, why("roc_auc")),
            number_cell("gini", s.gini, why("gini")),
            number_cell("ks", s.ks, why("ks")),
            number_cell("brier", s.brier, why("brier")),
            number_cell(
                "estimated_roc_auc",
                s.estimated_roc_auc,
                why("estimated_roc_auc")
            ),
            number_cell(
                "estimated_accuracy",
                s.estimated_accuracy,
                why("estimated_accuracy")
            ),
            name = escape(&s.segment),
            class = if thin { " class=\"thin\"" } else { "" },
            tag = thin_tag(s),
        );
    }
}

fn thin_tag(s: &SegmentMetrics) -> String {
    s.insufficient.as_deref().map_or_else(String::new, |why| {
        format!(
            " <span class=\"thin-tag\" title=\"{}\">thin</span>",
            escape(why)
        )
    })
}
