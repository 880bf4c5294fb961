//! Timed refreshes, and faster pipeline status polls while a run is in progress. egui's
//! clock drives them, so tests are deterministic.

use scorewatch_core::PipelineState;

use crate::app::DashboardApp;
use crate::client::Request;

/// Seconds between pipeline status polls while a run is in progress.
const RUNNING_POLL_SECONDS: f64 = 1.0;

impl DashboardApp {
    pub(super) fn pipeline_running(&self) -> bool {
        self.state
            .pipeline
            .as_ref()
            .is_some_and(|p| matches!(p.state, PipelineState::Running { .. }))
    }

    /// Schedules timed refreshes; egui's clock drives it so tests are deterministic.
    pub(super) fn tick(&mut self, ctx: &egui::Context) {
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
}
