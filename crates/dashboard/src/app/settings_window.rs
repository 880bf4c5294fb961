//! The Settings window: API URL, API key and where it came from, refresh interval.

use crate::action::Action;
use crate::app::DashboardApp;
use crate::client::ApiKey;
use crate::startup::KeySource;

impl DashboardApp {
    pub(super) fn settings_window(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let mut open = true;
        egui::Window::new("Settings")
            .open(&mut open)
            .resizable(false)
            .show(ctx, |ui| {
                egui::Grid::new("settings_grid")
                    .num_columns(2)
                    .show(ui, |ui| {
                        let label = ui.label("API URL");
                        ui.add(egui::TextEdit::singleline(&mut self.url_text).desired_width(260.0))
                            .labelled_by(label.id);
                        ui.end_row();
                        ui.label("");
                        if ui.button("Connect").clicked() {
                            actions.push(Action::SetApiUrl(self.url_text.clone()));
                        }
                        ui.end_row();

                        let label = ui.label("API key");
                        let response = ui
                            .add(
                                egui::TextEdit::singleline(&mut self.key_text)
                                    .password(true)
                                    .desired_width(260.0),
                            )
                            .labelled_by(label.id);
                        if response.changed() {
                            self.key = ApiKey::new(&self.key_text);
                            self.key_source = if self.key.is_some() {
                                KeySource::Typed
                            } else {
                                KeySource::None
                            };
                            self.key_edited = true;
                        }
                        // Re-read once the user is done typing (Enter, or focus moved
                        // on), not on every keystroke.
                        if self.key_edited && response.lost_focus() {
                            self.key_edited = false;
                            actions.push(Action::KeyChanged);
                        }
                        ui.end_row();
                        ui.label("");
                        ui.label(self.key_source.label());
                        ui.end_row();
                        ui.label("");
                        ui.checkbox(
                            &mut self.settings.remember_key,
                            "Remember the key (stored in plain text)",
                        );
                        ui.end_row();

                        let label = ui.label("Refresh every (s)");
                        ui.add(
                            egui::DragValue::new(&mut self.settings.refresh_seconds)
                                .range(1..=3600),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                    });
            });
        self.show_settings = open;
    }
}
