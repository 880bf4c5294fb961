//! The banners above every tab: the storage problem, firing critical alerts, a refused
//! key, and the result of the last user action.

use egui::{Color32, RichText};

use crate::action::Action;
use crate::app::DashboardApp;
use crate::settings::Tab;
use crate::state::{self, NoticeLevel};

impl DashboardApp {
    pub(super) fn banners(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if let Some(detail) = state::storage_warning(&self.state) {
            storage_banner(ui, &detail);
        }
        if let Some(text) = state::critical_alerts_banner(&self.state)
            && critical_alerts_banner(ui, &text)
            && self.settings.tab != Tab::Alerts
        {
            actions.push(Action::SelectTab(Tab::Alerts));
        }
        if let Some(problem) = state::auth_warning(&self.state, self.key_source) {
            banner(
                ui,
                Color32::from_rgb(210, 60, 60),
                state::AUTH_BANNER_TITLE,
                &problem,
            );
        }
        let mut dismiss = false;
        if let Some(notice) = &self.state.notice {
            let color = match notice.level {
                NoticeLevel::Info => Color32::from_rgb(60, 130, 200),
                NoticeLevel::Warning => Color32::from_rgb(220, 160, 40),
                NoticeLevel::Error => Color32::from_rgb(210, 60, 60),
            };
            ui.horizontal(|ui| {
                ui.label(RichText::new(&notice.text).color(color));
                dismiss = ui.small_button("Dismiss").clicked();
            });
        }
        if dismiss {
            self.state.notice = None;
        }
    }
}

fn banner(ui: &mut egui::Ui, color: Color32, title: &str, text: &str) {
    egui::Frame::group(ui.style())
        .stroke((1.0, color))
        .show(ui, |ui| {
            ui.label(RichText::new(title).strong().color(color));
            ui.label(text);
        });
    ui.add_space(4.0);
}

/// Filled in the error colour, full width: while it shows, every prediction the scored
/// applications ask for is refused, which matters more than anything on the tabs.
fn storage_banner(ui: &mut egui::Ui, detail: &str) {
    egui::Frame::new()
        .fill(crate::tabs::BAD)
        .corner_radius(4.0)
        .inner_margin(egui::Margin::same(8))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new(state::STORAGE_BANNER_TITLE)
                    .color(Color32::WHITE)
                    .strong()
                    .size(16.0),
            );
            ui.label(RichText::new(detail).color(Color32::WHITE));
        });
    ui.add_space(4.0);
}

/// Filled in the error colour like the storage banner, and a button: a critical alert
/// needs someone now, and one click shows the list where it can be acknowledged.
/// Returns whether it was clicked.
fn critical_alerts_banner(ui: &mut egui::Ui, text: &str) -> bool {
    let button = egui::Button::new(
        RichText::new(text)
            .color(Color32::WHITE)
            .strong()
            .size(15.0),
    )
    .fill(crate::tabs::BAD)
    .corner_radius(4.0)
    .min_size(egui::vec2(ui.available_width(), 30.0));
    let clicked = ui
        .add(button)
        .on_hover_text("Open the Alerts tab")
        .clicked();
    ui.add_space(4.0);
    clicked
}
