//! The Drift tab's production metrics per segment: under the segments' drift, for the
//! same column and minimum, one row per segment, worst (lowest AUC) first as the API
//! orders them. A model can look fine overall while one segment loses its ranking power.

use egui::RichText;
use egui_extras::{Column, TableBuilder};
use scorewatch_core::{MetricsSegments, SegmentMetrics};

use crate::state::DriftState;
use crate::tabs::{BAD, NEUTRAL};

/// Draws the metrics per segment of the chosen column (nothing when none is chosen).
pub fn show(ui: &mut egui::Ui, drift: &DriftState) {
    if drift.segment_by.is_none() {
        return;
    }
    ui.add_space(8.0);
    ui.strong("Performance per segment");
    if let Some(error) = &drift.metrics_segments_error {
        ui.colored_label(BAD, error);
        return;
    }
    let Some(metrics) = &drift.metrics_segments else {
        ui.label("Loading the metrics per segment...");
        return;
    };
    ui.label(summary(metrics));
    if metrics.segments.is_empty() {
        return;
    }
    table(ui, &metrics.segments);
}

fn summary(metrics: &MetricsSegments) -> String {
    format!(
        "Newest {} predictions, {} with an outcome. Lowest AUC first; a segment needs {} \
         labelled rows for its metrics (thinner ones are greyed, with the reason on hover).",
        metrics.rows, metrics.labelled_rows, metrics.min_rows
    )
}

fn fmt_opt(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.4}"))
}

fn table(ui: &mut egui::Ui, segments: &[SegmentMetrics]) {
    TableBuilder::new(ui)
        .id_salt("segment_metrics_table")
        .striped(true)
        .vscroll(false)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(120.0))
        .columns(Column::auto().at_least(70.0), 7)
        .column(Column::remainder())
        .header(24.0, |mut row| {
            for title in [
                "Segment",
                "Rows",
                "Labelled",
                "Positive rate",
                "AUC",
                "Gini",
                "KS",
                "Brier",
                "Note",
            ] {
                row.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|mut body| {
            for segment in segments {
                body.row(22.0, |mut row| segment_row(&mut row, segment));
            }
        });
}

/// One segment's cells; without an AUC (too few labelled rows, one class) the row is
/// greyed and says why.
fn segment_row(row: &mut egui_extras::TableRow<'_, '_>, segment: &SegmentMetrics) {
    let thin = segment.roc_auc.is_none();
    let text = |text: String| {
        if thin {
            RichText::new(text).color(NEUTRAL).italics()
        } else {
            RichText::new(text)
        }
    };
    let cells = [
        segment.segment.clone(),
        segment.rows.to_string(),
        segment.labelled_rows.to_string(),
        segment
            .positive_rate
            .map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0)),
        fmt_opt(segment.roc_auc),
        fmt_opt(segment.gini),
        fmt_opt(segment.ks),
        fmt_opt(segment.brier),
    ];
    for cell in cells {
        row.col(|ui| {
            ui.label(text(cell));
        });
    }
    row.col(|ui| {
        let note = segment.insufficient.clone().or_else(|| {
            segment
                .undefined
                .iter()
                .next()
                .map(|(metric, why)| format!("{metric}: {why}"))
        });
        if let Some(note) = note {
            ui.label(text(note.clone())).on_hover_text(note);
        }
    });
}
