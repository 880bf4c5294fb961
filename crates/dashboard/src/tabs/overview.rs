//! Overview: the current model, KPI cards, prediction volume, drift verdict, pipeline state.

use egui::{Color32, RichText};
use scorewatch_core::views::MetricsView;
use scorewatch_core::{MetricsEntry, PipelineState};

use crate::action::Action;
use crate::client::RequestKind;
use crate::format;
use crate::settings::Tab;
use crate::state::{KPI_METRICS, ViewState};
use crate::tabs::{BAD, GOOD, NEUTRAL, badge, empty_state, pipeline_state_text};

/// Draws the overview.
pub fn show(ui: &mut egui::Ui, state: &ViewState, actions: &mut Vec<Action>) {
    if let Some(error) = state.errors.get(&RequestKind::Metrics) {
        ui.colored_label(BAD, format!("Metrics: {error}"));
    }
    let Some(metrics) = &state.metrics else {
        ui.label("Loading metrics...");
        return;
    };
    if let Some(model) = &metrics.model {
        ui.horizontal(|ui| {
            ui.heading(format!("Model {}", model.version));
            ui.label(format!(
                "trained {} UTC on {} rows, threshold {:.2}, {} features",
                format::format_time(model.created_at),
                model.training_rows,
                model.threshold,
                model.features.len()
            ));
        });
    } else {
        empty_state(
            ui,
            "No model yet",
            "Train one: press \"Run pipeline\" on the Pipeline tab (it needs the API key), \
             or run `scorewatch train` (or `scorewatch demo` for sample data). If the data \
             directory is missing, create it with ./scripts/initialize_metrics.sh.",
        );
        if ui.button("Go to the Pipeline tab").clicked() {
            actions.push(Action::SelectTab(Tab::Pipeline));
        }
    }
    ui.add_space(8.0);
    kpi_cards(ui, metrics);
    if metrics.model.is_some() {
        ui.add_space(8.0);
        crate::tabs::overview_estimate::show(ui, metrics);
    }
    ui.add_space(8.0);

    ui.horizontal(|ui| {
        card(ui, "Prediction volume", |ui| {
            ui.label(
                RichText::new(metrics.predictions_total.to_string())
                    .size(22.0)
                    .strong(),
            );
            ui.label(format!(
                "predictions since the server started, {} outcomes",
                metrics.outcomes_total
            ));
        });
        card(ui, "Drift", |ui| match &state.drift.report {
            Some(report) => {
                // The same verdict as the drift tab, so the two never disagree.
                let (headline, drifted) = crate::state::drift_headline(report);
                badge(ui, &headline, if drifted { BAD } else { GOOD });
                ui.label(format!(
                    "{:.0}% of features drifted",
                    report.drifted_share * 100.0
                ));
            }
            None if state.drift.loaded => {
                badge(ui, "NO REPORT YET", NEUTRAL);
            }
            None => {
                ui.label("Loading...");
            }
        });
        card(ui, "Pipeline", |ui| match &state.pipeline {
            Some(status) => {
                let color = match status.state {
                    PipelineState::Failed { .. } => BAD,
                    PipelineState::Succeeded { .. } => GOOD,
                    _ => NEUTRAL,
                };
                badge(ui, &pipeline_state_text(&status.state), color);
            }
            None => {
                ui.label("Loading...");
            }
        });
        if let Some(health) = &state.health {
            card(ui, "Server", |ui| {
                ui.horizontal(|ui| {
                    ui.label(format!("scorewatch {}", health.version));
                    let color = if health.status == "ok" { GOOD } else { BAD };
                    badge(ui, &health.status.to_uppercase(), color);
                });
                ui.label(format::server_place(&health.backend, &health.replica));
                ui.label(format!(
                    "up {}",
                    format::format_duration(health.uptime_seconds)
                ));
            });
        }
    });
}

fn kpi_cards(ui: &mut egui::Ui, metrics: &MetricsView) {
    let value = |entry: Option<&MetricsEntry>, name: &str| -> String {
        entry
            .and_then(|e| e.metrics.get(name))
            .map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
    };
    ui.horizontal_wrapped(|ui| {
        for metric in KPI_METRICS {
            // History keys are strings; the cards read the canonical name of each metric.
            let name = metric.as_str();
            card(ui, metric.label(), |ui| {
                egui::Grid::new(("kpi", name))
                    .num_columns(2)
                    .show(ui, |ui| {
                        ui.label("training");
                        ui.label(RichText::new(value(metrics.training.as_ref(), name)).strong());
                        ui.end_row();
                        ui.label("validation");
                        ui.label(RichText::new(value(metrics.validation.as_ref(), name)).strong());
                        ui.end_row();
                        ui.label("production");
                        let production = metrics
                            .production
                            .as_ref()
                            .and_then(|e| e.metrics.get(name));
                        let reference = metrics
                            .validation
                            .as_ref()
                            .or(metrics.training.as_ref())
                            .and_then(|e| e.metrics.get(name));
                        let text = RichText::new(value(metrics.production.as_ref(), name)).strong();
                        // Production below validation by more than 0.05 is worth a glance.
                        let text = match (production, reference) {
                            (Some(p), Some(r)) if r - p > 0.05 => text.color(BAD),
                            _ => text,
                        };
                        ui.label(text);
                        ui.end_row();
                    });
            });
        }
    });
    if metrics.production.is_none() {
        ui.label(
            RichText::new(
                "No production metrics yet: they need outcomes posted to /monitoring/outcomes.",
            )
            .color(Color32::GRAY),
        );
    }
}

/// A framed box with a small title.
pub(crate) fn card(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui)) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_min_width(150.0);
        ui.vertical(|ui| {
            ui.label(RichText::new(title).small().strong());
            add(ui);
        });
    });
}
