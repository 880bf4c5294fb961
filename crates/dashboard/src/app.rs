//! The eframe application: turns user actions into API requests, applies answers, and lays
//! out the frame (top bar, status bar, the open tab).

use std::collections::BTreeSet;

use egui::{Color32, RichText};
use scorewatch_core::PipelineState;
use scorewatch_core::views::RunPipelineRequest;
use time::OffsetDateTime;

use crate::client::{ApiClient, ApiKey, Request, RequestKind};
use crate::state::{
    self, Connection, FollowUp, NoticeLevel, START_API_HINT, Settings, Tab, ViewState,
};
use crate::tabs;

/// Seconds between pipeline status polls while a run is in progress.
const RUNNING_POLL_SECONDS: f64 = 1.0;

/// What a tab or the chrome asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Re-read everything.
    Refresh,
    /// Start a pipeline run.
    RunPipeline(RunPipelineRequest),
    /// Cancel the running pipeline.
    CancelPipeline,
    /// Compute a drift report now.
    RunDriftCheck,
    /// Show a drift report: `None` for the latest.
    ShowDriftReport(Option<String>),
    /// Apply the predictions filter (first page).
    ReloadPredictions,
    /// Append the next page of predictions.
    LoadMorePredictions,
    /// Append pages until 10,000 predictions are loaded or none are left.
    LoadManyPredictions,
    /// Use another API URL.
    SetApiUrl(String),
    /// Open a tab.
    SelectTab(Tab),
}

/// Where the API key came from, shown in Settings (never the key itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// No key.
    None,
    /// `--api-key` or `SCOREWATCH_API_KEY`.
    Environment,
    /// `<data dir>/secrets/api_key`.
    KeyFile,
    /// The user asked to remember it in the settings.
    Remembered,
    /// Typed in Settings.
    Typed,
}

/// How the app starts, from flags and environment.
#[derive(Debug, Clone)]
pub struct StartupOptions {
    /// Overrides the remembered API URL when set.
    pub api_url: Option<String>,
    /// The key from the command line, environment or key file.
    pub api_key: Option<ApiKey>,
    /// Where `api_key` came from.
    pub key_source: KeySource,
}

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
    url_text: String,
    show_settings: bool,
    in_flight: BTreeSet<RequestKind>,
    last_refresh: Option<f64>,
    last_status_poll: f64,
    /// Options of the next pipeline run, edited on the Pipeline tab.
    pub run_options: RunPipelineRequest,
    frame_times: FrameTimes,
}

/// CPU time of recent frames (eframe's `cpu_usage`: UI, tessellation and paint submission).
#[derive(Debug, Default)]
struct FrameTimes {
    recent: std::collections::VecDeque<f32>,
    last_log: f64,
}

impl FrameTimes {
    /// Frames kept for the mean and maximum.
    const WINDOW: usize = 120;

    fn record(&mut self, seconds: f32) {
        if self.recent.len() == Self::WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(seconds);
    }

    /// Mean and maximum in milliseconds.
    fn stats(&self) -> Option<(f32, f32)> {
        #[expect(clippy::cast_precision_loss, reason = "at most WINDOW frames")]
        let n = self.recent.len() as f32;
        (!self.recent.is_empty()).then(|| {
            let sum: f32 = self.recent.iter().sum();
            let max = self.recent.iter().copied().fold(0.0, f32::max);
            (sum / n * 1000.0, max * 1000.0)
        })
    }
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
            url_text,
            show_settings: false,
            in_flight: BTreeSet::new(),
            last_refresh: None,
            last_status_poll: 0.0,
            run_options: RunPipelineRequest::default(),
            frame_times: FrameTimes::default(),
        }
    }

    /// Whether a key is set (mutating buttons need one).
    #[must_use]
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    fn send(&mut self, ctx: &egui::Context, request: Request) {
        self.in_flight.insert(request.kind());
        tracing::debug!(path = request.path(), "api call");
        self.client.send(ctx, &self.settings.api_url, request);
    }

    /// Sends a read request unless the same kind is already on its way.
    fn send_read(&mut self, ctx: &egui::Context, request: Request) {
        if !self.in_flight.contains(&request.kind()) {
            self.send(ctx, request);
        }
    }

    fn refresh(&mut self, ctx: &egui::Context) {
        self.send_read(ctx, Request::Health);
        self.send_read(
            ctx,
            Request::Metrics {
                limit: self.settings.metrics_history_limit,
                offset: 0,
            },
        );
        self.send_read(
            ctx,
            Request::Drift {
                history: self.settings.drift_history,
                id: self.state.drift.pinned.clone(),
            },
        );
        self.send_read(ctx, Request::PipelineStatus);
        // Re-reading many loaded pages on every tick would be wasteful; once the user has
        // paged further than the first page, predictions refresh on request only.
        if self.state.predictions.rows.len() <= self.settings.page_size {
            self.reload_predictions(ctx);
        }
    }

    fn reload_predictions(&mut self, ctx: &egui::Context) {
        let now = OffsetDateTime::now_utc();
        match self
            .state
            .predictions
            .filter
            .query(now, self.settings.page_size.clamp(1, state::MAX_PAGE_SIZE))
        {
            Ok(query) => {
                self.state.predictions.filter_error = None;
                self.state.predictions.load_until = 0;
                let changed = self
                    .state
                    .predictions
                    .active
                    .as_ref()
                    .is_none_or(|active| !active.same_filter(&query));
                if changed {
                    self.state.predictions.loaded = false;
                    self.state.predictions.rows.clear();
                    // A page of the previous filter may still be on its way: let this one go.
                    self.in_flight.remove(&RequestKind::Predictions);
                }
                self.state.predictions.active = Some(query.clone());
                self.send_read(ctx, Request::Predictions(query));
            }
            Err(err) => self.state.predictions.filter_error = Some(err.to_string()),
        }
    }

    fn handle(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::Refresh => self.refresh(ctx),
            Action::RunPipeline(body) => {
                if let Some(key) = self.key.clone() {
                    self.send(ctx, Request::RunPipeline { key, body });
                }
            }
            Action::CancelPipeline => {
                if let Some(key) = self.key.clone() {
                    self.send(ctx, Request::CancelPipeline { key });
                }
            }
            Action::RunDriftCheck => {
                if let Some(key) = self.key.clone() {
                    self.send(ctx, Request::RunDrift { key });
                }
            }
            Action::ShowDriftReport(id) => {
                self.state.drift.pinned.clone_from(&id);
                self.in_flight.remove(&RequestKind::Drift);
                self.send(
                    ctx,
                    Request::Drift {
                        history: self.settings.drift_history,
                        id,
                    },
                );
            }
            Action::ReloadPredictions => self.reload_predictions(ctx),
            Action::SelectTab(tab) => self.settings.tab = tab,
            Action::LoadManyPredictions => {
                self.state.predictions.load_until = state::MAX_LOADED_PREDICTIONS;
                self.handle(ctx, Action::LoadMorePredictions);
            }
            Action::LoadMorePredictions => {
                if let Some(active) = &self.state.predictions.active {
                    let query = crate::client::PredictionsQuery {
                        offset: self.state.predictions.rows.len(),
                        limit: self.settings.page_size.clamp(1, state::MAX_PAGE_SIZE),
                        ..active.clone()
                    };
                    self.send_read(ctx, Request::Predictions(query));
                }
            }
            Action::SetApiUrl(url) => {
                let url = url.trim().trim_end_matches('/').to_owned();
                if !url.is_empty() && url != self.settings.api_url {
                    tracing::info!(%url, "api url changed");
                    self.settings.api_url = url;
                    self.state = ViewState {
                        predictions: state::PredictionsState {
                            filter: self.state.predictions.filter.clone(),
                            ..Default::default()
                        },
                        ..Default::default()
                    };
                    self.in_flight.clear();
                    self.refresh(ctx);
                }
            }
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        for response in self.client.poll() {
            self.in_flight.remove(&response.request.kind());
            if response.base_url.trim_end_matches('/') != self.settings.api_url {
                continue; // answer from a server the user has since left
            }
            match state::apply_response(&mut self.state, response, OffsetDateTime::now_utc()) {
                FollowUp::None => {}
                FollowUp::PipelineStatus => self.send_read(ctx, Request::PipelineStatus),
                FollowUp::All => self.refresh(ctx),
                FollowUp::MorePredictions => self.handle(ctx, Action::LoadMorePredictions),
            }
        }
    }

    fn pipeline_running(&self) -> bool {
        self.state
            .pipeline
            .as_ref()
            .is_some_and(|p| matches!(p.state, PipelineState::Running { .. }))
    }

    /// Schedules timed refreshes; egui's clock drives it so tests are deterministic.
    fn tick(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        let interval = f64::from(self.settings.refresh_seconds.max(1));
        let due = match self.last_refresh {
            None => true,
            Some(last) => self.settings.auto_refresh && now - last >= interval,
        };
        if due {
            self.last_refresh = Some(now);
            self.last_status_poll = now;
            self.refresh(ctx);
        } else if self.pipeline_running() && now - self.last_status_poll >= RUNNING_POLL_SECONDS {
            self.last_status_poll = now;
            self.send_read(ctx, Request::PipelineStatus);
        }
        let mut wait = if self.settings.auto_refresh {
            interval - (now - self.last_refresh.unwrap_or(now))
        } else {
            f64::INFINITY
        };
        if self.pipeline_running() {
            wait = wait.min(RUNNING_POLL_SECONDS);
        }
        if wait.is_finite() {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(wait.max(0.05)));
        }
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
            self.banners(ui);
            if let Connection::Unreachable { error, .. } = &self.state.connection {
                unreachable(ui, &self.settings.api_url, error);
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

    fn top_bar(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            ui.heading("scorewatch");
            ui.separator();
            for tab in Tab::ALL {
                ui.selectable_value(&mut self.settings.tab, tab, tab.title());
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Settings").clicked() {
                    self.show_settings = !self.show_settings;
                }
                if ui.button("Refresh").clicked() {
                    actions.push(Action::Refresh);
                }
            });
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
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
            let updated = self.state.last_updated.map_or_else(
                || "never".to_owned(),
                |t| format!("{} UTC", state::format_time(t)),
            );
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

    fn settings_window(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
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
                        }
                        ui.end_row();
                        ui.label("");
                        ui.label(match self.key_source {
                            KeySource::None => "no key: read-only",
                            KeySource::Environment => "from --api-key / SCOREWATCH_API_KEY",
                            KeySource::KeyFile => "from the key file",
                            KeySource::Remembered => "remembered in the settings",
                            KeySource::Typed => "typed here",
                        });
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

    fn banners(&mut self, ui: &mut egui::Ui) {
        if let Some(detail) = state::storage_warning(&self.state) {
            storage_banner(ui, &detail);
        }
        if let Some(problem) = &self.state.auth_problem {
            banner(
                ui,
                Color32::from_rgb(210, 60, 60),
                "Unauthorised key",
                problem,
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

fn unreachable(ui: &mut egui::Ui, url: &str, error: &str) {
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
