//! The overview's estimate: AUC and accuracy estimated without outcomes beside the
//! realized production values, and a trend of estimated vs realized AUC, so a drop shows
//! before the labels arrive.

use egui::{Color32, RichText};
use egui_plot::{Legend, Plot};
use scorewatch_core::views::MetricsView;
use scorewatch_core::{MetricName, MetricSource, MetricsEntry};

use crate::format;
use crate::tabs::history_plot::{self, SourceSeries};
use crate::tabs::metrics::{history_series, time_label};

/// The metrics the estimate card shows.
const ESTIMATED: [MetricName; 2] = [MetricName::RocAuc, MetricName::Accuracy];

/// Why there is no estimate: the drift job records one only under both conditions.
pub const NO_ESTIMATE: &str = "No estimate yet: the drift job records one each interval once \
     the served model has a calibrator (models trained before estimates existed have none: \
     retrain) and some of its predictions have no outcome yet.";

/// `Estimated AUC 0.780 (0.750–0.810)`, without the band when the entry has none.
#[must_use]
pub fn estimate_text(entry: &MetricsEntry, metric: MetricName) -> Option<String> {
    let value = entry.metrics.get(metric.as_str())?;
    let band = entry
        .bands
        .get(metric.as_str())
        .map(|b| format!(" ({:.3}–{:.3})", b.lower, b.upper))
        .unwrap_or_default();
    Some(format!("Estimated {} {value:.3}{band}", metric.label()))
}

/// Draws the estimate card and the trend plot side by side.
pub fn show(ui: &mut egui::Ui, metrics: &MetricsView) {
    ui.horizontal(|ui| {
        super::overview::card(ui, "Performance estimated without outcomes", |ui| {
            let Some(entry) = &metrics.estimated else {
                ui.set_max_width(360.0);
                ui.label(RichText::new(NO_ESTIMATE).color(Color32::GRAY));
                return;
            };
            egui::Grid::new("estimate").num_columns(2).show(ui, |ui| {
                for metric in ESTIMATED {
                    let Some(text) = estimate_text(entry, metric) else {
                        continue;
                    };
                    ui.label(RichText::new(text).strong());
                    let realized = metrics
                        .production
                        .as_ref()
                        .and_then(|p| p.metrics.get(metric.as_str()))
                        .map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"));
                    ui.label(format!("realized {realized}"));
                    ui.end_row();
                }
            });
            let rows = entry
                .rows
                .map(|r| format!("from {r} predictions without outcomes, "))
                .unwrap_or_default();
            ui.label(
                RichText::new(format!(
                    "{rows}{} UTC; the band is the estimate -/+ 3 sampling errors",
                    format::format_time(entry.timestamp)
                ))
                .small()
                .color(Color32::GRAY),
            );
        });
        trend(ui, metrics);
    });
}

/// Estimated and realized AUC over the history, with the estimate's band.
fn trend(ui: &mut egui::Ui, metrics: &MetricsView) {
    let series = history_series(&metrics.history);
    let auc = MetricName::RocAuc.as_str().to_owned();
    let estimated = series.lines.get(&(auc.clone(), MetricSource::Estimated));
    let production = series.lines.get(&(auc.clone(), MetricSource::Production));
    if estimated.is_none() && production.is_none() {
        return;
    }
    let band = series.bands.get(&auc).map_or(&[][..], Vec::as_slice);
    Plot::new("overview_auc_trend")
        .width(ui.available_width().clamp(240.0, 520.0))
        .height(150.0)
        .legend(Legend::default())
        .x_axis_formatter(|mark, _range| time_label(mark.value))
        .allow_scroll(false)
        .show(ui, |plot| {
            let color = crate::tabs::metrics::metric_color(0);
            if let Some(points) = production {
                history_plot::draw(
                    plot,
                    &SourceSeries {
                        label: "realized AUC".into(),
                        source: MetricSource::Production,
                        color,
                        points,
                        band: &[],
                    },
                );
            }
            if let Some(points) = estimated {
                history_plot::draw(
                    plot,
                    &SourceSeries {
                        label: "estimated AUC".into(),
                        source: MetricSource::Estimated,
                        color: Color32::from_rgb(219, 68, 55),
                        points,
                        band,
                    },
                );
            }
        });
}
