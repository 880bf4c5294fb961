//! Drawing one metric's history from one source, shared by the metrics tab and the
//! overview's trend plot: a style per source, lines broken at gaps, the estimate's band.

use std::ops::Range;

use egui::Color32;
use egui_plot::{FilledArea, Line, LineStyle, MarkerShape, PlotUi, Points};
use scorewatch_core::MetricSource;

/// Consecutive points further apart than this many times the series' median spacing are
/// a gap: the line stops there and starts again after it. With entries every drift
/// interval (or every outcome batch), three missed intervals in a row is a gap; a
/// single late entry is not.
pub const GAP_FACTOR: f64 = 3.0;

/// The runs of `xs` (sorted ascending) to draw as one line each: `xs` is cut between
/// consecutive points whose distance exceeds [`GAP_FACTOR`] times the median of the
/// positive distances. Fewer than three points (one distance, which is its own median)
/// or no positive distance give one run. Every index is in exactly one run, in order.
#[must_use]
#[expect(
    clippy::single_range_in_vec_init,
    reason = "a list of runs that here holds one run, not the indices"
)]
pub fn gap_segments(xs: &[f64]) -> Vec<Range<usize>> {
    if xs.is_empty() {
        return Vec::new();
    }
    let mut steps: Vec<f64> = xs
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .filter(|step| *step > 0.0)
        .collect();
    if steps.is_empty() {
        return vec![0..xs.len()];
    }
    steps.sort_by(f64::total_cmp);
    let median = if steps.len() % 2 == 1 {
        steps[steps.len() / 2]
    } else {
        f64::midpoint(steps[steps.len() / 2 - 1], steps[steps.len() / 2])
    };
    let limit = GAP_FACTOR * median;
    let mut segments = Vec::new();
    let mut start = 0;
    for i in 1..xs.len() {
        if xs[i] - xs[i - 1] > limit {
            segments.push(start..i);
            start = i;
        }
    }
    segments.push(start..xs.len());
    segments
}

/// Lowercase name of a source, as the API writes it.
#[must_use]
pub fn source_name(source: MetricSource) -> &'static str {
    match source {
        MetricSource::Training => "training",
        MetricSource::Validation => "validation",
        MetricSource::Manual => "manual",
        MetricSource::Production => "production",
        MetricSource::Estimated => "estimated",
    }
}

/// How a source looks: the metric keeps its colour (several metrics share one plot), so
/// sources differ by shade, line style and marker. Training and validation usually have
/// one point per model version, where only the marker shows, so every source has its own.
struct SourceStyle {
    line: LineStyle,
    width: f32,
    marker: MarkerShape,
    /// Share of white mixed into the metric's colour.
    lighten: f32,
}

fn source_style(source: MetricSource) -> SourceStyle {
    let (line, width, marker, lighten) = match source {
        MetricSource::Training => (LineStyle::dotted_dense(), 1.5, MarkerShape::Square, 0.45),
        MetricSource::Validation => (LineStyle::dashed_loose(), 1.5, MarkerShape::Up, 0.25),
        MetricSource::Production => (LineStyle::Solid, 2.5, MarkerShape::Circle, 0.0),
        // Estimated without outcomes: dashed, so it never reads as the realized line.
        MetricSource::Estimated => (LineStyle::dashed_dense(), 2.0, MarkerShape::Cross, 0.0),
        MetricSource::Manual => (LineStyle::Solid, 1.0, MarkerShape::Diamond, 0.0),
    };
    SourceStyle {
        line,
        width,
        marker,
        lighten,
    }
}

fn lighten(color: Color32, share: f32) -> Color32 {
    let mix = |c: u8| {
        let c = f32::from(c);
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a mix of two values in 0..=255 stays in 0..=255"
        )]
        let mixed = (c + (255.0 - c) * share).round() as u8;
        mixed
    };
    Color32::from_rgb(mix(color.r()), mix(color.g()), mix(color.b()))
}

/// One source's points of one metric, `[x, value]` sorted by x, with the estimate's
/// band `[x, lower, upper]` (empty for other sources).
pub struct SourceSeries<'a> {
    /// Legend name; the line segments and markers carry it, so the legend has one entry
    /// per metric and source and hides them together (the band is "<name> band").
    pub label: String,
    /// The source, which picks the style.
    pub source: MetricSource,
    /// The metric's colour.
    pub color: Color32,
    /// Points sorted by x.
    pub points: &'a [[f64; 2]],
    /// Band points sorted by x.
    pub band: &'a [[f64; 3]],
}

/// Draws a series: one line per run between gaps, a marker per point, and for the
/// estimate its band (a filled area per run; a vertical bar where a run is one point).
/// Manual entries are markers only: they are one-off values, not a series.
pub fn draw(plot: &mut PlotUi<'_>, series: &SourceSeries<'_>) {
    let style = source_style(series.source);
    let color = lighten(series.color, style.lighten);
    if series.source != MetricSource::Manual {
        let xs: Vec<f64> = series.points.iter().map(|p| p[0]).collect();
        for run in gap_segments(&xs) {
            plot.line(
                Line::new(series.label.clone(), series.points[run].to_vec())
                    .color(color)
                    .width(style.width)
                    .style(style.line),
            );
        }
    }
    let manual = series.source == MetricSource::Manual;
    plot.points(
        Points::new(series.label.clone(), series.points.to_vec())
            .color(color)
            .shape(style.marker)
            .filled(!manual)
            .radius(if manual { 6.0 } else { 3.5 }),
    );
    // A legend entry of its own: under the line's name the legend dot took the band's
    // translucent fill and read grey. Drawn last, the band only tints the line beneath.
    let band_label = format!("{} band", series.label);
    let band_xs: Vec<f64> = series.band.iter().map(|b| b[0]).collect();
    for run in gap_segments(&band_xs) {
        let band = &series.band[run];
        if let [single] = band {
            plot.line(
                Line::new(
                    band_label.clone(),
                    vec![[single[0], single[1]], [single[0], single[2]]],
                )
                .color(color.gamma_multiply(0.6))
                .width(4.0),
            );
        } else {
            let xs: Vec<f64> = band.iter().map(|b| b[0]).collect();
            let lower: Vec<f64> = band.iter().map(|b| b[1]).collect();
            let upper: Vec<f64> = band.iter().map(|b| b[2]).collect();
            plot.add(
                FilledArea::new(band_label.clone(), &xs, &lower, &upper)
                    .fill_color(color.gamma_multiply(0.15)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_across_a_gap_become_two_segments() {
        // Hourly, then nothing for ten hours: median spacing 1 h, the 10 h step is a gap.
        let xs = [0.0, 3600.0, 7200.0, 10_800.0, 46_800.0, 50_400.0, 54_000.0];
        assert_eq!(gap_segments(&xs), vec![0..4, 4..7]);
    }

    #[test]
    fn irregular_spacing_below_the_factor_stays_one_segment() {
        // Steps 1, 2, 1, 2.9: median 1.5, limit 4.5, no gap.
        let xs = [0.0, 1.0, 3.0, 4.0, 6.9];
        assert_eq!(gap_segments(&xs), vec![0..5]);
        // Exactly at the limit is not a gap; just above it is.
        assert_eq!(gap_segments(&[0.0, 1.0, 2.0, 5.0]), vec![0..4]);
        assert_eq!(gap_segments(&[0.0, 1.0, 2.0, 5.5]), vec![0..3, 3..4]);
    }

    #[test]
    fn small_or_degenerate_series_are_one_segment() {
        assert!(gap_segments(&[]).is_empty());
        assert_eq!(gap_segments(&[5.0]), vec![0..1]);
        assert_eq!(gap_segments(&[0.0, 1000.0]), vec![0..2]);
        // Equal timestamps have no positive spacing to measure a gap by.
        assert_eq!(gap_segments(&[7.0, 7.0, 7.0]), vec![0..3]);
    }

    #[test]
    fn every_source_has_its_own_marker() {
        let sources = [
            MetricSource::Training,
            MetricSource::Validation,
            MetricSource::Production,
            MetricSource::Estimated,
            MetricSource::Manual,
        ];
        for (i, a) in sources.iter().enumerate() {
            for b in &sources[i + 1..] {
                assert_ne!(
                    source_style(*a).marker,
                    source_style(*b).marker,
                    "{a:?} and {b:?} share a marker"
                );
            }
        }
    }
}
