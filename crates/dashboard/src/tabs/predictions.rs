//! Predictions: filters (model version, time range), paging by "load more", and a
//! virtualised table that lays out only the visible rows.

use egui_extras::{Column, TableBuilder};

use crate::action::Action;
use crate::state::{MAX_LOADED_PREDICTIONS, PredictionsState, TimeRange};
use crate::tabs::{BAD, empty_state};

/// Page sizes offered; the API serves at most 1000 per request.
const PAGE_SIZES: [usize; 4] = [100, 250, 500, 1000];
/// Height of one table row; fixed so the table can skip rows outside the view.
const ROW_HEIGHT: f32 = 20.0;

/// Draws the predictions tab.
pub fn show(
    ui: &mut egui::Ui,
    predictions: &mut PredictionsState,
    page_size: &mut usize,
    api_error: Option<&String>,
    actions: &mut Vec<Action>,
) {
    filters(ui, predictions, page_size, actions);
    if let Some(error) = &predictions.filter_error {
        ui.colored_label(BAD, error);
    }
    if let Some(error) = api_error {
        ui.colored_label(BAD, format!("Predictions: {error}"));
    }
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} predictions loaded, newest first",
            predictions.rows.len()
        ));
        if predictions.has_more && ui.button("Load more").clicked() {
            actions.push(Action::LoadMorePredictions);
        }
        if predictions.has_more
            && predictions.rows.len() < MAX_LOADED_PREDICTIONS
            && ui.button("Load up to 10,000").clicked()
        {
            actions.push(Action::LoadManyPredictions);
        }
    });
    if !predictions.loaded {
        ui.label("Loading predictions...");
        return;
    }
    if predictions.rows.is_empty() {
        let filtered = predictions
            .active
            .as_ref()
            .is_some_and(|q| q.since.is_some() || q.until.is_some() || q.model_version.is_some());
        if filtered {
            empty_state(
                ui,
                "No predictions match these filters",
                "Widen the time range or clear the model version.",
            );
        } else {
            empty_state(
                ui,
                "No predictions yet",
                "Predictions appear here once applications are scored through POST /predict \
                 (every prediction is logged to data/monitoring/predictions_log.csv).",
            );
        }
        return;
    }
    table(ui, predictions);
}

fn filters(
    ui: &mut egui::Ui,
    predictions: &mut PredictionsState,
    page_size: &mut usize,
    actions: &mut Vec<Action>,
) {
    let filter = &mut predictions.filter;
    let mut apply = false;
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Model version");
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut filter.model_version)
                    .hint_text("all versions")
                    .desired_width(160.0),
            )
            .labelled_by(label.id);
        apply |= response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));

        egui::ComboBox::from_label("Time range")
            .selected_text(filter.range.label())
            .show_ui(ui, |ui| {
                for range in TimeRange::ALL {
                    apply |= ui
                        .selectable_value(&mut filter.range, range, range.label())
                        .clicked()
                        && range != TimeRange::Custom;
                }
            });
        if filter.range == TimeRange::Custom {
            let label = ui.label("Since");
            ui.add(
                egui::TextEdit::singleline(&mut filter.since)
                    .hint_text("2026-01-31T00:00:00Z")
                    .desired_width(170.0),
            )
            .labelled_by(label.id);
            let label = ui.label("Until");
            ui.add(
                egui::TextEdit::singleline(&mut filter.until)
                    .hint_text("now")
                    .desired_width(170.0),
            )
            .labelled_by(label.id);
        }
        egui::ComboBox::from_label("Page size")
            .selected_text(page_size.to_string())
            .show_ui(ui, |ui| {
                for size in PAGE_SIZES {
                    apply |= ui
                        .selectable_value(page_size, size, size.to_string())
                        .clicked();
                }
            });
        apply |= ui.button("Apply").clicked();
    });
    if apply {
        actions.push(Action::ReloadPredictions);
    }
}

fn table(ui: &mut egui::Ui, predictions: &PredictionsState) {
    let rows = &predictions.rows;
    TableBuilder::new(ui)
        .id_salt("predictions_table")
        .striped(true)
        .auto_shrink(false)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(150.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(120.0).clip(true))
        .column(Column::remainder().clip(true))
        .header(22.0, |mut header| {
            for title in ["Time (UTC)", "Model", "Score", "Decision", "Id", "Features"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                let p = &rows[row.index()];
                row.col(|ui| {
                    ui.label(&p.time);
                });
                row.col(|ui| {
                    ui.label(&p.model_version);
                });
                row.col(|ui| {
                    ui.label(format!("{:.4}", p.score));
                });
                row.col(|ui| {
                    ui.label(if p.decision == 1 { "1 (positive)" } else { "0" });
                });
                row.col(|ui| {
                    ui.label(&p.id);
                });
                row.col(|ui| {
                    ui.label(&p.features);
                });
            });
        });
}
