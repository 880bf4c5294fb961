//! CPU time of recent frames, shown in the status bar and logged every 10 s.

/// CPU time of recent frames (eframe's `cpu_usage`: UI, tessellation and paint submission).
#[derive(Debug, Default)]
pub(super) struct FrameTimes {
    pub(super) recent: std::collections::VecDeque<f32>,
    pub(super) last_log: f64,
}

impl FrameTimes {
    /// Frames kept for the mean and maximum.
    const WINDOW: usize = 120;

    pub(super) fn record(&mut self, seconds: f32) {
        if self.recent.len() == Self::WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(seconds);
    }

    /// Mean and maximum in milliseconds.
    pub(super) fn stats(&self) -> Option<(f32, f32)> {
        #[expect(clippy::cast_precision_loss, reason = "at most WINDOW frames")]
        let n = self.recent.len() as f32;
        (!self.recent.is_empty()).then(|| {
            let sum: f32 = self.recent.iter().sum();
            let max = self.recent.iter().copied().fold(0.0, f32::max);
            (sum / n * 1000.0, max * 1000.0)
        })
    }
}
