//! One module per tab, each with a `show` function that draws it and pushes the
//! [`Action`](crate::action::Action)s the user asked for; shared widgets live here.

pub mod alerts;
pub mod drift;
pub mod drift_segments;
pub mod history_plot;
pub mod metrics;
pub mod overview;
pub mod overview_estimate;
pub mod pipeline;
pub mod predictions;
pub mod segment_metrics;

use egui::{Color32, RichText};
use scorewatch_core::{PipelineState, PsiBand};

/// Healthy: stable, promoted, no drift.
pub const GOOD: Color32 = Color32::from_rgb(60, 170, 90);
/// Worth a look: moderate PSI, rejected model.
pub const WARN: Color32 = Color32::from_rgb(220, 160, 40);
/// Bad: significant drift, failed run.
pub const BAD: Color32 = Color32::from_rgb(210, 60, 60);
/// No verdict.
pub const NEUTRAL: Color32 = Color32::from_rgb(120, 120, 130);

/// The colour of a PSI band.
#[must_use]
pub fn band_color(band: Option<PsiBand>) -> Color32 {
    match band {
        Some(PsiBand::Stable) => GOOD,
        Some(PsiBand::Moderate) => WARN,
        Some(PsiBand::Significant) => BAD,
        None => NEUTRAL,
    }
}

/// A coloured label with white text.
pub fn badge(ui: &mut egui::Ui, text: &str, color: Color32) {
    egui::Frame::new()
        .fill(color)
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(8, 3))
        .show(ui, |ui| {
            ui.label(RichText::new(text).color(Color32::WHITE).strong());
        });
}

/// A titled explanation in place of data that does not exist yet.
pub fn empty_state(ui: &mut egui::Ui, title: &str, how: &str) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new(title).heading());
        ui.label(how);
    });
}

/// One line describing a pipeline state.
#[must_use]
pub fn pipeline_state_text(state: &PipelineState) -> String {
    match state {
        PipelineState::Idle => "Idle".into(),
        PipelineState::Running {
            stage, progress, ..
        } => format!("Running: {stage} ({:.0}%)", progress * 100.0),
        PipelineState::Succeeded { model_version, .. } => {
            format!("Succeeded: model {model_version}")
        }
        PipelineState::Failed { error, .. } => format!("Failed: {error}"),
        PipelineState::Cancelled { .. } => "Cancelled".into(),
    }
}
