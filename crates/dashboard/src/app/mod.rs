//! The eframe application: turns user actions into API requests, applies answers, and lays
//! out the frame (top bar, status bar, the open tab).
//!
//! - `requests`: sending reads and applying answers; `actions`: carrying out an
//!   [`Action`](crate::action::Action); `schedule`: timed refreshes.
//! - `chrome`, `banners`, `settings_window`: the parts of the frame around the tabs.
//! - `frame_times`: the frame time in the status bar.

mod actions;
mod banners;
mod chrome;
mod frame_times;
mod requests;
mod schedule;
mod settings_window;

use std::collections::BTreeSet;

use scorewatch_core::views::RunPipelineRequest;

use crate::client::{ApiClient, ApiKey, RequestKind};
use crate::settings::{Settings, Tab};
use crate::startup::{KeySource, StartupOptions};
use crate::state::{Connection, ViewState};
use crate::tabs;
use frame_times::FrameTimes;

/// The dashboard.
pub struct DashboardApp {
    /// Remembered settings.
    pub settings: Settings,
    /// What the API told.
    pub state: ViewState,
    client: Box<dyn ApiClient>,
    key: Option<ApiKey>,
    key_source: KeySource,
    key_text: String,
    /// The key was edited and the edit not yet acted on (see the Settings window).
    key_edited: bool,
    url_text: String,
    show_settings: bool,
    in_flight: BTreeSet<RequestKind>,
    last_refresh: Option<f64>,
    last_status_poll: f64,
    /// Options of the next pipeline run, edited on the Pipeline tab.
    pub run_options: RunPipelineRequest,
    /// Where "Export report" saves the HTML report ([`crate::default_report_dir`]).
    pub report_dir: std::path::PathBuf,
    frame_times: FrameTimes,
}

impl std::fmt::Debug for DashboardApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardApp")
            .field("settings.api_url", &self.settings.api_url)
            .field("state", &self.state)
            .field("key_source", &self.key_source)
            .finish_non_exhaustive()
    }
}

impl DashboardApp {
    /// Builds the app from eframe's creation context (which holds the saved settings).
    #[must_use]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        options: StartupOptions,
        client: Box<dyn ApiClient>,
    ) -> Self {
        let settings: Settings = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
            .unwrap_or_default();
        Self::with_settings(settings, options, client)
    }

    /// Builds the app from explicit settings (tests, or no persistence).
    #[must_use]
    pub fn with_settings(
        mut settings: Settings,
        options: StartupOptions,
        client: Box<dyn ApiClient>,
    ) -> Self {
        if let Some(url) = options.api_url {
            settings.api_url = url;
        }
        let (key, key_source) = match options.api_key {
            Some(key) => (Some(key), options.key_source),
            None => match settings
                .remembered_key
                .as_deref()
                .filter(|_| settings.remember_key)
                .and_then(ApiKey::new)
            {
                Some(key) => (Some(key), KeySource::Remembered),
                None => (None, KeySource::None),
            },
        };
        let url_text = settings.api_url.clone();
        let key_text = key
            .as_ref()
            .map(|k| k.expose().to_owned())
            .unwrap_or_default();
        Self {
            settings,
            state: ViewState::default(),
            client,
            key,
            key_source,
            key_text,
            key_edited: false,
            url_text,
            show_settings: false,
            in_flight: BTreeSet::new(),
            last_refresh: None,
            last_status_poll: 0.0,
            run_options: RunPipelineRequest::default(),
            report_dir: crate::export::default_report_dir(),
            frame_times: FrameTimes::default(),
        }
    }

    /// Whether a key is set (mutating buttons need one; reads send it too).
    #[must_use]
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// Draws one frame inside `ui` and handles what the user did. Separate from
    /// [`eframe::App::ui`] so it can be timed without a window.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.poll(&ctx);
        self.tick(&ctx);

        let mut actions = Vec::new();
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui, &mut actions));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar(ui, &mut actions));
        if self.show_settings {
            self.settings_window(&ctx, &mut actions);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            self.banners(ui, &mut actions);
            if let Connection::Unreachable { error, .. } = &self.state.connection {
                chrome::unreachable(ui, &self.settings.api_url, error);
                return;
            }
            egui::ScrollArea::vertical()
                .id_salt("tab_scroll")
                .auto_shrink(false)
                // The predictions table scrolls itself; an outer scroll would defeat its
                // row virtualisation.
                .vscroll(self.settings.tab != Tab::Predictions)
                .show(ui, |ui| match self.settings.tab {
                    Tab::Overview => tabs::overview::show(ui, &self.state, &mut actions),
                    Tab::Metrics => tabs::metrics::show(ui, &self.state, &mut self.settings),
                    Tab::Drift => tabs::drift::show(
                        ui,
                        &mut self.state.drift,
                        self.key.is_some(),
                        &mut actions,
                    ),
                    Tab::Alerts => tabs::alerts::show(
                        ui,
                        &self.state.alerts,
                        self.state.errors.get(&RequestKind::Alerts),
                        self.key.is_some(),
                        self.in_flight.contains(&RequestKind::AckAlert),
                        &mut actions,
                    ),
                    Tab::Predictions => tabs::predictions::show(
                        ui,
                        &mut self.state.predictions,
                        &mut self.settings.page_size,
                        self.state.errors.get(&RequestKind::Predictions),
                        &mut actions,
                    ),
                    Tab::Pipeline => tabs::pipeline::show(
                        ui,
                        self.state.pipeline.as_ref(),
                        self.state.training_sets.as_deref(),
                        self.state.errors.get(&RequestKind::PipelineStatus),
                        &mut self.run_options,
                        self.key.is_some(),
                        &mut actions,
                    ),
                });
        });
        for action in actions {
            self.handle(&ctx, action);
        }
    }

    fn save_settings(&mut self, storage: &mut dyn eframe::Storage) {
        // The key is stored only when the user ticked the box; otherwise any earlier copy is
        // dropped from the saved settings.
        self.settings.remembered_key = if self.settings.remember_key {
            self.key.as_ref().map(|k| k.expose().to_owned())
        } else {
            None
        };
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}

impl eframe::App for DashboardApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if let Some(seconds) = frame.info().cpu_usage {
            self.frame_times.record(seconds);
        }
        let now = ui.input(|i| i.time);
        if now - self.frame_times.last_log >= 10.0 {
            self.frame_times.last_log = now;
            if let Some((mean, max)) = self.frame_times.stats() {
                tracing::debug!(
                    mean_ms = mean,
                    max_ms = max,
                    frames = self.frame_times.recent.len(),
                    predictions = self.state.predictions.rows.len(),
                    "frame time"
                );
            }
        }
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.save_settings(storage);
    }
}
