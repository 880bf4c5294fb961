//! The frame around the tabs: the top bar (tabs, Settings, Refresh), the status bar, and
//! the page shown instead of the tabs while the API is unreachable.

use egui::{Color32, RichText};

use crate::action::Action;
use crate::app::DashboardApp;
use crate::client::RequestKind;
use crate::format::format_time;
use crate::settings::Tab;
use crate::state::{Connection, START_API_HINT};

impl DashboardApp {
    pub(super) fn top_bar(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            ui.heading("scorewatch");
            ui.separator();
            for tab in Tab::ALL {
                let open = self.settings.tab == tab;
                if ui.selectable_label(open, tab.title()).clicked() && !open {
                    actions.push(Action::SelectTab(tab));
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Settings").clicked() {
                    self.show_settings = !self.show_settings;
                }
                if ui.button("Refresh").clicked() {
                    actions.push(Action::Refresh);
                }
                let exporting = self.in_flight.contains(&RequestKind::Report);
                let export = ui
                    .add_enabled(!exporting, egui::Button::new("Export report"))
                    .on_hover_text(format!(
                        "Save the HTML report (GET /monitoring/report) in {}",
                        self.report_dir.display()
                    ));
                if export.clicked() {
                    actions.push(Action::ExportReport);
                }
            });
        });
    }

    pub(super) fn status_bar(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let _ = actions;
        ui.horizontal(|ui| {
            let (color, text) = match &self.state.connection {
                Connection::Unknown => (Color32::GRAY, "connecting"),
                Connection::Online => (Color32::from_rgb(60, 170, 90), "online"),
                Connection::Unreachable { .. } => (Color32::from_rgb(210, 60, 60), "unreachable"),
            };
            badge_dot(ui, color);
            ui.label(format!("{} ({text})", self.settings.api_url));
            ui.separator();
            let updated = self
                .state
                .last_updated
                .map_or_else(|| "never".to_owned(), |t| format!("{} UTC", format_time(t)));
            ui.label(format!("Last updated: {updated}"));
            ui.separator();
            ui.checkbox(&mut self.settings.auto_refresh, "Auto-refresh");
            if let Some((mean, max)) = self.frame_times.stats() {
                ui.separator();
                ui.label(format!("frame {mean:.1} ms (max {max:.1})"));
            }
            if !self.in_flight.is_empty() {
                ui.separator();
                ui.label(format!("{} request(s) in flight", self.in_flight.len()));
            }
        });
    }
}

pub(super) fn unreachable(ui: &mut egui::Ui, url: &str, error: &str) {
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        ui.heading(
            RichText::new("The scorewatch API is unreachable")
                .color(Color32::from_rgb(210, 60, 60)),
        );
    });
    ui.add_space(12.0);
    ui.label(format!("URL: {url}"));
    ui.label(format!("Error: {error}"));
    ui.add_space(8.0);
    ui.label(START_API_HINT);
    ui.label(
        "Another address? Open Settings, or start the dashboard with --api-url / \
         SCOREWATCH_API_URL.",
    );
    ui.label(
        "Still nothing? Read data/logs/api.log and data/logs/dashboard.log, check that \
         data/monitoring/ exists (./scripts/initialize_metrics.sh creates it) and is readable.",
    );
}

/// A small filled circle; painted, since the bundled fonts have no bullet glyph.
fn badge_dot(ui: &mut egui::Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 5.0, color);
}
