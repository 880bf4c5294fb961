//! Carrying out what the user asked for ([`Action`]).

use crate::action::Action;
use crate::app::DashboardApp;
use crate::client::{PredictionsQuery, Request, RequestKind};
use crate::settings::Tab;
use crate::state::{self, ViewState};

impl DashboardApp {
    pub(super) fn handle(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::Refresh => self.refresh(ctx),
            // Writes always need a key: without one the buttons are disabled, and a click
            // that slips through sends nothing the server would only refuse.
            Action::RunPipeline(body) if self.key.is_some() => {
                self.send(ctx, Request::RunPipeline(body));
            }
            Action::CancelPipeline if self.key.is_some() => {
                self.send(ctx, Request::CancelPipeline);
            }
            Action::RunDriftCheck if self.key.is_some() => self.send(ctx, Request::RunDrift),
            Action::AckAlert(id) if self.key.is_some() => {
                // One acknowledgement at a time: the buttons are disabled meanwhile.
                if !self.in_flight.contains(&RequestKind::AckAlert) {
                    self.send(ctx, Request::AckAlert(id));
                }
            }
            Action::RunPipeline(_)
            | Action::CancelPipeline
            | Action::RunDriftCheck
            | Action::AckAlert(_) => {}
            Action::FilterAlerts(filter) => {
                state::choose_alert_filter(&mut self.state.alerts, filter);
                // A list of the previous filter may be on its way: this one wins.
                self.in_flight.remove(&RequestKind::Alerts);
                self.send_read(ctx, Request::Alerts(filter));
            }
            Action::KeyChanged => {
                tracing::info!(key_source = ?self.key_source, "api key changed");
                self.state.auth_refused.clear();
                // Reads on their way carry the old key: send them again with the new one.
                self.in_flight.clear();
                self.refresh(ctx);
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
            Action::SegmentDriftBy(column) => {
                state::choose_segment_column(&mut self.state.drift, column);
                // An answer for the previous column may be on its way: this one wins.
                self.in_flight.remove(&RequestKind::DriftSegments);
                self.in_flight.remove(&RequestKind::MetricsSegments);
                self.refresh_segments(ctx);
            }
            Action::SegmentMinRows(min_rows) => {
                self.state.drift.min_segment_rows = Some(min_rows);
                self.in_flight.remove(&RequestKind::DriftSegments);
                self.in_flight.remove(&RequestKind::MetricsSegments);
                self.refresh_segments(ctx);
            }
            Action::ReloadPredictions => self.reload_predictions(ctx),
            Action::ExportReport => self.send_read(ctx, Request::Report),
            Action::SelectTab(tab) => {
                self.settings.tab = tab;
                // The sets are listed only while the Pipeline tab is open (see `refresh`).
                match tab {
                    Tab::Pipeline => self.send_read(ctx, Request::TrainingSets),
                    // The list is read only while its tab is open, like the sets.
                    Tab::Alerts => {
                        self.send_read(ctx, Request::Alerts(self.state.alerts.filter));
                    }
                    Tab::Drift => self.refresh_segments(ctx),
                    _ => {}
                }
            }
            Action::LoadManyPredictions => {
                self.state.predictions.load_until = state::MAX_LOADED_PREDICTIONS;
                self.handle(ctx, Action::LoadMorePredictions);
            }
            Action::LoadMorePredictions => {
                if let Some(active) = &self.state.predictions.active {
                    let query = PredictionsQuery {
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
}
