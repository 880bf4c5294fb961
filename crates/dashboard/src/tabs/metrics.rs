//! Metrics history: one line per metric and source over time (broken at gaps, the
//! estimate with its band), manual entries as diamonds, a vertical marker where each
//! model version first appears.

use std::collections::{BTreeMap, BTreeSet};

use egui::Color32;
use egui_plot::{HoverPosition, Legend, Plot, VLine};
use scorewatch_core::{MetricSource, MetricsEntry};

use crate::client::RequestKind;
use crate::format;
use crate::settings::Settings;
use crate::state::ViewState;
use crate::tabs::history_plot::{self, SourceSeries};
use crate::tabs::{BAD, empty_state};

/// The series of the plot, computed from the history: `(metric, source) -> [unix s, value]`
/// sorted by time, and the first time each model version appears.
#[derive(Debug, Default, PartialEq)]
pub struct HistorySeries {
    /// Points per metric and source.
    pub lines: BTreeMap<(String, MetricSource), Vec<[f64; 2]>>,
    /// Confidence band `[unix s, lower, upper]` of each estimated metric, sorted by time.
    pub bands: BTreeMap<String, Vec<[f64; 3]>>,
    /// Model version and the unix time of its first entry, in time order.
    pub versions: Vec<(String, f64)>,
    /// Every metric name present.
    pub metric_names: BTreeSet<String>,
    /// Entries of candidates the promotion rule rejected, left out of the plot.
    pub rejected_candidates: usize,
}

/// Builds the plot series from history entries (any order).
///
/// A rejected candidate's training and validation entries are left out: plotted, they
/// would continue the served model's lines and add a version marker for a model that
/// never served.
#[must_use]
pub fn history_series(history: &[MetricsEntry]) -> HistorySeries {
    let mut series = HistorySeries::default();
    let (rejected, served): (Vec<&MetricsEntry>, Vec<&MetricsEntry>) =
        history.iter().partition(|e| e.rejected_candidate);
    series.rejected_candidates = rejected.len();
    let mut entries = served;
    entries.sort_by_key(|e| e.timestamp);
    let mut seen_versions = BTreeSet::new();
    for entry in entries {
        #[expect(
            clippy::cast_precision_loss,
            reason = "unix seconds fit f64 exactly until year 2^53"
        )]
        let x = entry.timestamp.unix_timestamp() as f64;
        if let Some(version) = &entry.model_version
            && seen_versions.insert(version.clone())
        {
            series.versions.push((version.clone(), x));
        }
        for (name, value) in &entry.metrics {
            series.metric_names.insert(name.clone());
            series
                .lines
                .entry((name.clone(), entry.source))
                .or_default()
                .push([x, *value]);
        }
        for (name, bounds) in &entry.bands {
            series
                .bands
                .entry(name.clone())
                .or_default()
                .push([x, bounds.lower, bounds.upper]);
        }
    }
    series
}

fn rejected_note(rejected: usize) -> String {
    if rejected == 0 {
        return String::new();
    }
    format!(
        " {rejected} entries of candidate models the promotion rule rejected are not plotted \
         (they never served; the Pipeline tab lists those runs)."
    )
}

/// The colour of the metric at `index` among the metric names.
#[must_use]
pub fn metric_color(index: usize) -> Color32 {
    const PALETTE: [Color32; 8] = [
        Color32::from_rgb(66, 133, 244),
        Color32::from_rgb(219, 68, 55),
        Color32::from_rgb(244, 180, 0),
        Color32::from_rgb(15, 157, 88),
        Color32::from_rgb(171, 71, 188),
        Color32::from_rgb(0, 172, 193),
        Color32::from_rgb(255, 112, 67),
        Color32::from_rgb(158, 157, 36),
    ];
    PALETTE[index % PALETTE.len()]
}

/// Draws the metrics history tab; metric choices go straight into `settings`.
pub fn show(ui: &mut egui::Ui, state: &ViewState, settings: &mut Settings) {
    if let Some(error) = state.errors.get(&RequestKind::Metrics) {
        ui.colored_label(BAD, format!("Metrics: {error}"));
    }
    let Some(metrics) = &state.metrics else {
        ui.label("Loading metrics...");
        return;
    };
    if metrics.history.is_empty() {
        empty_state(
            ui,
            "No metrics history yet",
            "Entries appear when the pipeline trains a model (training and validation), when \
             outcomes arrive (production), or when metrics are posted by hand to \
             POST /monitoring/metrics (manual).",
        );
        return;
    }
    let series = history_series(&metrics.history);
    ui.horizontal_wrapped(|ui| {
        ui.label("Show:");
        for name in &series.metric_names {
            let mut shown = settings.shown_metrics.contains(name);
            if ui.checkbox(&mut shown, name.as_str()).changed() {
                if shown {
                    settings.shown_metrics.push(name.clone());
                } else {
                    settings.shown_metrics.retain(|m| m != name);
                }
            }
        }
    });
    ui.label(format!(
        "{} of {} entries. One colour per metric; per source: training dotted with squares, \
         validation dashed with triangles, production solid with circles, estimated without \
         outcomes dashed with crosses and its shaded band, manual as diamonds. Lines break \
         where no entry came for more than {}x the usual spacing; grey dashed verticals mark \
         a new model version. Times in UTC.{}",
        metrics.history.len(),
        metrics.history_total,
        history_plot::GAP_FACTOR,
        rejected_note(series.rejected_candidates)
    ));

    let shown: Vec<(usize, &String)> = series
        .metric_names
        .iter()
        .enumerate()
        .filter(|(_, name)| settings.shown_metrics.contains(name))
        .collect();
    Plot::new("metrics_history")
        .height(ui.available_height().max(320.0))
        .legend(Legend::default())
        .x_axis_formatter(|mark, _range| time_label(mark.value))
        .label_formatter(|hover| match hover {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!(
                "{plot_name}\n{}\n{:.4}",
                time_label(position.x),
                position.y
            )),
            HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            for (version, x) in &series.versions {
                plot.vline(
                    VLine::new(format!("model {version}"), *x)
                        .color(Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            }
            for (index, name) in &shown {
                for source in [
                    MetricSource::Training,
                    MetricSource::Validation,
                    MetricSource::Production,
                    MetricSource::Estimated,
                    MetricSource::Manual,
                ] {
                    let Some(points) = series.lines.get(&((*name).clone(), source)) else {
                        continue;
                    };
                    let band = match source {
                        MetricSource::Estimated => series.bands.get(*name),
                        _ => None,
                    };
                    history_plot::draw(
                        plot,
                        &SourceSeries {
                            label: format!("{name} ({})", history_plot::source_name(source)),
                            source,
                            color: metric_color(*index),
                            points,
                            band: band.map_or(&[], Vec::as_slice),
                        },
                    );
                }
            }
        });
}

/// A plot x value (unix seconds) as a UTC time.
#[must_use]
pub fn time_label(x: f64) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "plot x values are unix seconds"
    )]
    let seconds = x.round() as i64;
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(format::format_time)
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
