//! Sending requests: one at a time per kind for reads, the refresh of every endpoint, the
//! predictions query, and applying the answers as they arrive.

use time::OffsetDateTime;

use crate::action::Action;
use crate::app::DashboardApp;
use crate::client::{ApiError, Payload, Request, RequestKind};
use crate::settings::Tab;
use crate::state::{self, FollowUp};

impl DashboardApp {
    pub(super) fn send(&mut self, ctx: &egui::Context, request: Request) {
        self.in_flight.insert(request.kind());
        tracing::debug!(path = request.path(), "api call");
        self.client
            .send(ctx, &self.settings.api_url, self.key.as_ref(), request);
    }

    /// Sends a read request unless the same kind is already on its way.
    pub(super) fn send_read(&mut self, ctx: &egui::Context, request: Request) {
        if !self.in_flight.contains(&request.kind()) {
            self.send(ctx, request);
        }
    }

    pub(super) fn refresh(&mut self, ctx: &egui::Context) {
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
        // The banner above every tab needs the firing alerts whatever tab is open.
        self.send_read(ctx, Request::FiringAlerts);
        if self.settings.tab == Tab::Alerts {
            self.send_read(ctx, Request::Alerts(self.state.alerts.filter));
        }
        // Drift per segment is computed for each request (it reads the training set):
        // only while the Drift tab shows it.
        if self.settings.tab == Tab::Drift {
            self.refresh_segments(ctx);
        }
        // Listing reads every training set on the server: only while someone may pick one.
        if self.settings.tab == Tab::Pipeline {
            self.send_read(ctx, Request::TrainingSets);
        }
        // Re-reading many loaded pages on every tick would be wasteful; once the user has
        // paged further than the first page, predictions refresh on request only.
        if self.state.predictions.rows.len() <= self.settings.page_size {
            self.reload_predictions(ctx);
        }
    }

    /// Re-reads drift and production metrics per segment, when a segment column is
    /// chosen.
    pub(super) fn refresh_segments(&mut self, ctx: &egui::Context) {
        if let Some(column) = self.state.drift.segment_by.clone() {
            let min_rows = self.state.drift.segment_min_rows();
            self.send_read(
                ctx,
                Request::MetricsSegments {
                    column: column.clone(),
                    min_rows,
                },
            );
            self.send_read(ctx, Request::DriftSegments { column, min_rows });
        }
    }

    pub(super) fn reload_predictions(&mut self, ctx: &egui::Context) {
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

    pub(super) fn poll(&mut self, ctx: &egui::Context) {
        for response in self.client.poll() {
            self.in_flight.remove(&response.request.kind());
            if response.base_url.trim_end_matches('/') != self.settings.api_url {
                continue; // answer from a server the user has since left
            }
            let refused = matches!(
                response.result.as_ref().err().and_then(ApiError::status),
                Some(401 | 403)
            );
            if refused && response.key != self.key {
                continue; // refusal of a key the user has since replaced
            }
            let now = OffsetDateTime::now_utc();
            if let Ok(Payload::Report(html)) = &response.result {
                self.state.notice = Some(crate::export::save_notice(&self.report_dir, html, now));
            }
            match state::apply_response(&mut self.state, response, now) {
                FollowUp::None => {}
                FollowUp::PipelineStatus => self.send_read(ctx, Request::PipelineStatus),
                FollowUp::All => self.refresh(ctx),
                FollowUp::MorePredictions => self.handle(ctx, Action::LoadMorePredictions),
                FollowUp::Alerts => {
                    self.send_read(ctx, Request::FiringAlerts);
                    if self.settings.tab == Tab::Alerts {
                        self.send_read(ctx, Request::Alerts(self.state.alerts.filter));
                    }
                }
            }
        }
    }
}
