//! The Drift tab's segments: a selector of the column to split by, and one row per
//! segment, worst first (drifted, stable, too few rows), as the API orders them.

use egui::RichText;
use egui_extras::{Column, TableBuilder};
use scorewatch_core::{DriftReport, FeatureKind, SegmentDrift, SegmentStatus};

use crate::action::Action;
use crate::state::DriftState;
use crate::tabs::{BAD, GOOD, NEUTRAL, WARN, band_color};

/// The text of the selector's "no segments" choice.
pub const NO_SEGMENTS: &str = "none";

/// The minimum-rows choices; the API's default (100) among them.
const MIN_ROWS_CHOICES: [u64; 6] = [10, 30, 50, 100, 200, 500];

/// Draws the selector and, when a column is chosen, the segments table.
pub fn show(
    ui: &mut egui::Ui,
    drift: &DriftState,
    report: &DriftReport,
    actions: &mut Vec<Action>,
) {
    ui.strong("Drift per segment");
    ui.horizontal(|ui| {
        selector(ui, drift, report, actions);
        if drift.segment_by.is_some() {
            ui.separator();
            min_rows_selector(ui, drift.segment_min_rows(), actions);
        }
    });
    if drift.segment_by.is_none() {
        ui.label("Choose a column to compare each of its values with the same segment of the training data.");
        return;
    }
    if let Some(error) = &drift.segments_error {
        ui.colored_label(BAD, error);
        return;
    }
    let Some(segments) = &drift.segments else {
        ui.label("Loading the segments...");
        return;
    };
    ui.label(format!(
        "{} of {} segments drifted. Worst first; a segment needs {} rows on each side to be \
         judged (thinner ones are greyed, never judged).",
        segments.drifted(),
        segments.segments.len(),
        segments.min_rows
    ));
    ui.label(format!(
        "Each segment of the current window ({}) against the same segment of the reference \
         ({}).",
        segments.current.description, segments.reference.description
    ));
    table(ui, &segments.segments, segments.min_rows);
}

fn selector(
    ui: &mut egui::Ui,
    drift: &DriftState,
    report: &DriftReport,
    actions: &mut Vec<Action>,
) {
    let shown = drift.segment_by.as_deref().unwrap_or(NO_SEGMENTS);
    egui::ComboBox::from_label("Segment by")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(drift.segment_by.is_none(), NO_SEGMENTS)
                .clicked()
            {
                actions.push(Action::SegmentDriftBy(None));
            }
            // The model's categorical features: each value is a segment. A numeric feature
            // would give a segment per distinct value (the API refuses past 100).
            for feature in report
                .features
                .iter()
                .filter(|f| f.kind == FeatureKind::Categorical)
            {
                let chosen = drift.segment_by.as_deref() == Some(feature.name.as_str());
                if ui.selectable_label(chosen, &feature.name).clicked() && !chosen {
                    actions.push(Action::SegmentDriftBy(Some(feature.name.clone())));
                }
            }
        });
}

/// The minimum rows a segment needs on each side; presets, so that one choice sends one
/// request (each computes the segments anew on the server).
fn min_rows_selector(ui: &mut egui::Ui, min_rows: u64, actions: &mut Vec<Action>) {
    egui::ComboBox::from_label("Min rows")
        .selected_text(min_rows.to_string())
        .width(70.0)
        .show_ui(ui, |ui| {
            for choice in MIN_ROWS_CHOICES {
                if ui
                    .selectable_label(choice == min_rows, choice.to_string())
                    .clicked()
                    && choice != min_rows
                {
                    actions.push(Action::SegmentMinRows(choice));
                }
            }
        })
        .response
        .on_hover_text(
            "Fewest rows a segment needs in the reference and in the current window to be \
             judged; thinner segments are listed, greyed, never judged.",
        );
}

fn fmt_opt(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.4}"))
}

fn table(ui: &mut egui::Ui, segments: &[SegmentDrift], min_rows: u64) {
    TableBuilder::new(ui)
        .id_salt("drift_segments_table")
        .striped(true)
        .vscroll(false)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(120.0))
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(80.0))
        // A segment can drift on most features: the list is clipped (whole on hover).
        .column(Column::initial(320.0).at_least(160.0).clip(true))
        .column(Column::remainder())
        .header(24.0, |mut row| {
            for title in [
                "Segment",
                "Ref rows",
                "Cur rows",
                "Score PSI",
                "Score KS",
                "Drifted features",
                "Verdict",
            ] {
                row.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|mut body| {
            for segment in segments {
                body.row(22.0, |mut row| segment_row(&mut row, segment, min_rows));
            }
        });
}

/// One segment's cells. A segment below the minimum rows is listed (its counts matter:
/// which side is thin) but greyed, and says why it has no verdict.
fn segment_row(row: &mut egui_extras::TableRow<'_, '_>, segment: &SegmentDrift, min_rows: u64) {
    let thin = segment.status == SegmentStatus::Insufficient;
    let text = |text: String| {
        if thin {
            RichText::new(text).color(NEUTRAL).italics()
        } else {
            RichText::new(text)
        }
    };
    // The thin side's count stands out: it is why the segment has no verdict.
    let rows_text = |rows: u64| {
        let text = text(rows.to_string());
        if thin && rows < min_rows {
            text.strong()
        } else {
            text
        }
    };
    row.col(|ui| {
        ui.label(text(segment.segment.clone()));
    });
    row.col(|ui| {
        ui.label(rows_text(segment.reference_rows));
    });
    row.col(|ui| {
        ui.label(rows_text(segment.current_rows));
    });
    row.col(|ui| {
        ui.label(
            RichText::new(fmt_opt(segment.score_psi))
                .color(band_color(segment.score_psi_band))
                .strong(),
        );
    });
    row.col(|ui| {
        ui.label(text(fmt_opt(segment.score_ks.map(|k| k.statistic))));
    });
    row.col(|ui| {
        if segment.drifted_features.is_empty() {
            ui.label(text("—".to_owned()));
        } else {
            let list = segment.drifted_features.join(", ");
            ui.label(text(list.clone())).on_hover_text(list);
        }
    });
    row.col(|ui| {
        let (text, color) = match segment.status {
            SegmentStatus::Drifted => ("drifted".to_owned(), BAD),
            SegmentStatus::Stable => ("stable".to_owned(), GOOD),
            // A value the model never saw in training is worth a look, not a grey line.
            SegmentStatus::Insufficient if segment.reference_rows == 0 => {
                ("new: not in the reference".to_owned(), WARN)
            }
            SegmentStatus::Insufficient => (format!("too few rows (< {min_rows})"), NEUTRAL),
        };
        ui.label(RichText::new(text).color(color))
            .on_hover_text(&segment.reason);
    });
}
